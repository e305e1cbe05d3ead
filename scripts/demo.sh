#!/usr/bin/env bash
# scripts/demo.sh: the one command that sets up a fresh Debian 12 machine and
# shows ufork running real multi-process programs, each µprocess in one
# address space:
#   1. a pre-forking TCP server (master + workers) and its client processes,
#      natively and under ufork, with ufork's per-fork report;
#   2. Redis 7 (Debian's source, built static-PIE) taking a BGSAVE snapshot
#      under ufork - the server forks a child that writes dump.rdb while the
#      parent keeps serving - and a native Redis loading that snapshot and
#      reporting the same DEBUG DIGEST.
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sh scripts/deps.sh
make -s
make -s dash
mkdir -p build/demo
tools/ufork-cc -O2 -o build/demo/prefork demo/prefork.c

ms() { echo $((($2 - $1) / 1000000)); }

echo "== 1. pre-forking server, native Linux: build/demo/prefork 4 4 50"
t0=$(date +%s%N)
build/demo/prefork 4 4 50
t1=$(date +%s%N)
echo "   ($(ms "$t0" "$t1") ms)"
echo
echo "== 1. pre-forking server, ufork: build/ufork run --stats build/demo/prefork 4 4 50"
t0=$(date +%s%N)
build/ufork run --stats build/demo/prefork 4 4 50
t1=$(date +%s%N)
echo "   ($(ms "$t0" "$t1") ms)"
echo
echo "Every process above (master, 4 workers, 4 clients) ran in one host process:"
echo "each fork copied the master's memory to another slot of the same address"
echo "space and relocated its pointers (the hash table of 20,000 heap strings)."
echo

echo "== 2. Redis BGSAVE under ufork (building Redis from Debian's source the first time)"
make -s redis
APPS=build/apps
dir=$(mktemp -d)
port() { # a free loopback port
    local p
    for p in $(shuf -i 61000-64999 -n 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    echo 63379
}
UP=$(port)
NP=$(port)
cli() { timeout 10 "$APPS/redis-cli" -h 127.0.0.1 -p "$@" | tr -d '\r'; }
pids=()
cleanup() { kill -9 "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
up() { for _ in $(seq 100); do [ "$(cli "$1" ping 2>/dev/null)" = PONG ] && return; sleep 0.1; done; return 1; }

build/ufork run "$APPS/redis-server" --port "$UP" --bind 127.0.0.1 --save "" --dir "$dir" \
    --enable-debug-command local --logfile "$dir/ufork.log" &
pids+=($!)
up "$UP"
cli "$UP" debug populate 200000 key 100 >/dev/null
cli "$UP" set pointer-looking "$(printf 'value with \x12\x34 bytes')" >/dev/null
digest=$(cli "$UP" debug digest)
echo "   redis-server under ufork: $(cli "$UP" dbsize) keys, DEBUG DIGEST $digest"
cli "$UP" bgsave
while [ "$(cli "$UP" info persistence | sed -n 's/^rdb_bgsave_in_progress://p')" = 1 ]; do
    cli "$UP" set written-during-the-save yes >/dev/null
    sleep 0.01
done
{ cli "$UP" info persistence; cli "$UP" info stats; } |
    grep -E '^(rdb_last_bgsave_status|latest_fork_usec|rdb_saves):' | sed 's/^/   /'
grep -E 'Background saving|Fork CoW' "$dir/ufork.log" | sed 's/^[0-9]*:[A-Z] /   log: /' || true
"$APPS/redis-server" --port "$NP" --bind 127.0.0.1 --save "" --dir "$dir" \
    --dbfilename dump.rdb --enable-debug-command local --logfile "$dir/native.log" &
pids+=($!)
up "$NP"
echo "   native redis-server loading that dump.rdb: DEBUG DIGEST $(cli "$NP" debug digest)"
[ "$(cli "$NP" debug digest)" = "$digest" ] &&
    echo "   same digest: the child's snapshot is the parent's memory at fork time." ||
    { echo "   DIGESTS DIFFER"; exit 1; }
cli "$UP" shutdown nosave >/dev/null 2>&1 || true
cli "$NP" shutdown nosave >/dev/null 2>&1 || true
wait "${pids[0]}" && echo "   ufork run redis-server exited with status 0"
