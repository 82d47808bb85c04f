#!/usr/bin/env bash
# run.sh -- drives the libFuzzer targets for mk/fuzz.mk.
#
#   run.sh fuzz    DIR SECONDS target:max_len...
#       fuzzes each target for SECONDS over a scratch corpus in DIR/corpus/<t>
#       seeded from tests/fuzz/corpus/<t> and tests/fuzz/regressions/<t> (the
#       committed seeds are never written to); prints execs/s, cov, ft and
#       findings per target; crash inputs land in DIR/artifacts/<t>/.
#   run.sh regress DIR 0 target:max_len...
#       runs every committed seed and regression input once, no fuzzing;
#       ends "fuzz: N passed, M failed".
# Exit status 1 if any target crashed or any input failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

mode=$1 dir=$2 secs=$3
shift 3
# Leaks are bugs too; libFuzzer reports them as crashes when ASan finds them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

inputs() {    # the committed inputs of target $1, one path per line
    for d in tests/fuzz/corpus/$1 tests/fuzz/regressions/$1; do
        [ -d "$d" ] && find "$d" -type f ! -name '.*' ! -name README.md | sort
    done
}

if [ "$mode" = regress ]; then
    passed=0 failed=0
    for spec in "$@"; do
        t=${spec%%:*} bin=$dir/$t
        mapfile -t files < <(inputs "$t")
        [ ${#files[@]} -gt 0 ] || { echo "FAIL $t: no inputs"; failed=$((failed + 1)); continue; }
        if "$bin" -runs=1 "${files[@]}" >"$dir/$t.regress.log" 2>&1; then
            passed=$((passed + ${#files[@]}))
            echo "ok   $t: ${#files[@]} inputs"
            continue
        fi
        # Something failed: replay one by one to name every failing input.
        for f in "${files[@]}"; do
            if "$bin" -runs=1 "$f" >"$dir/$t.one.log" 2>&1; then
                passed=$((passed + 1))
            else
                failed=$((failed + 1))
                echo "FAIL $t: $f"
                grep -E 'ERROR|runtime error|property failed|SUMMARY' "$dir/$t.one.log" | head -n 5
            fi
        done
    done
    echo "fuzz: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi

crashed=0
printf '%-16s %8s %10s %10s %7s %7s  %s\n' target seconds execs execs/s cov ft result
for spec in "$@"; do
    t=${spec%%:*} maxlen=${spec##*:} bin=$dir/$t
    work=$dir/corpus/$t art=$dir/artifacts/$t
    log=$dir/$t.fuzz.log
    mkdir -p "$work" "$art"
    seeds=()
    for d in tests/fuzz/corpus/$t tests/fuzz/regressions/$t; do
        [ -d "$d" ] && seeds+=("$d")
    done
    case $t in
        fuzz_router|fuzz_form_login) dict=tests/fuzz/form.dict ;;
        fuzz_jwt) dict=tests/fuzz/jwt.dict ;;
        *) dict=tests/fuzz/json.dict ;;
    esac
    start=$(date +%s)
    "$bin" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
        -dict="$dict" -print_final_stats=1 -artifact_prefix="$art/" \
        "$work" "${seeds[@]}" >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    stats=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$stats")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$stats")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    found=$(find "$art" -type f | head -n 5)
    if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
        crashed=1
        result="FOUND (exit $rc): ${found:-see $log}"
    else
        result="nothing found"
    fi
    printf '%-16s %8s %10s %10s %7s %7s  %s\n' "$t" "$took" "${execs:-?}" "${eps:-?}" \
        "${cov:-?}" "${ft:-?}" "$result"
    if [ "$crashed" -eq 1 ] && [ "$rc" -ne 0 ]; then
        grep -E 'ERROR|runtime error|property failed|SUMMARY' "$log" | head -n 5 | sed 's/^/    /'
    fi
done
if [ "$crashed" -ne 0 ]; then
    echo "fuzz: FAILED -- keep each crash input under tests/fuzz/regressions/<target>/"
    exit 1
fi
echo "fuzz: all targets clean"
