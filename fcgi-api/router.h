/* router.h -- maps method + path to a handler, authenticating on the way. */
#ifndef PL_ROUTER_H
#define PL_ROUTER_H

#include "app.h"

/* Routes req (method, path) to its handler and runs it; fills resp with a
 * JSON 404/405/401 when no route or no valid token applies. */
void router_dispatch(struct app *app, struct req *req, struct resp *resp);

/* Returns 1 for the routes whose request body may be far larger than
 * REQ_MAX_BODY (uploads): main.c hands them a stream (req->body_read)
 * instead of reading the body into memory. */
int router_streams_body(const char *method, const char *path);

#endif
