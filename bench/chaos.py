#!/usr/bin/env python3
"""Chaos harness (issue 11): under a steady load of pushes, kills `dev` or one of its handler
processes with SIGKILL at random moments, restarts `dev` on the same state file, and in the
end drains the queue and checks that every push that was answered 200 reached the handler,
counts redeliveries (duplicates), and checks that no handler or dev process is left behind.
Trials alternate per-batch and persistent handlers; with --worker, the consumer is a Worker
(bench/chaos_worker.js, run by the Worker host in workerd) and the process killed first is the
Worker host. Prints figures; exits 1 only when an acknowledged message was lost or a process
was left behind, never on speed.
Usage: bench/chaos.py [trials (default 24)] [--seed N] [--worker]"""
import argparse
import http.server
import shutil
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAREQ = os.path.join(ROOT, "build", "flareq")
HANDLER = os.path.join(ROOT, "bench", "chaos_handler.py")
WORKER = os.path.join(ROOT, "bench", "chaos_worker.js")


def start_collector(log_path):
    """An HTTP server that appends what the Worker posts to the delivery log; returns its URL."""
    lock = threading.Lock()

    class Collect(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock, open(log_path, "ab") as f:
                f.write(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


def children_of(pid):
    """Every live descendant of pid (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        found += kids
        todo += kids
    return found


def cmdline_of(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def processes_running(marker):
    """Pids whose command line mentions marker (the run's own directory), or that run in it."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                cwd = ""
            if marker in cmdline_of(int(entry)) or cwd.startswith(marker):
                pids.append(int(entry))
    return pids


class Run:
    def __init__(self, work):
        self.work = work
        self.state = os.path.join(work, "state.sqlite")
        self.log = os.path.join(work, "delivered.log")
        self.port_file = os.path.join(work, "port")
        self.dev = None
        self.port = None

    def start(self, mode):
        consumer = {"queue": "chaos", "max_batch_size": 20, "max_batch_timeout": 0, "max_retries": 100}
        config = {"queues": {"producers": [{"queue": "chaos", "binding": "CHAOS"}], "consumers": [consumer]}}
        if mode == "worker":
            if not hasattr(self, "collector"):
                self.collector = start_collector(self.log)
                shutil.copy(WORKER, os.path.join(self.work, "chaos_worker.js"))
            config.update({"name": "chaos-worker", "main": "chaos_worker.js", "compatibility_date": "2026-04-01",
                           "vars": {"COLLECTOR": self.collector}})
        else:
            consumer["command"] = [sys.executable, HANDLER] + (["persistent"] if mode == "persistent" else [])
            consumer["mode"] = mode
        with open(os.path.join(self.work, "wrangler.jsonc"), "w") as f:
            json.dump(config, f)
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        env = dict(os.environ, CHAOS_LOG=self.log)
        self.dev = subprocess.Popen([FLAREQ, "--state", self.state, "dev", "--port", "0", "--port-file",
                                     self.port_file, "--shutdown-grace", "5", "--worker-port", "0"], cwd=self.work, env=env,
                                    stdout=open(os.path.join(self.work, "dev.log"), "a"), stderr=subprocess.STDOUT)
        while not os.path.exists(self.port_file):
            if self.dev.poll() is not None:
                raise SystemExit("dev exited at start; see " + os.path.join(self.work, "dev.log"))
            time.sleep(0.01)
        self.port = int(open(self.port_file).read())


class Producer(threading.Thread):
    """Pushes numbered messages to whichever dev is up; remembers the numbers answered 200."""

    def __init__(self, run):
        super().__init__(daemon=True)
        self.run_ = run
        self.next = 0
        self.acked = set()
        self.refused = 0
        self.stopping = False

    def run(self):
        conn, port = None, None
        while not self.stopping:
            if self.run_.port != port:
                conn, port = http.client.HTTPConnection("127.0.0.1", self.run_.port, timeout=5), self.run_.port
            n = self.next
            self.next += 10
            body = json.dumps({"messages": [{"body": n + i} for i in range(10)]})
            try:
                conn.request("POST", "/client/v4/accounts/local/queues/chaos/messages/batch", body)
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    self.acked.update(range(n, n + 10))
                else:
                    self.refused += 1
            except (OSError, http.client.HTTPException):
                self.refused += 1  # dev was killed under it: not acknowledged, may or may not be stored
                conn = http.client.HTTPConnection("127.0.0.1", self.run_.port, timeout=5)
                time.sleep(0.005)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trials", nargs="?", type=int, default=24)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--worker", action="store_true", help="the consumer is a Worker; kill its host")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    subprocess.run([os.path.join(ROOT, "scripts", "setup")], check=True, stdout=subprocess.DEVNULL)

    work = tempfile.mkdtemp(prefix="flareq-chaos-")
    run = Run(work)
    run.start("worker" if args.worker else "per-batch")
    producer = Producer(run)
    producer.start()
    kills = {"dev": 0, "handler": 0}
    left_behind = 0
    started = time.time()
    for trial in range(args.trials):
        mode = "worker" if args.worker else "persistent" if trial % 2 else "per-batch"
        time.sleep(rng.uniform(0.1, 1.0))
        # Now and then a handler dies first; dev always dies at the end of a trial.
        handlers = children_of(run.dev.pid)
        if args.worker:  # the Worker host, not workerd or esbuild below it
            handlers = [p for p in handlers if "host.mjs" in cmdline_of(p)]
        if handlers and rng.random() < 0.5:
            try:
                os.kill(rng.choice(handlers), signal.SIGKILL)
                kills["handler"] += 1
            except ProcessLookupError:
                pass
            time.sleep(rng.uniform(0.05, 0.5))
        handlers = children_of(run.dev.pid)
        run.dev.kill()
        run.dev.wait()
        kills["dev"] += 1
        # Handlers die with dev: give the kernel a moment, then look for survivors.
        deadline = time.time() + 5
        while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in handlers):
            time.sleep(0.01)
        survivors = [p for p in handlers if os.path.exists(f"/proc/{p}")
                     and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
        left_behind += len(survivors)
        for p in survivors:
            os.kill(p, signal.SIGKILL)
        run.start(mode)
    producer.stopping = True
    producer.join()
    chaos_s = time.time() - started

    # Drain what is left, then stop dev the polite way.
    drained = subprocess.run([FLAREQ, "--state", run.state, "wait", "chaos", "--timeout", "120"],
                             stdout=subprocess.DEVNULL).returncode == 0
    run.dev.send_signal(signal.SIGTERM)
    run.dev.wait()
    time.sleep(0.2)
    leftovers = processes_running(work)
    for p in leftovers:
        os.kill(p, signal.SIGKILL)

    delivered = {}
    with open(run.log) as f:
        for line in f:
            if line.strip().isdigit():  # a line cut short by a kill is not a delivery
                delivered[int(line)] = delivered.get(int(line), 0) + 1
    lost = producer.acked - delivered.keys()
    unacked_delivered = len(delivered.keys() - producer.acked)
    duplicates = sum(c - 1 for c in delivered.values())
    print(f"seed {args.seed}: {args.trials} trials in {chaos_s:.1f} s, "
          f"{kills['dev']} kills of dev, {kills['handler']} kills of a handler")
    print(f"acknowledged pushes: {len(producer.acked)}; lost: {len(lost)}; "
          f"queue drained afterwards: {'yes' if drained else 'NO'}")
    print(f"deliveries: {sum(delivered.values())} of {len(delivered)} messages; redeliveries: {duplicates}; "
          f"delivered though their push got no answer: {unacked_delivered}; push requests that failed "
          f"(dev down or killed mid-request): {producer.refused}")
    print(f"processes left behind: {left_behind} after kills, {len(leftovers)} at the end")
    if lost:
        print("LOST:", sorted(lost)[:20])
    ok = not lost and drained and left_behind == 0 and not leftovers
    if ok:
        subprocess.run(["rm", "-rf", work])
    else:
        print("kept for a look:", work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
