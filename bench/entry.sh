#!/usr/bin/env bash
# bench/entry.sh: what each way of entering the runtime costs, against native.
#
#   bash bench/entry.sh [--runs N]
#
# The same static-PIE binaries (bench/syscall.c, bench/fork.c, bench/spawn.c)
# run natively and under ufork with each FS-switching path (docs/ARCHITECTURE.md,
# "Two ways to switch FS"):
#   wrfsbase       ufork run            (only where the CPU has user-space FSGSBASE)
#   arch_prctl     ufork run --no-fsgsbase
# each trapped (Syscall User Dispatch) and, as root, with --fast-syscalls too.
# Runs alternate between the modes, N times each (default 5); a cell is the
# median over runs of the program's own median, with its ratio to native.
# The table goes to stdout (Markdown), progress to stderr.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UFORK=${UFORK:-$ROOT/build/ufork}
runs=5
case ${1:-} in
    --runs) runs=${2:?--runs N} ;;
    --runs=*) runs=${1#*=} ;;
    -h|--help) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    '') ;;
    *) echo "entry.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac
case $runs in ''|*[!0-9]*|0) echo "entry.sh: --runs wants a positive integer" >&2; exit 2 ;; esac
[ -x "$UFORK" ] || make -s -C "$ROOT" >&2 || exit 1
BIN=$ROOT/build/bench OUT=$ROOT/build/bench/entry-run
mkdir -p "$BIN"; rm -rf "$OUT"; mkdir -p "$OUT"
for p in syscall fork spawn; do
    "$ROOT/tools/ufork-cc" -O2 -Wall -o "$BIN/$p" "$ROOT/bench/$p.c" || exit 1
done

# modes: NAME:OPTIONS (options joined with ',')
modes=(native: "arch_prctl:--no-fsgsbase")
grep -qw fsgsbase /proc/cpuinfo && modes+=("wrfsbase:")
if "$UFORK" run --fast-syscalls "$BIN/syscall" 1 1 >/dev/null 2>&1; then
    modes+=("arch_prctl+fast:--no-fsgsbase,--fast-syscalls")
    grep -qw fsgsbase /proc/cpuinfo && modes+=("wrfsbase+fast:--fast-syscalls")
fi

benches=("syscall:syscall 200000 5" "fork:fork 0 200" "spawn:spawn 1000")
for ((i = 1; i <= runs; i++)); do
    for b in "${benches[@]}"; do
        id=${b%%:*} cmd=${b#*:}
        for m in "${modes[@]}"; do
            name=${m%%:*} opts=${m#*:}
            echo "entry.sh: $id, $name, run $i/$runs" >&2
            # shellcheck disable=SC2086 # $cmd and the options are word lists
            if [ "$name" = native ]; then
                timeout 120 "$BIN"/$cmd >"$OUT/$id.$name.$i" 2>/dev/null
            else
                timeout 120 "$UFORK" run ${opts//,/ } "$BIN"/$cmd >"$OUT/$id.$name.$i" 2>/dev/null
            fi || echo "entry.sh: $id under $name failed (status $?)" >&2
        done
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
cell() { cat "$OUT/$1.$2".* 2>/dev/null | awk -v k="$3" '$1 == k { print $2 }' | median; }

echo "- command: \`bash bench/entry.sh --runs $runs\`; $(date '+%Y-%m-%d %H:%M %z'); kernel $(uname -r);" \
     "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo); git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
echo "- FSGSBASE on this CPU: $(grep -qw fsgsbase /proc/cpuinfo && echo yes || echo no); cells: median of $runs runs (ratio to native)"
echo
hdr="| benchmark |" sep="|---|"
for m in "${modes[@]}"; do hdr+=" ${m%%:*} |"; sep+="---:|"; done
echo "$hdr"; echo "$sep"
for r in "getppid_ns:syscall(SYS_getppid), emulated [ns]:syscall" \
         "getuid_ns:syscall(SYS_getuid), forwarded [ns]:syscall" \
         "fork_wait_us:fork+_exit+waitpid, near-empty [µs]:fork" \
         "spawn_per_iter_us:spawn, per fork+exit+wait [µs]:spawn"; do
    key=${r%%:*} rest=${r#*:}; label=${rest%:*} id=${rest##*:}
    line="| $label |" nat=$(cell "$id" native "$key")
    for m in "${modes[@]}"; do
        v=$(cell "$id" "${m%%:*}" "$key")
        if [ -z "$v" ]; then line+=" n/a |"
        elif [ "${m%%:*}" = native ] || [ -z "$nat" ]; then line+=" $v |"
        else line+=" $v ($(awk -v a="$v" -v b="$nat" 'BEGIN { printf "%.2f", a / b }')) |"
        fi
    done
    echo "$line"
done
