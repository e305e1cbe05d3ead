#!/usr/bin/env bash
# Bad syscall arguments never crash or hang the runtime: for each of a few
# seeds, 24 µprocesses make up to 3,000 random calls each
# (progs/syscall_fuzz.c); whatever happens to them, the parent reaps every
# one, ufork exits 0 and reports no internal error.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/fuzz" "$(dirname "$0")/progs/syscall_fuzz.c" ||
    fail "cannot build progs/syscall_fuzz.c"
cd "$SCRATCH" || fail "no scratch dir"
# seeds 11, 12 and 20 once found a runtime crash, a runtime corruption (the
# kernel writing through a wild out-pointer) and a child that blocks for good
for seed in 0 11 12 20; do
    { (ulimit -c 0; exec timeout -k 2 150 "$UFORK" run "$SCRATCH/fuzz" 24 "$seed") </dev/null \
        >"$SCRATCH/out" 2>"$SCRATCH/err"; } 2>/dev/null
    status=$?
    out=$(cat "$SCRATCH/out")
    err=$(cat "$SCRATCH/err")
    [ "$status" = 0 ] || { show; fail "seed $seed: ufork exit status $status"; }
    grep -q "internal error" "$SCRATCH/err" && { show; fail "seed $seed: internal error"; }
    grep -q "in all" <<<"$out" || { show; fail "seed $seed: no summary"; }
    echo "ok: seed $seed: $out"
done
