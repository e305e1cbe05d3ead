#!/usr/bin/env bash
# 10,000 fork/exit/wait cycles leave the runtime's memory and fd count flat.
# The runtime (the child of the `ufork run` front process) is sampled from
# outside after a warm-up and after the cycles.  Where UFORK_TEST_TIMEOUT is
# raised above its default 30 (the QEMU guest: 120), the machine is that
# much slower: fewer cycles (2,500 there), the same limits of time.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
"$ROOT/tools/ufork-cc" -O2 -o "$SCRATCH/fork_flat" "$(dirname "$0")/progs/fork_flat.c" ||
    fail "cannot build progs/fork_flat.c"
slow=$(( ${UFORK_TEST_TIMEOUT:-30} > 30 ? ${UFORK_TEST_TIMEOUT:-30} : 30 ))
n=$((10000 * 30 / slow))
mkfifo "$SCRATCH/in" "$SCRATCH/out"
timeout -k 2 120 "$UFORK" run "$SCRATCH/fork_flat" "$n" <"$SCRATCH/in" >"$SCRATCH/out" &
front=$!
exec 3>"$SCRATCH/in" 4<"$SCRATCH/out"
sample() { # prints "rss_kB fds" of the runtime process
    local rt
    rt=$(pgrep -P "$(pgrep -P "$front" | head -n 1)" | head -n 1)
    [ -n "$rt" ] || rt=$(pgrep -P "$front" | head -n 1)
    echo "$(awk '/^VmRSS:/ { print $2 }' "/proc/$rt/status") $(ls "/proc/$rt/fd" | wc -l)"
}
read -r -t 60 line <&4 && [ "$line" = warm ] || fail "no warm-up"
read -r rss0 fd0 <<<"$(sample)"
echo >&3
read -r -t 100 line <&4 && [ "$line" = done ] || fail "the $n cycles did not finish"
read -r rss1 fd1 <<<"$(sample)"
echo >&3
exec 3>&- 4<&-
wait "$front" || fail "exit status $?"
[ "$fd0" = "$fd1" ] || fail "runtime fd count changed: $fd0 -> $fd1"
# allow 2 MiB of noise (glibc arenas settling), nothing that grows with the cycles
[ $((rss1 - rss0)) -lt 2048 ] || fail "runtime memory grew: $rss0 -> $rss1 kB"
echo "ok: $n forks: runtime rss $rss0 -> $rss1 kB, fds $fd0 -> $fd1"
