#!/usr/bin/env bash
# The Python FaaS zygote (apps/python/zygote.py, `make python`) under ufork:
#   1. `ufork run build/apps/python -c 'import os; print(os.fork())'`-style
#      basics give the same output as the same binary natively;
#   2. the zygote starts under ufork, the client (natively, same binary)
#      sends 60 requests over 4 connections at a time: every reply's
#      computed fields are right and every child pid is distinct;
#   3. SIGTERM shuts it down cleanly: "served 60", exit status 0;
#   4. bad input: a missing script file, and a port already in use, give the
#      same stderr and exit status under ufork as natively.
# Skips when build/apps/python is missing and cannot be built (the build takes
# many minutes: run `make python` first).  Loopback only; ports from
# 61000-64999.  Every process is bounded by `timeout`.
# shellcheck source-path=SCRIPTDIR source=lib.bash
. "$(dirname "$0")/lib.bash"
need_ufork
for t in timeout pgrep; do command -v "$t" >/dev/null 2>&1 || skip "'$t' not installed"; done
PY=$ROOT/build/apps/python
APP=$ROOT/apps/python
[ -x "$PY" ] || skip "build/apps/python missing: run make python"
export PYTHONHOME=$ROOT/build/apps/python3.11 PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH PYTHONSTARTUP
LIFE=$((60 * ${UFORK_TEST_TIMEOUT:-30} / 30))

cleanup() { kill_jobs; rm -rf "$SCRATCH"; }
trap cleanup EXIT

# both WHAT ARGS...: python ARGS natively and under ufork: same stdout, stderr, status
both() {
    local what=$1; shift
    (cd "$SCRATCH" && timeout -k 2 "$LIFE" "$PY" "$@") >"$SCRATCH/n.out" 2>"$SCRATCH/n.err" </dev/null
    local ns=$?
    (cd "$SCRATCH" && timeout -k 2 "$LIFE" "$UFORK" run --reloc-misaligned "$PY" "$@") >"$SCRATCH/u.out" 2>"$SCRATCH/u.err" </dev/null
    local us=$?
    if [ "$ns" != "$us" ] || ! cmp -s "$SCRATCH/n.out" "$SCRATCH/u.out" || ! cmp -s "$SCRATCH/n.err" "$SCRATCH/u.err"; then
        echo "  native ($ns): $(head -c 300 "$SCRATCH/n.out") / $(head -c 300 "$SCRATCH/n.err")"
        echo "  ufork  ($us): $(head -c 300 "$SCRATCH/u.out") / $(head -c 300 "$SCRATCH/u.err")"
        fail "$what: native and ufork differ"
    fi
    echo "ok: $what (status $ns)"
}

# 1. basics
both "fork+wait" -c 'import os
pid = os.fork()
if pid == 0: os._exit(7)
p, st = os.waitpid(pid, 0)
print(p == pid, os.WEXITSTATUS(st))'
both "imports" -c 'import json, socket, select, math, struct, time, binascii, hashlib, subprocess, threading
print(json.dumps({"a": math.sqrt(2), "b": binascii.crc32(b"x"), "h": hashlib.sha256(b"x").hexdigest()}))'
both "threads+fork" -c 'import os, threading
r = []
t = threading.Thread(target=lambda: r.append(os.getpid())); t.start(); t.join()
pid = os.fork()
if pid == 0:
    t = threading.Thread(target=lambda: r.append(1)); t.start(); t.join(); os._exit(len(r))
print(os.WEXITSTATUS(os.waitpid(pid, 0)[1]))'
both "missing script" "$SCRATCH/no-such-script.py"

# 2. the zygote under ufork
timeout -k 2 "$LIFE" "$UFORK" run --reloc-misaligned "$PY" "$APP/zygote.py" --port 0 \
    </dev/null >"$SCRATCH/z.out" 2>"$SCRATCH/z.err" &
ZP=$!
PIDS+=("$ZP")
port=
for _ in $(seq 300); do
    port=$(awk '/^ready/ { print $2 }' "$SCRATCH/z.out")
    [ -n "$port" ] && break
    kill -0 "$ZP" 2>/dev/null || break
    sleep 0.05
done
[ -n "$port" ] || { cat "$SCRATCH/z.err"; fail "zygote did not start under ufork"; }
if ! timeout -k 2 "$LIFE" "$PY" "$APP/zygote_client.py" "$port" 60 4 >"$SCRATCH/c.out" 2>&1; then
    cat "$SCRATCH/c.out"; cat "$SCRATCH/z.err"; fail "client: wrong or missing replies"
fi
grep -q ' pids 60  ok 60$' "$SCRATCH/c.out" || { cat "$SCRATCH/c.out"; fail "expected 60 correct replies from 60 distinct pids"; }
echo "ok: 60 requests: $(cat "$SCRATCH/c.out")"

# 4b. port in use (the zygote above holds it)
both "port in use" "$APP/zygote.py" --port "$port"

# 3. shutdown
kill -TERM "$(pgrep -P "$ZP" | head -n 1)"
wait "$ZP"; zs=$?
[ "$zs" = 0 ] || { cat "$SCRATCH/z.err"; fail "zygote exited with status $zs after SIGTERM"; }
grep -qx 'served 60' "$SCRATCH/z.out" || { cat "$SCRATCH/z.out"; fail "expected 'served 60'"; }
[ ! -s "$SCRATCH/z.err" ] || { cat "$SCRATCH/z.err"; fail "zygote wrote to stderr"; }
echo "ok: SIGTERM: served 60, status 0"
