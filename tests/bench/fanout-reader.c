/* fanout-reader.c -- the fan-out benchmark's reader: many WebSocket clients
 * in one epoll loop, arrival times taken when read() returns.
 *
 * Why a C program: a Node reader costs 29-56 us of CPU per frame on this
 * machine (libuv wake-up, a 'data' event, Buffer work), so with 500-1,000
 * members the reader itself was the largest CPU consumer of a fan-out and
 * could delay the last member's timestamp behind the frames it had not yet
 * parsed; this one costs 12-15 us, mostly the kernel's read path.  This one reads every ready socket with one read() into its own
 * buffer and stamps CLOCK_MONOTONIC (the clock Node's process.hrtime uses,
 * so the parent's POST start times compare directly) right after the read.
 *
 * Usage: fanout-reader HOST PORT PATH CHAT_ID
 * Commands on stdin, one a line; answers on stdout, one JSON line each:
 *   token T          add a token (one connection per token)
 *   open N           connect every token given (N handshakes in flight);
 *                    {"type":"opened","ok":..,"failed":..,"secs":..} once
 *                    each has its `connected` frame or has failed (30 s)
 *   report           {"type":"report","posts":{client_id:{n,min,max}}} for
 *                    new_message frames of CHAT_ID (times in ms), then clears
 *   status           {"type":"status","open":..,"closed":..}
 *   close            exit
 * EOF on stdin also exits: the reader never outlives the benchmark.
 * Only what timing needs: text frames up to 64 KiB, pings answered with
 * pongs, a close frame or EOF ends the connection. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FR_BUF (64 * 1024)
#define FR_MAX_POSTS 1024
#define FR_CID_MAX 64
#define FR_TIMEOUT_MS 30000.0

enum fr_state { FR_IDLE, FR_CONNECTING, FR_UPGRADING, FR_WAITING, FR_OPEN, FR_DONE };

struct fr_conn {
    int fd;
    enum fr_state st;
    char *token;
    unsigned char *buf;          /* FR_BUF bytes while connected */
    size_t len;
    double started;
};

struct fr_post {
    char cid[FR_CID_MAX];
    long n;
    double min, max;
};

struct fr {
    const char *host, *path;
    int port, ep;
    char needle[48];
    struct fr_conn *c;
    size_t nconn, cap, next, inflight, ok, failed, closed;
    int opening;
    size_t concurrency;
    double open_t0;
    struct fr_post posts[FR_MAX_POSTS];
    size_t nposts;
};

static double fr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fr_finish(struct fr *r, struct fr_conn *c, int ok)
{
    if (c->st == FR_OPEN || c->st == FR_DONE) {
        if (c->st == FR_OPEN)
            r->closed++;
    } else {
        r->inflight--;
        if (ok) {
            r->ok++;
            c->st = FR_OPEN;
            return;
        }
        r->failed++;
    }
    if (c->fd >= 0)
        close(c->fd);   /* also removes it from the epoll set */
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->st = FR_DONE;
}

static void fr_start_one(struct fr *r, struct fr_conn *c)
{
    struct sockaddr_in sa;
    struct epoll_event ev;
    int one = 1;

    c->started = fr_now();
    c->st = FR_CONNECTING;
    r->inflight++;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)r->port);
    if (c->fd < 0 || inet_pton(AF_INET, r->host, &sa.sin_addr) != 1) {
        fr_finish(r, c, 0);
        return;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
        fr_finish(r, c, 0);
        return;
    }
    c->buf = malloc(FR_BUF);
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = c;
    if (!c->buf || epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        fr_finish(r, c, 0);
}

static void fr_fill(struct fr *r)
{
    while (r->opening && r->next < r->nconn && r->inflight < r->concurrency)
        fr_start_one(r, &r->c[r->next++]);
    if (r->opening && r->next == r->nconn && r->inflight == 0) {
        r->opening = 0;
        printf("{\"type\":\"opened\",\"ok\":%zu,\"failed\":%zu,\"secs\":%.3f}\n", r->ok,
               r->failed, (fr_now() - r->open_t0) / 1e3);
        fflush(stdout);
    }
}

/* Writes all of a small message; a loopback socket this early has room. */
static int fr_write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fr_send_upgrade(struct fr *r, struct fr_conn *c)
{
    char req[4096];
    struct epoll_event ev;
    int n = snprintf(req, sizeof req,
                     "GET %s?token=%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                     r->path, c->token, r->host, r->port);
    if (n <= 0 || (size_t)n >= sizeof req || fr_write_all(c->fd, req, (size_t)n) < 0)
        return -1;
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    c->st = FR_UPGRADING;
    return epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void fr_track(struct fr *r, const unsigned char *p, size_t n, double t)
{
    const char *s = (const char *)p, *k, *e;
    char cid[FR_CID_MAX];
    size_t i;

    if (!memmem(s, n, "\"new_message\"", 13) || !memmem(s, n, r->needle, strlen(r->needle)))
        return;
    k = memmem(s, n, "\"client_id\":\"", 13);
    if (k) {
        k += 13;
        e = memchr(k, '"', n - (size_t)(k - s));
        if (!e || (size_t)(e - k) >= sizeof cid)
            k = NULL;
        else
            snprintf(cid, sizeof cid, "%.*s", (int)(e - k), k);
    }
    if (!k)
        snprintf(cid, sizeof cid, "?");
    for (i = 0; i < r->nposts; i++) {
        if (strcmp(r->posts[i].cid, cid) == 0) {
            r->posts[i].n++;
            if (t < r->posts[i].min)
                r->posts[i].min = t;
            if (t > r->posts[i].max)
                r->posts[i].max = t;
            return;
        }
    }
    if (r->nposts == FR_MAX_POSTS)
        return;
    snprintf(r->posts[r->nposts].cid, FR_CID_MAX, "%s", cid);
    r->posts[r->nposts].n = 1;
    r->posts[r->nposts].min = r->posts[r->nposts].max = t;
    r->nposts++;
}

/* Parses whole frames off c->buf.  Returns -1 when the connection ends. */
static int fr_frames(struct fr *r, struct fr_conn *c, double t)
{
    size_t off = 0;
    int rc = 0;

    while (c->len - off >= 2) {
        unsigned char *b = c->buf + off;
        unsigned op = b[0] & 0x0f;
        uint64_t plen = b[1] & 0x7f;
        size_t hdr = 2;

        if (plen == 126) {
            if (c->len - off < 4)
                break;
            plen = (uint64_t)b[2] << 8 | b[3];
            hdr = 4;
        } else if (plen == 127) {
            rc = -1;   /* never this large here */
            goto out;
        }
        if (c->len - off < hdr + plen)
            break;
        if (op == 0x9) {
            unsigned char pong[2 + 4 + 125];
            pong[0] = 0x8a;
            pong[1] = (unsigned char)(0x80 | (plen & 0x7f));
            memset(pong + 2, 0, 4);   /* a zero mask key: the payload as is */
            memcpy(pong + 6, b + hdr, (size_t)(plen & 0x7f));
            if (plen > 125 || fr_write_all(c->fd, pong, 6 + (size_t)plen) < 0) {
                rc = -1;
                goto out;
            }
        } else if (op == 0x8) {
            rc = -1;
            goto out;
        } else if (op == 0x1) {
            if (c->st == FR_WAITING) {
                if (memmem(b + hdr, (size_t)plen, "\"type\":\"connected\"", 18)) {
                    fr_finish(r, c, 1);
                }
            } else {
                fr_track(r, b + hdr, (size_t)plen, t);
            }
        }
        off += hdr + (size_t)plen;
    }
out:
    if (rc == 0 && off) {
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
    }
    return rc;
}

static void fr_readable(struct fr *r, struct fr_conn *c)
{
    ssize_t n;
    double t;

    for (;;) {
        if (c->len == FR_BUF) {
            fr_finish(r, c, 0);
            return;
        }
        n = read(c->fd, c->buf + c->len, FR_BUF - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            fr_finish(r, c, 0);
            return;
        }
        t = fr_now();
        c->len += (size_t)n;
        if (c->st == FR_UPGRADING) {
            unsigned char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
            size_t hl;
            if (!end)
                continue;
            if (c->len < 12 || memcmp(c->buf, "HTTP/1.1 101", 12) != 0) {
                fr_finish(r, c, 0);
                return;
            }
            hl = (size_t)(end - c->buf) + 4;
            memmove(c->buf, c->buf + hl, c->len - hl);
            c->len -= hl;
            c->st = FR_WAITING;
        }
        if (fr_frames(r, c, t) < 0) {
            fr_finish(r, c, 0);
            return;
        }
        if (c->st == FR_DONE)
            return;
    }
}

static void fr_report(struct fr *r)
{
    printf("{\"type\":\"report\",\"posts\":{");
    for (size_t i = 0; i < r->nposts; i++)
        printf("%s\"%s\":{\"n\":%ld,\"min\":%.4f,\"max\":%.4f}", i ? "," : "",
               r->posts[i].cid, r->posts[i].n, r->posts[i].min, r->posts[i].max);
    printf("}}\n");
    fflush(stdout);
    r->nposts = 0;
}

/* One command line.  Returns 1 to exit. */
static int fr_command(struct fr *r, char *line)
{
    if (strncmp(line, "token ", 6) == 0) {
        if (r->nconn == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 256;
            r->c = realloc(r->c, r->cap * sizeof *r->c);
            if (!r->c)
                abort();
        }
        memset(&r->c[r->nconn], 0, sizeof r->c[r->nconn]);
        r->c[r->nconn].fd = -1;
        r->c[r->nconn].token = strdup(line + 6);
        if (!r->c[r->nconn].token)
            abort();
        r->nconn++;
    } else if (strncmp(line, "open ", 5) == 0) {
        r->concurrency = (size_t)strtoul(line + 5, NULL, 10);
        if (!r->concurrency)
            r->concurrency = 50;
        r->opening = 1;
        r->open_t0 = fr_now();
        fr_fill(r);
    } else if (strcmp(line, "report") == 0) {
        fr_report(r);
    } else if (strcmp(line, "status") == 0) {
        size_t open = 0;
        for (size_t i = 0; i < r->nconn; i++)
            open += r->c[i].st == FR_OPEN;
        printf("{\"type\":\"status\",\"open\":%zu,\"closed\":%zu}\n", open, r->closed);
        fflush(stdout);
    } else if (strcmp(line, "close") == 0) {
        return 1;
    }
    return 0;
}

/* Reads what stdin has; runs each whole line.  Returns 1 to exit. */
static int fr_stdin(struct fr *r, char *in, size_t *inlen, size_t cap)
{
    ssize_t n = read(0, in + *inlen, cap - *inlen - 1);
    char *nl;

    if (n <= 0)
        return n < 0 && errno == EINTR ? 0 : 1;
    *inlen += (size_t)n;
    in[*inlen] = '\0';
    while ((nl = strchr(in, '\n'))) {
        *nl = '\0';
        if (fr_command(r, in))
            return 1;
        memmove(in, nl + 1, *inlen - (size_t)(nl + 1 - in) + 1);
        *inlen -= (size_t)(nl + 1 - in);
    }
    return *inlen == cap - 1;   /* a line that long is not ours */
}

/* Handshakes that have not finished in FR_TIMEOUT_MS fail. */
static void fr_expire(struct fr *r)
{
    double now = fr_now();
    for (size_t i = 0; i < r->next; i++) {
        struct fr_conn *c = &r->c[i];
        if ((c->st == FR_CONNECTING || c->st == FR_UPGRADING || c->st == FR_WAITING) &&
            now - c->started > FR_TIMEOUT_MS)
            fr_finish(r, c, 0);
    }
}

int main(int argc, char **argv)
{
    static struct fr r;
    static char in[8192];
    struct epoll_event evs[256], ev;
    size_t inlen = 0;
    int rc = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: fanout-reader HOST PORT PATH CHAT_ID\n");
        return 2;
    }
    r.host = argv[1];
    r.port = atoi(argv[2]);
    r.path = argv[3];
    snprintf(r.needle, sizeof r.needle, "\"chat_id\":%ld,", strtol(argv[4], NULL, 10));
    r.ep = epoll_create1(EPOLL_CLOEXEC);
    if (r.ep < 0)
        goto out;
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;   /* NULL: stdin */
    if (epoll_ctl(r.ep, EPOLL_CTL_ADD, 0, &ev) < 0)
        goto out;
    for (;;) {
        int n = epoll_wait(r.ep, evs, 256, r.opening ? 500 : -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        for (int i = 0; i < n; i++) {
            struct fr_conn *c = evs[i].data.ptr;
            if (!c) {
                if (fr_stdin(&r, in, &inlen, sizeof in)) {
                    rc = 0;
                    goto out;
                }
                continue;
            }
            if (c->st == FR_DONE)
                continue;
            if (c->st == FR_CONNECTING) {
                if (evs[i].events & (EPOLLERR | EPOLLHUP) || fr_send_upgrade(&r, c) < 0)
                    fr_finish(&r, c, 0);
                continue;
            }
            fr_readable(&r, c);
        }
        if (r.opening) {
            fr_expire(&r);
            fr_fill(&r);
        }
    }
out:
    for (size_t i = 0; i < r.nconn; i++) {
        if (r.c[i].fd >= 0)
            close(r.c[i].fd);
        free(r.c[i].buf);
        free(r.c[i].token);
    }
    free(r.c);
    if (r.ep >= 0)
        close(r.ep);
    return rc;
}
