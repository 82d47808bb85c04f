#!/bin/sh
# www-version.sh -- stamps www/index.html's asset links with the version of
# the page's code: the first 12 hex digits of a SHA-256 over every file
# under www/js and www/css (names and contents, in name order).  Assets are
# served for a year under /v/<version>/ (deploy/lighttpd/50-parley.conf),
# so run this after changing anything in www/js or www/css; the e2e test
# tests/e2e/delivery.test.js fails while the stamp is stale.
#   scripts/www-version.sh          rewrite index.html
#   scripts/www-version.sh --print  print the version only
set -eu
cd "$(dirname "$0")/.."
version=$(find www/js www/css -type f | LC_ALL=C sort | while read -r f; do
    printf '%s\n' "$f"; sha256sum < "$f"
done | sha256sum | cut -c1-12)
if [ "${1:-}" = --print ]; then echo "$version"; exit 0; fi
sed -i -e "s#/v/[0-9A-Za-z_-]*/#/v/$version/#g" www/index.html
echo "www-version: $version"
