#!/usr/bin/env bash
# tests/run.sh: ufork test runner.
#
#   bash tests/run.sh [-v] [--build-only] [--skip GLOB]... [name-filter...]
#
# 1. Differential tests: every tests/prog/NAME.c is built with tools/ufork-cc
#    into build/tests/NAME, then run natively and as `$UFORK run build/tests/NAME`.
#    A test passes when stdout and the exit status ($?, so 128+N for a death by
#    signal N) are identical. Optional tests/prog/NAME.args holds the arguments
#    (one line, shell quoting allowed).
# 2. CLI tests: every tests/cli/*.sh is run with bash (exit 0 = pass, 77 = skip).
# 3. Unit tests: if the Makefile has a `unit` target, `make -s unit` is run and
#    each line `PASS name` / `FAIL name` it prints is counted.
#
# Output: `PASS name`, `FAIL name` (followed by indented details) and
# `SKIP name: reason` lines, then exactly one final line `N passed, N failed`.
# Exit status is 0 only if nothing failed.
#
# A filter is a shell glob matched against any part of a test name: prog tests
# are named NAME, CLI tests cli/NAME, unit tests unit/NAME. With filters, the
# unit step runs only if a filter starts with "unit" (e.g. `unit`, `unit/elf`).
# `--skip GLOB` leaves out the tests it matches the same way (`--skip unit`
# leaves out the unit step); the final line then says how many were left out.
# `--build-only` builds the selected differential programs and stops (status 1
# if one failed to build): scripts/test.sh does it once before the host and
# guest runs start side by side, so that they do not both build them.
#
# Environment:
#   UFORK               runtime binary (default: build/ufork)
#   UFORK_TEST_TIMEOUT  seconds per run (default 30); a hung run is killed
#                       (SIGTERM, then SIGKILL 5 s later).  A CLI script, which
#                       may run many programs, gets four times as long.
#   UFORK_UNIT_TIMEOUT  seconds for `make -s unit` (default 600)
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() { sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

verbose=0
build_only=0
filters=()
skips=()
while [ $# -gt 0 ]; do
    case $1 in
        -v) verbose=1 ;;
        --build-only) build_only=1 ;;
        -h|--help) usage; exit 0 ;;
        --skip) [ $# -ge 2 ] || { echo "run.sh: --skip needs a GLOB" >&2; exit 2; }
                skips+=("$2"); shift ;;
        --skip=*) skips+=("${1#*=}") ;;
        --) shift; filters+=("$@"); break ;;
        -*) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
        *) filters+=("$1") ;;
    esac
    shift
done

UFORK=${UFORK:-$ROOT/build/ufork}
case $UFORK in
    /*) ;;
    */*) UFORK=$PWD/$UFORK ;;
    *) UFORK=$(command -v "$UFORK" || echo "$PWD/$UFORK") ;;
esac
export UFORK UFORK_ROOT=$ROOT
TIMEOUT=${UFORK_TEST_TIMEOUT:-30}
UNIT_TIMEOUT=${UFORK_UNIT_TIMEOUT:-600}
CC=$ROOT/tools/ufork-cc
CFLAGS=(-O2 -Wall)
LIBS=(-lpthread)
BUILD=$ROOT/build/tests
# Seen by every test program (tests/prog/argv_env.c checks it).
export UFORK_TEST_ENV=differential

for tool in timeout diff mktemp; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "run.sh: '$tool' not found; run scripts/deps.sh" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ufork-tests.XXXXXX") || exit 2
cleanup() { chmod -R u+rwx "$WORK" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0

skipped=0
matches() { # matches NAME GLOB...: does any GLOB match part of NAME?
    local name=$1 f
    shift
    for f in "$@"; do
        # shellcheck disable=SC2053
        [[ $name == *$f* ]] && return 0
    done
    return 1
}
selected() { # selected NAME: does NAME match the filters and no --skip?
    [ ${#filters[@]} -eq 0 ] || matches "$1" "${filters[@]}" || return 1
    [ ${#skips[@]} -gt 0 ] && matches "$1" "${skips[@]}" && { skipped=$((skipped + 1)); return 1; }
    return 0
}

# A test that took 10 s or more says so: "PASS name (42 s)" (t0: its start).
took() { local d=$((SECONDS - ${t0:-$SECONDS})); [ "$d" -lt 10 ] || echo " ($d s)"; }
pass() { echo "PASS $1$(took)"; passed=$((passed + 1)); }
fail() { echo "FAIL $1$(took)"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; }
indent() { sed 's/^/    /'; }
# show FILE N: first N lines of FILE, indented, with a note if cut.
show() {
    local n
    n=$(wc -l <"$1")
    head -n "$2" "$1" | indent
    [ "$n" -gt "$2" ] && echo "    ... ($((n - $2)) more lines)"
    return 0
}

# run_in_tmp OUT ERR CMD...: run CMD in a fresh temp dir with stdin from
# /dev/null, no core dumps and a timeout; sets $status to its shell status
# and $timed_out to 1 if the timeout fired.  $limit: the timeout (default
# $TIMEOUT).
run_in_tmp() {
    local out=$1 err=$2 dir start=$SECONDS limit=${limit:-$TIMEOUT}
    shift 2
    dir=$(mktemp -d "$WORK/run.XXXXXX")
    # The braces + 2>/dev/null silence bash's "Segmentation fault" job notices.
    {
        (cd "$dir" && ulimit -c 0 && exec timeout -k 5 "$limit" "$@") \
            </dev/null >"$out" 2>"$err"
    } 2>/dev/null
    status=$?
    timed_out=0
    if [ "$status" = 124 ] || { [ "$status" = 137 ] && [ $((SECONDS - start)) -ge "$limit" ]; }; then
        timed_out=1
    fi
    chmod -R u+rwx "$dir" 2>/dev/null
    rm -rf "$dir"
}

describe_status() { # describe_status STATUS TIMED_OUT [LIMIT]: human note for a status
    if [ "${2:-0}" = 1 ]; then echo " (timed out after ${3:-$TIMEOUT}s)"; return; fi
    case $1 in
        0) ;;
        *) if [ "$1" -gt 128 ]; then echo " (signal $(($1 - 128)): $(kill -l $(($1 - 128)) 2>/dev/null))"; fi ;;
    esac
}

# ---------------------------------------------------------------- prog tests
build() { # build NAME SRC BIN: (re)build if needed; 0 on success
    local name=$1 src=$2 bin=$3 log="$WORK/$1.build"
    if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "$CC" ] &&
        [ "$bin" -nt "$ROOT/tools/musl-static-pie.specs" ]; then
        return 0
    fi
    mkdir -p "$BUILD"
    if ! "$CC" "${CFLAGS[@]}" -o "$bin.tmp.$$" "$src" "${LIBS[@]}" >"$log" 2>&1; then
        rm -f "$bin.tmp.$$"
        fail "$name"
        echo "    build failed: tools/ufork-cc ${CFLAGS[*]} -o $bin $src ${LIBS[*]}"
        show "$log" 20
        return 1
    fi
    [ "$verbose" = 1 ] && [ -s "$log" ] && { echo "    [$name] compiler output:"; indent <"$log"; }
    mv -f "$bin.tmp.$$" "$bin"
}

ufork_ok=1
if [ ! -x "$UFORK" ] || [ -d "$UFORK" ]; then
    ufork_ok=0
fi

phase_start=$SECONDS
for src in "$ROOT"/tests/prog/*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    selected "$name" || continue
    bin=$BUILD/$name
    t0=$SECONDS
    build "$name" "$src" "$bin" || continue
    [ "$build_only" = 1 ] && continue

    args=()
    if [ -f "$ROOT/tests/prog/$name.args" ]; then
        line=$(head -n 1 "$ROOT/tests/prog/$name.args")
        eval "args=($line)"
    fi

    nout=$WORK/$name.native.out nerr=$WORK/$name.native.err
    uout=$WORK/$name.ufork.out uerr=$WORK/$name.ufork.err

    run_in_tmp "$nout" "$nerr" "$bin" "${args[@]}"
    nstatus=$status
    if [ "$timed_out" = 1 ]; then
        fail "$name"
        echo "    native run timed out (status $nstatus): the test itself is broken"
        continue
    fi

    if [ "$ufork_ok" = 0 ]; then
        fail "$name"
        echo "    runtime not found or not executable: $UFORK (run make, or set UFORK)"
        continue
    fi
    run_in_tmp "$uout" "$uerr" "$UFORK" run "$bin" "${args[@]}"
    ustatus=$status utimed_out=$timed_out

    if [ "$nstatus" = "$ustatus" ] && cmp -s "$nout" "$uout"; then
        pass "$name"
        if [ "$verbose" = 1 ]; then
            echo "    status $nstatus$(describe_status "$nstatus"), stdout $(wc -l <"$nout") lines"
            [ -s "$uerr" ] && { echo "    ufork stderr:"; show "$uerr" 20; }
        fi
        continue
    fi

    fail "$name"
    echo "    status: native=$nstatus$(describe_status "$nstatus") ufork=$ustatus$(describe_status "$ustatus" "$utimed_out")"
    if ! cmp -s "$nout" "$uout"; then
        echo "    stdout differs (- native, + ufork):"
        diff -u --label native --label ufork "$nout" "$uout" >"$WORK/$name.diff"
        if [ "$verbose" = 1 ]; then show "$WORK/$name.diff" 1000; else show "$WORK/$name.diff" 20; fi
    fi
    if [ -s "$uerr" ]; then
        echo "    ufork stderr:"
        if [ "$verbose" = 1 ]; then show "$uerr" 200; else tail -n 5 "$uerr" | indent; fi
    fi
    if [ "$verbose" = 1 ] && [ -s "$nerr" ]; then
        echo "    native stderr:"
        show "$nerr" 50
    fi
done

if [ "$build_only" = 1 ]; then
    [ "$failed" -eq 0 ] && exit 0
    echo "$failed failed to build"
    exit 1
fi

# ---------------------------------------------------------------- CLI tests
prog_time=$((SECONDS - phase_start)) phase_start=$SECONDS
for script in "$ROOT"/tests/cli/*.sh; do
    [ -e "$script" ] || continue
    name=cli/$(basename "$script" .sh)
    selected "$name" || continue
    out=$WORK/cli.out err=$WORK/cli.err
    t0=$SECONDS
    limit=$((TIMEOUT * 4)) run_in_tmp "$out" "$err" bash "$script"
    cat "$err" >>"$out"
    case $status in
        0)
            pass "$name"
            [ "$verbose" = 1 ] && [ -s "$out" ] && show "$out" 50
            ;;
        77)
            skip "$name" "$(tail -n 1 "$out")"
            ;;
        *)
            fail "$name"
            echo "    exit status $status$(describe_status "$status" "$timed_out" $((TIMEOUT * 4)))"
            if [ "$verbose" = 1 ]; then show "$out" 200; else show "$out" 20; fi
            ;;
    esac
done

# ---------------------------------------------------------------- unit tests
cli_time=$((SECONDS - phase_start)) phase_start=$SECONDS
unset t0
run_unit=0
if [ ${#filters[@]} -eq 0 ]; then
    run_unit=1
else
    for f in "${filters[@]}"; do
        # shellcheck disable=SC2053
        [[ unit/ == *$f* || $f == unit* ]] && run_unit=1
    done
fi
for f in "${skips[@]}"; do
    # shellcheck disable=SC2053
    [ "$run_unit" = 1 ] && [[ unit/ == *$f* || $f == unit* ]] &&
        { run_unit=0; echo "SKIP unit: left out (--skip $f)"; }
done
if [ "$run_unit" = 1 ]; then
    if (cd "$ROOT" && make -n unit) >/dev/null 2>&1; then
        log=$WORK/unit.log
        { (cd "$ROOT" && exec timeout -k 5 "$UNIT_TIMEOUT" make -s unit) </dev/null >"$log" 2>&1; } 2>/dev/null
        ustatus=$?
        nunit=0 nfail=0
        while IFS= read -r line; do
            if [[ $line =~ ^(PASS|FAIL)[[:space:]]+(.+)$ ]]; then
                t=unit/${BASH_REMATCH[2]}
                t=${t%"${t##*[![:space:]]}"}
                selected "$t" || continue
                nunit=$((nunit + 1))
                if [ "${BASH_REMATCH[1]}" = PASS ]; then pass "$t"; else fail "$t"; nfail=$((nfail + 1)); fi
            fi
        done <"$log"
        if [ "$ustatus" != 0 ] && [ "$nfail" = 0 ]; then
            fail unit
            if [ "$ustatus" = 124 ]; then
                echo "    make -s unit timed out after ${UNIT_TIMEOUT}s; last output:"
            else
                echo "    make -s unit exited $ustatus$(describe_status "$ustatus") without a FAIL line:"
            fi
            tail -n 20 "$log" | indent
        elif [ "$verbose" = 1 ] || [ "$ustatus" != 0 ]; then
            grep -Ev '^(PASS|FAIL)[[:space:]]' "$log" | tail -n 20 >"$WORK/unit.rest"
            if [ -s "$WORK/unit.rest" ]; then
                echo "    make -s unit (exit $ustatus), other output:"
                indent <"$WORK/unit.rest"
            fi
        fi
        [ "$nunit" = 0 ] && [ "$ustatus" = 0 ] && skip unit "make -s unit printed no PASS/FAIL lines"
    else
        skip unit "Makefile has no 'unit' target"
    fi
fi

if [ $((passed + failed)) -eq 0 ] && [ ${#filters[@]} -gt 0 ]; then
    echo "no test matched: ${filters[*]}"
    echo "0 passed, 0 failed"
    exit 1
fi
[ "$skipped" -eq 0 ] || echo "($skipped left out by --skip)"
echo "(time: programs ${prog_time} s, CLI tests ${cli_time} s, unit tests $((SECONDS - phase_start)) s)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
