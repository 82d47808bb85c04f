/* access.c -- is the caller in this chat?  One primary-key lookup on
 * chat_members, answered the way every route answers a chat it may not
 * show (reply_no_chat). */
#include "access.h"

#include "db.h"
#include "render.h"
#include "reply.h"

static const struct db_stmt st_member = {
    "access_member", "SELECT 1 FROM chat_members WHERE chat_id = $1 AND user_id = $2", 2
};

int access_chat_member(struct app *app, struct req *req, struct resp *resp,
                       long long chat_id)
{
    char cid[ID_BUF], uid[ID_BUF];
    const char *params[2] = { render_id(cid, chat_id), render_id(uid, req->user.sub) };
    PGresult *r;
    enum db_status st = db_run(app->db, &st_member, params, &r);
    int yes;

    if (st != DB_OK) {
        reply_db_error(app, resp, st);
        return -1;
    }
    yes = PQntuples(r) == 1;
    PQclear(r);
    if (!yes)
        reply_no_chat(resp);
    return yes;
}
