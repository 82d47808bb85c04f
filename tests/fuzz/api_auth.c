/* api_auth.c -- fuzz door into auth.c (see fuzz_api.h). */
#include "../../fcgi-api/auth.c"

#include "fuzz_api.h"

int fuzz_auth_read_credentials(const struct req *req, struct resp *resp, char *user,
                               size_t ulen, char *pw, size_t pwlen)
{
    return auth_read_credentials(req, resp, user, ulen, pw, pwlen);
}
