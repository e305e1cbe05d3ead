#!/usr/bin/env bash
# A program that daemonizes: `ufork run` returns to the caller with the first
# program's status and output as soon as the first program exits (the
# caller's pipe sees EOF: the runtime does not hold stdio open), while the
# runtime keeps running the daemon, which finishes its work later.  The same
# program runs natively for comparison.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/daemon" "$(dirname "$0")/progs/daemon.c" ||
    fail "cannot build progs/daemon.c"
for how in native ufork; do
    cmd=("$SCRATCH/daemon" "$SCRATCH/$how.done")
    [ $how = ufork ] && cmd=("$UFORK" run "${cmd[@]}")
    t0=$(date +%s%N)
    out=$(timeout 5 "${cmd[@]}")    # returns at EOF of stdout: nobody may hold it
    status=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$status" = 0 ] || fail "$how: status $status"
    [ "$out" = "before daemon" ] || fail "$how: output '$out'"
    [ "$ms" -lt 1500 ] || fail "$how: took $ms ms: the caller waited for the daemon (it sleeps 2 s)"
    [ ! -e "$SCRATCH/$how.done" ] || fail "$how: daemon finished before the caller returned?"
    for _ in $(seq 120); do [ -e "$SCRATCH/$how.done" ] && break; sleep 0.05; done
    [ "$(cat "$SCRATCH/$how.done" 2>/dev/null)" = "daemon ran" ] || fail "$how: the daemon did not run"
    echo "ok: $how: returned in $ms ms, daemon ran afterwards"
done
