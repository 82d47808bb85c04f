/* search.c -- full-text search over the caller's chats.
 *
 * The words (search_query.c) become a tsquery in the database
 * (parley_search_query: each word as written or stemmed in Russian or
 * English, the last one as a prefix), matched against the GIN-indexed
 * messages.tsv of chats the caller is a member of now, newest first.  The
 * snippet comes from ts_headline run with the configurations in turn
 * ('english' only where it can mark something new), marking matches with
 * \x02 / \x03 (removed from the text first; passes may nest them); here
 * the marks become character ranges and the text is cut to a window
 * around the first match.  The query itself is parley_search
 * (sql/007_search_presence.sql picks the plan by how common the words are,
 * sql/012_search_headline.sql the headline passes; docs/architecture.md). */
#include "search.h"

#include "access.h"
#include "db.h"
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

/* Writes ,"snippet":...,"highlights":[...] from marked text: \x02 opens a
 * match, \x03 closes it (passes may nest them).  Offsets are in characters
 * (Unicode code points) of the snippet.  `scratch` holds at least 2n+8
 * bytes and 2(n+1) offsets for the n bytes of `marked` (the caller keeps
 * one allocation for the whole page). */
static void search_snippet_write(struct jsonw *w, const char *marked, size_t n,
                                 char *scratch, size_t *offs)
{
    size_t total = 0, first = (size_t)-1, from, to, chars = 0;
    size_t *starts = offs, *ends = offs + n + 1;
    size_t nr = 0, len = 0, plen = 0;
    char *plain = scratch, *text = scratch + n + 1;
    int depth = 0;

    /* Pass 1: the plain text and the ranges over the whole text. */
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)marked[i];
        if (c == 2 || c == 3) {
            if (c == 2 && depth++ == 0) {
                starts[nr] = total;
                if (first == (size_t)-1)
                    first = total;
            } else if (c == 3 && depth > 0 && --depth == 0) {
                ends[nr++] = total;
            }
            i++;
            continue;
        }
        size_t k = search_seqlen(c);
        if (i + k > n)
            k = n - i;
        memcpy(plain + plen, marked + i, k);
        plen += k;
        i += k;
        total++;
    }
    if (depth > 0)
        ends[nr++] = total;
    /* Pass 2: a window of SEARCH_SNIPPET_CHARS around the first match. */
    if (first == (size_t)-1)
        first = 0;
    from = total <= SEARCH_SNIPPET_CHARS || first < SEARCH_SNIPPET_BEFORE
               ? 0 : first - SEARCH_SNIPPET_BEFORE;
    if (total > SEARCH_SNIPPET_CHARS && from + SEARCH_SNIPPET_CHARS > total)
        from = total - SEARCH_SNIPPET_CHARS;
    to = from + SEARCH_SNIPPET_CHARS < total ? from + SEARCH_SNIPPET_CHARS : total;
    if (from > 0) {
        memcpy(text, "\xE2\x80\xA6", 3);     /* "…": the text goes on */
        len = 3;
    }
    for (size_t i = 0; i < plen && chars < to;) {
        size_t k = search_seqlen((unsigned char)plain[i]);
        if (i + k > plen)
            k = plen - i;
        if (chars >= from) {
            memcpy(text + len, plain + i, k);
            len += k;
        }
        i += k;
        chars++;
    }
    if (to < total) {
        memcpy(text + len, "\xE2\x80\xA6", 3);
        len += 3;
    }
    text[len] = '\0';
    jsonw_lit(w, ",\"snippet\":");
    jsonw_str(w, text);
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
    char *scratch;
    size_t *offs, big = 0;
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
     * chat list is): one scratch buffer for every hit's snippet. */
    n = PQntuples(r) < limit ? PQntuples(r) : (int)limit;
    for (int i = 0; i < n; i++) {
        size_t k = (size_t)PQgetlength(r, i, SHAPE_MESSAGE_NCOLS);
        if (k > big)
            big = k;
    }
    scratch = xmalloc(2 * big + 8);
    offs = xcalloc(2 * (big + 1), sizeof *offs);
    jsonw_init(&w, 16 * 1024);
    jsonw_lit(&w, "{\"results\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            jsonw_lit(&w, ",");
        jsonw_lit(&w, "{\"message\":");
        shape_message_write(&w, r, i, 0);
        search_snippet_write(&w, PQgetvalue(r, i, SHAPE_MESSAGE_NCOLS),
                             (size_t)PQgetlength(r, i, SHAPE_MESSAGE_NCOLS), scratch, offs);
        jsonw_lit(&w, "}");
    }
    if (PQntuples(r) > limit)
        jsonw_lit(&w, "],\"has_more\":true}");
    else
        jsonw_lit(&w, "],\"has_more\":false}");
    PQclear(r);
    free(scratch);
    free(offs);
    http_json(resp, 200, jsonw_take(&w));
    jsonw_free(&w);
}
