#!/usr/bin/env python3
"""Space given back as a backlog drains (issue 11, finding 18): pushes a backlog with
delivery paused, lets a persistent ack-all handler drain it, and prints the state file's
size (with its WAL) at the peak, when drained and once the reclaim has run, plus the
latency of single pushes to another queue before and while it runs. Prints figures;
never fails on them.
Usage: bench/space_reclaim.py [messages (default 500000)] [body bytes (default 500)]"""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAREQ = os.path.join(ROOT, "build", "flareq")
total = int(sys.argv[1]) if len(sys.argv) > 1 else 500000
body_bytes = int(sys.argv[2]) if len(sys.argv) > 2 else 500

work = tempfile.mkdtemp(prefix="flareq-space-")
state = os.path.join(work, ".flareq", "state.sqlite")
handler = [sys.executable, os.path.join(ROOT, "bench", "ack_all_persistent.py")]
with open(os.path.join(work, "wrangler.jsonc"), "w") as f:
    json.dump({"queues": {"producers": [{"queue": "probe", "binding": "PROBE"}],
                          "consumers": [{"queue": "bench", "max_batch_size": 100, "max_batch_timeout": 0,
                                         "command": handler, "mode": "persistent"}]}}, f)
env = dict(os.environ, LATENCY_LOG=os.devnull)


def cli(*args):
    subprocess.run([FLAREQ, *args], cwd=work, check=True, stdout=subprocess.DEVNULL)


def size_mb():
    return sum(os.path.getsize(p) for p in (state, state + "-wal") if os.path.exists(p)) / 1e6


port_file = os.path.join(work, "port")
dev = subprocess.Popen([FLAREQ, "dev", "--port", "0", "--port-file", port_file], cwd=work, env=env,
                       stdout=open(os.path.join(work, "dev.log"), "w"), stderr=subprocess.STDOUT)
try:
    while not os.path.exists(port_file):
        time.sleep(0.05)
    port = int(open(port_file).read())
    base = "/client/v4/accounts/local/queues/"
    cli("queues", "pause-delivery", "bench")

    conn = http.client.HTTPConnection("127.0.0.1", port)
    batch = json.dumps({"messages": [{"body": "x" * body_bytes}] * 100})
    for _ in range(total // 100):
        conn.request("POST", base + "bench/messages/batch", batch)
        r = conn.getresponse()
        r.read()
        assert r.status == 200, r.status
    peak = size_mb()

    latencies = {"idle": [], "drain": []}
    phase = ["idle"]
    running = [True]

    def probe():
        c = http.client.HTTPConnection("127.0.0.1", port)
        while running[0]:
            t0 = time.perf_counter()
            c.request("POST", base + "probe/messages", '{"body":1}')
            r = c.getresponse()
            r.read()
            latencies[phase[0]].append((time.perf_counter() - t0) * 1000)
            time.sleep(0.005)

    prober = threading.Thread(target=probe)
    prober.start()
    time.sleep(2)
    phase[0] = "drain"
    t0 = time.time()
    cli("queues", "resume-delivery", "bench")
    cli("wait", "bench", "--timeout", "600")
    drained_s = time.time() - t0
    drained = size_mb()
    last, stable = drained, 0
    while stable < 3:  # until the size stops falling for 3 s
        time.sleep(1)
        now = size_mb()
        stable = stable + 1 if now >= last - 0.1 else 0
        last = now
    reclaim_s = time.time() - t0 - drained_s - 3
    running[0] = False
    prober.join()

    def pct(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")

    print(f"{total} messages of {body_bytes} bytes")
    print(f"state file + WAL: {peak:.1f} MB at the peak, {drained:.1f} MB when drained "
          f"({drained_s:.1f} s), {last:.1f} MB {reclaim_s:.1f} s later")
    for name in ("idle", "drain"):
        xs = latencies[name]
        print(f"single push latency, {name:5}: p50 {pct(xs, 0.5):.2f} ms  p99 {pct(xs, 0.99):.2f} ms  "
              f"max {max(xs) if xs else float('nan'):.2f} ms  ({len(xs)} pushes)")
finally:
    dev.terminate()
    dev.wait()
    subprocess.run(["rm", "-rf", work])
