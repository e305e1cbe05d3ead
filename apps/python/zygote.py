"""apps/python/zygote.py - a FaaS zygote: import once, fork per request.

usage: python zygote.py [--host H] [--port P]   (P=0: any free port)

Imports json, socket, the stdlib modules the function uses and
apps/python/functions.py once, listens on a loopback TCP socket and prints
"ready PORT" on stdout.  For each connection it forks one child, which reads
one JSON line, runs functions.handle() on it, writes one JSON line back and
exits (os._exit); the parent closes its copy of the connection at once and
reaps children with waitpid(WNOHANG) from a SIGCHLD handler.  A request
that is not valid JSON gets {"error": ...} and the child exits 1.
SIGTERM or SIGINT: stop accepting, wait for the children still running, print
"served N" on stdout and exit 0.
"""
import json
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import functions  # noqa: E402  (the function module, imported once)

children = set()
stopping = False


def reap(signum=None, frame=None):
    while children:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)


def stop(signum, frame):
    global stopping
    if stopping:          # a second signal (e.g. to the process group too)
        return
    stopping = True
    raise KeyboardInterrupt


def serve_one(conn):
    status = 0
    try:
        f = conn.makefile("rwb")
        line = f.readline()
        try:
            reply = functions.handle(json.loads(line))
        except (ValueError, KeyError, TypeError) as e:
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
            status = 1
        f.write(json.dumps(reply).encode() + b"\n")
        f.flush()
    except OSError:
        status = 2
    os._exit(status)


def main(argv):
    host, port = "127.0.0.1", 0
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--host":
            host = args.pop(0)
        elif a == "--port":
            port = int(args.pop(0))
        else:
            sys.exit("usage: zygote.py [--host H] [--port P]")
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind((host, port))
    lsock.listen(128)
    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", lsock.getsockname()[1], flush=True)
    served = 0
    try:
        while not stopping:
            conn, _ = lsock.accept()
            pid = os.fork()
            if pid == 0:
                lsock.close()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                serve_one(conn)
            children.add(pid)
            served += 1
            conn.close()
    except KeyboardInterrupt:
        pass
    lsock.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for pid in list(children):
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    print("served", served, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
