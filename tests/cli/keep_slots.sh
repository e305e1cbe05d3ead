#!/usr/bin/env bash
# --keep-slots: with the default budget, later forks of the same program go
# into the kept slot of the last child (--stats says "recycled slot"), with
# 0 none does; the children see the same memory either way, as natively.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/keep" "$(dirname "$0")/progs/keep_slots.c" ||
    fail "cannot build progs/keep_slots.c"
native=$("$SCRATCH/keep") || fail "native run failed"
for budget in default 0; do
    opts=(--stats)
    [ $budget = default ] || opts+=(--keep-slots=$budget)
    { (ulimit -c 0; exec timeout -k 2 60 "$UFORK" run "${opts[@]}" "$SCRATCH/keep") </dev/null \
        >"$SCRATCH/out" 2>"$SCRATCH/err"; } 2>/dev/null
    status=$?
    [ $status = 0 ] || { cat "$SCRATCH/err"; fail "--keep-slots=$budget: status $status"; }
    [ "$(cat "$SCRATCH/out")" = "$native" ] || {
        diff <(echo "$native") "$SCRATCH/out"; fail "--keep-slots=$budget: output differs from native"; }
    recycled=$(grep -c "recycled slot" "$SCRATCH/err")
    if [ $budget = default ]; then
        [ "$recycled" -ge 3 ] || { cat "$SCRATCH/err"; fail "default budget: only $recycled forks into a kept slot"; }
    else
        [ "$recycled" = 0 ] || { cat "$SCRATCH/err"; fail "--keep-slots=0: $recycled forks into a kept slot"; }
    fi
    echo "ok: --keep-slots=$budget: same output as native, $recycled of 5 forks into a kept slot"
done
