"""apps/python/zygote_client.py - load generator and checker for zygote.py.

usage: python zygote_client.py PORT [N [CONCURRENCY]]   (default 200, 4)

Sends N requests over CONCURRENCY threads, one connection per request, checks
every reply (sum, sum of squares, median, CRC-32 recomputed here; id echoed;
pid not the zygote's), and prints
  functions/s F  p50_ms A  p99_ms B  pids D  ok N
on one line.  Exit status 1 when any reply is wrong or missing.
"""
import binascii
import json
import socket
import statistics
import sys
import threading
import time


def expected(values):
    canon = json.dumps(values, separators=(",", ":"))
    return {"sum": sum(values), "sumsq": sum(v * v for v in values),
            "median": statistics.median(values),
            "crc32": binascii.crc32(canon.encode())}


def main(argv):
    port = int(argv[0])
    n = int(argv[1]) if len(argv) > 1 else 200
    conc = int(argv[2]) if len(argv) > 2 else 4
    lat, pids, errors = [], set(), []
    bad_replies = [0]
    lock = threading.Lock()
    counter = iter(range(n))

    def worker():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            values = [(i * 7 + k * 13) % 101 - 50 for k in range(1 + i % 17)]
            t0 = time.perf_counter()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                    s.sendall(json.dumps({"id": i, "values": values}).encode() + b"\n")
                    f = s.makefile("rb")
                    reply = json.loads(f.readline())
            except (OSError, ValueError) as e:
                with lock:
                    errors.append("request %d: %s" % (i, e))
                continue
            dt = time.perf_counter() - t0
            want = expected(values)
            want["id"] = i
            bad = {k: (reply.get(k), v) for k, v in want.items() if reply.get(k) != v}
            with lock:
                lat.append(dt)
                pids.add(reply.get("pid"))
                if bad:
                    bad_replies[0] += 1
                    errors.append("request %d: wrong %r" % (i, bad))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for e in errors[:5]:
        print(e, file=sys.stderr)
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0.0
    print("functions/s %.1f  p50_ms %.2f  p99_ms %.2f  pids %d  ok %d"
          % (len(lat) / wall, p(0.50), p(0.99), len(pids), len(lat) - bad_replies[0]))
    return 1 if errors or len(lat) != n else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
