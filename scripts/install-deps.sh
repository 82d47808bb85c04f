#!/usr/bin/env bash
# install-deps.sh -- install the Debian packages Parley needs, only if missing.
#   scripts/install-deps.sh          build + run dependencies
#   scripts/install-deps.sh --test   also what the tests and benchmarks need
#   scripts/install-deps.sh --node   npm packages of tests/ (node_modules)
# Works as root or through sudo.  Safe to run again: it does nothing when
# everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_PKGS="gcc make pkg-config lighttpd lighttpd-mod-deflate libfcgi-dev libfcgi-bin libwebsockets-dev
libjson-c-dev libzmq3-dev libpq-dev libsodium-dev libstemmer-dev postgresql postgresql-contrib curl"
# fonts-noto-color-emoji: headless Chromium draws emoji (reactions, the
# attach button) in the screenshots docs/page.md shows, not empty boxes.
TEST_PKGS="nodejs npm chromium fonts-noto-color-emoji python3 valgrind wrk procps psmisc clang iproute2"

want="$RUN_PKGS"
node=0
for a in "$@"; do
    case "$a" in
        --test) want="$RUN_PKGS $TEST_PKGS" ;;
        --node) node=1; want="" ;;
    esac
done

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

missing=()
for p in $want; do
    if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
    if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q "${missing[@]}"
fi

if [ "$node" = 1 ]; then
    if [ ! -d tests/node_modules/ws ] || [ ! -d tests/node_modules/playwright-core ] || [ ! -d tests/node_modules/axe-core ]; then
        echo "install-deps: npm ci in tests/"
        (cd tests && npm ci --no-audit --no-fund --loglevel=error)
    fi
fi
