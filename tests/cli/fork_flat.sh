#!/usr/bin/env bash
# 10,000 fork/exit/wait cycles leave the runtime's memory and fd count flat.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/fork_flat" "$(dirname "$0")/progs/fork_flat.c" ||
    fail "cannot build progs/fork_flat.c"
{ (ulimit -c 0; exec timeout -k 2 120 "$UFORK" run "$SCRATCH/fork_flat" 10000) </dev/null \
    >"$SCRATCH/out" 2>"$SCRATCH/err"; } 2>/dev/null
status=$?
out=$(cat "$SCRATCH/out")
[ "$status" = 0 ] || { show; fail "expected exit status 0"; }
read -r _ rss0 _ rss1 _ _ fd0 _ fd1 <<<"$out"
[ "$fd0" = "$fd1" ] || { show; fail "fd count changed: $fd0 -> $fd1"; }
# allow 2 MiB of noise (glibc arenas settling), nothing proportional to 10,000
[ $((rss1 - rss0)) -lt 2048 ] || { show; fail "runtime memory grew: $rss0 -> $rss1 kB"; }
echo "ok: 10,000 forks: $out"
