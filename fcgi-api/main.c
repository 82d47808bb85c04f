/* main.c -- the FastCGI worker: start-up, the accept loop, request I/O.
 *
 * lighttpd spawns several of these (fastcgi.server max-procs); each handles
 * one request at a time with its own PostgreSQL connection and ZeroMQ PUSH
 * socket, both opened once and kept across requests.  Config is read before
 * the first FCGX_Accept_r (libfcgi replaces environ per request).  Nothing
 * that fails at request time is fatal: the request gets a JSON error and
 * the worker carries on. */
#include "app.h"
#include "db.h"
#include "highlight.h"
#include "http.h"
#include "log.h"
#include "notify.h"
#include "pwhash.h"
#include "router.h"
#include "upstore.h"
#include "xmem.h"

#include <errno.h>
#include <fcntl.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char *status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
    }
}

/* Reads the request body into buf (REQ_MAX_BODY + 1 bytes).  Returns 0, or
 * -1 with resp set (413 when too large, 400 when short). */
static int read_body(FCGX_Request *fr, struct req *req, char *buf, struct resp *resp)
{
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
    long len = cl && *cl ? strtol(cl, NULL, 10) : 0;
    int got = 0;

    if (len < 0) {
        http_error(resp, 400, "bad_request", "invalid Content-Length");
        return -1;
    }
    if (len > REQ_MAX_BODY) {
        http_error(resp, 413, "payload_too_large", "request body is over %d bytes",
                   REQ_MAX_BODY);
        return -1;
    }
    while (got < len) {
        int n = FCGX_GetStr(buf + got, (int)len - got, fr->in);
        if (n <= 0)
            break;
        got += n;
    }
    if (got != len) {
        http_error(resp, 400, "bad_request", "request body shorter than Content-Length");
        return -1;
    }
    buf[got] = '\0';
    req->body = buf;
    req->body_len = (size_t)got;
    return 0;
}

/* body_read for streamed routes: the next bytes of the FastCGI stdin. */
static long read_stream(void *ctx, char *buf, size_t n)
{
    FCGX_Stream *in = ctx;
    int got = FCGX_GetStr(buf, n > 1 << 20 ? 1 << 20 : (int)n, in);
    return got < 0 ? -1 : got;
}

/* What a streamed handler left unread is read and dropped, so lighttpd
 * never sees the worker hang up on a body it is still sending. */
static void drain_stream(FCGX_Stream *in)
{
    char buf[16384];
    while (FCGX_GetStr(buf, (int)sizeof buf, in) > 0)
        ;
}

static void parse_request(FCGX_Request *fr, struct req *req)
{
    const char *uri = FCGX_GetParam("REQUEST_URI", fr->envp);
    const char *q;
    size_t n;

    req->method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
    req->authorization = FCGX_GetParam("HTTP_AUTHORIZATION", fr->envp);
    req->content_type = FCGX_GetParam("CONTENT_TYPE", fr->envp);
    req->cookie = FCGX_GetParam("HTTP_COOKIE", fr->envp);
    req->remote_addr = FCGX_GetParam("REMOTE_ADDR", fr->envp);
    req->user_agent = FCGX_GetParam("HTTP_USER_AGENT", fr->envp);
    if (!req->method)
        req->method = "GET";
    if (!uri)
        uri = "/";
    q = strchr(uri, '?');
    n = q ? (size_t)(q - uri) : strlen(uri);
    if (n >= sizeof req->path)
        n = sizeof req->path - 1;    /* no route is that long: a 404 follows */
    memcpy(req->path, uri, n);
    req->path[n] = '\0';
    req->query = q ? q + 1 : "";
    req->body = "";
    req->body_len = 0;
    req->now = (long long)time(NULL);
}

/* Writes all of iov[0..n-1] to fd, across partial writes.  0 or -1. */
static int write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n > IOV_MAX ? IOV_MAX : n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* A large body as FastCGI STDOUT records of up to 64 KiB written straight
 * to the connection: libfcgi's stream cuts its output into 8 KiB records,
 * one write() each (17 for a 134 kB chat list, and as many reads for
 * lighttpd).  The stream is flushed first, so its bytes stay in order;
 * FCGX_Finish_r still writes the end of the stream and of the request. */
#define BODY_RECORD_MAX 65528           /* a multiple of 8: no padding */
#define BODY_DIRECT_MIN (16 * 1024)
static void write_body(FCGX_Request *fr, const char *s, size_t len)
{
    FCGI_Header hdr[32];
    struct iovec iov[64];
    int n = 0;

    if (len < BODY_DIRECT_MIN || len > (size_t)BODY_RECORD_MAX * 32) {
        FCGX_PutStr(s, (int)len, fr->out);
        return;
    }
    if (FCGX_FFlush(fr->out) < 0)
        return;
    for (size_t off = 0; off < len; n++) {
        size_t k = len - off < BODY_RECORD_MAX ? len - off : BODY_RECORD_MAX;
        memset(&hdr[n], 0, sizeof hdr[n]);
        hdr[n].version = FCGI_VERSION_1;
        hdr[n].type = FCGI_STDOUT;
        hdr[n].requestIdB1 = (unsigned char)((fr->requestId >> 8) & 0xff);
        hdr[n].requestIdB0 = (unsigned char)(fr->requestId & 0xff);
        hdr[n].contentLengthB1 = (unsigned char)((k >> 8) & 0xff);
        hdr[n].contentLengthB0 = (unsigned char)(k & 0xff);
        iov[2 * n].iov_base = &hdr[n];
        iov[2 * n].iov_len = sizeof hdr[n];
        iov[2 * n + 1].iov_base = (void *)(s + off);
        iov[2 * n + 1].iov_len = k;
        off += k;
    }
    if (write_all(fr->ipcFd, iov, 2 * n) < 0)
        log_warn("writing the answer: %s", strerror(errno));
}

/* FCGX_FPrintF knows no %zu, so the head is formatted with snprintf. */
static void write_response(FCGX_Request *fr, const struct resp *resp)
{
    char head[1536];
    const char *s = "";
    size_t len = 0;
    int n;

    if (resp->sendfile) {
        n = snprintf(head, sizeof head, "Status: %d %s\r\n%s\r\n", resp->status,
                     status_text(resp->status), resp->headers);
        FCGX_PutStr(head, n < (int)sizeof head ? n : (int)sizeof head - 1, fr->out);
        return;
    }
    if (resp->body)
        s = json_object_to_json_string_length(resp->body, JSON_C_TO_STRING_PLAIN, &len);
    n = snprintf(head, sizeof head,
                 "Status: %d %s\r\nCache-Control: no-store\r\n%s%sContent-Length: %zu\r\n\r\n",
                 resp->status, status_text(resp->status), resp->headers,
                 resp->body ? "Content-Type: application/json\r\n" : "", len);
    FCGX_PutStr(head, n < (int)sizeof head ? n : (int)sizeof head - 1, fr->out);
    if (len)
        write_body(fr, s, len);
}

static void serve(struct app *app, FCGX_Request *fr, char *bodybuf)
{
    struct req req;
    struct resp resp;

    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    resp.status = 500;
    parse_request(fr, &req);
    if (router_streams_body(req.method, req.path)) {
        const char *cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
        req.content_length = cl && *cl ? strtoll(cl, NULL, 10) : -1;
        req.body_read = read_stream;
        req.body_ctx = fr->in;
        router_dispatch(app, &req, &resp);
        drain_stream(fr->in);
    } else if (read_body(fr, &req, bodybuf, &resp) == 0) {
        router_dispatch(app, &req, &resp);
    }
    if (resp.status >= 500)
        log_warn("%s %s -> %d", req.method, req.path, resp.status);
    else
        log_debug("%s %s -> %d", req.method, req.path, resp.status);
    if (resp.status == 500 && !resp.body)
        http_error(&resp, 500, "internal_error", "internal error");
    write_response(fr, &resp);
    json_object_put(resp.body);
}

/* search_slots 0 means as many as this host has processors: a search is
 * CPU in PostgreSQL, and more at once than cores only makes each one wait
 * for the others (docs/config.md).  The database is usually on this host;
 * where it is not, set search_slots to its core count. */
static long main_search_slots(const struct pl_config *cfg)
{
    long n = cfg->search_slots;

    if (n == 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 0;
}

/* SIGTERM/SIGINT (lighttpd, the pool or systemd stopping the worker):
 * finish the current request, then leave the accept loop so everything is
 * freed and sanitizers see a clean exit.
 *
 * The signals stay blocked except while main_wait sleeps in ppoll, so they
 * never interrupt libfcgi.  Debian's libfcgi 2.4.2 mishandles an
 * interrupted accept: a signal that lands after accept() but before the
 * request's first bytes (its 2 s readability poll) makes it close that
 * connection and then loop on the closed descriptor number, closing it
 * again and again -- at 100 % CPU, never accepting or exiting, and closing
 * whatever libzmq or libpq opens under that number next.  A pool restart
 * under load hit exactly that window. */
static volatile sig_atomic_t main_stopping;

static void on_term(int sig)
{
    (void)sig;
    main_stopping = 1;
}

/* Sleeps until the listening socket has a connection waiting or a stop
 * signal arrives.  0: accept now; -1: stop.  `open` is the mask with the
 * stop signals unblocked, so they are delivered only here. */
static int main_wait(int lfd, const sigset_t *open)
{
    struct pollfd p = { .fd = lfd, .events = POLLIN };

    while (!main_stopping) {
        int r = ppoll(&p, 1, NULL, open);

        if (r > 0)
            return main_stopping ? -1 : 0;
        if (r < 0 && errno != EINTR) {
            log_error("poll on the FastCGI socket: %s", strerror(errno));
            return -1;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    struct app app;
    char err[256];
    enum log_level lvl = LOG_INFO;
    FCGX_Request fr;
    sigset_t stops, open;
    char *bodybuf = NULL;
    int lflags, status = 1;

    (void)argc;
    (void)argv;
    memset(&app, 0, sizeof app);
    /* Before FCGX_Accept_r: libfcgi swaps environ for each request. */
    if (config_load(&app.cfg, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "parley-api: config: %s\n", err);
        return 1;
    }
    /* A chat list is some 10,000 small JSON nodes and a 100+ KiB answer.
     * With glibc's defaults each such request grows the heap (and mmaps
     * the large buffers) and hands it all back when done, so the next one
     * page-faults it in again: half the worker's CPU in a profile.  Keep
     * freed memory for reuse instead (a worker's peak is a few MiB; the
     * password hash's large area is still mapped and unmapped per use). */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    log_level_parse(app.cfg.log_level, &lvl);
    log_init("parley-api", lvl);
    signal(SIGPIPE, SIG_IGN);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    /* Blocked from here on (main_wait unblocks them); libzmq's threads,
     * started below, inherit the mask. */
    sigprocmask(SIG_BLOCK, &stops, &open);
    sigdelset(&open, SIGTERM);
    sigdelset(&open, SIGINT);
    if (pwhash_init() < 0) {
        log_error("libsodium failed to initialise");
        goto out;
    }
    /* Not fatal: everything but uploads works without the folder, and
     * uploads answer 500 (logged) until it can be created. */
    if (upstore_init(app.cfg.upload_dir, err, sizeof err) < 0)
        log_error("%s", err);
    app.db = db_new(app.cfg.database_url, app.cfg.db_timeout_ms, main_search_slots(&app.cfg));
    /* Not fatal: search answers without highlights. */
    app.hl = hl_new();
    if (!app.hl)
        log_error("search highlighting unavailable: no Snowball stemmer or C.UTF-8 locale");
    app.notify = notify_new(&app.cfg, err, sizeof err);
    if (!app.notify) {
        log_error("%s", err);
        goto out;
    }
    if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
        log_error("FCGX_Init failed");
        goto out;
    }
    /* Non-blocking, so that of the workers woken by one connection the
     * ones that lose the race come back to main_wait (EAGAIN) instead of
     * sleeping in accept() where a stop signal cannot reach them.  The
     * flag is on the socket all the workers share; none of them, nor
     * lighttpd, systemd or the pool, accepts on it any other way. */
    lflags = fcntl(FCGI_LISTENSOCK_FILENO, F_GETFL);
    if (lflags < 0 || fcntl(FCGI_LISTENSOCK_FILENO, F_SETFL, lflags | O_NONBLOCK) < 0) {
        log_error("standard input is not the FastCGI socket: %s", strerror(errno));
        goto out;
    }
    bodybuf = xmalloc(REQ_MAX_BODY + 1);
    log_info("worker %d ready", (int)getpid());
    status = 0;
    while (main_wait(FCGI_LISTENSOCK_FILENO, &open) == 0) {
        int rc = FCGX_Accept_r(&fr);

        if (rc == -EAGAIN || rc == -EWOULDBLOCK)
            continue;    /* another worker took the connection */
        if (rc < 0) {
            log_error("FastCGI accept failed (%d)", rc);
            status = 1;
            break;
        }
        serve(&app, &fr, bodybuf);
        FCGX_Finish_r(&fr);
    }
out:
    free(bodybuf);
    notify_destroy(&app.notify);
    hl_free(&app.hl);
    db_destroy(&app.db);
    config_free(&app.cfg);
    return status;
}
