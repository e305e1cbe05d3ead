#!/usr/bin/env bash
# nginx 1.22 (static-PIE, `make nginx`) under ufork: a master process that
# fork()s its workers, re-forks them on SIGHUP and stops them on SIGQUIT.
# Every scenario runs twice with the same binary and configuration: natively
# (the oracle) and as `ufork run build/apps/nginx -p PREFIX -c CONF`.
#   1. daemon off, master + 2 workers, `listen ... reuseport` on a free
#      loopback port: the index page and a 1 MiB file of random bytes come
#      back byte for byte (HTTP/1.0 over bash's /dev/tcp); every response
#      carries `X-Pid: $pid` of a worker the master's error log names, and
#      both workers answer; natively the workers are child processes of the
#      master, under ufork the runtime has no child processes at all (the
#      workers are µprocesses);
#   2. SIGHUP: two new workers with new pids answer, the old ones exit with
#      code 0; SIGQUIT: graceful shutdown, exit status 0 (as native);
#   3. daemon on, driven by a script of build/apps/dash (the same shell
#      natively and as the first µprocess): nginx returns 0 while the
#      daemonized master serves; /proc/<worker>/stat (ufork's view under
#      ufork) names nginx with the master as parent; `nginx -s reload` and
#      `nginx -s quit` (kill(2) of the pid in the pid file) work;
#   4. bad input: a missing configuration file and a port already in use give
#      the same stderr and exit status as native nginx.
# Builds nginx with `make -s nginx` when build/apps/nginx is missing (skips
# when that cannot run).  Ports from 61000-64999.  About 15 s.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
for t in pgrep timeout cmp mkfifo; do command -v "$t" >/dev/null 2>&1 || skip "'$t' not installed"; done
export LC_ALL=C

NGINX=$ROOT/build/apps/nginx
DASH=$ROOT/build/apps/dash
if [ ! -x "$NGINX" ]; then
    if [ "$(id -u)" != 0 ]; then
        for t in dpkg-source dpkg-buildflags apt-get make gcc; do
            command -v "$t" >/dev/null 2>&1 || skip "build/apps/nginx missing and cannot be built: not root and '$t' not installed"
        done
    fi
    echo "building nginx: make -s nginx"
    if ! (cd "$ROOT" && make -s nginx) >"$SCRATCH/build.log" 2>&1; then
        tail -n 5 "$SCRATCH/build.log"
        skip "build/apps/nginx missing and 'make -s nginx' failed: $(grep -v '^[[:space:]]*$' "$SCRATCH/build.log" | tail -n 1)"
    fi
    [ -x "$NGINX" ] || fail "make nginx did not produce build/apps/nginx"
fi
[ -x "$DASH" ] || fail "build/apps/dash missing (run make)"

# --- processes: everything started here is killed on exit ------------------
LIFE=$((60 * ${UFORK_TEST_TIMEOUT:-30} / 30))
cleanup() {
    local daemons=()
    # daemons: anything still running our binary from our prefixes
    mapfile -t daemons < <(pgrep -f "$SCRATCH/" 2>/dev/null)
    kill_jobs "${daemons[@]}"
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

T0=$SECONDS
ok() { echo "ok: $* [$((SECONDS - T0)) s]"; }

# get PORT PATH OUT: HTTP/1.0 GET; headers (CRs stripped) in OUT.h, body in
# OUT; returns 1 on a connection failure or a missing header end
get() {
    local line n=0
    timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" "$2" >&3
        cat <&3' _ "$1" "$2" >"$3.raw" 2>/dev/null || return 1
    while IFS= read -r line; do
        n=$((n + ${#line} + 1))
        [ "$line" = $'\r' ] && break
    done <"$3.raw"
    [ "$line" = $'\r' ] || return 1
    head -c "$n" "$3.raw" | tr -d '\r' >"$3.h"
    tail -c +$((n + 1)) "$3.raw" >"$3"
}
hdr() { sed -n "s/^$2: //p" "$1.h"; }  # hdr OUT NAME
code() { sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p' "$1.h"; }

# prefix DIR PORT: an nginx prefix with conf/fg.conf (daemon off), conf/d.conf
# (daemon on), conf/busy.conf (the same port without reuseport)
# As root the workers run as nobody (nginx's default `user`): they must be
# able to reach the prefix; where a parent directory of SCRATCH does not let
# them, the workers stay root (`user root`).
chmod 755 "$SCRATCH"
USER_LINE=
if [ "$(id -u)" = 0 ]; then
    d=$SCRATCH
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        [ "$(( $(stat -c %a "$d" | sed 's/^.*\(.\)$/\1/') & 1 ))" = 1 ] || USER_LINE="user root;"
    done
fi
BIG=$SCRATCH/big.bin
head -c 1048576 /dev/urandom >"$BIG"
prefix() {
    local d=$1 port=$2
    mkdir -p "$d/conf" "$d/html" "$d/logs" "$d/tmp"
    printf '<!DOCTYPE html>\n<html><body><h1>nginx under ufork</h1></body></html>\n' >"$d/html/index.html"
    cp "$BIG" "$d/html/big.bin"
    conf() { # DAEMON LISTEN-OPTIONS
        cat <<CONF
daemon $1;
$USER_LINE
master_process on;
worker_processes 2;
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 128; }
http {
    access_log off;
    default_type application/octet-stream;
    types { text/html html; }
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    server {
        listen 127.0.0.1:$port$2;
        root html;
        add_header X-Pid \$pid;
    }
}
CONF
    }
    conf off " reuseport" >"$d/conf/fg.conf"
    conf on " reuseport" >"$d/conf/d.conf"
    conf off "" >"$d/conf/busy.conf"
}

# started DIR: pids of "start worker process N" in the error log, in order
started() { sed -n 's/.*start worker process \([0-9]*\)$/\1/p' "$1/logs/error.log" 2>/dev/null; }
# wait_log DIR N: until the error log names N started workers
wait_log() {
    local i
    for i in $(seq 200); do
        [ "$(started "$1" | wc -l)" -ge "$2" ] && return 0
        sleep 0.05
    done
    tail -n 5 "$1/logs/error.log" 2>/dev/null | sed 's/^/    /'
    fail "$MODE: the error log names $(started "$1" | wc -l) started workers, want $2"
}
# pids_answering DIR PORT N: the X-Pid values of N fetches of the index page,
# sorted and unique
pids_answering() {
    local i
    for i in $(seq "$3"); do
        get "$2" /index.html "$SCRATCH/r" || fail "$MODE: GET /index.html failed"
        hdr "$SCRATCH/r" X-Pid
    done | sort -un
}
# is_subset "A..." "B...": every word of A is in B
is_subset() { local x; for x in $1; do case " $2 " in *" $x "*) ;; *) return 1 ;; esac; done; }

# === 1, 2: daemon off, reload, quit ============================================
foreground() { # MODE (native|ufork)
    MODE=$1
    local d=$SCRATCH/$MODE port front tpid w1 w2 a rt mpid i
    port=$(pick_port) || fail "no free port"
    prefix "$d" "$port"
    if [ "$MODE" = ufork ]; then
        timeout -k 2 "$LIFE" "$UFORK" run "$NGINX" -p "$d/" -c conf/fg.conf -e logs/error.log \
            </dev/null >"$d/out" 2>"$d/err" &
    else
        timeout -k 2 "$LIFE" "$NGINX" -p "$d/" -c conf/fg.conf -e logs/error.log \
            </dev/null >"$d/out" 2>"$d/err" &
    fi
    tpid=$!
    PIDS+=("$tpid")
    for i in $(seq 100); do
        front=$(pgrep -P "$tpid" | head -n 1)
        [ -n "$front" ] && break
        sleep 0.02
    done
    [ -n "$front" ] || fail "$MODE: nginx did not start"
    PIDS+=("$front")
    wait_log "$d" 2
    for i in $(seq 100); do
        get "$port" /index.html "$d/index" && break
        sleep 0.05
    done
    [ "$(code "$d/index")" = 200 ] || fail "$MODE: GET / status '$(code "$d/index")'"
    cmp -s "$d/index" "$d/html/index.html" || fail "$MODE: index page differs from html/index.html"
    get "$port" /big.bin "$d/big" || fail "$MODE: GET /big.bin failed"
    [ "$(code "$d/big")" = 200 ] && [ "$(hdr "$d/big" Content-Length)" = 1048576 ] ||
        fail "$MODE: GET /big.bin: status $(code "$d/big"), Content-Length $(hdr "$d/big" Content-Length)"
    cmp -s "$d/big" "$BIG" || fail "$MODE: the 1 MiB file came back different ($(stat -c %s "$d/big") bytes)"
    w1=$(started "$d" | sort -n | tr '\n' ' ')
    mpid=$(cat "$d/logs/nginx.pid")
    a=$(pids_answering "$d" "$port" 40 | tr '\n' ' ')
    is_subset "$a" "$w1" || fail "$MODE: responses from pids '$a', workers are '$w1'"
    [ "$(wc -w <<<"$a")" = 2 ] || fail "$MODE: 40 connections (reuseport) answered by '$a' only, workers '$w1'"
    case " $a " in *" $mpid "*) fail "$MODE: the master ($mpid) answered" ;; esac
    if [ "$MODE" = native ]; then
        [ "$mpid" = "$front" ] || fail "native: pid file says $mpid, the master is $front"
        [ "$(pgrep -P "$front" | sort -n | tr '\n' ' ')" = "$w1" ] || fail "native: the master's children are not the workers '$w1'"
        procs="the workers are child processes ${w1}of the master $mpid"
    else
        rt=$(pgrep -P "$front" | head -n 1)
        [ -n "$rt" ] || fail "ufork: no runtime process under ufork run"
        [ -z "$(pgrep -P "$rt")" ] || fail "ufork: the runtime has child processes: $(pgrep -P "$rt" | tr '\n' ' ')"
        procs="µprocesses: master $mpid, workers ${w1}(the runtime, host pid $rt, has no child process; $(ls "/proc/$rt/task" | wc -l) host threads)"
    fi
    ok "$MODE: index page and 1 MiB file byte for byte; X-Pid ${a% }; $procs"

    # busy port (native and ufork the same), while this server holds it
    if [ "$MODE" = ufork ]; then
        local b=$SCRATCH/busy
        prefix "$b" "$port"
        timeout 20 "$NGINX" -p "$b/" -c conf/busy.conf -e logs/error.log </dev/null >"$b/n.out" 2>"$b/n.err"
        local ns=$?
        timeout 20 "$UFORK" run "$NGINX" -p "$b/" -c conf/busy.conf -e logs/error.log </dev/null >"$b/u.out" 2>"$b/u.err"
        local us=$?
        [ "$ns" = 1 ] || fail "native nginx on a busy port: status $ns"
        grep -q '(98: Address [a-z ]*in use)' "$b/n.err" || fail "native nginx on a busy port: stderr '$(head -c 300 "$b/n.err")'"
        [ "$us" = "$ns" ] || fail "busy port: status native $ns, ufork $us"
        cmp -s "$b/n.err" "$b/u.err" || { diff -u "$b/n.err" "$b/u.err" | head -n 12; fail "busy port: stderr differs"; }
        ok "port in use: status $us and the same stderr as native ($(wc -l <"$b/u.err") lines: $(tail -n 1 "$b/u.err"))"
    fi

    kill -HUP "$front"
    wait_log "$d" 4
    w2=$(started "$d" | tail -n 2 | sort -n | tr '\n' ' ')
    for i in $w2; do case " $w1 " in *" $i "*) fail "$MODE: reload reused worker pid $i" ;; esac; done
    for i in $(seq 200); do
        local gone=0 x
        for x in $w1; do grep -q "worker process $x exited with code 0" "$d/logs/error.log" && gone=$((gone + 1)); done
        [ "$gone" = 2 ] && break
        sleep 0.05
    done
    [ "$gone" = 2 ] || { tail -n 8 "$d/logs/error.log"; fail "$MODE: after SIGHUP, $gone of the old workers '$w1' exited with code 0"; }
    a=$(pids_answering "$d" "$port" 20 | tr '\n' ' ')
    is_subset "$a" "$w2" || fail "$MODE: after SIGHUP responses from '$a', new workers are '$w2'"
    if [ "$MODE" = native ]; then
        [ "$(pgrep -P "$front" | sort -n | tr '\n' ' ')" = "$w2" ] || fail "native: after SIGHUP the master's children are not '$w2'"
    fi
    ok "$MODE: SIGHUP: new workers ${w2}answer (${a% }), old workers ${w1}exited with code 0"

    kill -QUIT "$front"
    wait_exit "$tpid" 10
    [ "$status" = 999 ] && fail "$MODE: still running 10 s after SIGQUIT"
    [ "$status" = 0 ] || { tail -n 3 "$d/err"; fail "$MODE: exit status $status after SIGQUIT"; }
    tail -n 1 "$d/logs/error.log" | grep -q '\] [0-9]*#[0-9]*: exit$' || fail "$MODE: error log does not end in the master's exit"
    ok "$MODE: SIGQUIT: graceful exit, status 0"
}
foreground native
foreground ufork

# === 3. daemon on, driven from a dash script ====================================
# The script starts nginx, then runs the commands that arrive on the fifo
# ctl, answering each on the fifo ack: "stat PID" (a line of /proc/PID/stat),
# "reload", "quit" (nginx -s ...), "exit".
cat >"$SCRATCH/daemon.sh" <<'SH'
ngx=$1 p=$2
"$ngx" -p "$p/" -c conf/d.conf -e logs/error.log
echo "started $?" >"$p/ack"
while read -r cmd arg <"$p/ctl"; do
    case $cmd in
        stat) if read -r s <"/proc/$arg/stat"; then echo "$s" >"$p/ack"; else echo "none" >"$p/ack"; fi ;;
        reload|quit) "$ngx" -p "$p/" -c conf/d.conf -e logs/error.log -s "$cmd"; echo "$cmd $?" >"$p/ack" ;;
        exit) exit 0 ;;
    esac
done
SH
daemon() { # MODE
    MODE=$1
    local d=$SCRATCH/d-$MODE port tpid r m w1 w2 a x i
    port=$(pick_port) || fail "no free port"
    prefix "$d" "$port"
    mkfifo "$d/ctl" "$d/ack"
    exec 4<>"$d/ack" 5<>"$d/ctl"
    if [ "$MODE" = ufork ]; then
        timeout -k 2 "$LIFE" "$UFORK" run "$DASH" "$SCRATCH/daemon.sh" "$NGINX" "$d" </dev/null >"$d/out" 2>"$d/err" &
    else
        timeout -k 2 "$LIFE" "$DASH" "$SCRATCH/daemon.sh" "$NGINX" "$d" </dev/null >"$d/out" 2>"$d/err" &
    fi
    tpid=$!
    PIDS+=("$tpid")
    ask() { echo "$*" >&5; read -r -t 10 -u 4 r || fail "$MODE: no answer to '$*' from the script ($(head -c 300 "$d/err"))"; }
    read -r -t 10 -u 4 r || fail "$MODE: daemon script did not start nginx ($(head -c 300 "$d/err"))"
    [ "$r" = "started 0" ] || fail "$MODE: nginx with daemon on: '$r'"
    wait_log "$d" 2
    m=$(cat "$d/logs/nginx.pid")
    w1=$(started "$d" | sort -n | tr '\n' ' ')
    for i in $(seq 100); do get "$port" /big.bin "$d/big" && break; sleep 0.05; done
    cmp -s "$d/big" "$BIG" || fail "$MODE: daemon: the 1 MiB file came back different"
    a=$(pids_answering "$d" "$port" 20 | tr '\n' ' ')
    is_subset "$a" "$w1" || fail "$MODE: daemon: responses from '$a', workers '$w1'"
    for x in $w1; do
        ask stat "$x"
        # pid (comm) state ppid
        read -r f1 f2 _ f4 _ <<<"$r"
        [ "$f1 $f2 $f4" = "$x (nginx) $m" ] || fail "$MODE: /proc/$x/stat of a worker: '$r' (master $m)"
    done
    ask reload
    [ "$r" = "reload 0" ] || fail "$MODE: nginx -s reload: '$r'"
    wait_log "$d" 4
    w2=$(started "$d" | tail -n 2 | sort -n | tr '\n' ' ')
    sleep 0.2
    a=$(pids_answering "$d" "$port" 20 | tr '\n' ' ')
    is_subset "$a" "$w2" || fail "$MODE: daemon: after reload responses from '$a', new workers '$w2'"
    ask quit
    [ "$r" = "quit 0" ] || fail "$MODE: nginx -s quit: '$r'"
    for i in $(seq 200); do
        tail -n 1 "$d/logs/error.log" | grep -q '\] [0-9]*#[0-9]*: exit$' && break
        sleep 0.05
    done
    tail -n 1 "$d/logs/error.log" | grep -q "\] $m#$m: exit\$" || fail "$MODE: daemon master $m did not exit after nginx -s quit"
    echo exit >&5
    wait_exit "$tpid" 10
    [ "$status" = 0 ] || fail "$MODE: daemon script: status $status"
    if [ "$MODE" = ufork ]; then
        # the runtime leaves once no µprocess is left
        for i in $(seq 100); do [ -z "$(pgrep -f "$d")" ] && break; sleep 0.05; done
        [ -z "$(pgrep -f "$d")" ] || fail "ufork: the runtime still runs after the daemon quit"
    fi
    exec 4<&- 5<&-
    ok "$MODE: daemon on: master $m, workers ${w1}(/proc/PID/stat: nginx, parent $m); nginx -s reload: workers ${w2%% }; nginx -s quit"
}
daemon native
daemon ufork

# === 4. missing configuration file ==============================================
MODE=missing
mport=$(pick_port) || fail "no free port"
prefix "$SCRATCH/m" "$mport"
timeout 10 "$NGINX" -p "$SCRATCH/m/" -c conf/missing.conf -e logs/error.log </dev/null >"$SCRATCH/mn" 2>"$SCRATCH/mn.err"
ns=$?
timeout 10 "$UFORK" run "$NGINX" -p "$SCRATCH/m/" -c conf/missing.conf -e logs/error.log </dev/null >"$SCRATCH/mu" 2>"$SCRATCH/mu.err"
us=$?
[ "$ns" = 1 ] && grep -q 'No such file or directory' "$SCRATCH/mn.err" || fail "native nginx, missing conf: status $ns, stderr '$(cat "$SCRATCH/mn.err")'"
[ "$us" = "$ns" ] || fail "missing conf: status native $ns, ufork $us"
cmp -s "$SCRATCH/mn.err" "$SCRATCH/mu.err" && cmp -s "$SCRATCH/mn" "$SCRATCH/mu" ||
    { diff -u "$SCRATCH/mn.err" "$SCRATCH/mu.err"; fail "missing conf: output differs"; }
ok "missing configuration file: status $us and the same stderr as native ($(cat "$SCRATCH/mu.err"))"
