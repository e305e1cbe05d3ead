#!/usr/bin/env bash
# Redis 7 (static-PIE, MALLOC=libc, `make redis`) under ufork: BGSAVE and
# BGREWRITEAOF fork a child that writes a snapshot while the parent serves
# clients.  The server runs as
#   ufork run build/apps/redis-server --port P --bind 127.0.0.1 --save "" --dir D --enable-debug-command local
# and our own redis-cli and redis-check-rdb run natively as tools; every
# snapshot is loaded by a NATIVE redis-server (same binary) and compared.
#   1. data: strings, integers, hashes, lists, sets, sorted sets, a stream, a
#      HyperLogLog, keys with millisecond TTLs (PEXPIREAT now+1h), values of
#      fixed-seed random binary bytes (as values, fields, members, elements),
#      and DEBUG POPULATE for bulk;
#   2. 100 BGSAVEs in a row (small dataset): the runtime's VmRSS, fd count
#      and thread count stay flat;
#   3. BGSAVE while the parent answers PING/SET/GET/DEL: writes made after the
#      fork are absent from dump.rdb, writes before it present; rdb status ok,
#      latest_fork_usec > 0, child reaped; DEBUG DIGEST before the save equals
#      the digest of a native server loading dump.rdb; binary values and TTLs
#      read back exactly; redis-check-rdb accepts the file;
#   4. BGREWRITEAOF (plain AOF commands, aof-use-rdb-preamble no): a native
#      server loading the AOF has the same digest;
#   5. SHUTDOWN NOSAVE makes `ufork run` exit 0; SIGTERM to `ufork run` ends
#      a second server with status 0.
# Builds Redis with `make -s redis` when build/apps/redis-server is missing
# (skips when the build cannot run; the build takes minutes, more than
# tests/run.sh's default 30 s per test: run `make redis` first or raise
# UFORK_TEST_TIMEOUT).  Loopback only; ports from 61000-64999 (above the
# ephemeral range).  About 15 s on 2 cores (20 s with the CPUs busy).
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
for t in pgrep timeout cmp; do command -v "$t" >/dev/null 2>&1 || skip "'$t' not installed"; done

APPS=$ROOT/build/apps
SERVER=$APPS/redis-server CLI=$APPS/redis-cli CHECK=$APPS/redis-check-rdb

# --- Redis binaries ---------------------------------------------------------
if [ ! -x "$SERVER" ] || [ ! -x "$CLI" ] || [ ! -x "$CHECK" ]; then
    if [ "$(id -u)" != 0 ]; then
        for t in dpkg-source dpkg-buildflags apt-get make gcc; do
            command -v "$t" >/dev/null 2>&1 || skip "build/apps/redis-server missing and cannot be built: not root and '$t' not installed"
        done
    fi
    echo "building Redis: make -s redis"
    if ! (cd "$ROOT" && make -s redis) >"$SCRATCH/build.log" 2>&1; then
        tail -n 5 "$SCRATCH/build.log"
        skip "build/apps/redis-server missing and 'make -s redis' failed: $(grep -v '^[[:space:]]*$' "$SCRATCH/build.log" | tail -n 1)"
    fi
    [ -x "$SERVER" ] && [ -x "$CLI" ] && [ -x "$CHECK" ] || fail "make redis did not produce build/apps/redis-{server,cli,check-rdb}"
fi

# --- processes: everything started here is killed on exit ------------------
# Servers die after LIFE seconds at most: 85 s, scaled like the test's own
# limit by UFORK_TEST_TIMEOUT (default 30; the QEMU guest of scripts/vm.sh
# sets 120, where the whole script takes about 110 s).
LIFE=$((85 * ${UFORK_TEST_TIMEOUT:-30} / 30))
[ "$LIFE" -ge 85 ] || LIFE=85
cleanup() { kill_jobs; rm -rf "$SCRATCH"; }
trap cleanup EXIT

T0=$SECONDS
ok() { echo "ok: $* [$((SECONDS - T0)) s]"; }

# rc PORT ARGS...: our redis-cli, natively, bounded; CRs stripped
rc() { local p=$1; shift; timeout 10 "$CLI" -h 127.0.0.1 -p "$p" "$@" 2>&1 | tr -d '\r'; }
# rcraw PORT ARGS...: same, output untouched (binary values)
rcraw() { local p=$1; shift; timeout 10 "$CLI" -h 127.0.0.1 -p "$p" "$@"; }
# field PORT SECTION NAME: one INFO field
field() { rc "$1" info "$2" | sed -n "s/^$3://p"; }

# start_ufork NAME PORT DIR [ARGS]: ufork run redis-server in the background,
# under `timeout`; sets FRONT (the `ufork run` process) and TPID (timeout)
start_ufork() {
    local name=$1 port=$2 dir=$3
    shift 3
    timeout -k 2 "$LIFE" "$UFORK" run --stats "$SERVER" --port "$port" --bind 127.0.0.1 --save "" \
        --dir "$dir" --enable-debug-command local "$@" \
        </dev/null >"$SCRATCH/$name.log" 2>"$SCRATCH/$name.err" &
    TPID=$!
    PIDS+=("$TPID")
    FRONT=
    local i
    for i in $(seq 50); do
        FRONT=$(pgrep -P "$TPID" | head -n 1)
        [ -n "$FRONT" ] && break
        sleep 0.02
    done
    [ -n "$FRONT" ] || fail "$name: ufork run did not start"
    PIDS+=("$FRONT")
    wait_up "$name" "$port" "$TPID"
}
# start_native NAME PORT DIR [ARGS]: the same redis-server natively; sets NPID
start_native() {
    local name=$1 port=$2 dir=$3
    shift 3
    timeout -k 2 "$LIFE" "$SERVER" --port "$port" --bind 127.0.0.1 --save "" \
        --dir "$dir" --enable-debug-command local "$@" \
        </dev/null >"$SCRATCH/$name.log" 2>&1 &
    NPID=$!
    PIDS+=("$NPID")
    wait_up "$name" "$port" "$NPID"
}
wait_up() { # NAME PORT PID
    local i
    for i in $(seq 150); do
        [ "$(rc "$2" ping)" = PONG ] && return 0
        kill -0 "$3" 2>/dev/null || break
        sleep 0.1
    done
    echo "  $1 log:"; tail -n 5 "$SCRATCH/$1.log" "$SCRATCH/$1.err" 2>/dev/null | sed 's/^/    /'
    fail "$1: server on port $2 did not answer PING"
}
# wait_done PORT FIELD [SECONDS]: until INFO persistence FIELD is 0
wait_done() {
    local i v
    for i in $(seq $((${3:-30} * 50))); do
        v=$(field "$1" persistence "$2")
        [ "$v" = 0 ] && return 0
        sleep 0.02
    done
    fail "$2 still '$v' after ${3:-30} s on port $1"
}
# runtime_sample: "VmRSS_kB fds threads" of the runtime (the child of FRONT)
runtime_sample() {
    local rt
    rt=$(pgrep -P "$FRONT" | head -n 1)
    [ -n "$rt" ] || fail "no runtime process under ufork run ($FRONT)"
    echo "$(awk '/^VmRSS:/ { print $2 }' "/proc/$rt/status") $(ls "/proc/$rt/fd" | wc -l) $(ls "/proc/$rt/task" | wc -l)"
}
# key_digests PORT OUT: DEBUG DIGEST-VALUE of every key with a plain name
# except DEBUG POPULATE's pop:* (the list is made once, on the first call)
key_digests() {
    if [ ! -s "$SCRATCH/keys" ]; then
        rc "$1" --scan | grep -a -v '^pop:' | grep -a '^[[:alnum:]:_-]*$' | head -n 20000 >"$SCRATCH/keys"
        sed 's/.*/DEBUG DIGEST-VALUE &/' "$SCRATCH/keys" >"$SCRATCH/keys.cmd"
    fi
    rc "$1" <"$SCRATCH/keys.cmd" >"$2"
}
# diff_keys A B: the keys whose digests differ between two key_digests
diff_keys() {
    paste -d ' ' "$SCRATCH/keys" "$1" "$2" |
        awk '$2 != $3 { print "  differs: " $1 " (" $2 " before the save, " $3 " loaded)"; if (++n == 10) exit }'
}

# --- fixed-seed random bytes --------------------------------------------------
# gen_pool FILE NBYTES SEED: xorshift32 bytes (every byte value, NULs, CR LF...)
gen_pool() {
    local f=$1 n=$2 x=$3 i s
    : >"$f"
    while [ "$n" -gt 0 ]; do
        s=
        for ((i = 0; i < 1024 && i < n; i++)); do
            x=$(((x ^ (x << 13)) & 0xffffffff)); x=$((x ^ (x >> 17))); x=$(((x ^ (x << 5)) & 0xffffffff))
            printf -v s '%s\\%03o' "$s" $((x & 255))
        done
        # shellcheck disable=SC2059 # the format is the octal escapes
        printf "$s" >>"$f"
        n=$((n - i))
    done
}
POOL=$SCRATCH/pool.bin
gen_pool "$POOL" 24576 2463534242
[ "$(stat -c %s "$POOL")" = 24576 ] || fail "random pool: wrong size"
# binval N SIZE: value number N, SIZE bytes, from the pool at an offset
# depending on N (larger values wrap around the pool)
BIN=$SCRATCH/bin
mkdir -p "$BIN"
binval() {
    local off=$(($1 * 7919 % 24576)) f=$BIN/$1
    { tail -c +$((off + 1)) "$POOL"; head -c "$off" "$POOL"; cat "$POOL" "$POOL" "$POOL" "$POOL" "$POOL"; } | head -c "$2" >"$f"
    echo "$f"
}
BINSIZES=(1 2 7 8 9 15 16 17 31 32 33 44 63 64 65 127 128 129 255 256 257 1000 4095 4096 4097 9999 16384 65535 65536 100000)

DIR=$SCRATCH/u
NDIR=$SCRATCH/n
mkdir -p "$DIR" "$NDIR"
UP=$(pick_port) || fail "no free port"
NP=$(pick_port) || fail "no free port"

# === 1. the server and its data ==============================================
start_ufork ufork "$UP" "$DIR"
UTPID=$TPID

NOW_MS=$(($(date +%s%N) / 1000000))
EXP_MS=$((NOW_MS + 3600000))
{
    for i in $(seq 0 499); do
        echo "SET str:$i \"value $i with spaces and \\\"quotes\\\"\""
        echo "SET int:$i $((i * 7919 - 100000))"
    done
    echo "SET float 3.14159"
    echo "SET empty \"\""
    for i in $(seq 0 19); do echo "HSET hsmall:$i a $i b \"x$i\" c 3.5"; done
    for i in $(seq 0 999); do echo "HSET hbig f$i v$i"; done
    for i in $(seq 0 19); do echo "RPUSH lsmall:$i a b c $i"; done
    for i in $(seq 0 4999); do echo "RPUSH lbig e$i"; done
    for i in $(seq 0 19); do echo "SADD sint:$i 1 2 3 $i"; done
    for i in $(seq 0 19); do echo "SADD sstr:$i a b c x$i"; done
    for i in $(seq 0 999); do echo "SADD sbig m$i"; done
    for i in $(seq 0 19); do echo "ZADD zsmall:$i 1 a 2.5 b -3 c $i d$i"; done
    for i in $(seq 0 999); do echo "ZADD zbig $((i * 31 % 1000)).25 m$i"; done
    for i in $(seq 1 50); do echo "XADD stream $i-1 f $i g v$i"; done
    echo "PFADD hll a b c d e f g h"
    echo "SETBIT bits 100000 1"
    # TTLs: strings and aggregates, millisecond expiry one hour ahead
    for i in $(seq 0 99); do echo "PEXPIREAT str:$i $((EXP_MS + i))"; done
    echo "PEXPIREAT hbig $EXP_MS"
    echo "PEXPIREAT lsmall:1 $((EXP_MS + 7))"
    echo "PEXPIREAT zbig $((EXP_MS + 13))"
    echo "PEXPIREAT sbig $((EXP_MS + 999))"
} >"$SCRATCH/cmds.txt"
ncmds=$(wc -l <"$SCRATCH/cmds.txt")
res=$(rc "$UP" --pipe <"$SCRATCH/cmds.txt")
case $res in
    *"errors: 0, replies: $ncmds"*) ;;
    *) echo "$res" | tail -n 3; fail "loading $ncmds commands with redis-cli --pipe" ;;
esac
# binary values: as string values, hash fields/values, list elements, set and
# sorted-set members (also large enough for the non-listpack encodings)
nbin=${#BINSIZES[@]}
for ((i = 0; i < nbin; i++)); do
    f=$(binval "$i" "${BINSIZES[$i]}")
    r1=$(rc "$UP" -x SET "bin:$i" <"$f")
    r2=$(rc "$UP" -x HSET hbin "field$i" <"$f")
    r3=$(rc "$UP" -x RPUSH lbin <"$f")
    r4=$(rc "$UP" -x SADD sbin <"$f")
    r5=$(rc "$UP" -x ZADD zbin "$i" <"$f")
    [ "$r1 $r2 $r3 $r4 $r5" = "OK 1 $((i + 1)) 1 1" ] || fail "binary value $i: replies '$r1 $r2 $r3 $r4 $r5'"
done
for i in $(seq 0 199); do echo "HSET hbin field-small-$i $i"; done >"$SCRATCH/cmds2.txt"
for i in $(seq 0 199); do echo "SADD sbin small-$i"; echo "ZADD zbin $((i + 1000)) small-$i"; done >>"$SCRATCH/cmds2.txt"
rc "$UP" --pipe <"$SCRATCH/cmds2.txt" | grep -q "errors: 0" || fail "loading cmds2"
# binary keys too (key names are binary-safe)
f=$(binval 900 40)
rc "$UP" -x SET "binkey" <"$f" >/dev/null
rc "$UP" RENAME binkey "$(head -c 20 "$f" | tr -d '\0\n')-renamed" >/dev/null
rc "$UP" PEXPIREAT "bin:$((nbin - 1))" "$((EXP_MS + 5))" >/dev/null
rc "$UP" PEXPIREAT "bin:3" "$((EXP_MS + 3))" >/dev/null
# read back from the server under ufork before any fork
for i in 0 8 21 27 $((nbin - 1)); do
    rcraw "$UP" GET "bin:$i" | head -c -1 >"$SCRATCH/got" # --raw output ends in \n
    cmp -s "$SCRATCH/got" "$BIN/$i" || fail "GET bin:$i under ufork differs from what was SET ($(stat -c %s "$SCRATCH/got") vs ${BINSIZES[$i]} bytes)"
done
ndata=$(rc "$UP" dbsize)
ok "dataset loaded under ufork: $ndata keys (strings, ints, hashes, lists, sets, zsets, stream, hll, bitmap, $nbin binary values x 5 types, $((100 + 6)) TTLs)"

# === 2. 100 BGSAVEs in a row: no leak =========================================
bgsave_wait() { # one BGSAVE, until done; fails on error
    local r
    r=$(rc "$UP" bgsave)
    [ "$r" = "Background saving started" ] || fail "BGSAVE answered '$r'"
    wait_done "$UP" rdb_bgsave_in_progress 20
    [ "$(field "$UP" persistence rdb_last_bgsave_status)" = ok ] || fail "rdb_last_bgsave_status: $(field "$UP" persistence rdb_last_bgsave_status)"
}
# hz 100: serverCron notices the child's exit within 10 ms instead of 100
[ "$(rc "$UP" config set hz 100)" = OK ] || fail "CONFIG SET hz 100"
for _ in 1 2 3; do bgsave_wait; done
sleep 0.2
read -r rss0 fd0 thr0 <<<"$(runtime_sample)"
forks0=$(field "$UP" stats total_forks)
t=$SECONDS
for _ in $(seq 100); do bgsave_wait; done
sleep 0.2
read -r rss1 fd1 thr1 <<<"$(runtime_sample)"
forks1=$(field "$UP" stats total_forks)
[ "$((forks1 - forks0))" = 100 ] || fail "total_forks went $forks0 -> $forks1 for 100 BGSAVEs"
[ "$fd0" = "$fd1" ] || fail "runtime fd count changed over 100 BGSAVEs: $fd0 -> $fd1"
[ "$thr0" = "$thr1" ] || fail "runtime thread count changed over 100 BGSAVEs: $thr0 -> $thr1 (unreaped children?)"
# 2 MiB of noise; a leaked copy of the ~${rss0} kB server would be far more
[ $((rss1 - rss0)) -lt 2048 ] || fail "runtime VmRSS grew over 100 BGSAVEs: $rss0 -> $rss1 kB"
rc "$UP" config set hz 10 >/dev/null
ok "100 BGSAVEs in $((SECONDS - t)) s: runtime VmRSS $rss0 -> $rss1 kB, fds $fd0 -> $fd1, threads $thr0 -> $thr1"

# === 3. BGSAVE while the parent serves clients ================================
key_digests "$UP" "$SCRATCH/kd.ufork" # for diagnosis: every key but pop:*
res=$(rc "$UP" debug populate 200000 pop 16)
[ "$res" = OK ] || fail "DEBUG POPULATE: $res"
nkeys=$(rc "$UP" dbsize)
D0=$(rc "$UP" debug digest)
rm -f "$DIR/dump.rdb"
rdb_saves0=$(field "$UP" persistence rdb_saves)
# One connection, commands in order: the writes are served right after the
# fork, while the child (200,000+ keys to write) is still saving.
printf '%s\n' BGSAVE PING "SET during:1 x" "GET during:1" "SET str:1 changed" "DEL str:2" \
    "INCR int:3" "HSET hbin field0 changed" "RPUSH lbin tail" "SADD sbin new" \
    "ZADD zbin 5 new" "INFO persistence" >"$SCRATCH/during.txt"
rc "$UP" <"$SCRATCH/during.txt" >"$SCRATCH/during.out"
during=$(head -n 11 "$SCRATCH/during.out" | tr '\n' ' ')
inprog=$(sed -n 's/^rdb_bgsave_in_progress://p' "$SCRATCH/during.out")
[ "$during" = "Background saving started PONG OK x OK 1 $((3 * 7919 - 100000 + 1)) 0 $((nbin + 1)) 1 1 " ] ||
    { sed 's/^/    /' "$SCRATCH/during.out" | head -n 20; fail "commands right after BGSAVE answered: '$during'"; }
[ "$inprog" = 1 ] || fail "rdb_bgsave_in_progress was '$inprog' right after BGSAVE (save already over?)"
# more round trips on fresh connections while the child runs
served=0
for i in $(seq 5); do
    [ "$(field "$UP" persistence rdb_bgsave_in_progress)" = 1 ] || break
    [ "$(rc "$UP" ping)" = PONG ] || fail "PING during the save"
    [ "$(rc "$UP" set "during:conn$i" "v$i")" = OK ] || fail "SET during the save"
    [ "$(rc "$UP" get "during:conn$i")" = "v$i" ] || fail "GET during the save"
    served=$((served + 1))
done
wait_done "$UP" rdb_bgsave_in_progress 30
st=$(field "$UP" persistence rdb_last_bgsave_status)
saves=$(field "$UP" persistence rdb_saves)
fork_usec=$(field "$UP" stats latest_fork_usec)
[ "$st" = ok ] || fail "rdb_last_bgsave_status:$st"
[ "$saves" = $((rdb_saves0 + 1)) ] || fail "rdb_saves $rdb_saves0 -> $saves"
[ -n "$fork_usec" ] && [ "$fork_usec" -gt 0 ] || fail "latest_fork_usec:'$fork_usec'"
[ -s "$DIR/dump.rdb" ] || fail "no dump.rdb in $DIR"
read -r _ _ thr2 <<<"$(runtime_sample)"
[ "$thr2" = "$thr1" ] || fail "runtime threads $thr1 before the save, $thr2 after (child not gone?)"
grep -q "Background saving terminated with success" "$SCRATCH/ufork.log" || fail "no 'Background saving terminated with success' in the server log"
ok "BGSAVE of $nkeys keys: parent served 11 commands on one connection right after the fork (rdb_bgsave_in_progress:1) and $served x PING/SET/GET on new connections during the save; rdb_last_bgsave_status:ok, latest_fork_usec:$fork_usec, rdb_bgsave_in_progress:0, child gone"

"$CHECK" "$DIR/dump.rdb" >"$SCRATCH/check.out" 2>&1 || {
    tail -n 5 "$SCRATCH/check.out"
    fail "redis-check-rdb rejects dump.rdb (status $?)"
}
grep -q "RDB looks OK" "$SCRATCH/check.out" || { tail -n 5 "$SCRATCH/check.out"; fail "redis-check-rdb: no 'RDB looks OK'"; }
ok "redis-check-rdb (native): $(grep -o '[0-9]* keys read' "$SCRATCH/check.out" | head -n 1), RDB looks OK"

cp "$DIR/dump.rdb" "$NDIR/dump.rdb"
start_native native "$NP" "$NDIR"
NPID1=$NPID
D1=$(rc "$NP" debug digest)
n1=$(rc "$NP" dbsize)
if [ "$D0" != "$D1" ]; then
    echo "  digest before BGSAVE (ufork): $D0, dbsize $nkeys"
    echo "  digest of dump.rdb (native):  $D1, dbsize $n1"
    key_digests "$NP" "$SCRATCH/kd.native"
    diff_keys "$SCRATCH/kd.ufork" "$SCRATCH/kd.native"
    fail "DEBUG DIGEST differs between the server before BGSAVE and dump.rdb loaded natively"
fi
[ "$n1" = "$nkeys" ] || fail "dbsize $nkeys before the save, $n1 loaded"
ok "DEBUG DIGEST before BGSAVE = digest of dump.rdb loaded natively ($D1, $n1 keys)"

# writes after the fork absent, state before present (native)
[ "$(rc "$NP" exists during:1 during:conn1)" = 0 ] || fail "a key written during the save is in dump.rdb"
[ "$(rc "$NP" get str:1)" = 'value 1 with spaces and "quotes"' ] || fail "str:1 in dump.rdb: '$(rc "$NP" get str:1)'"
[ "$(rc "$NP" exists str:2)" = 1 ] || fail "str:2 (deleted during the save) missing from dump.rdb"
[ "$(rc "$NP" get int:3)" = "$((3 * 7919 - 100000))" ] || fail "int:3 in dump.rdb: '$(rc "$NP" get int:3)'"
[ "$(rc "$NP" llen lbin)" = "$nbin" ] || fail "lbin length in dump.rdb: $(rc "$NP" llen lbin)"
[ "$(rc "$NP" sismember sbin new)" = 0 ] || fail "sbin has a member added during the save"
[ "$(rc "$NP" zscore zbin new)" = "" ] || fail "zbin has a member added during the save"
# and the ufork server has them
[ "$(rc "$UP" get during:1)" = x ] && [ "$(rc "$UP" get str:1)" = changed ] && [ "$(rc "$UP" exists str:2)" = 0 ] ||
    fail "the ufork server lost writes made during the save"
# binary values byte for byte, as string, hash value, list element
for ((i = 0; i < nbin; i++)); do
    rcraw "$NP" GET "bin:$i" | head -c -1 >"$SCRATCH/got"
    cmp -s "$SCRATCH/got" "$BIN/$i" || fail "bin:$i from dump.rdb differs from the value SET ($(stat -c %s "$SCRATCH/got") vs ${BINSIZES[$i]} bytes; first difference: $(cmp "$SCRATCH/got" "$BIN/$i" 2>&1 | head -n 1))"
    if [ "$i" != 0 ]; then # field0 was changed during the save
        rcraw "$NP" HGET hbin "field$i" | head -c -1 >"$SCRATCH/got"
        cmp -s "$SCRATCH/got" "$BIN/$i" || fail "hbin field$i from dump.rdb differs"
    fi
    rcraw "$NP" LINDEX lbin "$i" | head -c -1 >"$SCRATCH/got"
    cmp -s "$SCRATCH/got" "$BIN/$i" || fail "lbin[$i] from dump.rdb differs"
done
# TTLs to the millisecond
for i in 0 1 50 99; do
    e=$(rc "$NP" pexpiretime "str:$i")
    [ "$e" = $((EXP_MS + i)) ] || fail "str:$i expires at '$e' in dump.rdb, set to $((EXP_MS + i))"
done
for k in "hbig $EXP_MS" "lsmall:1 $((EXP_MS + 7))" "zbig $((EXP_MS + 13))" "sbig $((EXP_MS + 999))" "bin:3 $((EXP_MS + 3))" "bin:$((nbin - 1)) $((EXP_MS + 5))"; do
    read -r key want <<<"$k"
    e=$(rc "$NP" pexpiretime "$key")
    [ "$e" = "$want" ] || fail "$key expires at '$e' in dump.rdb, set to $want"
done
[ "$(rc "$NP" pexpiretime str:100)" = -1 ] || fail "str:100 has a TTL in dump.rdb"
ok "dump.rdb (native): writes made during the save absent, state at the fork present; $nbin binary values (${BINSIZES[0]}..${BINSIZES[$((nbin - 1))]} bytes) byte-exact as string/hash/list; PEXPIRETIMEs exact"
rc "$NP" shutdown nosave >/dev/null
wait_exit "$NPID1" 10
[ "$status" = 0 ] || fail "native server (dump.rdb) exit status $status"

# === 4. BGREWRITEAOF ===========================================================
[ "$(rc "$UP" config set aof-use-rdb-preamble no)" = OK ] || fail "CONFIG SET aof-use-rdb-preamble no"
r=$(rc "$UP" bgrewriteaof)
case $r in *"rewriting started"*) ;; *) fail "BGREWRITEAOF answered '$r'" ;; esac
wait_done "$UP" aof_rewrite_in_progress 30
[ "$(field "$UP" persistence aof_last_bgrewrite_status)" = ok ] || fail "aof_last_bgrewrite_status: $(field "$UP" persistence aof_last_bgrewrite_status)"
D2=$(rc "$UP" debug digest)
n2=$(rc "$UP" dbsize)
[ -s "$DIR/appendonlydir/appendonly.aof.manifest" ] || fail "no appendonlydir/appendonly.aof.manifest"
base=$(sed -n 's/^file \([^ ]*\) .*type b.*/\1/p' "$DIR/appendonlydir/appendonly.aof.manifest")
case $base in *.base.aof) ;; *) fail "AOF base file is '$base' (want a plain .base.aof)" ;; esac
head -c 1 "$DIR/appendonlydir/$base" | grep -q '\*' || fail "$base does not start with a RESP command"
rm -rf "$NDIR"
mkdir -p "$NDIR"
cp -r "$DIR/appendonlydir" "$NDIR/"
NP2=$(pick_port) || fail "no free port"
start_native native-aof "$NP2" "$NDIR" --appendonly yes
NPID2=$NPID
D3=$(rc "$NP2" debug digest)
n3=$(rc "$NP2" dbsize)
if [ "$D2" != "$D3" ]; then
    key_digests "$UP" "$SCRATCH/kd.ufork2"
    key_digests "$NP2" "$SCRATCH/kd.native2"
    diff_keys "$SCRATCH/kd.ufork2" "$SCRATCH/kd.native2"
fi
[ "$D2" = "$D3" ] || fail "AOF: digest under ufork $D2 ($n2 keys), AOF loaded natively $D3 ($n3 keys)"
aofsize=$(stat -c %s "$DIR/appendonlydir/$base")
ok "BGREWRITEAOF: $base ($aofsize bytes) loaded natively: digest $D3 = ufork's, $n3 keys"
rc "$NP2" shutdown nosave >/dev/null
wait_exit "$NPID2" 10
[ "$status" = 0 ] || fail "native server (AOF) exit status $status"

# === 5. ending the server ======================================================
r=$(rc "$UP" shutdown nosave)
[ -z "$r" ] || fail "SHUTDOWN NOSAVE answered '$r'"
t=$(date +%s%N)
wait_exit "$UTPID" 10
[ "$status" = 999 ] && fail "ufork run still running 10 s after SHUTDOWN NOSAVE"
[ "$status" = 0 ] || { tail -n 3 "$SCRATCH/ufork.err"; fail "ufork run exit status $status after SHUTDOWN NOSAVE"; }
ok "SHUTDOWN NOSAVE: ufork run exited 0 after $((($(date +%s%N) - t) / 1000000)) ms"
# what relocation did to the snapshots whose digests matched above
total=$(grep -m1 "ufork: total copied" "$SCRATCH/ufork.err" || true)
[ -n "$total" ] || fail "no --stats report from ufork"
ok "relocation (--stats, all forks of the run): ${total#ufork: }"

UP2=$(pick_port) || fail "no free port"
mkdir -p "$SCRATCH/u2"
start_ufork ufork2 "$UP2" "$SCRATCH/u2"
rc "$UP2" debug populate 1000 >/dev/null
r=$(rc "$UP2" bgsave)
wait_done "$UP2" rdb_bgsave_in_progress 20
kill -TERM "$FRONT"
t=$(date +%s%N)
wait_exit "$TPID" 10
[ "$status" = 999 ] && fail "ufork run still running 10 s after SIGTERM"
[ "$status" = 0 ] || { tail -n 3 "$SCRATCH/ufork2.log" "$SCRATCH/ufork2.err"; fail "ufork run exit status $status after SIGTERM"; }
grep -q "Received SIGTERM" "$SCRATCH/ufork2.log" || fail "server log has no 'Received SIGTERM'"
ok "SIGTERM to ufork run: the server shut down, ufork run exited 0 after $((($(date +%s%N) - t) / 1000000)) ms"
