#!/usr/bin/env bash
# Redis BGSAVE and BGREWRITEAOF (tests/cli/redis_bgsave.sh) with the server
# run as `ufork run --copy=coa redis-server ...`: copy-on-access fork
# (src/fork_lazy.c) under a real heap that changes between forks (skipped
# as that test skips, when Redis is not built).
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork

run_ufork run --copy=coa "$ROOT/build/tests/hello"
case $err in
    *"needs userfaultfd"*) skip "$(echo "$err" | head -n 1)" ;;
esac
cat >"$SCRATCH/ufork-coa" <<EOS
#!/bin/sh
if [ "\$1" = run ]; then shift; exec "$UFORK" run --copy=coa "\$@"; fi
exec "$UFORK" "\$@"
EOS
chmod +x "$SCRATCH/ufork-coa"
UFORK=$SCRATCH/ufork-coa bash "$ROOT/tests/cli/redis_bgsave.sh" >"$SCRATCH/redis.out" 2>&1
rs=$?
case $rs in
    0) echo "ok: Redis BGSAVE/BGREWRITEAOF under --copy=coa" ;;
    77) skip "$(tail -n 1 "$SCRATCH/redis.out")" ;;
    *) sed 's/^/  redis: /' "$SCRATCH/redis.out" | tail -n 20; fail "Redis under --copy=coa" ;;
esac
