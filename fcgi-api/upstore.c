/* upstore.c -- content-addressed upload files (see upstore.h). */
#include "upstore.h"

#include "xmem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UPSTORE_BUF (64 * 1024)

static int upstore_mkdir(const char *path)
{
    return mkdir(path, 0750) == 0 || errno == EEXIST ? 0 : -1;
}

int upstore_init(const char *dir, char *err, size_t errlen)
{
    char tmp[UPSTORE_PATH_MAX];

    if (dir[0] != '/') {
        snprintf(err, errlen, "upload_dir must be an absolute path: %s", dir);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s/.tmp", dir);
    if (upstore_mkdir(dir) < 0 || upstore_mkdir(tmp) < 0) {
        snprintf(err, errlen, "upload folder %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

void upstore_path(const char *dir, const char *sha256, char buf[UPSTORE_PATH_MAX])
{
    snprintf(buf, UPSTORE_PATH_MAX, "%s/%.2s/%s", dir, sha256, sha256);
}

static int upstore_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

enum upstore_status upstore_receive(const char *dir, upstore_read_fn read, void *ctx,
                                    long long length, long long max,
                                    struct upstore_file *out, char *err, size_t errlen)
{
    enum upstore_status st = UPSTORE_IOERR;
    crypto_hash_sha256_state h;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char *buf = xmalloc(UPSTORE_BUF);
    unsigned char *head = xmalloc(IMGSNIFF_HEAD);
    size_t headlen = 0;
    long long total = 0;
    int fd = -1;

    memset(out, 0, sizeof *out);
    if (length > max) {
        snprintf(err, errlen, "the file is over %lld bytes", max);
        st = UPSTORE_TOO_BIG;
        goto out;
    }
    snprintf(out->tmp_path, sizeof out->tmp_path, "%s/.tmp/%d-%08x", dir, (int)getpid(),
             (unsigned)randombytes_random());
    fd = open(out->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "create %s: %s", out->tmp_path, strerror(errno));
        out->tmp_path[0] = '\0';
        goto out;
    }
    crypto_hash_sha256_init(&h);
    for (;;) {
        size_t want = UPSTORE_BUF;
        long n;
        if (length >= 0 && (long long)want > length - total)
            want = (size_t)(length - total);
        if (want == 0)
            break;
        n = read(ctx, buf, want);
        if (n < 0) {
            snprintf(err, errlen, "reading the body failed");
            goto out;
        }
        if (n == 0)
            break;
        total += n;
        if (total > max) {
            snprintf(err, errlen, "the file is over %lld bytes", max);
            st = UPSTORE_TOO_BIG;
            goto out;
        }
        if (headlen < IMGSNIFF_HEAD) {
            size_t k = (size_t)n < IMGSNIFF_HEAD - headlen ? (size_t)n : IMGSNIFF_HEAD - headlen;
            memcpy(head + headlen, buf, k);
            headlen += k;
        }
        crypto_hash_sha256_update(&h, (unsigned char *)buf, (unsigned long long)n);
        if (upstore_write_all(fd, buf, (size_t)n) < 0) {
            snprintf(err, errlen, "write %s: %s", out->tmp_path, strerror(errno));
            goto out;
        }
    }
    if (length >= 0 && total != length) {
        snprintf(err, errlen, "the body ended after %lld of %lld bytes", total, length);
        st = UPSTORE_SHORT;
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(err, errlen, "close %s: %s", out->tmp_path, strerror(errno));
        goto out;
    }
    fd = -1;
    crypto_hash_sha256_final(&h, digest);
    sodium_bin2hex(out->sha256, sizeof out->sha256, digest, sizeof digest);
    out->size = total;
    out->is_image = imgsniff_detect(head, headlen, &out->img);
    st = UPSTORE_OK;
out:
    if (fd >= 0)
        close(fd);
    if (st != UPSTORE_OK)
        upstore_discard(out);
    free(buf);
    free(head);
    return st;
}

void upstore_discard(struct upstore_file *f)
{
    if (f->tmp_path[0])
        unlink(f->tmp_path);
    f->tmp_path[0] = '\0';
}

int upstore_commit(const char *dir, struct upstore_file *f, char *err, size_t errlen)
{
    char sub[UPSTORE_PATH_MAX], final[UPSTORE_PATH_MAX];
    int rc = -1;

    snprintf(sub, sizeof sub, "%s/%.2s", dir, f->sha256);
    upstore_path(dir, f->sha256, final);
    if (upstore_mkdir(sub) < 0) {
        snprintf(err, errlen, "mkdir %s: %s", sub, strerror(errno));
        goto out;
    }
    /* Same bytes, same name: replacing an existing copy changes nothing a
     * reader could notice. */
    if (rename(f->tmp_path, final) != 0) {
        snprintf(err, errlen, "rename to %s: %s", final, strerror(errno));
        goto out;
    }
    f->tmp_path[0] = '\0';
    rc = 0;
out:
    upstore_discard(f);
    return rc;
}

void upstore_remove(const char *dir, const char *sha256,
                    int (*still_used)(void *ctx, const char *sha256), void *ctx)
{
    char final[UPSTORE_PATH_MAX], aside[UPSTORE_PATH_MAX];

    upstore_path(dir, sha256, final);
    snprintf(aside, sizeof aside, "%s/.tmp/gone-%s-%d", dir, sha256, (int)getpid());
    if (rename(final, aside) != 0)
        return;                  /* already gone */
    /* A new upload of these bytes: put them back (if it renamed its own
     * copy in already, this replaces it with the same bytes). */
    if (still_used(ctx, sha256) != 0)
        rename(aside, final);
    else
        unlink(aside);
}

int upstore_sweep_tmp(const char *dir, long max_age)
{
    char tmp[UPSTORE_PATH_MAX], p[UPSTORE_PATH_MAX + 256];
    struct dirent *e;
    struct stat sb;
    time_t now = time(NULL);
    int n = 0;
    DIR *d;

    snprintf(tmp, sizeof tmp, "%s/.tmp", dir);
    d = opendir(tmp);
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", tmp, e->d_name);
        if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && now - sb.st_mtime > max_age &&
            unlink(p) == 0)
            n++;
    }
    closedir(d);
    return n;
}
