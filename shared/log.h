/* log.h -- one line per event on stderr, with a level filter.
 *
 * Both binaries log through here so a person reading lighttpd's errorlog and
 * ws-daemon's output sees the same format:  "<time> <level> <prog>: text".
 * The level comes from config (log_level = error|warn|info|debug). */
#ifndef PL_LOG_H
#define PL_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Sets the program name shown in each line and the most verbose level
 * printed.  `prog` must outlive all logging (a string literal). */
void log_init(const char *prog, enum log_level level);

/* Parses "error", "warn", "info" or "debug".  Returns 0, or -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);

/* Returns 1 when lines of `level` would be printed. */
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                        \
    do {                                                                      \
        if (log_enabled(LOG_DEBUG))                                           \
            log_msg(LOG_DEBUG, __VA_ARGS__);                                  \
    } while (0)

#endif
