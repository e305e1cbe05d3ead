#!/usr/bin/env bash
# execve closes the close-on-exec fds even where the runtime cannot list the
# µprocess's fd table in /proc (issue #17: it used to skip closing them
# silently).  tests/prog/exec_cloexec runs natively and under ufork in a
# private mount namespace whose /proc is an empty tmpfs, and both must print
# the same.  Needs root (unshare -m); skipped otherwise.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
[ "$(id -u)" = 0 ] || skip "needs root for a mount namespace"
command -v unshare >/dev/null || skip "no unshare(1)"
unshare -m true 2>/dev/null || skip "unshare -m is not allowed here"
prog=$SCRATCH/exec_cloexec
"$ROOT/tools/ufork-cc" -O2 -o "$prog" "$ROOT/tests/prog/exec_cloexec.c" -lpthread ||
    fail "cannot build tests/prog/exec_cloexec.c"
limit=${UFORK_TEST_TIMEOUT:-30}
for how in native ufork; do
    cmd=("$prog")
    [ $how = ufork ] && cmd=("$UFORK" run "$prog")
    mkdir "$SCRATCH/$how"
    # shellcheck disable=SC2016 # expanded by the inner shell
    (cd "$SCRATCH/$how" && exec timeout -k 2 "$limit" unshare -m sh -c \
        'mount -t tmpfs noproc /proc && exec "$@"' sh "${cmd[@]}") </dev/null \
        >"$SCRATCH/$how.out" 2>"$SCRATCH/$how.err"
    echo "$?" >"$SCRATCH/$how.status"
done
[ "$(cat "$SCRATCH/native.status")" = 0 ] ||
    fail "native run: status $(cat "$SCRATCH/native.status"): $(head -c 300 "$SCRATCH/native.err")"
if ! cmp -s "$SCRATCH/native.out" "$SCRATCH/ufork.out" ||
    ! cmp -s "$SCRATCH/native.status" "$SCRATCH/ufork.status"; then
    echo "  status native=$(cat "$SCRATCH/native.status") ufork=$(cat "$SCRATCH/ufork.status")"
    diff -u --label native --label ufork "$SCRATCH/native.out" "$SCRATCH/ufork.out" | head -n 30
    fail "exec_cloexec differs without /proc"
fi
echo "ok: exec_cloexec without /proc: $(wc -l <"$SCRATCH/native.out") lines, same natively and under ufork"
