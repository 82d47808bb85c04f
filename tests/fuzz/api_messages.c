/* api_messages.c -- fuzz door into messages.c (see fuzz_api.h). */
#include "../../fcgi-api/messages.c"

#include "fuzz_api.h"

char *fuzz_messages_content(json_object *body, struct resp *resp)
{
    return messages_content(body, resp);
}

int fuzz_messages_query_id(struct req *req, struct resp *resp, const char *name,
                           long long *out)
{
    return messages_query_id(req, resp, name, out);
}
