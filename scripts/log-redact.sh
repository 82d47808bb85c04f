#!/bin/sh
# log-redact.sh FILE -- lighttpd's error log, through a pipe
# (server.errorlog = "|log-redact.sh FILE"): appends each line lighttpd
# writes to FILE with the value of every token= parameter replaced by
# "[redacted]".  Why: the page's WebSocket carries its access token in the
# query string (a browser can set no header on it), and lighttpd writes the
# request's path and query into its error log whenever /ws's daemon does not
# answer ("all handlers for /ws?token=... are down" while a daemon
# restarts), which would leave live tokens in a file that outlives them.
# sed -u: each line reaches FILE as it comes, not when a buffer fills.
[ $# -eq 1 ] || { echo "usage: $0 FILE" >&2; exit 2; }
exec sed -u -E 's/([?&]token=)[^ &"]+/\1[redacted]/g' >> "$1"
