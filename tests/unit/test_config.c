/* test_config.c -- defaults, file, environment override, validation. */
#include "config.h"
#include "testhelp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *write_conf(const char *text)
{
    static char path[] = "/tmp/parley-test-conf-XXXXXX";
    int fd;
    strcpy(path, "/tmp/parley-test-conf-XXXXXX");
    fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        return NULL;
    close(fd);
    return path;
}

int main(void)
{
    struct pl_config c;
    char err[256];
    const char *p;

    unsetenv("PARLEY_CONFIG");
    unsetenv("PARLEY_JWT_SECRET");
    /* The file's values are checked below: a stack's ports in the caller's
     * environment (make test on other ports) must not override them. */
    unsetenv("PARLEY_WS_PORT");
    unsetenv("PARLEY_ALLOW_REGISTER");
    unsetenv("PARLEY_TOKEN_TTL");
    unsetenv("PARLEY_LOG_LEVEL");
    test_cond("no secret refused", config_load(&c, NULL, err, sizeof err) < 0 &&
                                       strstr(err, "jwt_secret"));
    config_free(&c);

    p = write_conf("# comment\n jwt_secret = 0123456789abcdef0123456789abcdef \n"
                   "ws_port=9001\nallow_register = no\n\n");
    test_cond("file loads", config_load(&c, p, err, sizeof err) == 0);
    test_cond("file values", c.ws_port == 9001 && !c.allow_register &&
                                 strcmp(c.jwt_secret, "0123456789abcdef0123456789abcdef") == 0);
    test_cond("defaults kept", c.token_ttl == 86400 && strcmp(c.log_level, "info") == 0);
    config_free(&c);
    config_free(&c);

    setenv("PARLEY_WS_PORT", "9002", 1);
    test_cond("env overrides file", config_load(&c, p, err, sizeof err) == 0 && c.ws_port == 9002);
    config_free(&c);
    setenv("PARLEY_WS_PORT", "99999", 1);
    test_cond("out-of-range port refused", config_load(&c, p, err, sizeof err) < 0 &&
                                               strstr(err, "ws_port"));
    config_free(&c);
    unsetenv("PARLEY_WS_PORT");
    unlink(p);

    p = write_conf("jwt_secret = 0123456789abcdef0123456789abcdef\nno_such_key = 1\n");
    test_cond("unknown key refused", config_load(&c, p, err, sizeof err) < 0 &&
                                         strstr(err, "no_such_key"));
    config_free(&c);
    unlink(p);
    p = write_conf("jwt_secret = short\n");
    test_cond("short secret refused", config_load(&c, p, err, sizeof err) < 0);
    config_free(&c);
    unlink(p);
    p = write_conf("jwt_secret = 0123456789abcdef0123456789abcdef\nlog_level = loud\n");
    test_cond("bad log level refused", config_load(&c, p, err, sizeof err) < 0);
    config_free(&c);
    unlink(p);
    test_cond("missing file refused",
              config_load(&c, "/nonexistent/parley.conf", err, sizeof err) < 0);
    config_free(&c);
    return test_report();
}
