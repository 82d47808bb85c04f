/* render.c -- column readers and parameter formatting (see render.h). */
#include "render.h"

#include "jsonx.h"
#include "log.h"
#include "xmem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *render_id(char buf[ID_BUF], long long v)
{
    snprintf(buf, ID_BUF, "%lld", v);
    return buf;
}

long long render_int64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

const char *render_str(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return PQgetvalue(r, row, col);
}

const char *render_ts(char buf[RENDER_TS_BUF], const char *pg)
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd";
    size_t i, n = sizeof shape - 1;
    const char *frac;

    for (i = 0; i < n; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)pg[i]) : pg[i] != shape[i])
            break;
    }
    if (i < n)
        goto raw;
    frac = pg + n;
    if (*frac && *frac != '.')
        goto raw;
    memcpy(buf, pg, n);
    buf[10] = 'T';
    buf[n] = '.';
    /* Three digits of the fraction, zeros where it printed fewer (PG drops
     * trailing zeros, and the whole fraction when it is 0). */
    if (*frac)
        frac++;
    for (i = 1; i <= 3; i++)
        buf[n + i] = isdigit((unsigned char)*frac) ? *frac++ : '0';
    buf[n + 4] = 'Z';
    buf[n + 5] = '\0';
    return buf;
raw:
    snprintf(buf, RENDER_TS_BUF, "%s", pg);
    return buf;
}

size_t render_int64_array(const PGresult *r, int row, int col, long long **out)
{
    const char *s = render_str(r, row, col);
    size_t n = 0, cap = 1;
    char *end;

    *out = NULL;
    if (!s || s[0] != '{' || s[1] == '}')
        return 0;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    *out = xcalloc(cap, sizeof **out);
    for (const char *p = s + 1; n < cap && *p && *p != '}'; p = end + (*end == ',')) {
        long long v = strtoll(p, &end, 10);
        if (end == p)
            break;      /* not a number: PostgreSQL never sends this */
        (*out)[n++] = v;
    }
    return n;
}

json_object *render_json(const PGresult *r, int row, int col)
{
    const char *s = render_str(r, row, col);
    json_object *o;

    if (!s)
        return NULL;
    /* Most messages have no mentions and no reactions: skip the parser
     * (a tokener per call) for the empty array. */
    if (s[0] == '[' && s[1] == ']' && s[2] == '\0')
        return json_object_new_array();
    o = json_tokener_parse(s);
    if (!o)
        log_error("column %d holds text that is not JSON", col);
    return o;
}

json_object *render_user(long long id, const char *username)
{
    json_object *u = json_object_new_object();
    jsonx_add(u, "id", json_object_new_int64(id));
    jsonx_add(u, "username", json_object_new_string(username));
    return u;
}
