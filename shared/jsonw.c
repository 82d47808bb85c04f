/* jsonw.c -- JSON text written straight into a buffer (see jsonw.h). */
#include "jsonw.h"

#include "xmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_init(struct jsonw *w, size_t cap)
{
    w->cap = cap ? cap : 64;
    w->buf = xmalloc(w->cap);
    w->buf[0] = '\0';
    w->len = 0;
}

void jsonw_free(struct jsonw *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

/* Makes room for n more bytes and the NUL. */
static void jsonw_reserve(struct jsonw *w, size_t n)
{
    size_t need = w->len + n + 1;

    if (need <= w->cap)
        return;
    while (w->cap < need)
        w->cap = w->cap ? w->cap * 2 : 64;
    w->buf = xrealloc(w->buf, w->cap);
}

void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
    jsonw_reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

void jsonw_str(struct jsonw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n, run = 0;

    if (!s) {
        jsonw_lit(w, "null");
        return;
    }
    n = strlen(s);
    /* Worst case every byte becomes \u00XX. */
    jsonw_reserve(w, 6 * n + 2);
    w->buf[w->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char *o;

        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        memcpy(w->buf + w->len, s + i - run, run);
        w->len += run;
        run = 0;
        o = w->buf + w->len;
        o[0] = '\\';
        switch (c) {
        case '"': o[1] = '"'; w->len += 2; break;
        case '\\': o[1] = '\\'; w->len += 2; break;
        case '\n': o[1] = 'n'; w->len += 2; break;
        case '\r': o[1] = 'r'; w->len += 2; break;
        case '\t': o[1] = 't'; w->len += 2; break;
        case '\b': o[1] = 'b'; w->len += 2; break;
        case '\f': o[1] = 'f'; w->len += 2; break;
        default:
            o[1] = 'u'; o[2] = '0'; o[3] = '0';
            o[4] = hex[c >> 4]; o[5] = hex[c & 15];
            w->len += 6;
        }
    }
    memcpy(w->buf + w->len, s + n - run, run);
    w->len += run;
    w->buf[w->len++] = '"';
    w->buf[w->len] = '\0';
}

void jsonw_int(struct jsonw *w, long long v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", v);
    jsonw_raw(w, b, (size_t)n);
}

void jsonw_bool(struct jsonw *w, int v)
{
    if (v)
        jsonw_lit(w, "true");
    else
        jsonw_lit(w, "false");
}

/* json-c serialiser of a jsonw_take object: its text, as it is. */
static int jsonw_serialize(json_object *obj, struct printbuf *pb, int level, int flags)
{
    const char *text = json_object_get_userdata(obj);

    (void)level;
    (void)flags;
    return printbuf_memappend(pb, text, (int)strlen(text));
}

static void jsonw_userdata_free(json_object *obj, void *userdata)
{
    (void)obj;
    free(userdata);
}

json_object *jsonw_take(struct jsonw *w)
{
    json_object *o = json_object_new_object();

    if (!w->buf)
        jsonw_init(w, 8);
    json_object_set_serializer(o, jsonw_serialize, w->buf, jsonw_userdata_free);
    w->buf = NULL;
    w->len = w->cap = 0;
    return o;
}

json_object *jsonw_parse(const struct jsonw *w)
{
    json_tokener *tok = json_tokener_new();
    json_object *o;

    if (!tok) {
        fprintf(stderr, "parley: out of memory parsing JSON\n");
        abort();
    }
    o = json_tokener_parse_ex(tok, w->buf, (int)w->len);
    /* Text after the value would be a writer's bug: refuse it too. */
    if (o && (json_tokener_get_error(tok) != json_tokener_success ||
              json_tokener_get_parse_end(tok) != w->len)) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}
