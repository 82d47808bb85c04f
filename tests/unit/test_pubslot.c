/* test_pubslot.c -- publisher slots (fcgi-api/pubslot.c), included whole:
 * a new slot, numbers stored as they are handed out, a killed process's
 * slot adopted with its id and last number, a live one's never, and one
 * dead slot adopted by only one of two new owners. */
#include "../../fcgi-api/pubslot.c"
#include "testhelp.h"

#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/wait.h>

static char dir[] = "/tmp/parley-pubslot-XXXXXX";

static int count_slots(void)
{
    struct dirent *e;
    int n = 0;
    DIR *d = opendir(dir);

    while (d && (e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".pub") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void remove_slots(void)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "rm -f %s/*.pub", dir);
    if (system(cmd) != 0)
        abort();
}

/* A child that opens a slot, takes `n` numbers, reports its id, its last
 * number and whether it adopted through a pipe, then waits to be killed
 * (never closing the slot, as a worker killed with -9). */
static pid_t child_with_slot(int n, uint64_t out[3])
{
    int fds[2];
    pid_t pid;

    if (pipe(fds) != 0)
        abort();
    pid = fork();
    if (pid == 0) {
        char err[256];
        int adopted = 0;
        struct pubslot *s = pubslot_open(dir, &adopted, err, sizeof err);
        uint64_t r[3] = { s ? pubslot_pub(s) : 0, 0, (uint64_t)adopted };
        for (int i = 0; s && i < n; i++)
            r[1] = pubslot_next(s);
        if (write(fds[1], r, sizeof r) != (ssize_t)sizeof r)
            _exit(2);
        pause();
        _exit(0);
    }
    close(fds[1]);
    if (read(fds[0], out, 3 * sizeof *out) != (ssize_t)(3 * sizeof *out))
        abort();
    close(fds[0]);
    return pid;
}

static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int main(void)
{
    char err[256];
    int adopted = -1;
    uint64_t c1[3], c2[3];
    struct pubslot *s;
    pid_t p1, p2;

    if (!mkdtemp(dir))
        return 1;

    s = pubslot_open(dir, &adopted, err, sizeof err);
    test_cond("an empty folder gives a new slot", s != NULL && adopted == 0);
    test_cond("with an id", s && pubslot_pub(s) != 0);
    test_cond("numbered from 1", s && pubslot_next(s) == 1 && pubslot_next(s) == 2);
    test_cond("one file", count_slots() == 1);
    pubslot_close(&s);
    test_cond("close releases", s == NULL);
    test_cond("and keeps the file for a successor", count_slots() == 1);
    remove_slots();

    /* A live process's slot is never taken. */
    p1 = child_with_slot(5, c1);
    test_cond("a child's slot, numbered to 5", c1[0] != 0 && c1[1] == 5 && c1[2] == 0);
    s = pubslot_open(dir, &adopted, err, sizeof err);
    test_cond("a live owner's slot is not adopted", s && adopted == 0 && pubslot_pub(s) != c1[0]);
    test_cond("two files", count_slots() == 2);
    pubslot_close(&s);
    kill_and_reap(p1);
    remove_slots();

    /* Killed: the next owner takes its id and numbers on from 6, so the
     * daemons see whether 5 ever arrived. */
    p1 = child_with_slot(5, c1);
    kill_and_reap(p1);
    s = pubslot_open(dir, &adopted, err, sizeof err);
    test_cond("a killed owner's slot is adopted", s && adopted == 1);
    test_cond("with its id", s && pubslot_pub(s) == c1[0]);
    test_cond("numbering on from its last number", s && pubslot_next(s) == 6);
    test_cond("the dead owner's file became ours", count_slots() == 1);
    pubslot_close(&s);
    remove_slots();

    /* One dead slot, two new owners: one adopts it, the other starts anew. */
    p1 = child_with_slot(7, c1);
    kill_and_reap(p1);
    p2 = child_with_slot(0, c2);
    test_cond("the first new owner adopts it", c2[2] == 1 && c2[0] == c1[0]);
    s = pubslot_open(dir, &adopted, err, sizeof err);
    test_cond("the second gets a new slot", s && adopted == 0 && pubslot_pub(s) != c1[0]);
    test_cond("numbered from 1", s && pubslot_next(s) == 1);
    pubslot_close(&s);
    kill_and_reap(p2);
    remove_slots();

    /* A slot whose owner's start time could not be read (0) belongs to no
     * live process: adoptable too, whatever its pid now is. */
    p1 = child_with_slot(3, c1);
    kill_and_reap(p1);
    {
        char f[256];
        uint64_t zero = 0;
        int fd;
        snprintf(f, sizeof f, "%s/%d.pub", dir, (int)p1);
        fd = open(f, O_WRONLY);
        test_cond("the dead slot is there", fd >= 0 &&
                  pwrite(fd, &zero, sizeof zero, offsetof(struct pubslot_rec, start)) ==
                      (ssize_t)sizeof zero);
        if (fd >= 0)
            close(fd);
    }
    s = pubslot_open(dir, &adopted, err, sizeof err);
    test_cond("a slot with start time 0 is adopted", s && adopted == 1 && pubslot_pub(s) == c1[0]);
    pubslot_close(&s);
    remove_slots();

    s = pubslot_open("/nonexistent/parley", &adopted, err, sizeof err);
    test_cond("an unusable folder is an error", s == NULL && strstr(err, "/nonexistent/parley"));

    rmdir(dir);
    return test_report();
}
