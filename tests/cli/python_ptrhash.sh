#!/usr/bin/env bash
# CPython's address-based hashes across fork (a documented limit, see
# docs/ARCHITECTURE.md "relocation" and the README): progs/limit_ptrhash.py
# natively finds every key in the forked child; under ufork the child's
# objects moved, so a set of objects and a tuple-keyed dict miss in the
# child and hash(C) changed, while dict lookups of the object itself and
# everything in the parent still work.  If the child starts to match Linux,
# the docs are out of date.  Skips without build/apps/python (make python).
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
PY=$ROOT/build/apps/python
[ -x "$PY" ] || skip "build/apps/python missing: run make python"
export PYTHONHOME=$ROOT/build/apps/python3.11 PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH PYTHONSTARTUP
PROG=$(dirname "$0")/progs/limit_ptrhash.py
found_all="set-of-objects 500/500 class-in-set True class-in-dict True func-in-dict True tuple-key True hash-unchanged True"

timeout -k 2 60 "$PY" "$PROG" >"$SCRATCH/native" 2>&1 || { cat "$SCRATCH/native"; fail "natively: status $?"; }
grep -qx "child $found_all" "$SCRATCH/native" || { cat "$SCRATCH/native"; fail "native child did not find every key"; }
grep -qx "parent $found_all" "$SCRATCH/native" || { cat "$SCRATCH/native"; fail "native parent did not find every key"; }

timeout -k 2 60 "$UFORK" run --reloc-misaligned "$PY" "$PROG" >"$SCRATCH/ufork" 2>&1 </dev/null || { cat "$SCRATCH/ufork"; fail "under ufork: status $?"; }
grep -qx "parent $found_all" "$SCRATCH/ufork" || { cat "$SCRATCH/ufork"; fail "ufork: the parent lost keys"; }
grep -qx "child status 0" "$SCRATCH/ufork" || { cat "$SCRATCH/ufork"; fail "ufork: the child failed"; }
grep -qx "child set-of-objects 0/500 class-in-set False class-in-dict True func-in-dict True tuple-key False hash-unchanged False" \
    "$SCRATCH/ufork" || { cat "$SCRATCH/ufork"; fail "ufork child: expected the documented misses (set, tuple key, hash) and dict hits"; }
echo "ok: native child finds all; ufork child: $(grep '^child set' "$SCRATCH/ufork")"
