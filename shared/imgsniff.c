/* imgsniff.c -- image signatures and dimensions (see imgsniff.h). */
#include "imgsniff.h"

#include <string.h>

static unsigned long imgsniff_be32(const unsigned char *p)
{
    return ((unsigned long)p[0] << 24) | ((unsigned long)p[1] << 16) |
           ((unsigned long)p[2] << 8) | p[3];
}

static unsigned imgsniff_be16(const unsigned char *p)
{
    return ((unsigned)p[0] << 8) | p[1];
}

static unsigned imgsniff_le16(const unsigned char *p)
{
    return p[0] | ((unsigned)p[1] << 8);
}

static unsigned long imgsniff_le24(const unsigned char *p)
{
    return p[0] | ((unsigned long)p[1] << 8) | ((unsigned long)p[2] << 16);
}

/* PNG: signature, then the IHDR chunk first (length 13). */
static int imgsniff_png(const unsigned char *b, size_t n, struct imgsniff *o)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    if (n < 24 || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return 0;
    o->mime = "image/png";
    o->width = (long)imgsniff_be32(b + 16);
    o->height = (long)imgsniff_be32(b + 20);
    return 1;
}

static int imgsniff_gif(const unsigned char *b, size_t n, struct imgsniff *o)
{
    if (n < 10 || (memcmp(b, "GIF87a", 6) != 0 && memcmp(b, "GIF89a", 6) != 0))
        return 0;
    o->mime = "image/gif";
    o->width = (long)imgsniff_le16(b + 6);
    o->height = (long)imgsniff_le16(b + 8);
    return 1;
}

/* JPEG: walk the marker segments to the first start-of-frame (SOF0..SOF15
 * except DHT C4, JPG C8 and DAC CC). */
static int imgsniff_jpeg(const unsigned char *b, size_t n, struct imgsniff *o)
{
    size_t i = 2;

    if (n < 4 || b[0] != 0xFF || b[1] != 0xD8 || b[2] != 0xFF)
        return 0;
    while (i + 4 <= n) {
        unsigned m, len;
        if (b[i] != 0xFF)
            return 0;
        m = b[i + 1];
        if (m == 0xFF) {            /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
            i += 2;                 /* markers without a length */
            continue;
        }
        if (m == 0xD9 || m == 0xDA) /* end of image / start of scan: no SOF seen */
            return 0;
        len = imgsniff_be16(b + i + 2);
        if (len < 2)
            return 0;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (i + 9 > n)
                return 0;
            o->mime = "image/jpeg";
            o->height = (long)imgsniff_be16(b + i + 5);
            o->width = (long)imgsniff_be16(b + i + 7);
            return 1;
        }
        i += 2 + len;
    }
    return 0;
}

/* WebP: RIFF....WEBP then a VP8 (lossy), VP8L (lossless) or VP8X
 * (extended) chunk. */
static int imgsniff_webp(const unsigned char *b, size_t n, struct imgsniff *o)
{
    if (n < 30 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WEBP", 4) != 0)
        return 0;
    if (memcmp(b + 12, "VP8 ", 4) == 0) {
        if (b[23] != 0x9D || b[24] != 0x01 || b[25] != 0x2A)
            return 0;
        o->width = (long)(imgsniff_le16(b + 26) & 0x3FFF);
        o->height = (long)(imgsniff_le16(b + 28) & 0x3FFF);
    } else if (memcmp(b + 12, "VP8L", 4) == 0) {
        unsigned long bits;
        if (b[20] != 0x2F)
            return 0;
        bits = b[21] | ((unsigned long)b[22] << 8) | ((unsigned long)b[23] << 16) |
               ((unsigned long)b[24] << 24);
        o->width = (long)(bits & 0x3FFF) + 1;
        o->height = (long)((bits >> 14) & 0x3FFF) + 1;
    } else if (memcmp(b + 12, "VP8X", 4) == 0) {
        o->width = (long)imgsniff_le24(b + 24) + 1;
        o->height = (long)imgsniff_le24(b + 27) + 1;
    } else {
        return 0;
    }
    o->mime = "image/webp";
    return 1;
}

int imgsniff_detect(const unsigned char *buf, size_t n, struct imgsniff *out)
{
    struct imgsniff s = { NULL, 0, 0 };

    if (!(imgsniff_png(buf, n, &s) || imgsniff_jpeg(buf, n, &s) ||
          imgsniff_gif(buf, n, &s) || imgsniff_webp(buf, n, &s)))
        return 0;
    if (s.width < 1 || s.height < 1 || s.width > IMGSNIFF_MAX_DIM ||
        s.height > IMGSNIFF_MAX_DIM)
        return 0;
    *out = s;
    return 1;
}
