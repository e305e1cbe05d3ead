#!/usr/bin/env bash
# Copy-on-access fork (--copy=coa, src/fork_lazy.c) must behave like full copy:
#  - every differential program (tests/prog) runs natively and under
#    `ufork run --copy=coa` with the same stdout and status (fork_lazy_heap
#    is the one made for it: changes after the fork, read(2)/write(2) on
#    untouched pages, munmap, MADV_DONTNEED, mremap, grandchildren...);
#  - Redis BGSAVE and BGREWRITEAOF (tests/cli/redis_bgsave.sh) with the
#    server run as `ufork run --copy=coa redis-server ...` (skipped as that
#    test skips, when Redis is not built);
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
all=$n

cat >"$SCRATCH/ufork-coa" <<EOS
#!/bin/sh
if [ "\$1" = run ]; then shift; exec "$UFORK" run --copy=coa "\$@"; fi
exec "$UFORK" "\$@"
EOS
chmod +x "$SCRATCH/ufork-coa"
UFORK=$SCRATCH/ufork-coa bash "$ROOT/tests/cli/redis_bgsave.sh" >"$SCRATCH/redis.out" 2>&1
rs=$?
case $rs in
    0) echo "ok: $all programs as natively under --copy=coa, and Redis BGSAVE/BGREWRITEAOF" ;;
    77) echo "ok: $all programs as natively under --copy=coa (Redis: $(tail -n 1 "$SCRATCH/redis.out"))" ;;
    *) sed 's/^/  redis: /' "$SCRATCH/redis.out" | tail -n 20; fail "Redis under --copy=coa" ;;
esac
