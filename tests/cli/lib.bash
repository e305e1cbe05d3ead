# tests/cli/lib.bash: helpers sourced by the tests/cli/*.sh scripts.
# (Not a test itself: tests/run.sh runs only *.sh.)
#
# A script exits 0 on pass, 1 on failure (after printing why), 77 to skip.
# It may be run on its own from any directory: bash tests/cli/help.sh
set -u
# shellcheck disable=SC2034 # status, out, err are used by the scripts

ROOT=${UFORK_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
UFORK=${UFORK:-$ROOT/build/ufork}
# Scratch space: tests/run.sh starts each script in a fresh temp dir; on our
# own, make one.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ufork-cli.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

need_ufork() {
    if [ ! -x "$UFORK" ] || [ -d "$UFORK" ]; then fail "runtime not found or not executable: $UFORK (run make)"; fi
}

# run_ufork ARGS...: runs $UFORK ARGS with a timeout; sets $status, $out, $err
# (stdout and stderr as strings).
run_ufork() {
    { (ulimit -c 0; exec timeout -k 2 5 "$UFORK" "$@") </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err"; } 2>/dev/null
    status=$?
    out=$(cat "$SCRATCH/out")
    err=$(cat "$SCRATCH/err")
}

# show: the last run, for failure messages
show() {
    echo "  command: ufork $*"
    echo "  exit status: $status"
    echo "  stdout: $(head -c 400 "$SCRATCH/out")"
    echo "  stderr: $(head -c 400 "$SCRATCH/err")"
}

# expect_clean_error WHAT ARGS...: `ufork ARGS` must fail the way a loader
# error should: non-zero status below 128 (no crash, no signal, no timeout),
# nothing on stdout, exactly one non-empty line on stderr.
expect_clean_error() {
    local what=$1
    shift
    run_ufork "$@"
    if [ "$status" = 124 ]; then show "$@"; fail "$what: ufork timed out"; fi
    if [ "$status" = 0 ]; then show "$@"; fail "$what: expected a non-zero exit status"; fi
    if [ "$status" -ge 128 ]; then show "$@"; fail "$what: status $status >= 128: ufork crashed or was killed"; fi
    if [ -n "$out" ]; then show "$@"; fail "$what: expected nothing on stdout"; fi
    local lines
    lines=$(awk 'END { print NR }' "$SCRATCH/err")
    if [ "$lines" != 1 ] || [ -z "${err//[[:space:]]/}" ]; then
        show "$@"
        fail "$what: expected exactly one non-empty line on stderr, got $lines"
    fi
}

# expect_err_contains WHAT PATTERN: the last run's stderr contains PATTERN
# (grep -E, case-insensitive)
expect_err_contains() {
    if ! grep -qiE -- "$2" "$SCRATCH/err"; then
        echo "  stderr: $err"
        fail "$1: stderr does not match /$2/ (case-insensitive)"
    fi
}

# write_hello FILE.c: a tiny C program
write_hello() {
    cat >"$1" <<'C'
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
C
}

# build_static_pie OUT: hello as a static-PIE musl executable (a valid guest)
build_static_pie() {
    write_hello "$SCRATCH/hello.c"
    "$ROOT/tools/ufork-cc" -O2 -o "$1" "$SCRATCH/hello.c" || fail "tools/ufork-cc failed"
}

# differential_all OPTIONS...: every differential program that tests/run.sh
# built into build/tests, run natively and as `ufork run OPTIONS... PROG
# ARGS` (stdin /dev/null, own temp dir, run_one's time limit), compared as tests/run.sh
# compares them.  A difference is printed, unless the script defines
# accept_difference NAME NATIVE-OUT UFORK-OUT NATIVE-STATUS UFORK-STATUS and
# it returns 0, and only those for which `wanted NAME` returns 0 if the script
# defines wanted.  Sets $n (programs run) and $failed (programs that differ).
differential_all() {
    local src name bin line ns us
    local -a args
    export UFORK_TEST_ENV=differential
    failed=0 n=0
    for src in "$ROOT"/tests/prog/*.c; do
        name=$(basename "$src" .c)
        bin=$ROOT/build/tests/$name
        [ -x "$bin" ] || continue
        if declare -F wanted >/dev/null && ! wanted "$name"; then continue; fi
        args=()
        if [ -f "$ROOT/tests/prog/$name.args" ]; then
            line=$(head -n 1 "$ROOT/tests/prog/$name.args")
            eval "args=($line)"
        fi
        run_one "$SCRATCH/n.out" "$bin" "${args[@]}"
        ns=$rstatus
        run_one "$SCRATCH/u.out" "$UFORK" run "$@" "$bin" "${args[@]}"
        us=$rstatus
        n=$((n + 1))
        if [ "$ns" = "$us" ] && cmp -s "$SCRATCH/n.out" "$SCRATCH/u.out"; then continue; fi
        if declare -F accept_difference >/dev/null &&
            accept_difference "$name" "$SCRATCH/n.out" "$SCRATCH/u.out" "$ns" "$us"; then continue; fi
        echo "differs: $name (status native=$ns ufork $*=$us)"
        diff -u --label native --label ufork "$SCRATCH/n.out" "$SCRATCH/u.out" | head -n 15
        failed=$((failed + 1))
    done
    [ "$n" -gt 0 ] || skip "no differential programs built in build/tests (run bash tests/run.sh first)"
}

# run_one OUT CMD...: CMD in its own temp dir, stdin /dev/null, stdout to OUT,
# two thirds of UFORK_TEST_TIMEOUT at most (20 s by default; 80 s in the
# emulated guest, where scripts/vm.sh sets 120: fork_storm alone takes ~20 s
# there); sets $rstatus
run_one() {
    local out=$1 dir
    shift
    dir=$(mktemp -d "$SCRATCH/run.XXXXXX")
    { (cd "$dir" && ulimit -c 0 && exec timeout -k 2 $((${UFORK_TEST_TIMEOUT:-30} * 2 / 3)) "$@") </dev/null >"$out" 2>/dev/null; } 2>/dev/null
    rstatus=$?
    rm -rf "$dir"
}

# --- tests that start servers (redis_bgsave, nginx, zygote) ----------------
# PIDS, tree, kill_jobs, pick_port:
# shellcheck source-path=SCRIPTDIR source=../../scripts/jobs.bash
. "$ROOT/scripts/jobs.bash"

# wait_exit PID SECONDS: wait for our background job; sets $status (999: hung)
wait_exit() {
    local i
    for i in $(seq $(($2 * 20))); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$1" 2>/dev/null; then status=999; return; fi
    wait "$1"
    status=$?
}
