#!/usr/bin/env bash
# --max-procs: fork beyond the limit fails with EAGAIN, the runtime stays
# healthy, and forking works again once children are reaped.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/fork_limit" "$(dirname "$0")/progs/fork_limit.c" ||
    fail "cannot build progs/fork_limit.c"
run_ufork run --max-procs=5 "$SCRATCH/fork_limit"
[ "$status" = 0 ] || { show; fail "expected exit status 0"; }
expected="forked 4, then EAGAIN
reaped 4 cleanly
fork after reaping: ok"
[ "$out" = "$expected" ] || { show; fail "unexpected output"; }
echo "ok: --max-procs=5 allows 4 children, then EAGAIN; healthy afterwards"
