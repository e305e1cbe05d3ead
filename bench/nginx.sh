#!/usr/bin/env bash
# bench/nginx.sh: nginx static files, native vs. ufork, as a Markdown table.
#
#   bash bench/nginx.sh [--runs N] [--duration S] [--connections C]
#                       [--threads T] [-- UFORK-RUN-OPTIONS...]
#
# The SAME static-PIE nginx (build/apps/nginx, `make nginx`; built here when
# missing) and the same configuration run natively and as
# `$UFORK run [UFORK-RUN-OPTIONS] nginx`: a master and one worker per core
# (nproc; UFORK_BENCH_WORKERS overrides), daemon off,
# access log off, `listen 127.0.0.1:P reuseport`, keepalive.  wrk (Debian's
# package `wrk`, installed as root when missing) runs natively on loopback:
#   wrk -t T -c C -d S --latency http://127.0.0.1:P/FILE
# for FILE = index.html (615 bytes, the size of nginx's welcome page) and big.bin
# (1 MiB of random bytes, sent with sendfile), RUNS runs each (default 5,
# 5 s, 32 connections, 2 threads; a fresh server per mode and run, native
# and ufork alternating, after one uncounted 1 s run per mode).  Reported:
# median requests/s and median p99 latency, and the ufork/native ratio.
# Bounded: every wrk run is under `timeout`, servers under a time limit.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
UFORK=${UFORK:-$ROOT/build/ufork}
NGINX=$ROOT/build/apps/nginx
RUNS=5 DUR=5 CONNS=32 THREADS=2
while [ $# -gt 0 ]; do
    case $1 in
        --runs) RUNS=$2; shift ;;
        --duration) DUR=$2; shift ;;
        --connections) CONNS=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        --) shift; break ;;
        *) echo "usage: bash bench/nginx.sh [--runs N] [--duration S] [--connections C] [--threads T] [-- UFORK-RUN-OPTIONS...]" >&2; exit 2 ;;
    esac
    shift
done
UOPTS=("$@")
export LC_ALL=C

[ -x "$UFORK" ] || { echo "bench/nginx.sh: $UFORK missing (run make)" >&2; exit 1; }
if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk >/dev/null ||
            { echo "bench/nginx.sh: apt-get install wrk failed" >&2; exit 1; }
    else
        echo "bench/nginx.sh: wrk missing; run as root: apt-get install -y --no-install-recommends wrk" >&2
        exit 1
    fi
fi
[ -x "$NGINX" ] || (cd "$ROOT" && make -s nginx) || exit 1

W=$(mktemp -d "${TMPDIR:-/tmp}/ufork-bench-nginx.XXXXXX")
chmod 755 "$W"
SRV=
cleanup() { [ -n "$SRV" ] && kill -KILL "$SRV" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

WORKERS=${UFORK_BENCH_WORKERS:-$(nproc)}
PORT=$((61000 + RANDOM % 4000))
mkdir -p "$W/conf" "$W/html" "$W/logs" "$W/tmp"
head -c 615 /dev/zero | tr '\0' x >"$W/html/index.html"
head -c 1048576 /dev/urandom >"$W/html/big.bin"
user=
# as root: workers stay root (nginx would switch to nobody, who may not
# reach a prefix under TMPDIR)
[ "$(id -u)" = 0 ] && user="user root;"
cat >"$W/conf/nginx.conf" <<CONF
daemon off;
$user
worker_processes $WORKERS;
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    types { text/html html; }
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    server {
        listen 127.0.0.1:$PORT reuseport;
        root html;
    }
}
CONF

LIFE=$((RUNS * 2 * (DUR + 5) + 60))
start() { # MODE
    if [ "$1" = ufork ]; then
        timeout -k 2 "$LIFE" "$UFORK" run "${UOPTS[@]}" "$NGINX" -p "$W/" -c conf/nginx.conf -e logs/error.log \
            </dev/null >"$W/$1.out" 2>"$W/$1.err" &
    else
        timeout -k 2 "$LIFE" "$NGINX" -p "$W/" -c conf/nginx.conf -e logs/error.log \
            </dev/null >"$W/$1.out" 2>"$W/$1.err" &
    fi
    SRV=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "bench/nginx.sh: $1 nginx did not start: $(head -c 300 "$W/$1.err")" >&2
    exit 1
}
stop() {
    pkill -QUIT -P "$SRV" 2>/dev/null  # timeout's child: nginx or ufork run
    for _ in $(seq 100); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$SRV" 2>/dev/null
    wait "$SRV" 2>/dev/null
    SRV=
}
# one MODE FILE: "req/s p99_ms" of one wrk run
one() {
    local out
    out=$(timeout $((DUR + 20)) wrk -t "$THREADS" -c "$CONNS" -d "${DUR}s" --latency "http://127.0.0.1:$PORT/$2" 2>&1)
    local rps p99 errs
    rps=$(sed -n 's/^Requests\/sec:[[:space:]]*//p' <<<"$out")
    p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; print v }' <<<"$out")
    errs=$(grep -E 'Non-2xx|Socket errors' <<<"$out")
    [ -n "$rps" ] && [ -n "$p99" ] || { echo "bench/nginx.sh: wrk failed on $1 /$2: $out" >&2; exit 1; }
    [ -z "$errs" ] || echo "bench/nginx.sh: $1 /$2: $errs" >&2
    echo "$rps $p99"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# warm-up (page cache, CPU frequency): one short uncounted run per mode
for mode in native ufork; do
    start "$mode"
    DUR=1 one "$mode" big.bin >/dev/null
    stop
done
for _ in $(seq "$RUNS"); do
    for mode in native ufork; do
        start "$mode"
        for f in index.html big.bin; do
            one "$mode" "$f" >>"$W/$mode.$f"
        done
        stop
    done
done

echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), $WORKERS workers, wrk -t $THREADS -c $CONNS -d ${DUR}s, median of $RUNS runs; ufork run ${UOPTS[*]:-(default options)}"
echo
echo "| file | native req/s | ufork req/s | ratio | native p99 | ufork p99 |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for f in index.html big.bin; do
    nr=$(cut -d' ' -f1 "$W/native.$f" | median)
    ur=$(cut -d' ' -f1 "$W/ufork.$f" | median)
    np=$(cut -d' ' -f2 "$W/native.$f" | median)
    up=$(cut -d' ' -f2 "$W/ufork.$f" | median)
    name=$f
    [ "$f" = big.bin ] && name="1 MiB file"
    [ "$f" = index.html ] && name="index page (615 B)"
    awk -v n="$name" -v nr="$nr" -v ur="$ur" -v np="$np" -v up="$up" \
        'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.2f ms | %.2f ms |\n", n, nr, ur, ur / nr, np, up }'
done
