#!/usr/bin/env bash
# Bad syscall arguments never crash or hang the runtime: 40 µprocesses make
# 3,000 random calls each (progs/syscall_fuzz.c); whatever happens to them,
# the parent reaps every one, ufork exits 0 and reports no internal error.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/fuzz" "$(dirname "$0")/progs/syscall_fuzz.c" ||
    fail "cannot build progs/syscall_fuzz.c"
cd "$SCRATCH" || fail "no scratch dir"
{ (ulimit -c 0; exec timeout -k 2 150 "$UFORK" run "$SCRATCH/fuzz" 40) </dev/null \
    >"$SCRATCH/out" 2>"$SCRATCH/err"; } 2>/dev/null
status=$?
out=$(cat "$SCRATCH/out")
err=$(cat "$SCRATCH/err")
[ "$status" = 0 ] || { show; fail "ufork exit status $status"; }
grep -q "internal error" "$SCRATCH/err" && { show; fail "the runtime reported an internal error"; }
grep -q "in all" <<<"$out" || { show; fail "no summary"; }
echo "ok: $out"
