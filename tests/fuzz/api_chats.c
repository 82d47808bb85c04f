/* api_chats.c -- fuzz door into chats.c (see fuzz_api.h). */
#include "../../fcgi-api/chats.c"

#include "fuzz_api.h"

char *fuzz_chats_member_array(json_object *ids, struct resp *resp)
{
    struct app app;

    /* The configured group limit bounds the array; the default here. */
    memset(&app, 0, sizeof app);
    app.cfg.group_max_members = 1000;
    return chats_member_array(&app, ids, "member_ids", resp);
}
