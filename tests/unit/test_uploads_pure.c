/* test_uploads_pure.c -- image sniffing and file name cleaning. */
#include "fname.h"
#include "imgsniff.h"
#include "testhelp.h"

#include <string.h>

static int clean_is(const char *in, size_t n, const char *want)
{
    char out[FNAME_MAX + 1];
    return fname_clean(in, n, out) == 0 && strcmp(out, want) == 0;
}

int main(void)
{
    static const unsigned char png[] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
        0, 0, 0x01, 0x2c, 0, 0, 0, 0xc8, 8, 6, 0, 0, 0 };
    static const unsigned char gif[] = { 'G', 'I', 'F', '8', '9', 'a', 0x40, 0x01, 0xf0, 0x00, 0 };
    /* SOI, APP0 (16 bytes), SOF0 for 640x480. */
    static const unsigned char jpg[] = {
        0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
        0xFF, 0xC0, 0, 17, 8, 0x01, 0xE0, 0x02, 0x80, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1 };
    static const unsigned char webpx[30] = {
        'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X',
        10, 0, 0, 0, 0, 0, 0, 0, 0x1F, 0x03, 0x00, 0x57, 0x02, 0x00 };
    static const char html[] = "<!DOCTYPE html><script>alert(1)</script>";
    struct imgsniff s;
    char out[FNAME_MAX + 1], longname[1000];

    test_cond("png detected", imgsniff_detect(png, sizeof png, &s) == 1 &&
              !strcmp(s.mime, "image/png") && s.width == 300 && s.height == 200);
    test_cond("gif detected", imgsniff_detect(gif, sizeof gif, &s) == 1 &&
              !strcmp(s.mime, "image/gif") && s.width == 320 && s.height == 240);
    test_cond("jpeg detected", imgsniff_detect(jpg, sizeof jpg, &s) == 1 &&
              !strcmp(s.mime, "image/jpeg") && s.width == 640 && s.height == 480);
    test_cond("webp VP8X detected", imgsniff_detect(webpx, sizeof webpx, &s) == 1 &&
              !strcmp(s.mime, "image/webp") && s.width == 800 && s.height == 600);
    test_cond("html is not an image",
              imgsniff_detect((const unsigned char *)html, sizeof html - 1, &s) == 0);
    test_cond("truncated png is not an image", imgsniff_detect(png, 20, &s) == 0);
    test_cond("truncated jpeg is not an image", imgsniff_detect(jpg, 24, &s) == 0);
    test_cond("empty is not an image", imgsniff_detect(png, 0, &s) == 0);

    test_cond("plain name kept", clean_is("photo.png", 9, "photo.png"));
    test_cond("path removed", clean_is("../../etc/passwd", 16, "passwd"));
    test_cond("windows path removed", clean_is("C:\\x\\a.txt", 10, "a.txt"));
    test_cond("leading dots removed", clean_is("..hidden", 8, "hidden"));
    test_cond("only dots -> file", clean_is("..", 2, "file"));
    test_cond("empty -> file", clean_is("", 0, "file"));
    test_cond("NUL refused", fname_clean("a\0b", 3, out) == -1);
    test_cond("bad UTF-8 refused", fname_clean("a\xff", 2, out) == -1);
    test_cond("bidi override dropped",
              clean_is("invoice\xE2\x80\xAEgnp.exe", 17, "invoicegnp.exe"));
    test_cond("unicode kept", clean_is("f\xC3\xB6t\xC3\xB6.jpg", 10, "f\xC3\xB6t\xC3\xB6.jpg"));
    test_cond("control chars dropped", clean_is("a\r\nb.txt", 8, "ab.txt"));
    test_cond("quote and colon replaced", clean_is("a\":b", 4, "a__b"));
    memset(longname, 'x', sizeof longname);
    test_cond("long name cut", fname_clean(longname, sizeof longname, out) == 0 &&
              strlen(out) == FNAME_MAX);
    for (size_t i = 0; i + 2 <= sizeof longname; i += 2)
        memcpy(longname + i, "\xC3\xB6", 2);
    test_cond("long unicode name cut on a character boundary",
              fname_clean(longname, sizeof longname, out) == 0 && strlen(out) == FNAME_MAX &&
              (unsigned char)out[FNAME_MAX - 1] == 0xB6);
    return test_report();
}
