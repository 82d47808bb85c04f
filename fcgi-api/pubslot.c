/* pubslot.c -- a worker's publisher id and sequence in a shared mapping
 * (see pubslot.h). */
#include "pubslot.h"

#include "bus.h"
#include "xmem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#define PUBSLOT_MAGIC "PLPUB1"

/* The file's contents. */
struct pubslot_rec {
    char magic[8];
    uint64_t pub;
    uint64_t seq;      /* last number used: stored before the envelope is queued */
    uint64_t start;    /* the owner's start time (/proc/<pid>/stat, field 22) */
};

struct pubslot {
    struct pubslot_rec *rec;   /* mapped shared */
};

/* A process's start time in clock ticks since boot, 0 if it is gone. */
static uint64_t pubslot_start_of(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long start = 0;
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command name may hold spaces and ')': fields start after the last ')'. */
    p = strrchr(buf, ')');
    if (!p)
        return 0;
    /* Field 3, the state, follows: a zombie is as dead as a reaped process. */
    if (p[1] != ' ' || p[2] == 'Z' || p[2] == 'X' || p[2] == '\0')
        return 0;
    /* The start time is field 22. */
    for (int field = 2; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p || sscanf(p + 1, "%llu", &start) != 1)
        return 0;
    return start;
}

/* Renames the first slot in dir whose owner is gone to `mine`; 1 if one
 * was adopted. */
static int pubslot_adopt(const char *dir, const char *mine)
{
    char path[4096];
    struct pubslot_rec rec;
    struct dirent *e;
    int adopted = 0;
    DIR *d = opendir(dir);

    if (!d)
        return 0;
    while (!adopted && (e = readdir(d)) != NULL) {
        char tail[8] = "";
        int pid, fd;
        ssize_t n;

        if (sscanf(e->d_name, "%d.%7s", &pid, tail) != 2 || strcmp(tail, "pub") != 0 ||
            pid <= 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        n = pread(fd, &rec, sizeof rec, 0);
        close(fd);
        if (n != (ssize_t)sizeof rec || memcmp(rec.magic, PUBSLOT_MAGIC, sizeof PUBSLOT_MAGIC) != 0)
            continue;
        if (pid != (int)getpid()) {
            uint64_t start = pubslot_start_of((pid_t)pid);
            if (start != 0 && start == rec.start)
                continue;   /* its worker is alive */
        }
        /* Exactly one starting worker's rename finds the file. */
        adopted = rename(path, mine) == 0;
    }
    closedir(d);
    return adopted;
}

struct pubslot *pubslot_open(const char *dir, int *adopted, char *err, size_t errlen)
{
    char mine[4096];
    struct pubslot *s = NULL;
    void *map;
    int fd;

    *adopted = 0;
    if (snprintf(mine, sizeof mine, "%s/%d.pub", dir, (int)getpid()) >= (int)sizeof mine) {
        snprintf(err, errlen, "pub_state_dir too long");
        return NULL;
    }
    *adopted = pubslot_adopt(dir, mine);
    fd = open(mine, O_RDWR | O_CREAT | O_CLOEXEC | (*adopted ? 0 : O_TRUNC), 0600);
    if (fd < 0 || ftruncate(fd, sizeof(struct pubslot_rec)) != 0) {
        snprintf(err, errlen, "%s: %s", mine, strerror(errno));
        if (fd >= 0)
            close(fd);
        *adopted = 0;
        return NULL;
    }
    map = mmap(NULL, sizeof(struct pubslot_rec), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);   /* the mapping keeps the file */
    if (map == MAP_FAILED) {
        snprintf(err, errlen, "mmap %s: %s", mine, strerror(errno));
        *adopted = 0;
        return NULL;
    }
    s = xcalloc(1, sizeof *s);
    s->rec = map;
    if (!*adopted) {
        memcpy(s->rec->magic, PUBSLOT_MAGIC, sizeof PUBSLOT_MAGIC);
        s->rec->pub = bus_new_publisher();
        s->rec->seq = 0;
    }
    s->rec->start = pubslot_start_of(getpid());
    return s;
}

void pubslot_close(struct pubslot **sp)
{
    struct pubslot *s = *sp;

    if (!s)
        return;
    munmap(s->rec, sizeof *s->rec);
    free(s);
    *sp = NULL;
}

uint64_t pubslot_pub(const struct pubslot *s)
{
    return s->rec->pub;
}

uint64_t pubslot_next(struct pubslot *s)
{
    /* A plain store: the page is shared with the file, so the number
     * survives a kill -9 of this process from here on. */
    return ++s->rec->seq;
}
