/* search.c -- full-text search over the caller's chats.
 *
 * The words (search_query.c) become a tsquery in the database
 * (parley_search_query: each word as written or stemmed in Russian or
 * English, the last one as a prefix), matched against the GIN-indexed
 * messages.tsv of chats the caller is a member of now, newest first
 * (parley_search: sql/007_search_presence.sql picks the plan by how common
 * the words are; sql/013_search_cost.sql limits how many run at once and
 * returns the tsquery with the hits; docs/architecture.md).  Here each
 * hit's matched words become character ranges (highlight.c) and the text
 * is cut to a window around the first. */
#include "search.h"

#include "access.h"
#include "db.h"
#include "highlight.h"
#include "http.h"
#include "jsonw.h"
#include "render.h"
#include "shape.h"
#include "reply.h"
#include "search_query.h"
#include "validate.h"
#include "xmem.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_LIMIT_DEFAULT 20
#define SEARCH_LIMIT_MAX 50
#define SEARCH_SNIPPET_CHARS 160   /* snippet window, in characters */
#define SEARCH_SNIPPET_BEFORE 40   /* characters kept before the first match */

/* Membership of a given chat_id is checked first (access_chat_member), so
 * the one-chat form needs no membership test of its own. */
static const struct db_stmt st_search = {
    "search", "SELECT * FROM parley_search($1, $2::text[], $3, $4, $5)", 5
};

/* Reads an optional positive id from the query; 0 absent, 1, -1 (resp set). */
static int search_query_id(struct req *req, struct resp *resp, const char *name,
                           long long *out)
{
    char v[32];
    int f = http_form_get(req->query, strlen(req->query), name, v, sizeof v);

    if (f == 0 || (f == 1 && v[0] == '\0'))
        return 0;
    if (f < 0 || validate_id(v, strlen(v), out) < 0) {
        http_error(resp, 400, "invalid_field", "%s must be a positive integer", name);
        return -1;
    }
    return 1;
}

/* Length of the UTF-8 sequence starting with byte c. */
static size_t search_seqlen(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Writes ,"snippet":...,"highlights":[...] for text[0..n) whose matched
 * words are the nr code point ranges starts/ends (in order): a window of
 * SEARCH_SNIPPET_CHARS characters around the first match, "…" where the
 * text goes on, and the ranges moved into the window.  `scratch` holds at
 * least n + 8 bytes. */
static void search_snippet_write(struct jsonw *w, const char *text, size_t n,
                                 const size_t *starts, const size_t *ends, size_t nr,
                                 char *scratch)
{
    size_t total = 0, first = nr ? starts[0] : 0, from, to, chars = 0, len = 0;

    for (size_t i = 0; i < n; i += search_seqlen((unsigned char)text[i]))
        total++;
    from = total <= SEARCH_SNIPPET_CHARS || first < SEARCH_SNIPPET_BEFORE
               ? 0 : first - SEARCH_SNIPPET_BEFORE;
    if (total > SEARCH_SNIPPET_CHARS && from + SEARCH_SNIPPET_CHARS > total)
        from = total - SEARCH_SNIPPET_CHARS;
    to = from + SEARCH_SNIPPET_CHARS < total ? from + SEARCH_SNIPPET_CHARS : total;
    if (from > 0) {
        memcpy(scratch, "\xE2\x80\xA6", 3);     /* "…": the text goes on */
        len = 3;
    }
    for (size_t i = 0; i < n && chars < to;) {
        size_t k = search_seqlen((unsigned char)text[i]);
        if (i + k > n)
            k = n - i;
        if (chars >= from) {
            memcpy(scratch + len, text + i, k);
            len += k;
        }
        i += k;
        chars++;
    }
    if (to < total) {
        memcpy(scratch + len, "\xE2\x80\xA6", 3);
        len += 3;
    }
    scratch[len] = '\0';
    jsonw_lit(w, ",\"snippet\":");
    jsonw_str(w, scratch);
    jsonw_lit(w, ",\"highlights\":[");
    for (size_t i = 0, k = 0; i < nr; i++) {
        size_t s = starts[i] < from ? from : starts[i], e = ends[i] > to ? to : ends[i];
        size_t shift = from > 0 ? 1 : 0;     /* the leading "…" */
        if (s >= e)
            continue;
        if (k++)
            jsonw_lit(w, ",");
        jsonw_lit(w, "[");
        jsonw_int(w, (long long)(s - from + shift));
        jsonw_lit(w, ",");
        jsonw_int(w, (long long)(e - from + shift));
        jsonw_lit(w, "]");
    }
    jsonw_lit(w, "]");
}

void search_get(struct app *app, struct req *req, struct resp *resp)
{
    char q[SEARCH_QUERY_MAX_BYTES + 1], words[SEARCH_MAX_WORDS][SEARCH_WORD_MAX_BYTES + 1];
    char arr[SEARCH_MAX_WORDS * (SEARCH_WORD_MAX_BYTES + 3) + 3];
    char uid[ID_BUF], b[ID_BUF], l[ID_BUF], cid[ID_BUF];
    long long chat_id = 0, before = 1LL << 62, limit = SEARCH_LIMIT_DEFAULT;
    const char *params[5];
    int f, has_chat;
    size_t nw;
    PGresult *r = NULL;
    enum db_status st;
    struct jsonw w;
    struct hl_terms terms = { 0 };
    char *scratch;
    size_t *starts, *ends, big = 0;
    int n;

    f = http_form_get(req->query, strlen(req->query), "q", q, sizeof q);
    if (f <= 0 || !validate_utf8(q, strlen(q))) {
        http_error(resp, 400, "invalid_query", "q must be 1-%d bytes of UTF-8 text",
                   SEARCH_QUERY_MAX_BYTES);
        return;
    }
    if ((has_chat = search_query_id(req, resp, "chat_id", &chat_id)) < 0 ||
        search_query_id(req, resp, "before", &before) < 0 ||
        search_query_id(req, resp, "limit", &limit) < 0)
        return;
    if (limit > SEARCH_LIMIT_MAX)
        limit = SEARCH_LIMIT_MAX;
    nw = search_query_words(q, strlen(q), words, SEARCH_MAX_WORDS);
    if (nw == 0) {
        http_error(resp, 400, "invalid_query", "q has no letters or digits to search for");
        return;
    }
    /* Eight quoted words of at most 64 bytes always fit arr. */
    if (search_query_array(words, nw, arr, sizeof arr) < 0) {
        http_error(resp, 400, "invalid_query", "q is too long");
        return;
    }
    if (has_chat && access_chat_member(app, req, resp, chat_id) != 1)
        return;
    params[0] = render_id(uid, req->user.sub);
    params[1] = arr;
    params[2] = render_id(cid, has_chat ? chat_id : 0);
    params[3] = render_id(b, before);
    params[4] = render_id(l, limit + 1);     /* one extra row tells has_more */
    st = db_run(app->db, &st_search, params, &r);
    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return;
    }
    /* The page is written straight from the rows (no json-c tree, as the
     * chat list is).  Every row carries the tsquery that found it: its
     * terms say which words to highlight (highlight.c). */
    n = PQntuples(r) < limit ? PQntuples(r) : (int)limit;
    if (n > 0 && hl_terms_parse(PQgetvalue(r, 0, SHAPE_MESSAGE_NCOLS), &terms) < 0)
        terms.n = 0;
    for (int i = 0; i < n; i++) {
        size_t k = (size_t)PQgetlength(r, i, SHAPE_MESSAGE_COL_CONTENT);
        if (k > big)
            big = k;
    }
    scratch = xmalloc(big + 8);
    starts = xcalloc(2 * (big + 1), sizeof *starts);
    ends = starts + big + 1;
    jsonw_init(&w, 16 * 1024);
    jsonw_lit(&w, "{\"results\":[");
    for (int i = 0; i < n; i++) {
        const char *text = PQgetvalue(r, i, SHAPE_MESSAGE_COL_CONTENT);
        size_t len = (size_t)PQgetlength(r, i, SHAPE_MESSAGE_COL_CONTENT);
        size_t nr = app->hl ? hl_ranges(app->hl, &terms, text, len, starts, ends, big + 1) : 0;

        if (i)
            jsonw_lit(&w, ",");
        jsonw_lit(&w, "{\"message\":");
        shape_message_write(&w, r, i, 0);
        search_snippet_write(&w, text, len, starts, ends, nr, scratch);
        jsonw_lit(&w, "}");
    }
    if (PQntuples(r) > limit)
        jsonw_lit(&w, "],\"has_more\":true}");
    else
        jsonw_lit(&w, "],\"has_more\":false}");
    PQclear(r);
    free(scratch);
    free(starts);
    http_json(resp, 200, jsonw_take(&w));
    jsonw_free(&w);
}
