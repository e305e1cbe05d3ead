#!/usr/bin/env bash
# --spin-us: how long a waiting parent and a spare thread spin before they
# sleep.  Fork-heavy programs give the same output and status as natively
# with spinning off (every wait sleeps and every wake-up is a futex wake),
# with the default, and with a long spin (waits end while spinning).  A
# child forked after a spare spun for a second has no CPU time of its own.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
progs=(fork_waitpid fork_many fork_pipe_pingpong fork_orphan_grandchild fork_sigchld
    fork_host_state fork_child_time)
for p in "${progs[@]}"; do
    "$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/$p" "$ROOT/tests/prog/$p.c" -lpthread ||
        fail "cannot build tests/prog/$p.c"
done
for p in "${progs[@]}"; do
    native=$("$SCRATCH/$p" </dev/null 2>&1)
    nstatus=$?
    spins=(0 default 2000)
    [ "$p" = fork_child_time ] && spins+=(1000000)
    for spin in "${spins[@]}"; do
        opts=()
        [ $spin = default ] || opts+=(--spin-us=$spin)
        { (ulimit -c 0; exec timeout -k 2 60 "$UFORK" run "${opts[@]}" "$SCRATCH/$p") </dev/null \
            >"$SCRATCH/out" 2>&1; } 2>/dev/null
        status=$?
        [ $status = $nstatus ] || { cat "$SCRATCH/out"; fail "$p, --spin-us=$spin: status $status, natively $nstatus"; }
        [ "$(cat "$SCRATCH/out")" = "$native" ] || {
            diff <(echo "$native") "$SCRATCH/out"; fail "$p, --spin-us=$spin: output differs from native"; }
    done
    echo "ok: $p: same output and status ($nstatus) as native with --spin-us=${spins[*]}"
done
