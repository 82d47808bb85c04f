/* imgsniff.h -- recognise an image by its bytes, not its name.
 *
 * PNG, JPEG, GIF and WebP are recognised from their signatures and their
 * width and height read from the header, so the page can reserve the
 * space before the image loads.  Anything else (an HTML file named .png
 * included) is "not an image".  Pure: no I/O, safe on any bytes. */
#ifndef PL_IMGSNIFF_H
#define PL_IMGSNIFF_H

#include <stddef.h>

/* How many leading bytes imgsniff_detect wants to see: enough for a JPEG
 * whose frame header follows large EXIF/ICC segments in most real files. */
#define IMGSNIFF_HEAD (256 * 1024)
#define IMGSNIFF_MAX_DIM 100000

struct imgsniff {
    const char *mime;    /* static string, e.g. "image/png" */
    long width, height;
};

/* Looks at buf[0..n) (the start of a file).  Returns 1 and fills *out for a
 * recognised image with sane dimensions (1..IMGSNIFF_MAX_DIM), else 0. */
int imgsniff_detect(const unsigned char *buf, size_t n, struct imgsniff *out);

#endif
