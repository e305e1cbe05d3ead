#!/usr/bin/env bash
# tests/cli/redis_bgsave.sh (Redis BGSAVE and BGREWRITEAOF: fork while
# serving, snapshots checked by a native server) with the server run as
#   ufork run --fast-syscalls build/apps/redis-server ...
# Skips like redis_bgsave.sh, and when page 0 cannot be mapped (not root and
# vm.mmap_min_addr > 0).
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork

run_ufork run --fast-syscalls "$ROOT/build/tests/argv_env"
case $err in
    *"cannot map the syscall trampoline"*)
        skip "page 0 unavailable (not root, vm.mmap_min_addr > 0): $(echo "$err" | head -n 1)" ;;
esac
# the same runtime, with the option before the program
cat >"$SCRATCH/ufork-fast" <<EOS
#!/bin/sh
if [ "\$1" = run ]; then shift; exec "$UFORK" run --fast-syscalls "\$@"; fi
exec "$UFORK" "\$@"
EOS
chmod +x "$SCRATCH/ufork-fast"
UFORK=$SCRATCH/ufork-fast bash "$ROOT/tests/cli/redis_bgsave.sh"
