/* test_jsonw.c -- the JSON text writer: escaping, numbers, and that a taken
 * buffer serialises as its text and parses back to the same values. */
#include "jsonw.h"
#include "testhelp.h"

#include <string.h>

/* Writes s with jsonw_str and parses it back: 1 if the round trip gives s. */
static int jsonw_roundtrip(const char *s)
{
    struct jsonw w;
    json_object *o;
    int ok;

    jsonw_init(&w, 4);
    jsonw_str(&w, s);
    o = jsonw_parse(&w);
    ok = o && json_object_is_type(o, json_type_string) && strcmp(json_object_get_string(o), s) == 0;
    json_object_put(o);
    jsonw_free(&w);
    return ok;
}

int main(void)
{
    struct jsonw w;
    json_object *o, *v;
    const char *text;

    jsonw_init(&w, 1);
    jsonw_str(&w, "a\"b\\c\n\t\x01/\xc3\xa9");
    test_cond("escapes quote, backslash, controls; keeps UTF-8",
              strcmp(w.buf, "\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\"") == 0);
    jsonw_free(&w);

    test_cond("round trip: plain", jsonw_roundtrip("hello"));
    test_cond("round trip: empty", jsonw_roundtrip(""));
    test_cond("round trip: every control byte",
              jsonw_roundtrip("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                              "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"));
    test_cond("round trip: quotes at both ends", jsonw_roundtrip("\"x\""));
    test_cond("round trip: emoji", jsonw_roundtrip("\xf0\x9f\x98\x80 </script>"));

    jsonw_init(&w, 2);
    jsonw_lit(&w, "{\"n\":");
    jsonw_int(&w, -9223372036854775807LL - 1);
    jsonw_lit(&w, ",\"s\":");
    jsonw_str(&w, NULL);
    jsonw_lit(&w, ",\"t\":");
    jsonw_bool(&w, 1);
    jsonw_lit(&w, ",\"f\":");
    jsonw_bool(&w, 0);
    jsonw_lit(&w, "}");
    test_cond("writes int, null, booleans",
              strcmp(w.buf, "{\"n\":-9223372036854775808,\"s\":null,\"t\":true,\"f\":false}") == 0);
    o = jsonw_parse(&w);
    test_cond("parses back", o && json_object_object_get_ex(o, "n", &v) &&
                                 json_object_get_int64(v) == -9223372036854775807LL - 1);
    json_object_put(o);

    /* A taken buffer: the object serialises as the text, the writer is empty. */
    o = jsonw_take(&w);
    test_cond("take empties the writer", w.buf == NULL && w.len == 0);
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    test_cond("taken object serialises as its text",
              strcmp(text, "{\"n\":-9223372036854775808,\"s\":null,\"t\":true,\"f\":false}") == 0);
    json_object_put(o);
    jsonw_free(&w);

    jsonw_init(&w, 8);
    jsonw_lit(&w, "{\"a\":");
    test_cond("incomplete text does not parse", jsonw_parse(&w) == NULL);
    jsonw_lit(&w, "1}x");
    test_cond("trailing bytes do not parse", jsonw_parse(&w) == NULL);
    jsonw_free(&w);
    return test_report();
}
