/* log.c -- leveled logging to stderr (see log.h).
 *
 * A tiny module on purpose: one global level and program name set once at
 * start-up, read-only afterwards.  Lines are written with a single fprintf
 * so lines from several FastCGI workers sharing lighttpd's errorlog do not
 * interleave mid-line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_prog = "parley";
static enum log_level log_max = LOG_INFO;

static const char *const log_names[] = { "error", "warn", "info", "debug" };

void log_init(const char *prog, enum log_level level)
{
    log_prog = prog;
    log_max = level;
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, log_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_enabled(enum log_level level)
{
    return level <= log_max;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char text[1024];
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;

    if (level > log_max)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %-5s %s: %s\n", stamp, ts.tv_nsec / 1000000L,
            log_names[level], log_prog, text);
}
