/* jsonx.c -- strict JSON intake and small builders (see jsonx.h). */
#include "jsonx.h"

#include <stdio.h>
#include <stdlib.h>

json_object *jsonx_parse(const char *buf, size_t len, char *err, size_t errlen)
{
    json_tokener *tok;
    json_object *obj;
    enum json_tokener_error jerr;

    if (len > (size_t)0x7fffffff) {
        snprintf(err, errlen, "JSON too large");
        return NULL;
    }
    tok = json_tokener_new_ex(JSONX_MAX_DEPTH);
    if (!tok) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, buf, (int)len);
    jerr = json_tokener_get_error(tok);
    if (!obj || jerr != json_tokener_success) {
        if (jerr == json_tokener_continue)
            snprintf(err, errlen, "incomplete JSON");
        else
            snprintf(err, errlen, "invalid JSON: %s", json_tokener_error_desc(jerr));
        json_object_put(obj);
        json_tokener_free(tok);
        return NULL;
    }
    /* Strict mode rejects trailing data inside the buffer, but a NUL inside
     * `len` would stop the tokenizer early: check everything was consumed,
     * allowing only trailing whitespace. */
    for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
        char c = buf[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            snprintf(err, errlen, "invalid JSON: trailing data");
            json_object_put(obj);
            json_tokener_free(tok);
            return NULL;
        }
    }
    json_tokener_free(tok);
    return obj;
}

int jsonx_get_string(json_object *obj, const char *key, const char **out,
                     size_t *len)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_string))
        return -1;
    *out = json_object_get_string(v);
    if (len)
        *len = (size_t)json_object_get_string_len(v);
    return 1;
}

int jsonx_get_int64(json_object *obj, const char *key, long long *out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return -1;
    *out = (long long)json_object_get_int64(v);
    return 1;
}

int jsonx_get_bool(json_object *obj, const char *key, int *out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return -1;
    *out = json_object_get_boolean(v);
    return 1;
}

void jsonx_add(json_object *obj, const char *key, json_object *val)
{
    if (json_object_object_add(obj, key, val) < 0) {
        /* json-c leaves ownership with us on failure; this only happens on
         * OOM, which Parley treats as fatal. */
        json_object_put(val);
        fprintf(stderr, "parley: out of memory building JSON\n");
        abort();
    }
}
