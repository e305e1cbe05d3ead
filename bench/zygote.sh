#!/usr/bin/env bash
# bench/zygote.sh: the Python FaaS zygote, native vs. ufork, as a Markdown table.
#
#   bash bench/zygote.sh [--runs R] [--requests N] [--concurrency C]
#
# The SAME static-PIE CPython 3.11 (build/apps/python, `make python`; built
# here when missing) runs apps/python/zygote.py natively and as
# `$UFORK run build/apps/python apps/python/zygote.py`; the client
# (apps/python/zygote_client.py, same binary, always native) sends N requests
# (default 400) over C connections at a time (default 4), one connection and
# one forked child per request, and checks every reply.  Modes alternate
# (native, ufork, native, ...) for R runs each (default 5), each run with a
# fresh zygote and 20 warm-up requests; the table gives the medians of
# functions/s and of the p99 latency, and ufork / native.  Higher functions/s
# is better (ratio > 1: ufork faster); lower p99 is better.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
UFORK=${UFORK:-$ROOT/build/ufork}
PY=$ROOT/build/apps/python
APP=$ROOT/apps/python
RUNS=5 N=400 C=4
while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --requests) N=$2; shift 2 ;;
    --concurrency) C=$2; shift 2 ;;
    *) echo "usage: bench/zygote.sh [--runs R] [--requests N] [--concurrency C]" >&2; exit 2 ;;
    esac
done
[ -x "$UFORK" ] || (cd "$ROOT" && make -s) || exit 1
[ -x "$PY" ] || (cd "$ROOT" && make -s python) || exit 1
export PYTHONHOME=$ROOT/build/apps/python3.11 PYTHONDONTWRITEBYTECODE=1
OUT=$ROOT/build/bench/zygote-last-run
rm -rf "$OUT"; mkdir -p "$OUT"

# one MODE I: a fresh zygote, warm-up, measured client run; prints "F P99"
one() {
    local mode=$1 i=$2 zp port= pre=()
    [ "$mode" = ufork ] && pre=("$UFORK" run --reloc-misaligned)
    timeout -k 2 300 "${pre[@]}" "$PY" "$APP/zygote.py" --port 0 </dev/null \
        >"$OUT/$mode.$i.zygote" 2>&1 &
    zp=$!
    for _ in $(seq 400); do
        port=$(awk '/^ready/ { print $2 }' "$OUT/$mode.$i.zygote")
        [ -n "$port" ] && break
        kill -0 "$zp" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$port" ] || { echo "zygote ($mode) did not start" >&2; cat "$OUT/$mode.$i.zygote" >&2; exit 1; }
    timeout 120 "$PY" "$APP/zygote_client.py" "$port" 20 "$C" >/dev/null 2>&1
    timeout 300 "$PY" "$APP/zygote_client.py" "$port" "$N" "$C" >"$OUT/$mode.$i.client" 2>&1 ||
        { echo "client ($mode) failed:" >&2; cat "$OUT/$mode.$i.client" >&2; }
    kill -TERM "$(pgrep -P "$zp" | head -n 1)" 2>/dev/null
    wait "$zp"
    awk '/^functions/ { print $2, $6 }' "$OUT/$mode.$i.client"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for i in $(seq "$RUNS"); do
    for mode in native ufork; do
        r=$(one "$mode" "$i")
        echo "run $i $mode: functions/s p99_ms = $r" >&2
        echo "$r" >>"$OUT/$mode.results"
    done
done
nf=$(cut -d' ' -f1 "$OUT/native.results" | median); np=$(cut -d' ' -f2 "$OUT/native.results" | median)
uf=$(cut -d' ' -f1 "$OUT/ufork.results" | median); up=$(cut -d' ' -f2 "$OUT/ufork.results" | median)
echo "Python zygote, $N requests, concurrency $C, medians of $RUNS runs ($(date -u +%F))"
echo
echo "| metric | native | ufork | ufork / native |"
echo "|---|---:|---:|---:|"
awk -v a="$nf" -v b="$uf" 'BEGIN { printf "| functions/s | %.1f | %.1f | %.2f |\n", a, b, b / a }'
awk -v a="$np" -v b="$up" 'BEGIN { printf "| p99 latency [ms] | %.2f | %.2f | %.2f |\n", a, b, b / a }'
