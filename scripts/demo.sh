#!/usr/bin/env bash
# scripts/demo.sh: the one command that sets up a fresh Debian 12 machine and
# shows ufork running real multi-process programs, each µprocess in one
# address space:
#   1. a pre-forking TCP server (master + workers) and its client processes,
#      natively and under ufork, with ufork's per-fork report;
#   2. Redis 7 (Debian's source, built static-PIE) taking a BGSAVE snapshot
#      under ufork - the server forks a child that writes dump.rdb while the
#      parent keeps serving - and a native Redis loading that snapshot and
#      reporting the same DEBUG DIGEST;
#   3. nginx 1.22 (Debian's source, built static-PIE) under ufork with one
#      worker per core: the static page and a 1 MB file, the master and
#      workers as µprocesses, a SIGHUP reload (new workers) and a SIGQUIT.
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

echo
echo "== 3. nginx under ufork (building nginx from Debian's source the first time)"
make -s nginx
ngx=$dir/nginx
mkdir -p "$ngx/conf" "$ngx/html" "$ngx/logs" "$ngx/tmp"
chmod 755 "$dir" "$ngx"
NGP=$(port)
cores=$(nproc)
echo '<html><body>nginx, forked by ufork</body></html>' >"$ngx/html/index.html"
head -c 1000000 /dev/urandom >"$ngx/html/1mb.bin"
cat >"$ngx/conf/nginx.conf" <<CONF
daemon off;
user root;
worker_processes $cores;
error_log logs/error.log notice;
pid logs/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    server {
        listen 127.0.0.1:$NGP reuseport;
        root html;
        add_header X-Pid \$pid;
    }
}
CONF
[ "$(id -u)" = 0 ] || sed -i '/^user root;$/d' "$ngx/conf/nginx.conf"
get() { # PATH: an HTTP/1.0 GET, the whole response on stdout
    timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$2" >&3; cat <&3' _ "$NGP" "$1"
}
workers() { sed -n 's/.*start worker process \([0-9]*\)$/\1/p' "$ngx/logs/error.log" | tail -n "$cores" | tr '\n' ' '; }
echo "   build/ufork run build/apps/nginx -p $ngx/ -c conf/nginx.conf -e logs/error.log  (worker_processes $cores)"
build/ufork run "$APPS/nginx" -p "$ngx/" -c conf/nginx.conf -e logs/error.log </dev/null &
front=$!
pids+=("$front")
for _ in $(seq 100); do get / >/dev/null 2>&1 && break; sleep 0.05; done
get / | tr -d '\r' | grep -E '^(HTTP|X-Pid|Content-Length)|<html' | sed 's/^/   /'
get /1mb.bin | tr -d '\r' | awk '/^$/ { exit } /^(HTTP|Content-Length|X-Pid)/' | sed 's/^/   /'
get /1mb.bin | tail -c 1000000 | cmp -s - "$ngx/html/1mb.bin" && echo "   1 MB file: byte for byte"
echo "   master µprocess $(cat "$ngx/logs/nginx.pid"), workers: $(workers)(ufork's pids)"
echo "   answering X-Pids of 10 requests: $(for _ in $(seq 10); do get / | tr -d '\r' | sed -n 's/^X-Pid: //p'; done | sort -n | uniq -c | awk '{ printf "%s x%s  ", $2, $1 }')"
rt=$(pgrep -P "$front" | head -n 1)
echo "   on the host: ufork run ($front) -> runtime ($rt): $(ls "/proc/$rt/task" | wc -l) threads, $(pgrep -P "$rt" | wc -l) child processes"
old=$(workers)
kill -HUP "$front"
for _ in $(seq 100); do [ "$(workers)" != "$old" ] && break; sleep 0.05; done
sleep 0.3
echo "   kill -HUP: new workers $(workers)(old ones: $(grep -c 'exited with code 0' "$ngx/logs/error.log") exited with code 0)"
echo "   answering now: $(for _ in $(seq 10); do get / | tr -d '\r' | sed -n 's/^X-Pid: //p'; done | sort -un | tr '\n' ' ')"
kill -QUIT "$front"
wait "$front" && echo "   kill -QUIT: ufork run nginx exited with status 0"
