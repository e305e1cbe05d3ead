#!/usr/bin/env bash
# The documented limits of ufork (docs/ARCHITECTURE.md, README): these
# programs behave differently under ufork than on Linux, exactly as
# documented.  If one of them starts to match Linux, the docs are out of date.
#  - a hash of full pointer values (p % 1021) does not survive fork;
#  - a pointer to private memory stored in shared memory keeps naming the
#    parent's copy; pointers into the shared memory itself work;
#  - a shared mapping others map too cannot be mprotect-ed or replaced by one
#    µprocess (one set of page protections): EACCES / ENOMEM;
#  - RLIMIT_STACK is recorded, not enforced: the main stack is a fixed 8 MiB.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
for p in limit_ptrhash_mod limit_shared_ptr limit_shared_prot limit_rlimit_stack; do
    "$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/$p" "$(dirname "$0")/progs/$p.c" ||
        fail "cannot build progs/$p.c"
done

"$SCRATCH/limit_ptrhash_mod" >"$SCRATCH/native" || fail "limit_ptrhash_mod fails natively"
grep -q "child heap keys found 3000/3000" "$SCRATCH/native" || fail "native: keys not found?"
run_ufork run "$SCRATCH/limit_ptrhash_mod"
grep -q "child heap keys found 0/3000" <<<"$out" ||
    { show; fail "full-pointer hash: expected the documented miss (0/3000 in the child)"; }
grep -q "parent heap keys found 3000/3000" <<<"$out" || { show; fail "parent lost its keys"; }

"$SCRATCH/limit_shared_ptr" >"$SCRATCH/native" || fail "limit_shared_ptr fails natively"
run_ufork run "$SCRATCH/limit_shared_ptr"
grep -q "child read its own global through the shared pointer: 2 (want 1)" <<<"$out" ||
    { show; fail "shared pointer to private memory: expected the parent's copy (2)"; }
grep -q "shared list walked by the child: node0=136 (want 136)" <<<"$out" ||
    { show; fail "pointers into shared memory must work"; }
"$SCRATCH/limit_shared_prot" >"$SCRATCH/native" || fail "limit_shared_prot fails natively"
grep -q "child mprotect=0 ; MAP_FIXED over it=ok" "$SCRATCH/native" || fail "native: unexpected"
run_ufork run "$SCRATCH/limit_shared_prot"
grep -q "child mprotect=-1 Permission denied; MAP_FIXED over it=failed Out of memory" \
    <<<"$out" || { show; fail "shared mprotect/MAP_FIXED: expected the documented refusal"; }
grep -q "parent: still-writable; own mapping mprotect=0" <<<"$out" ||
    { show; fail "the parent's own mapping must stay writable and changeable"; }
"$SCRATCH/limit_rlimit_stack" >"$SCRATCH/native" || fail "limit_rlimit_stack fails natively"
grep -q "RLIMIT_STACK: killed by signal 11" "$SCRATCH/native" || fail "native: stack limit not hit?"
run_ufork run "$SCRATCH/limit_rlimit_stack"
grep -q "RLIMIT_STACK: finished" <<<"$out" ||
    { show; fail "RLIMIT_STACK: expected the documented non-enforcement"; }
echo "ok: full-pointer hashes, shared pointers to private memory, shared page protections and RLIMIT_STACK behave as documented"
