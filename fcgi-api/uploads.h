/* uploads.h -- POST /api/uploads and GET /api/uploads/{id}/{name}.
 *
 * An upload is received to disk (upstore), recognised by its bytes, and
 * recorded in the uploads table; the answer is the Upload shape
 * (docs/api.md).  A download is authorised here and then sent by lighttpd
 * (X-Sendfile): no worker ever streams file bytes. */
#ifndef PL_UPLOADS_H
#define PL_UPLOADS_H

#include "app.h"

#include <libpq-fe.h>

/* Seconds an upload may stay unclaimed by a message before it is removed. */
#define UPLOADS_UNCLAIMED_SECS 3600

void uploads_post(struct app *app, struct req *req, struct resp *resp);
void uploads_get(struct app *app, struct req *req, struct resp *resp);

/* The Upload JSON of row `row` of r, whose columns from `col` on are
 * id, name, size, content_type, width, height.  New reference. */
json_object *uploads_render(const PGresult *r, int row, int col);

#endif
