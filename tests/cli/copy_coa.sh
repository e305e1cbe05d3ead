#!/usr/bin/env bash
# Copy-on-access fork (--copy=coa, src/fork_lazy.c) must behave like full copy:
#  - every differential program (tests/prog) runs natively and under
#    `ufork run --copy=coa` with the same stdout and status (fork_lazy_heap
#    is the one made for it: changes after the fork, read(2)/write(2) on
#    untouched pages, munmap, MADV_DONTNEED, mremap, grandchildren...);
#    (Redis under coa: tests/cli/copy_coa_redis.sh);
#  - --stats shows the staged bytes and the faults filled;
#  - a bad --copy value and the unavailable copa are one-line errors.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork

run_ufork run --copy=nope "$ROOT/build/tests/hello"
[ "$status" = 127 ] && [ "$(echo "$err" | wc -l)" = 1 ] && [[ $err == *"--copy"* ]] ||
    { show run --copy=nope; fail "a bad --copy is not a one-line error with status 127"; }
run_ufork run --copy=copa "$ROOT/build/tests/hello"
[ "$status" = 127 ] && [ "$(echo "$err" | wc -l)" = 1 ] && [[ $err == *"copa"* ]] ||
    { show run --copy=copa; fail "--copy=copa is not a one-line error with status 127"; }

run_ufork run --copy=coa --stats "$ROOT/build/tests/fork_lazy_heap"
case $err in
    *"needs userfaultfd"*) skip "$(echo "$err" | head -n 1)" ;;
esac
[ "$status" = 0 ] || { show run --copy=coa --stats fork_lazy_heap; fail "fork_lazy_heap failed under coa"; }
staged=$(echo "$err" | sed -n 's/.*total copied .*, staged \([0-9]*\) bytes.*/\1/p')
[ "${staged:-0}" -ge $((16 << 20)) ] || { show run --copy=coa --stats; fail "--stats: under 16 MB staged"; }
echo "$err" | grep -q 'copy-on-access: [1-9][0-9]* faults' || { show run --copy=coa --stats; fail "--stats: no faults"; }

differential_all --copy=coa
[ "$failed" = 0 ] || fail "$failed of $n programs differ under --copy=coa"
echo "ok: $n programs as natively under --copy=coa"
