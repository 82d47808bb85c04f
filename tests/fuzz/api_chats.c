/* api_chats.c -- fuzz door into chats.c (see fuzz_api.h). */
#include "../../fcgi-api/chats.c"

#include "fuzz_api.h"

char *fuzz_chats_member_array(json_object *ids, struct resp *resp)
{
    return chats_member_array(ids, resp);
}
