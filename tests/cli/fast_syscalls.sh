#!/usr/bin/env bash
# --fast-syscalls: every differential program (tests/prog, built into
# build/tests by tests/run.sh) run natively and as
#   ufork run --fast-syscalls build/tests/NAME [ARGS]
# with the same stdout and exit status, as tests/run.sh compares them; then
# tests/cli/progs/fast_sites.c (red-zone sites left alone, bad syscall
# numbers, a call with no stack below %rsp), whose --stats report must show a
# site left for its red zone.
#
# Expected to differ, ONLY because reads of addresses [0, 4096) do not fault
# under --fast-syscalls (the trampoline page is mapped there, readable: no
# execute-only memory without protection keys):
#   crash_thread  a thread reads address 16 to crash the process;
#   segv_caught   reads NULL+16 and expects SIGSEGV (its other faults must
#                 still be caught: checked below, minus those lines).
# Skips when page 0 cannot be mapped (not root and vm.mmap_min_addr > 0).
# The fork-heavy programs (fork_many, fork_digest32m, spawn...) are among the
# differential ones; tests/cli/fast_syscalls_redis.sh runs Redis BGSAVE.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork

CC=$ROOT/tools/ufork-cc
"$CC" -O2 -Wall -o "$SCRATCH/fast_sites" "$ROOT/tests/cli/progs/fast_sites.c" 2>"$SCRATCH/cc.err" ||
    skip "cannot build fast_sites.c with tools/ufork-cc: $(head -c 200 "$SCRATCH/cc.err")"

run_ufork run --fast-syscalls --stats "$SCRATCH/fast_sites"
case $err in
    *"cannot map the syscall trampoline"*)
        skip "page 0 unavailable (not root, vm.mmap_min_addr > 0): $(echo "$err" | head -n 1)" ;;
esac
"$SCRATCH/fast_sites" >"$SCRATCH/native" 2>/dev/null
nstatus=$?
[ "$status" = "$nstatus" ] && [ "$out" = "$(cat "$SCRATCH/native")" ] ||
    { show run --fast-syscalls --stats fast_sites; diff <(cat "$SCRATCH/native") <(echo "$out");
      fail "fast_sites differs from its native run"; }
case $err in
    *"syscall sites rewritten, "[1-9]*" left as syscall ("[1-9]*" near red-zone data"*) ;;
    *) show run --fast-syscalls --stats fast_sites; fail "no red-zone site reported left" ;;
esac

expected_null_read=" crash_thread segv_caught "
accept_difference() { # NAME NATIVE-OUT UFORK-OUT NATIVE-STATUS UFORK-STATUS
    if [ "$1" = segv_caught ]; then	# all but the reads of page 0 and what follows from them
        filt() { grep -v -e 'NULL+16' -e 'read again' -e 'SA_ONSTACK' -e 'on the alternate stack' "$1"; }
        [ "$4" = "$5" ] && cmp -s <(filt "$2") <(filt "$3")
    else
        [[ $expected_null_read == *" $1 "* ]]
    fi
}
differential_all --fast-syscalls
[ "$failed" = 0 ] || fail "$failed of $n programs differ under --fast-syscalls"
echo "ok: $n programs as natively under --fast-syscalls (expected NULL-read differences:$expected_null_read)"
