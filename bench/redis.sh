#!/usr/bin/env bash
# bench/redis.sh: Redis BGSAVE, native vs. ufork, as a Markdown table.
#
#   bash bench/redis.sh [--sizes "0 1 10 100"] [--requests N] [-v]
#
# The SAME static-PIE Redis 7 binaries (build/apps/, `make redis`; built
# here when missing) run natively and as `$UFORK run --stats redis-server`;
# our redis-cli/redis-benchmark run natively as clients.  For every dataset
# size (MB of 100,000-byte values of random bytes: 1 MB = 10 values,
# 100 MB = 1,000; loaded with SET through redis-cli --pipe) a fresh server
# is started in each mode (native first, then ufork), with
#   --port P --bind 127.0.0.1 --save "" --appendonly no --dir D
#   --enable-debug-command local --hz 500
# (hz 500: serverCron reaps the save child within 2 ms, so the end of a save
# is seen without the default 100 ms granularity), and measured:
#   fork             INFO stats latest_fork_usec; median of 3 BGSAVEs
#   save time        wall time from sending BGSAVE until INFO persistence
#                    says rdb_bgsave_in_progress:0 (one connection, polled
#                    every ~1 ms); median of the same 3 BGSAVEs
#   parent RSS       INFO memory used_memory_rss of the loaded server
#                    (Redis reads /proc/self/stat; under ufork that file is
#                    generated per µprocess)
#   child private    rdb_last_cow_size: the child's own Private_Dirty total
#                    from /proc/self/smaps at the end of its save (under
#                    ufork: generated per µprocess = its whole copy; natively:
#                    the pages it really owns)
#   child RSS        native: peak VmRSS of the child process (shared pages
#                    included), sampled from outside every ~1 ms during a
#                    4th BGSAVE slowed down with CONFIG SET
#                    rdb-key-save-delay (~300 ms in all; only the child
#                    sleeps); ufork: bytes copied into the child at fork
#                    (`ufork run --stats`): there is no per-µprocess RSS
#                    visible from outside (the runtime is one host process,
#                    and freed slots of small children are kept populated
#                    for reuse, so slot residency does not isolate one child)
#   footprint        peak resident memory of parent + child during that 4th
#                    save, from outside: native: server VmRSS + child's
#                    Private_Clean+Private_Dirty (smaps_rollup); ufork: the
#                    runtime process's VmRSS (all µprocesses, the runtime,
#                    and cached slots)
#   GET/SET          redis-benchmark -t set,get -n N -r 100000 (50 clients,
#                    3-byte values) [requests/s], on an idle server and while
#                    BGSAVEs run back to back (a poller re-issues BGSAVE
#                    within ~1 ms of the previous one ending; the share of
#                    polls that saw a save in progress is printed)
# Ratios are ufork / native.  One run each (medians of 3 for the saves);
# machines are noisy: compare ratios within one run.  A full run takes about
# 4 minutes on 2 cores; the table goes to stdout, progress to stderr; raw
# output (server logs, --stats, redis-benchmark output) is left in
# build/bench/redis-last-run/.
#
# Options:
#   --sizes "LIST"   dataset sizes in MB (default "0 1 10 100")
#   --requests N     redis-benchmark requests per test (default 100000)
#   -v               print every measured value under the table
#
# Environment:
#   UFORK            runtime binary (default: build/ufork; made if missing)
#   UFORK_RUN_FLAGS  more options for `ufork run`, e.g. --fast-syscalls
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CMDLINE=$(printf '%q ' "$0" "$@")
CMDLINE=${CMDLINE% }
[ -n "${UFORK+x}" ] && CMDLINE="UFORK=$(printf '%q' "$UFORK") $CMDLINE"
[ -n "${UFORK_RUN_FLAGS:-}" ] && CMDLINE="UFORK_RUN_FLAGS=$(printf '%q' "$UFORK_RUN_FLAGS") $CMDLINE"

usage() { sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

SIZES="0 1 10 100" REQUESTS=100000 verbose=0
while [ $# -gt 0 ]; do
    case $1 in
        --sizes) SIZES=${2:-}; shift ;;
        --sizes=*) SIZES=${1#*=} ;;
        --requests) REQUESTS=${2:-}; shift ;;
        --requests=*) REQUESTS=${1#*=} ;;
        -v) verbose=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "redis.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for s in $SIZES; do
    case $s in ''|*[!0-9]*) echo "redis.sh: --sizes wants MB as integers" >&2; exit 2 ;; esac
    [ "$s" -le 1000 ] || { echo "redis.sh: sizes up to 1000 MB" >&2; exit 2; }
done
case $REQUESTS in ''|*[!0-9]*|0) echo "redis.sh: --requests wants a positive integer" >&2; exit 2 ;; esac

log() { echo "redis.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# --- binaries -------------------------------------------------------------
if [ -z "${UFORK+x}" ]; then
    UFORK=$ROOT/build/ufork
    [ -x "$UFORK" ] || { log "make -s (runtime)"; make -s -C "$ROOT" >&2 || die "make failed"; }
fi
case $UFORK in /*) ;; *) UFORK=$PWD/$UFORK ;; esac
[ -x "$UFORK" ] || die "no runtime at $UFORK"
APPS=$ROOT/build/apps
SERVER=$APPS/redis-server CLI=$APPS/redis-cli BENCH=$APPS/redis-benchmark
if [ ! -x "$SERVER" ] || [ ! -x "$CLI" ] || [ ! -x "$BENCH" ]; then
    log "make -s redis"
    make -s -C "$ROOT" redis >&2 || die "make redis failed"
fi
for t in timeout pgrep awk; do command -v "$t" >/dev/null || die "'$t' not installed"; done

OUT=$ROOT/build/bench/redis-last-run
rm -rf "$OUT"
mkdir -p "$OUT"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/ufork-redis-bench.XXXXXX")
RES=$OUT/results.txt    # lines: SIZE MODE KEY VALUE
: >"$RES"

# PIDS, tree, kill_jobs, pick_port
# shellcheck source-path=SCRIPTDIR source=../scripts/jobs.bash
. "$ROOT/scripts/jobs.bash"
cleanup() { kill_jobs; rm -rf "$SCRATCH"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

mkfifo "$SCRATCH/sleep"
exec {SLEEPFD}<>"$SCRATCH/sleep"
msleep() { read -r -t "$1" -u "$SLEEPFD" _; }   # sleep without a fork

rc() { local p=$1; shift; timeout 30 "$CLI" -h 127.0.0.1 -p "$p" "$@" 2>&1 | tr -d '\r'; }
field() { rc "$1" info "$2" | sed -n "s/^$3://p"; }

# A RESP connection from bash (fd $RFD): resp CMD... sends an inline
# command, leaves the reply (status, integer or bulk) in $R.
resp_open() { exec {RFD}<>"/dev/tcp/127.0.0.1/$1"; }
resp_close() { exec {RFD}>&-; }
resp() {
    local line n body
    printf '%s\r\n' "$*" >&"$RFD"
    IFS= read -r -t 30 -u "$RFD" line || { R="(no reply)"; return 1; }
    line=${line%$'\r'}
    case $line in
        '$-1') R= ;;
        '$'*) n=${line#$}; IFS= read -r -N $((n + 2)) -t 30 -u "$RFD" body; R=${body%$'\r\n'} ;;
        *) R=${line#?} ;;
    esac
}
# resp_field SECTION NAME: one INFO field over the connection, in $F
resp_field() { resp INFO "$1"; F=${R#*$'\n'"$2":}; F=${F%%$'\r'*}; }

record() { echo "$1 $2 $3 $4" >>"$RES"; }   # SIZE MODE KEY VALUE

# --- data: SET commands of 100,000 random bytes, fixed length each ------------
NVALS=10
for s in $SIZES; do [ $((s * 10)) -gt "$NVALS" ] && NVALS=$((s * 10)); done
log "generating $NVALS x 100,000 random bytes"
exec 3</dev/urandom
for i in $(seq 0 $((NVALS - 1))); do
    printf '*3\r\n$3\r\nSET\r\n$9\r\nval:%05d\r\n$100000\r\n' "$i"
    head -c 100000 <&3
    printf '\r\n'
done >"$SCRATCH/data.resp"
exec 3<&-
CMDLEN=$(($(stat -c %s "$SCRATCH/data.resp") / NVALS))

# --- one server, one mode, one size --------------------------------------------
# start MODE SIZE: sets PORT, SPID (the server: native redis-server or
# ufork run) and WHO (native: the server; ufork: the runtime process)
start() {
    local mode=$1 size=$2 dir=$SCRATCH/$1-$2 i
    mkdir -p "$dir"
    PORT=$(pick_port) || die "no free port"
    local args=(--port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir"
        --enable-debug-command local --hz 500)
    if [ "$mode" = native ]; then
        "$SERVER" "${args[@]}" </dev/null >"$OUT/$size.$mode.log" 2>&1 &
    else
        "$UFORK" run --stats ${UFORK_RUN_FLAGS:-} "$SERVER" "${args[@]}" </dev/null >"$OUT/$size.$mode.log" 2>"$OUT/$size.$mode.stats" &
    fi
    SPID=$!
    PIDS+=("$SPID")
    for i in $(seq 100); do
        [ "$(rc "$PORT" ping)" = PONG ] && break
        kill -0 "$SPID" 2>/dev/null || break
        msleep 0.1
    done
    [ "$(rc "$PORT" ping)" = PONG ] || { tail -n 5 "$OUT/$size.$mode.log" >&2; die "$mode $size MB: the server did not start"; }
    WHO=$SPID
    if [ "$mode" = ufork ]; then
        WHO=$(pgrep -P "$SPID" | head -n 1)
        [ -n "$WHO" ] || die "no runtime process under ufork run"
    fi
}
stop() {
    local i
    rc "$PORT" shutdown nosave >/dev/null
    for i in $(seq 200); do kill -0 "$SPID" 2>/dev/null || break; msleep 0.05; done
    kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
}

# vmrss PID: VmRSS in kB (builtins only)
vmrss() {
    local k v _u
    while read -r k v _u; do [ "$k" = VmRSS: ] && { echo "$v"; return; }; done 2>/dev/null <"/proc/$1/status"
    echo 0
}
# private PID: Private_Clean + Private_Dirty in kB
private() {
    local k v _u s=0
    while read -r k v _u; do
        case $k in Private_Clean:|Private_Dirty:) s=$((s + v)) ;; esac
    done 2>/dev/null <"/proc/$1/smaps_rollup"
    echo "$s"
}

# one_save: BGSAVE over the open connection, poll until done; sets SAVE_US
one_save() {
    local t0 t1 i
    t0=${EPOCHREALTIME/./}
    resp BGSAVE
    [ "$R" = "Background saving started" ] || die "BGSAVE: $R"
    for ((i = 0; i < 600000; i++)); do
        resp_field persistence rdb_bgsave_in_progress
        [ "$F" = 0 ] && break
        msleep 0.001
        [ $((${EPOCHREALTIME/./} - t0)) -lt 120000000 ] || die "save did not end in 120 s"
    done
    t1=${EPOCHREALTIME/./}
    SAVE_US=$((t1 - t0))
    resp_field persistence rdb_last_bgsave_status
    [ "$F" = ok ] || die "rdb_last_bgsave_status:$F"
}

# measure MODE SIZE
measure() {
    local mode=$1 size=$2 n=$(($2 * 10)) i
    log "$size MB, $mode: start, load $n values"
    start "$mode" "$size"
    if [ "$n" -gt 0 ]; then
        head -c $((n * CMDLEN)) "$SCRATCH/data.resp" | rc "$PORT" --pipe >"$OUT/$size.$mode.load" 2>&1
        grep -q "errors: 0, replies: $n" "$OUT/$size.$mode.load" || die "$mode $size MB: loading failed: $(tail -n 1 "$OUT/$size.$mode.load")"
    fi
    [ "$(rc "$PORT" dbsize)" = "$n" ] || die "$mode $size MB: dbsize $(rc "$PORT" dbsize), want $n"
    msleep 0.5
    record "$size" "$mode" used_memory_mb "$(awk -v b="$(field "$PORT" memory used_memory)" 'BEGIN { print b / 1e6 }')"
    record "$size" "$mode" parent_rss_mb "$(awk -v b="$(field "$PORT" memory used_memory_rss)" 'BEGIN { print b / 1e6 }')"

    # 3 timed saves
    resp_open "$PORT"
    local saves=() forks=()
    for i in 1 2 3; do
        one_save
        resp_field stats latest_fork_usec
        saves+=("$SAVE_US") forks+=("$F")
        record "$size" "$mode" save_ms_run "$(awk -v u="$SAVE_US" 'BEGIN { print u / 1000 }')"
        record "$size" "$mode" fork_us_run "$F"
    done
    log "$size MB, $mode: fork ${forks[*]} us, save ${saves[*]} us"

    # 4th save, slowed (child only), memory sampled from outside
    local delay=0 before peak_child=0 peak_priv=0 peak_foot=0 samples=0 seen=0 ch rss pr foot
    [ "$n" -gt 0 ] && delay=$((300000 / n))
    resp CONFIG SET rdb-key-save-delay "$delay"
    before=$(vmrss "$WHO")
    resp BGSAVE
    for ((i = 0; i < 100000; i++)); do
        samples=$((samples + 1))
        if [ "$mode" = native ]; then
            ch=
            read -r ch _ 2>/dev/null <"/proc/$SPID/task/$SPID/children"
            if [ -n "$ch" ]; then
                seen=$((seen + 1))
                rss=$(vmrss "$ch") pr=$(private "$ch")
                [ "$rss" -gt "$peak_child" ] && peak_child=$rss
                [ "$pr" -gt "$peak_priv" ] && peak_priv=$pr
                foot=$(($(vmrss "$SPID") + pr))
                [ "$foot" -gt "$peak_foot" ] && peak_foot=$foot
            fi
        else
            foot=$(vmrss "$WHO")
            [ "$foot" -gt "$peak_foot" ] && peak_foot=$foot
        fi
        resp_field persistence rdb_bgsave_in_progress
        [ "$F" = 0 ] && break
        msleep 0.001
    done
    resp CONFIG SET rdb-key-save-delay 0
    resp_field persistence rdb_last_cow_size
    record "$size" "$mode" child_private_mb "$(awk -v b="$F" 'BEGIN { print b / 1e6 }')"
    if [ "$mode" = native ]; then
        if [ "$seen" -gt 0 ]; then
            record "$size" "$mode" child_rss_mb "$(awk -v k="$peak_child" 'BEGIN { print k * 1024 / 1e6 }')"
            record "$size" "$mode" footprint_mb "$(awk -v k="$peak_foot" 'BEGIN { print k * 1024 / 1e6 }')"
        else
            record "$size" "$mode" child_rss_mb "n/a(save_too_short_to_sample)"
            record "$size" "$mode" footprint_mb "n/a(save_too_short_to_sample)"
        fi
    else
        record "$size" "$mode" footprint_mb "$(awk -v k="$peak_foot" 'BEGIN { print k * 1024 / 1e6 }')"
        record "$size" "$mode" runtime_rss_before_mb "$(awk -v k="$before" 'BEGIN { print k * 1024 / 1e6 }')"
    fi
    if [ "$mode" = native ]; then
        log "$size MB, $mode: memory: $samples samples, child seen in $seen"
    else
        log "$size MB, $mode: memory: $samples samples, runtime VmRSS $before kB before, peak $peak_foot kB"
    fi
    # the 4th save's child pid, for --stats
    SAVE4_PID=$(sed -n 's/.*Background saving started by pid \([0-9]*\).*/\1/p' "$OUT/$size.$mode.log" | tail -n 1)
    resp_close

    # throughput, idle
    log "$size MB, $mode: redis-benchmark, idle"
    bench "$size" "$mode" idle
    # throughput, saves back to back
    log "$size MB, $mode: redis-benchmark, saves back to back"
    rm -f "$SCRATCH/stop"
    saver "$PORT" >"$SCRATCH/saver.out" &
    local sp=$!
    PIDS+=("$sp")
    bench "$size" "$mode" saving
    : >"$SCRATCH/stop"
    wait "$sp"
    local polls busy started
    read -r polls busy started <"$SCRATCH/saver.out"
    record "$size" "$mode" saves_during_bench "${started:-0}"
    record "$size" "$mode" save_busy_pct "$(awk -v p="${polls:-0}" -v b="${busy:-0}" 'BEGIN { print p ? 100 * b / p : 0 }')"
    rc "$PORT" info persistence | grep -q '^rdb_last_bgsave_status:ok' || die "$mode $size MB: a save failed during the benchmark"
    stop
    if [ "$mode" = ufork ] && [ -n "$SAVE4_PID" ]; then
        local line
        line=$(grep -E "fork [0-9]+->$SAVE4_PID:" "$OUT/$size.$mode.stats" | tail -n 1)
        if [ -n "$line" ]; then
            record "$size" "$mode" child_rss_mb "$(echo "$line" | awk '{ for (i = 1; i <= NF; i++) if ($i == "copied") print $(i + 1) / 1e6 }')"
            record "$size" "$mode" copy_us "$(echo "$line" | sed -n 's/.*copy+relocate \([0-9]*\) us.*/\1/p')"
            record "$size" "$mode" reloc_words "$(echo "$line" | sed -n 's/.*relocated \([0-9]*\) words.*/\1/p')"
        fi
    fi
}

# saver PORT: until $SCRATCH/stop exists (at most 150 s, 150,000 polls), keep
# a BGSAVE running; prints "polls busy_polls saves_started"
saver() {
    local polls=0 busy=0 started=0 t0=$SECONDS
    resp_open "$1"
    while [ ! -e "$SCRATCH/stop" ] && [ $polls -lt 150000 ] && [ $((SECONDS - t0)) -lt 150 ]; do
        polls=$((polls + 1))
        resp_field persistence rdb_bgsave_in_progress
        if [ "$F" = 0 ]; then
            resp BGSAVE
            [ "$R" = "Background saving started" ] && started=$((started + 1))
        else
            busy=$((busy + 1))
        fi
        msleep 0.001
    done
    resp_close
    echo "$polls $busy $started"
}

# bench SIZE MODE TAG: GET and SET requests/s
bench() {
    local f=$OUT/$1.$2.bench-$3 t
    timeout 120 "$BENCH" -h 127.0.0.1 -p "$PORT" -t set,get -n "$REQUESTS" -r 100000 -q \
        </dev/null 2>&1 | tr '\r' '\n' >"$f"
    for t in SET GET; do
        record "$1" "$2" "${t,,}_rps_$3" "$(sed -n "s/^$t: \([0-9.]*\) requests per second.*/\1/p" "$f" | tail -n 1)"
    done
}

t_start=$(date +%s)
start_date=$(date '+%Y-%m-%d %H:%M:%S %z')
for size in $SIZES; do
    for mode in native ufork; do
        measure "$mode" "$size"
    done
done
t_end=$(date +%s)

# --- report -------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1
    print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fmt() { awk -v v="$1" 'BEGIN { a = v < 0 ? -v : v
    if (a >= 100) printf "%.0f", v; else if (a >= 10) printf "%.1f", v
    else if (a >= 1) printf "%.2f", v; else printf "%.3f", v }'; }
# get SIZE MODE KEY: the value (median when several), or "n/a..."
get() {
    awk -v s="$1" -v m="$2" -v k="$3" '$1 == s && $2 == m && $3 == k { print $4 }' "$RES" | {
        local v
        v=$(cat)
        case $v in
            '') echo "n/a" ;;
            n/a*) echo "${v//_/ }" ;;
            *) echo "$v" | median ;;
        esac
    }
}

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
ver=$("$UFORK" --version 2>/dev/null | head -n 1)
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)
if [ -n "$rev" ] && [ -n "$(git -C "$ROOT" status --porcelain -- src Makefile 2>/dev/null)" ]; then
    rev="$rev, src/ or Makefile modified"
fi
echo "# Redis BGSAVE: native vs. ufork"
echo
echo "- command: \`$CMDLINE\`"
echo "- date: $start_date (start)"
echo "- kernel: $(uname -r)"
echo "- CPU: ${cpu:-$(uname -m)} ($(nproc) CPUs online)"
echo "- runtime: $UFORK (${ver:-unknown version}${rev:+; git $rev})"
echo "- Redis: $("$SERVER" --version | head -n 1)"
echo "- datasets of 100,000-byte random values (1 MB = 10 keys); fork and save time: median of 3 BGSAVEs; redis-benchmark -n $REQUESTS -r 100000 -t set,get (50 clients); took $((t_end - t_start)) s"
echo
echo "| dataset | measure | native | ufork | ratio (ufork/native) |"
echo "|---|---|---:|---:|---:|"
ROWS=(
    "fork_us_run|fork: latest_fork_usec [µs]"
    "save_ms_run|save: BGSAVE until rdb_bgsave_in_progress:0 [ms]"
    "used_memory_mb|used_memory (dataset + overhead) [MB]"
    "parent_rss_mb|parent RSS: used_memory_rss [MB]"
    "child_private_mb|child private memory: rdb_last_cow_size [MB]"
    "child_rss_mb|child RSS: native peak VmRSS; ufork bytes copied at fork [MB]"
    "footprint_mb|parent + child resident during a save, peak [MB]"
    "copy_us|ufork: copy+relocate of that fork (--stats) [µs]"
    "set_rps_idle|SET, no save [req/s]"
    "get_rps_idle|GET, no save [req/s]"
    "set_rps_saving|SET, BGSAVEs back to back [req/s]"
    "get_rps_saving|GET, BGSAVEs back to back [req/s]"
    "saves_during_bench|saves started during those two runs"
    "save_busy_pct|share of polls with a save in progress [%]"
)
for size in $SIZES; do
    for r in "${ROWS[@]}"; do
        key=${r%%|*} label=${r#*|}
        nv=$(get "$size" native "$key") uv=$(get "$size" ufork "$key")
        [ "$key" = copy_us ] && nv="-"
        ratio=n/a
        case "$nv|$uv" in
            n/a*|-\|*|*\|n/a*) ;;
            *) ratio=$(awk -v n="$nv" -v u="$uv" 'BEGIN { if (n <= 0) { print "n/a"; exit }
                r = u / n; printf (r >= 10 ? "%.1f" : "%.2f"), r }') ;;
        esac
        case $nv in n/a*|-) nc=$nv ;; *) nc=$(fmt "$nv") ;; esac
        case $uv in n/a*|-) uc=$uv ;; *) uc=$(fmt "$uv") ;; esac
        echo "| $size MB | $label | $nc | $uc | $ratio |"
    done
done
echo
echo "Notes:"
echo
echo "- child RSS: natively the child's VmRSS (pages shared with the parent included);"
echo "  under ufork the bytes copied into the child at fork (\`ufork run --stats\`): the"
echo "  runtime is one host process, so no per-µprocess RSS is visible from outside, and"
echo "  freed slots of small children stay populated for reuse, so slot residency does"
echo "  not isolate one child."
echo "- child private memory under ufork comes from ufork's generated /proc/self/smaps"
echo "  (Private_Dirty of the child's copied memory; the text mapped from the shared"
echo "  image counts as Shared_Clean): with full copy it is everything copied at fork."
echo "- footprint under ufork is the runtime's VmRSS: parent, child, cached slots and"
echo "  the runtime itself."
if [ $verbose = 1 ]; then
    echo
    echo "Every value (SIZE MODE KEY VALUE):"
    echo
    sed 's/^/    /' "$RES"
fi
echo
echo "Raw output: build/bench/redis-last-run/"
