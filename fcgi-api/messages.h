/* messages.h -- history, send, edit, delete, read markers, typing. */
#ifndef PL_MESSAGES_H
#define PL_MESSAGES_H

#include "app.h"

void messages_list(struct app *app, struct req *req, struct resp *resp);
void messages_post(struct app *app, struct req *req, struct resp *resp);
void messages_edit(struct app *app, struct req *req, struct resp *resp);
void messages_delete(struct app *app, struct req *req, struct resp *resp);
void messages_read(struct app *app, struct req *req, struct resp *resp);
void messages_typing(struct app *app, struct req *req, struct resp *resp);

#endif
