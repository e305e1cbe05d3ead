#!/usr/bin/env bash
# bench/run.sh: ufork benchmarks, native vs. ufork, as a Markdown table.
#
#   bash bench/run.sh [--quick] [--fast] [--runs N] [--timeout S] [--make] [-v]
#
# Builds bench/*.c with tools/ufork-cc into build/bench/, then runs every
# benchmark with the SAME static-PIE binary natively and as `$UFORK run ...`,
# alternating native and ufork runs, N times each.  Every program reports a
# median over its own rounds/iterations; the table shows the median of those
# over the N runs, and the ratio ufork/native.  A benchmark that fails (exit
# status, signal, timeout, e.g. fork() still answering ENOSYS) is shown as
# "n/a (reason)" and the script goes on; after the first failing run of a
# benchmark in one mode, its remaining runs in that mode are skipped.
#
# The table goes to stdout, progress to stderr:
#   bash bench/run.sh > results.md
#
# Options:
#   --quick      smoke run: 1 run each, few iterations (~10 s; full run:
#                ~3 min on 2 cores)
#   --fast       a third mode, `ufork run --fast-syscalls` (rewritten syscall
#                sites; needs root or vm.mmap_min_addr=0): extra columns
#   --runs N     runs per benchmark and mode (default 3; --quick: 1)
#   --timeout S  seconds allowed per run (default 60; --quick: 30)
#   --make       run `make -s` first (default: only when build/ufork is
#                missing; a stale build/ufork is used, with a warning)
#   -v           also print every run's value under the table
#
# Environment:
#   UFORK        runtime binary (default: build/ufork; --make does not apply
#                to an explicit UFORK).  For testing this script natively,
#                a shim works: printf '#!/bin/sh\nshift; exec "$@"\n' > shim
#
# The benchmarks (see the comment at the top of each file):
#   syscall.c   ns per trivial syscall: getppid (emulated by ufork), getuid
#               and read(-1) EBADF (forwarded), clock_gettime (vDSO natively)
#   empty.c     start-to-exit of `int main(){return 0;}`, timed from outside
#               by timeit.c (posix_spawn + waitpid)
#   fork.c      fork latency with 0/1M/16M/128M of dirty heap: fork+exit+wait,
#               and until fork returns in the parent
#   spawn.c     Unixbench-style: 1000 x (fork, child exits, parent waits)
#   context1.c  Unixbench-style: pipe ping-pong between two processes to 100,000
#   forkmem.c   MemAvailable drop per idle forked child (200 children), with
#               0 and 1 MB of dirty parent heap; system-wide, so noisy on a
#               busy machine (see forkmem.c)
# Raw output of every run is left in build/bench/last-run/.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CMDLINE=$(printf '%q ' "$0" "$@")
CMDLINE=${CMDLINE% }
[ -n "${UFORK+x}" ] && CMDLINE="UFORK=$(printf '%q' "$UFORK") $CMDLINE"

usage() { sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

quick=0 fast=0 runs='' timeout_s='' do_make=0 verbose=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --fast) fast=1 ;;
        --runs) runs=${2:-}; shift ;;
        --runs=*) runs=${1#*=} ;;
        --timeout) timeout_s=${2:-}; shift ;;
        --timeout=*) timeout_s=${1#*=} ;;
        --make) do_make=1 ;;
        -v) verbose=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ $quick = 1 ]; then
    : "${runs:=1}" "${timeout_s:=30}"
else
    : "${runs:=3}" "${timeout_s:=60}"
fi
case $runs in ''|*[!0-9]*|0) echo "run.sh: --runs wants a positive integer" >&2; exit 2 ;; esac
case $timeout_s in ''|*[!0-9]*|0) echo "run.sh: --timeout wants a positive integer" >&2; exit 2 ;; esac

# Parameters.  Full run: about 2 minutes natively + ufork on 2 cores.
if [ $quick = 1 ]; then
    SYSCALL_N=20000 SYSCALL_ROUNDS=3
    START_K=10
    FORK_N_SMALL=20 FORK_N_BIG=3
    SPAWN_COUNT=100
    CONTEXT1_COUNT=10000
    FORKMEM_C=50 FORKMEM_SETTLE=300 FORKMEM_ROUNDS=1
else
    SYSCALL_N=200000 SYSCALL_ROUNDS=5
    START_K=50
    FORK_N_SMALL=200 FORK_N_BIG=20
    SPAWN_COUNT=1000
    CONTEXT1_COUNT=100000
    FORKMEM_C=200 FORKMEM_SETTLE=1000 FORKMEM_ROUNDS=3
fi

log() { echo "run.sh: $*" >&2; }

# --- the runtime ----------------------------------------------------------
stale=
if [ -z "${UFORK+x}" ]; then
    UFORK=$ROOT/build/ufork
    if [ $do_make = 1 ] || [ ! -x "$UFORK" ]; then
        log "make -s (runtime)"
        make -s -C "$ROOT" >&2 || log "warning: make failed"
    elif ! make -q -C "$ROOT" >/dev/null 2>&1; then
        stale=1
        log "warning: $UFORK is older than its sources (run make, or use --make)"
    fi
fi
case $UFORK in
    /*) ;;
    */*) UFORK=$PWD/$UFORK ;;
    *) UFORK=$(command -v "$UFORK" || echo "$PWD/$UFORK") ;;
esac
ufork_ok=1
if [ ! -x "$UFORK" ]; then
    log "warning: $UFORK is not executable; every ufork column will be n/a"
    ufork_ok=0
fi

# --- build ----------------------------------------------------------------
BIN=$ROOT/build/bench
OUT=$BIN/last-run
mkdir -p "$BIN"
rm -rf "$OUT"
mkdir -p "$OUT"
log "building bench/*.c into build/bench/"
for p in syscall empty timeit fork spawn context1 forkmem; do
    "$ROOT/tools/ufork-cc" -O2 -Wall -Wextra -o "$BIN/$p" "$ROOT/bench/$p.c" || {
        log "error: cannot build bench/$p.c (scripts/deps.sh checks the toolchain)"
        exit 1
    }
done

# --- running --------------------------------------------------------------
# Why the run whose stdout/stderr are $1/$2 failed with status $3: one line.
reason() {
    local out=$1 err=$2 rc=$3 msg
    if [ "$rc" -eq 124 ]; then
        msg="timeout after ${timeout_s}s"
    else
        msg=$(grep -v '^[[:space:]]*$' "$err" | tail -n 1)
        [ -z "$msg" ] && msg=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1)
        # timeit reports a failed run after the program's own last words:
        # "ufork: why (timeit: ...: exit status N)"
        local prev
        prev=$(grep -v '^[[:space:]]*$' "$err" | tail -n 2 | head -n 1)
        case $msg in
            "timeit: "*) [ -n "$prev" ] && [ "$prev" != "$msg" ] && msg="$prev (${msg#timeit: })" ;;
        esac
        if [ "$rc" -gt 128 ]; then
            local sig
            sig=$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))
            msg="killed by SIG$sig${msg:+: $msg}"
        elif [ -z "$msg" ]; then
            msg="exit status $rc"
        fi
    fi
    msg=${msg//|//}
    [ ${#msg} -gt 80 ] && msg="${msg:0:77}..."
    printf '%s\n' "$msg"
}

# run_bench ID [--timeit K] PROGRAM ARGS...
# Runs build/bench/PROGRAM ARGS natively and under ufork (and ufork
# --fast-syscalls with --fast), $runs times each, alternating.  Run i of mode M leaves $OUT/ID.M.i (stdout) and .err; a failed
# mode leaves $OUT/ID.M.fail with the reason.
run_bench() {
    local id=$1; shift
    local pre=()
    if [ "$1" = --timeit ]; then
        pre=("$BIN/timeit" "$2"); shift 2
    fi
    local prog=$BIN/$1; shift
    local i mode rc f
    for ((i = 1; i <= runs; i++)); do
        for mode in $MODES; do
            [ -e "$OUT/$id.$mode.fail" ] && continue
            if [ $mode != native ] && [ $ufork_ok = 0 ]; then
                echo "no runtime at $UFORK" >"$OUT/$id.$mode.fail"
                continue
            fi
            f=$OUT/$id.$mode.$i
            log "$id: $mode run $i/$runs"
            # (the outer 2>/dev/null only silences bash's "Segmentation fault"
            # job report; the run's own stderr goes to $f.err)
            if [ $mode = native ]; then
                { timeout -k 5 "$timeout_s" ${pre[@]+"${pre[@]}"} "$prog" "$@" >"$f" 2>"$f.err"; } 2>/dev/null
            elif [ $mode = fast ]; then
                { timeout -k 5 "$timeout_s" ${pre[@]+"${pre[@]}"} "$UFORK" run --fast-syscalls "$prog" "$@" >"$f" 2>"$f.err"; } 2>/dev/null
            else
                { timeout -k 5 "$timeout_s" ${pre[@]+"${pre[@]}"} "$UFORK" run "$prog" "$@" >"$f" 2>"$f.err"; } 2>/dev/null
            fi
            rc=$?
            if [ $rc -ne 0 ]; then
                reason "$f" "$f.err" $rc >"$OUT/$id.$mode.fail"
                log "$id: $mode failed: $(cat "$OUT/$id.$mode.fail")"
                mv "$f" "$f.failed"
            fi
        done
    done
}

# values ID MODE KEY: the KEY value of every successful run, one a line.
values() {
    local f
    for f in "$OUT/$1.$2".[0-9]*; do
        case $f in *.err|*.failed) continue ;; esac
        [ -f "$f" ] && awk -v k="$3" '$1 == k { print $2 }' "$f"
    done
}

median() { sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit 1
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    print m }'; }

fmt() { awk -v v="$1" 'BEGIN { a = v < 0 ? -v : v
    if (a >= 100) printf "%.0f", v; else if (a >= 10) printf "%.1f", v
    else if (a >= 1) printf "%.2f", v; else printf "%.3f", v }'; }

# cell ID MODE KEY: sets CELL (text) and VAL (number, or empty).
cell() {
    VAL='' CELL=''
    if [ -e "$OUT/$1.$2.fail" ] && [ -z "$(values "$1" "$2" "$3")" ]; then
        CELL="n/a ($(cat "$OUT/$1.$2.fail"))"
        return
    fi
    if ! VAL=$(values "$1" "$2" "$3" | median); then
        VAL='' CELL="n/a (no $3 in output)"
        return
    fi
    CELL=$(fmt "$VAL")
    if [ -e "$OUT/$1.$2.fail" ]; then   # some runs passed, a later one failed
        CELL="$CELL (a later run failed: $(cat "$OUT/$1.$2.fail"))"
    fi
}

MODES="native ufork"
[ $fast = 1 ] && MODES="native ufork fast"
ROWS=()
row() { ROWS+=("$1"$'\t'"$2"$'\t'"$3"); }   # LABEL ID KEY

t_start=$(date +%s)
start_date=$(date '+%Y-%m-%d %H:%M:%S %z')

run_bench syscall syscall "$SYSCALL_N" "$SYSCALL_ROUNDS"
row "syscall(SYS_getppid), emulated [ns/call]" syscall getppid_ns
row "syscall(SYS_getuid), forwarded [ns/call]" syscall getuid_ns
row "syscall(SYS_read, -1, NULL, 0) = EBADF, forwarded [ns/call]" syscall read_ebadf_ns
row "clock_gettime(CLOCK_MONOTONIC) (native: vDSO) [ns/call]" syscall clock_gettime_ns

run_bench start --timeit "$START_K" empty
row "start-to-exit, empty program, median of $START_K [ms]" start start_ms

for size in 0 1M 16M 128M; do
    n=$FORK_N_SMALL
    [ $size = 128M ] && n=$FORK_N_BIG
    run_bench "fork$size" fork "$size" "$n"
    case $size in 0) h="0 B" ;; *M) h="${size%M} MB" ;; *) h=$size ;; esac
    row "fork+_exit+waitpid, $h dirty heap, median of $n [µs]" "fork$size" fork_wait_us
    row "fork until it returns in parent, $h dirty heap [µs]" "fork$size" fork_return_us
done

run_bench spawn spawn "$SPAWN_COUNT"
row "spawn: $SPAWN_COUNT × (fork, child exits, wait), total [ms]" spawn spawn_total_ms
row "spawn: per iteration [µs]" spawn spawn_per_iter_us

run_bench context1 context1 "$CONTEXT1_COUNT"
row "context1: pipe ping-pong to $CONTEXT1_COUNT, total [ms]" context1 context1_total_ms
row "context1: per round trip (2 switches) [µs]" context1 context1_roundtrip_us

run_bench forkmem forkmem "$FORKMEM_C" 0 "$FORKMEM_SETTLE" "$FORKMEM_ROUNDS"
row "memory per idle forked child ($FORKMEM_C children) [kB]" forkmem forkmem_kb_per_child
run_bench forkmem1M forkmem "$FORKMEM_C" 1M "$FORKMEM_SETTLE" "$FORKMEM_ROUNDS"
row "memory per idle forked child, parent has 1 MB dirty heap [kB]" forkmem1M forkmem_kb_per_child

t_end=$(date +%s)

# --- report ---------------------------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
[ -z "$cpu" ] && cpu=$(uname -m)
if [ $ufork_ok = 1 ]; then
    ver=$("$UFORK" --version 2>/dev/null | head -n 1)
else
    ver="missing"
fi
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)
if [ -n "$rev" ] && [ -n "$(git -C "$ROOT" status --porcelain -- src Makefile 2>/dev/null)" ]; then
    rev="$rev, src/ or Makefile modified"
fi

echo "# ufork benchmarks"
echo
echo "- command: \`$CMDLINE\`"
echo "- date: $start_date (start)"
echo "- kernel: $(uname -r)"
echo "- CPU: $cpu ($(nproc) CPUs online)"
echo "- runtime: $UFORK (${ver:-unknown version}${rev:+; git $rev}${stale:+; OLDER THAN ITS SOURCES})"
echo "- $runs run(s) per benchmark and mode, alternating ${MODES// //};" \
     "each cell is the median over runs of the program's own median;" \
     "took $((t_end - t_start)) s"
echo
ratio() { # ratio NATIVE OTHER
    if [ -z "$1" ] || [ -z "$2" ]; then echo "n/a"; return; fi
    awk -v n="$1" -v u="$2" 'BEGIN {
        if (n <= 0) { print "n/a"; exit }
        r = u / n; printf (r >= 10 ? "%.1f" : "%.2f"), r }'
}
if [ $fast = 1 ]; then
    echo "| benchmark | native median | ufork median | ratio (ufork/native) | ufork --fast-syscalls median | ratio (fast/native) |"
    echo "|---|---:|---:|---:|---:|---:|"
else
    echo "| benchmark | native median | ufork median | ratio (ufork/native) |"
    echo "|---|---:|---:|---:|"
fi
for r in "${ROWS[@]}"; do
    IFS=$'\t' read -r label id key <<<"$r"
    cell "$id" native "$key"; ncell=$CELL nval=$VAL
    cell "$id" ufork "$key"; ucell=$CELL uval=$VAL
    if [ $fast = 1 ]; then
        cell "$id" fast "$key"
        echo "| $label | $ncell | $ucell | $(ratio "$nval" "$uval") | $CELL | $(ratio "$nval" "$VAL") |"
    else
        echo "| $label | $ncell | $ucell | $(ratio "$nval" "$uval") |"
    fi
done

if [ $verbose = 1 ]; then
    echo
    echo "Per-run values (native / ufork):"
    echo
    for r in "${ROWS[@]}"; do
        IFS=$'\t' read -r label id key <<<"$r"
        echo "- $label: $(values "$id" native "$key" | tr '\n' ' ')/ $(values "$id" ufork "$key" | tr '\n' ' ')"
        [ $fast = 1 ] && echo "  (fast: $(values "$id" fast "$key" | tr '\n' ' '))"
    done
fi
echo
echo "Raw output of every run: build/bench/last-run/"
