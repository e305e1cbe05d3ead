#!/usr/bin/env bash
# bench/fork_heap.sh: fork against the parent's heap size, natively and under
# ufork with each copy strategy (--copy=full, --copy=coa).
#
#   bash bench/fork_heap.sh [--runs N] [--sizes "1M 16M 128M 1G"]
#
# The same static-PIE binaries run natively and as `ufork run --copy=S`:
#   bench/fork.c     R bytes of heap, every page written again before each
#                    fork: the median fork return in the parent and
#                    fork+_exit+waitpid (20 iterations; 5 from 1G on);
#   bench/forkmem.c  memory per idle child: the MemAvailable drop with 50
#                    children of a parent with 1 MB of written heap.
# Runs alternate between the modes, N times each (default 3); a cell is the
# median over runs of the program's own median, with its ratio to native.
# --copy=full at 1 GB copies the whole heap in every fork (about 2 s each):
# it runs 2 iterations there.  The table goes to stdout (Markdown), progress
# to stderr.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UFORK=${UFORK:-$ROOT/build/ufork}
runs=3 sizes="1M 16M 128M 1G"
while [ $# -gt 0 ]; do
    case $1 in
        --runs) runs=${2:?--runs N}; shift ;;
        --sizes) sizes=${2:?--sizes LIST}; shift ;;
        -h|--help) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) echo "fork_heap.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
case $runs in ''|*[!0-9]*|0) echo "fork_heap.sh: --runs wants a positive integer" >&2; exit 2 ;; esac
[ -x "$UFORK" ] || make -s -C "$ROOT" >&2 || exit 1
BIN=$ROOT/build/bench OUT=$ROOT/build/bench/fork-heap-run
mkdir -p "$BIN"; rm -rf "$OUT"; mkdir -p "$OUT"
for p in fork forkmem; do
    "$ROOT/tools/ufork-cc" -O2 -Wall -o "$BIN/$p" "$ROOT/bench/$p.c" || exit 1
done
modes=(native full coa)
"$UFORK" run --copy=coa "$BIN/fork" 0 1 >/dev/null 2>"$OUT/coa.err" ||
    { echo "fork_heap.sh: --copy=coa unavailable: $(head -n 1 "$OUT/coa.err")" >&2; modes=(native full); }

benches=()
for s in $sizes; do
    n=20
    case $s in *G) n=5 ;; esac
    benches+=("fork$s:fork $s $n")
done
benches+=("mem:forkmem 50 1M 500 3")
for ((i = 1; i <= runs; i++)); do
    for b in "${benches[@]}"; do
        id=${b%%:*} cmd=${b#*:}
        for m in "${modes[@]}"; do
            c=$cmd
            [ "$m" = full ] && [[ $id == fork*G ]] && c=${cmd% *}" 2"
            echo "fork_heap.sh: $id, $m, run $i/$runs" >&2
            # shellcheck disable=SC2086 # $c is a word list
            if [ "$m" = native ]; then
                timeout 300 "$BIN"/$c >"$OUT/$id.$m.$i" 2>/dev/null
            else
                timeout 300 "$UFORK" run --copy=$m "$BIN"/$c >"$OUT/$id.$m.$i" 2>/dev/null
            fi || echo "fork_heap.sh: $id under $m failed (status $?)" >&2
        done
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
cell() { cat "$OUT/$1.$2".* 2>/dev/null | awk -v k="$3" '$1 == k { print $2 }' | median; }

echo "- command: \`bash bench/fork_heap.sh --runs $runs\`; $(date '+%Y-%m-%d %H:%M %z'); kernel $(uname -r);" \
     "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo); git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
echo "- cells: median of $runs runs (ratio to native)"
echo
hdr="| benchmark |" sep="|---|"
for m in "${modes[@]}"; do hdr+=" $m |"; sep+="---:|"; done
echo "$hdr"; echo "$sep"
rows=()
for s in $sizes; do
    rows+=("fork_return_us:fork return in the parent, $s heap [µs]:fork$s"
           "fork_wait_us:fork+_exit+waitpid, $s heap [µs]:fork$s")
done
rows+=("forkmem_kb_per_child:memory per idle child, 1 MB heap [kB]:mem")
for r in "${rows[@]}"; do
    key=${r%%:*} rest=${r#*:}; label=${rest%:*} id=${rest##*:}
    line="| $label |" nat=$(cell "$id" native "$key")
    for m in "${modes[@]}"; do
        v=$(cell "$id" "$m" "$key")
        if [ -z "$v" ]; then line+=" n/a |"
        elif [ "$m" = native ] || [ -z "$nat" ] || [ "$nat" = 0 ]; then line+=" $v |"
        else line+=" $v ($(awk -v a="$v" -v b="$nat" 'BEGIN { printf "%.2f", a / b }')) |"
        fi
    done
    echo "$line"
done
