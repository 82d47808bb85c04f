/* test_validate.c -- UTF-8, usernames, message text, ids, strict JSON. */
#include "jsonx.h"
#include "testhelp.h"
#include "validate.h"

#include <string.h>

#define V(s) validate_utf8(s, sizeof(s) - 1)

int main(void)
{
    const char *start, *why;
    size_t tlen;
    long long id;
    char err[128];
    json_object *o;

    test_cond("ascii is utf-8", V("hello"));
    test_cond("2-byte é", V("\xc3\xa9"));
    test_cond("3-byte €", V("\xe2\x82\xac"));
    test_cond("4-byte emoji", V("\xf0\x9f\x98\x80"));
    test_cond("U+10FFFF ok", V("\xf4\x8f\xbf\xbf"));
    test_cond("above U+10FFFF refused", !V("\xf4\x90\x80\x80"));
    test_cond("overlong '/' refused", !V("\xc0\xaf"));
    test_cond("overlong 3-byte refused", !V("\xe0\x80\xaf"));
    test_cond("surrogate refused", !V("\xed\xa0\x80"));
    test_cond("lone continuation refused", !V("\x80"));
    test_cond("truncated sequence refused", !V("\xe2\x82"));
    test_cond("0xff refused", !V("\xff"));
    test_cond("NUL refused", !validate_utf8("a\0b", 3));
    test_cond("char count counts code points",
              validate_utf8_chars("\xc3\xa9t\xc3\xa9", 5) == 3);

    test_cond("username ok", validate_username("user_1.x-y", 10));
    test_cond("username too short", !validate_username("ab", 2));
    test_cond("username 32 ok", validate_username("abcdefghijabcdefghijabcdefghij12", 32));
    test_cond("username 33 refused", !validate_username("abcdefghijabcdefghijabcdefghij123", 33));
    test_cond("username space refused", !validate_username("a b", 3));
    test_cond("username quote refused", !validate_username("a'b", 3));

    test_cond("text trimmed",
              validate_text("  hi there\n\t", 12, 4000, &start, &tlen, &why) == 0 &&
                  tlen == 8 && memcmp(start, "hi there", 8) == 0);
    test_cond("blank text refused", validate_text(" \n\t ", 4, 4000, &start, &tlen, &why) < 0);
    test_cond("empty text refused", validate_text("", 0, 4000, &start, &tlen, &why) < 0);
    {
        static char big[4 * 4001];
        for (int i = 0; i < 4000; i++)
            memcpy(big + 4 * i, "\xf0\x9f\x98\x80", 4);
        test_cond("4000 emoji ok", validate_text(big, 16000, 4000, &start, &tlen, &why) == 0);
        memcpy(big + 16000, "\xf0\x9f\x98\x80", 4);
        test_cond("4001 emoji refused", validate_text(big, 16004, 4000, &start, &tlen, &why) < 0);
    }
    test_cond("invalid utf-8 text refused",
              validate_text("a\xff", 2, 4000, &start, &tlen, &why) < 0);

    test_cond("id 42", validate_id("42", 2, &id) == 0 && id == 42);
    test_cond("id 0 refused", validate_id("0", 1, &id) < 0);
    test_cond("id -1 refused", validate_id("-1", 2, &id) < 0);
    test_cond("id 2^53 ok", validate_id("9007199254740992", 16, &id) == 0);
    test_cond("id past 2^53 refused", validate_id("9007199254740993", 16, &id) < 0);
    test_cond("id with junk refused", validate_id("12a", 3, &id) < 0);
    test_cond("empty id refused", validate_id("", 0, &id) < 0);

    o = jsonx_parse("{\"a\":1}", 7, err, sizeof err);
    test_cond("strict JSON object parses", o != NULL);
    json_object_put(o);
    test_cond("trailing comma refused", !jsonx_parse("{\"a\":1,}", 8, err, sizeof err));
    test_cond("trailing garbage refused", !jsonx_parse("{} x", 4, err, sizeof err));
    test_cond("trailing whitespace ok", (o = jsonx_parse("{} \n", 4, err, sizeof err)) != NULL);
    json_object_put(o);
    test_cond("invalid utf-8 in string refused",
              !jsonx_parse("\"\xc3\x28\"", 4, err, sizeof err));
    test_cond("embedded NUL refused", !jsonx_parse("{}\0{}", 5, err, sizeof err));
    {
        char deep[200];
        memset(deep, '[', sizeof deep);
        test_cond("deep nesting refused", !jsonx_parse(deep, sizeof deep, err, sizeof err));
    }
    test_cond("empty input refused", !jsonx_parse("", 0, err, sizeof err));
    {
        /* Titles and messages: no controls, no bidi overrides. */
#define VT(str, max) validate_text(str, sizeof str - 1, max, &start, &tlen, &why)
        test_cond("title with RLO refused", VT("evil\xe2\x80\xaetxt.exe", 100) < 0);
        test_cond("title with LRE refused", VT("a\xe2\x80\xaa" "b", 100) < 0);
        test_cond("title with PDI (U+2069) refused", VT("a\xe2\x81\xa9" "b", 100) < 0);
        test_cond("title with ESC refused", VT("a\x1b[31mred", 100) < 0);
        test_cond("title with a C1 control refused", VT("a\xc2\x85" "b", 100) < 0);
        test_cond("title with DEL refused", VT("a\x7f", 100) < 0);
        test_cond("title with a line break refused", VT("two\nlines", 100) < 0);
        test_cond("title with a tab refused", VT("a\tb", 100) < 0);
        test_cond("title with RLM mark (U+200F) allowed", VT("a\xe2\x80\x8f" "b", 100) == 0);
        test_cond("Arabic title allowed", VT("\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", 100) == 0);
        test_cond("message with line breaks and a tab allowed", VT("a\nb\r\n\tc", 4000) == 0);
        test_cond("message with RLO refused", VT("x\xe2\x80\xaey", 4000) < 0);
        test_cond("message with BEL refused", VT("x\x07y", 4000) < 0);
        test_cond("emoji allowed", VT("\xf0\x9f\x98\x80", 100) == 0);
#undef VT
    }
    return test_report();
}
