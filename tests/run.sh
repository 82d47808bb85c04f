#!/usr/bin/env bash
# run.sh -- the whole test suite: C unit tests, then the integration and
# browser tests against one real stack.  Ends with "N passed, M failed".
#   PARLEY_BUILD   build folder to test (build, or build-san for check-mem)
#   PARLEY_TESTS   optional: only these test files (globs under tests/)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${PARLEY_BUILD:-build}
export PARLEY_BUILD=$BUILD

scripts/install-deps.sh --test >&2 || exit 1
scripts/install-deps.sh --node >&2 || exit 1

passed=0; failed=0
echo "== unit tests ($BUILD)"
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    out=$("$t" 2>&1); rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$line" ]; then
        printf '%s\n' "$out" | tail -n 20
        echo "FAIL $(basename "$t") crashed (exit $rc)"; failed=$((failed + 1)); continue
    fi
    p=$(echo "$line" | awk '{print $2}'); f=$(echo "$line" | awk '{print $4}')
    [ "$f" -gt 0 ] || [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -E '^FAIL|ERROR|runtime error' | head -n 20
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    echo "$(basename "$t"): $p passed, $f failed"
    passed=$((passed + p)); failed=$((failed + f))
done

echo "== fuzz regression inputs (corpus + every crash ever found)"
if [ -z "${PARLEY_SKIP_FUZZ:-}" ]; then
    out=$(make --no-print-directory fuzz-regress 2>&1); rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -n "$line" ]; then
        printf '%s\n' "$out" | grep -E 'FAIL|crash' | head -n 20
        echo "$line"
        passed=$((passed + $(echo "$line" | awk '{print $2}')))
        failed=$((failed + $(echo "$line" | awk '{print $4}')))
    else
        printf '%s\n' "$out" | tail -n 20; failed=$((failed + 1))
    fi
    [ "$rc" -ne 0 ] && [ -n "$line" ] && [ "$(echo "$line" | awk '{print $4}')" -eq 0 ] && failed=$((failed + 1))
fi

echo "== integration and browser tests"
node tests/lib/suite.js; rc=$?
if [ -f "$BUILD/suite-counts" ]; then
    read -r p f < "$BUILD/suite-counts"
    passed=$((passed + p)); failed=$((failed + f))
    rm -f "$BUILD/suite-counts"
else
    failed=$((failed + 1))
fi
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
