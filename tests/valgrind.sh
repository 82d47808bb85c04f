#!/usr/bin/env bash
# valgrind.sh -- memcheck over the unit tests (leaks and invalid accesses
# are errors), then the WebSocket suite with ws-daemon itself under
# valgrind.  Prints "valgrind: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
passed=0; failed=0
VG="valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    if $VG "$t" > /tmp/parley-vg.$$ 2>&1; then
        passed=$((passed + 1)); echo "ok   valgrind $(basename "$t")"
    else
        failed=$((failed + 1)); echo "FAIL valgrind $(basename "$t")"; tail -n 30 /tmp/parley-vg.$$
    fi
done
rm -f /tmp/parley-vg.$$

# ws-daemon under memcheck for its WebSocket suite: the harness fails a
# test on any memcheck report in the daemon's stderr, and on a non-zero exit
# (leaks at shutdown give 99).
if [ -x "$BUILD/bin/parley-wsd" ]; then
    out=$(PARLEY_BUILD=$BUILD PARLEY_SANITIZED=1 PARLEY_WSD_WRAPPER="$VG" \
          node --test tests/integration/ws.test.js 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^(not ok|# (pass|fail))' | head -n 40
    if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); echo "ok   valgrind ws-daemon suite"
    else failed=$((failed + 1)); echo "FAIL valgrind ws-daemon suite"; printf '%s\n' "$out" | tail -n 40; fi
fi
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
