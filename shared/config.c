/* config.c -- table-driven settings (see config.h).
 *
 * One table names every key with its type, default and bounds, in the manner
 * of lighttpd's config_plugin_keys_t: adding a setting is one line here and
 * one field in struct pl_config.  Validation happens once, at start-up. */
#include "config.h"

#include "xmem.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cfg_type { CFG_STR, CFG_LONG };

struct cfg_key {
    const char *name;
    enum cfg_type type;
    size_t offset;
    const char *def;
    long min, max;    /* CFG_LONG bounds; CFG_STR: min = required length */
};

#define STR(n, d, minlen) { #n, CFG_STR, offsetof(struct pl_config, n), d, minlen, 0 }
#define NUM(n, d, lo, hi) { #n, CFG_LONG, offsetof(struct pl_config, n), d, lo, hi }

static const struct cfg_key cfg_keys[] = {
    STR(database_url, "host=127.0.0.1 port=55432 user=parley dbname=parley", 1),
    STR(jwt_secret, "", 32),
    NUM(token_ttl, "86400", 60, 31L * 86400),
    NUM(zmq_sndhwm, "10000", 1, 1000000),
    STR(zmq_events, "tcp://127.0.0.1:8082", 1),
    STR(zmq_tap, "tcp://127.0.0.1:8083", 1),
    STR(ws_iface, "127.0.0.1", 1),
    NUM(ws_port, "8081", 1, 65535),
    NUM(ws_queue_max, "262144", 4096, 64L * 1024 * 1024),
    NUM(ws_ping_secs, "25", 1, 3600),
    NUM(ws_max_conns_per_user, "32", 1, 100000),
    STR(ws_origins, "", 0),
    STR(log_level, "info", 1),
    NUM(db_timeout_ms, "5000", 100, 600000),
    NUM(search_slots, "0", 0, 1024),
    NUM(send_rate, "10", 1, 1000000),
    NUM(send_burst, "100", 1, 1000000),
    NUM(login_user_max, "5", 1, 1000000),
    NUM(login_addr_max, "100", 1, 1000000),
    NUM(login_window_secs, "900", 1, 86400),
    STR(zmq_fanout, "", 0),
    STR(pub_state_dir, "", 0),
    STR(zmq_curve_server, "", 0),
    STR(zmq_curve_public, "", 0),
    STR(zmq_curve_secret, "", 0),
    STR(forwarder_in, "ipc:///run/parley/bus/in", 1),
    STR(forwarder_out, "ipc:///run/parley/bus/out", 1),
    STR(forwarder_tap, "ipc:///run/parley/bus/tap", 1),
    STR(forwarder_curve_secret, "", 0),
    STR(forwarder_allow, "", 0),
    STR(forwarder_metrics, "", 0),
    STR(upload_dir, "/var/lib/parley/uploads", 2),
    NUM(upload_max_bytes, "26214400", 1, 1L << 40),
    NUM(group_max_members, "1000", 2, 100000),
    NUM(login_max_delay_secs, "300", 1, 86400),
    NUM(register_per_hour, "10", 1, 1000000),
    NUM(register_burst, "5", 1, 1000000),
    NUM(chats_per_hour, "60", 1, 1000000),
    NUM(chats_burst, "20", 1, 1000000),
    NUM(typing_interval_secs, "3", 1, 3600),
    NUM(ws_max_conns_per_addr, "256", 1, 1000000),
    STR(ws_socket, "", 0),
};
#define CFG_NKEYS (sizeof cfg_keys / sizeof cfg_keys[0])

/* allow_register is a boolean; kept apart so the table stays two types. */
static const char *const cfg_bool_name = "allow_register";

static void cfg_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cfg_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int cfg_parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
        *out = 0;
    else
        return -1;
    return 0;
}

/* Applies one key=value.  Returns 0, 1 if the key is unknown, -1 on a bad
 * value (err set). */
static int cfg_set(struct pl_config *cfg, const char *key, const char *val,
                   char *err, size_t errlen)
{
    if (!strcmp(key, cfg_bool_name)) {
        if (cfg_parse_bool(val, &cfg->allow_register) < 0) {
            cfg_seterr(err, errlen, "%s: expected a boolean, got '%s'", key, val);
            return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < CFG_NKEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        char *field = (char *)cfg + k->offset;
        if (strcmp(k->name, key) != 0)
            continue;
        if (k->type == CFG_STR) {
            char **sp = (char **)(void *)field;
            free(*sp);
            *sp = xstrdup(val);
        } else {
            char *end;
            long v;
            errno = 0;
            v = strtol(val, &end, 10);
            if (errno || end == val || *end || v < k->min || v > k->max) {
                cfg_seterr(err, errlen, "%s: expected an integer in %ld..%ld, got '%s'",
                           key, k->min, k->max, val);
                return -1;
            }
            *(long *)(void *)field = v;
        }
        return 0;
    }
    return 1;
}

static char *cfg_trim(char *s)
{
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int cfg_read_file(struct pl_config *cfg, const char *path, char *err,
                         size_t errlen)
{
    char line[4096];
    int lineno = 0, rc = 0;
    FILE *f = fopen(path, "r");

    if (!f) {
        cfg_seterr(err, errlen, "cannot open config %s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *eq, *key, *val;
        lineno++;
        key = cfg_trim(line);
        if (*key == '#' || *key == '\0')
            continue;
        eq = strchr(key, '=');
        if (!eq) {
            cfg_seterr(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        key = cfg_trim(key);
        val = cfg_trim(eq + 1);
        int r = cfg_set(cfg, key, val, err, errlen);
        if (r == 1) {
            cfg_seterr(err, errlen, "%s:%d: unknown setting '%s'", path, lineno, key);
            rc = -1;
            break;
        }
        if (r < 0) {
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

static int cfg_read_env(struct pl_config *cfg, const char *key, char *err,
                        size_t errlen)
{
    char name[64] = "PARLEY_";
    size_t n = strlen(name);
    for (const char *p = key; *p && n + 1 < sizeof name; p++)
        name[n++] = (char)toupper((unsigned char)*p);
    name[n] = '\0';
    const char *v = getenv(name);
    if (!v)
        return 0;
    return cfg_set(cfg, key, v, err, errlen) < 0 ? -1 : 0;
}

int config_load(struct pl_config *cfg, const char *path, char *err,
                size_t errlen)
{
    const char *envpath = getenv("PARLEY_CONFIG");
    memset(cfg, 0, sizeof *cfg);
    cfg->allow_register = 1;
    for (size_t i = 0; i < CFG_NKEYS; i++)
        if (cfg_set(cfg, cfg_keys[i].name, cfg_keys[i].def, err, errlen) != 0)
            return -1;
    if (envpath && *envpath)
        path = envpath;
    if (path && cfg_read_file(cfg, path, err, errlen) < 0)
        return -1;
    if (cfg_read_env(cfg, cfg_bool_name, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < CFG_NKEYS; i++)
        if (cfg_read_env(cfg, cfg_keys[i].name, err, errlen) < 0)
            return -1;
    for (size_t i = 0; i < CFG_NKEYS; i++) {
        const struct cfg_key *k = &cfg_keys[i];
        if (k->type == CFG_STR) {
            const char *v = *(char **)(void *)((char *)cfg + k->offset);
            if ((long)strlen(v) < k->min) {
                cfg_seterr(err, errlen, "%s must be at least %ld characters%s", k->name,
                           k->min,
                           strcmp(k->name, "jwt_secret") == 0
                               ? " (make run generates one in var/parley.conf)"
                               : "");
                return -1;
            }
        }
    }
    if (strcmp(cfg->log_level, "error") && strcmp(cfg->log_level, "warn") &&
        strcmp(cfg->log_level, "info") && strcmp(cfg->log_level, "debug")) {
        cfg_seterr(err, errlen, "log_level must be error, warn, info or debug");
        return -1;
    }
    return 0;
}

void config_free(struct pl_config *cfg)
{
    for (size_t i = 0; i < CFG_NKEYS; i++) {
        if (cfg_keys[i].type == CFG_STR) {
            char **sp = (char **)(void *)((char *)cfg + cfg_keys[i].offset);
            free(*sp);
            *sp = NULL;
        }
    }
}
