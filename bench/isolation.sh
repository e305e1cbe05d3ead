#!/usr/bin/env bash
# bench/isolation.sh: the cost of --isolation=fault and full against none, as ratios.
#
#   bash scripts/vm.sh bash bench/isolation.sh [RUNS]     (default RUNS = 3)
#
# Needs protection keys (the QEMU guest of scripts/vm.sh has them; TCG
# timings mean nothing alone, only ratios inside one run).  Builds
# bench/syscall.c and bench/fork.c into build/bench/ and runs each RUNS
# times under `ufork run --isolation=none`, `fault` and `full`, alternating;
# prints per value the median over runs for each level and the ratios
# fault/none and full/none, as a Markdown table.  Values: trapped syscalls
# (getppid emulated; getuid and read(-1) forwarded, which under isolation
# run with the caller's PKRU; open+close of /dev/null, whose path the
# runtime reads, and which full opens through a checked O_PATH fd) and fork
# of a near-empty process (fork+exit+wait, and until fork returns in the
# parent).  --fast-syscalls is refused under isolation,
# so fast syscalls have no fault column.
set -eu
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UFORK=${UFORK:-$ROOT/build/ufork}
RUNS=${1:-3}
grep -qw pku /proc/cpuinfo || { echo "bench/isolation.sh: no pku on this CPU (run it in bash scripts/vm.sh)" >&2; exit 2; }
mkdir -p "$ROOT/build/bench"
for b in syscall fork; do
    "$ROOT/tools/ufork-cc" -O2 -o "$ROOT/build/bench/$b" "$ROOT/bench/$b.c"
done
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cd "$OUT"
for r in $(seq "$RUNS"); do
    for lvl in none fault full; do
        "$UFORK" run --isolation=$lvl "$ROOT/build/bench/syscall" 20000 3 >>"$OUT/$lvl"
        "$UFORK" run --isolation=$lvl "$ROOT/build/bench/fork" 0 100 >>"$OUT/$lvl"
    done
    echo "run $r of $RUNS done" >&2
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "| value (median of $RUNS runs) | none | fault | full | fault/none | full/none |"
echo "| --- | --- | --- | --- | --- | --- |"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for k in getppid_ns getuid_ns read_ebadf_ns open_close_ns fork_wait_us fork_return_us; do
    n=$(awk -v k=$k '$1 == k { print $2 }' "$OUT/none" | median)
    f=$(awk -v k=$k '$1 == k { print $2 }' "$OUT/fault" | median)
    u=$(awk -v k=$k '$1 == k { print $2 }' "$OUT/full" | median)
    echo "| $k | $n | $f | $u | $(ratio "$f" "$n") | $(ratio "$u" "$n") |"
done
