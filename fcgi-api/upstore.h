/* upstore.h -- uploaded bytes on disk, named by their SHA-256.
 *
 * Layout under the upload folder (lighttpd's X-Sendfile docroot):
 *   <dir>/<first two hex digits>/<64 hex digits>   finished files
 *   <dir>/.tmp/<pid>-<random>                      bodies being received
 * A body is written to .tmp, hashed on the way, and only renamed into place
 * (atomic within one file system) once complete and its database row is
 * committed; a worker killed half way leaves only a .tmp file, which no URL
 * reaches and the sweep removes.  No byte of a body is held in memory
 * beyond one buffer and the first IMGSNIFF_HEAD bytes (for sniffing). */
#ifndef PL_UPSTORE_H
#define PL_UPSTORE_H

#include "imgsniff.h"

#include <stddef.h>

#define UPSTORE_SHA_HEX 65
#define UPSTORE_PATH_MAX 4096

enum upstore_status { UPSTORE_OK = 0, UPSTORE_TOO_BIG, UPSTORE_SHORT, UPSTORE_IOERR };

/* One received body, not yet in place. */
struct upstore_file {
    char tmp_path[UPSTORE_PATH_MAX];
    char sha256[UPSTORE_SHA_HEX];
    long long size;
    int is_image;
    struct imgsniff img;
};

typedef long (*upstore_read_fn)(void *ctx, char *buf, size_t n);

/* Creates <dir> and <dir>/.tmp if missing.  Returns 0 or -1 with err set. */
int upstore_init(const char *dir, char *err, size_t errlen);

/* Reads exactly `length` bytes (-1: until the end) from read(ctx) into a
 * new temporary file, refusing more than `max`.  On UPSTORE_OK *out
 * describes the file (call upstore_commit or upstore_discard); on any
 * other status nothing is left on disk and err says why. */
enum upstore_status upstore_receive(const char *dir, upstore_read_fn read, void *ctx,
                                    long long length, long long max,
                                    struct upstore_file *out, char *err, size_t errlen);

/* Moves the received file to its final name.  Returns 0 or -1 (err set);
 * either way the temporary file is gone. */
int upstore_commit(const char *dir, struct upstore_file *f, char *err, size_t errlen);

/* Removes the temporary file of a body that will not be kept. */
void upstore_discard(struct upstore_file *f);

/* Writes <dir>/<xx>/<sha256> into buf. */
void upstore_path(const char *dir, const char *sha256, char buf[UPSTORE_PATH_MAX]);

/* Removes the file of sha256 unless still_used(ctx, sha256) says a row
 * appeared for it meanwhile: the file is first moved aside, then the
 * database asked, then it is deleted or put back.  An upload of the same
 * bytes racing with the sweep inserts its row before renaming its file in,
 * so one of the two always sees the other. */
void upstore_remove(const char *dir, const char *sha256,
                    int (*still_used)(void *ctx, const char *sha256), void *ctx);

/* Deletes temporary files older than max_age seconds (left by killed
 * workers).  Returns how many were removed. */
int upstore_sweep_tmp(const char *dir, long max_age);

#endif
