#!/usr/bin/env python3
"""The same Worker (bench/worker) under `wrangler dev` (flareq's pinned wrangler) and under
`flareq dev`, side by side in one run. For each it prints: cold start to the Worker's first
200; requests/s of a fetch() that returns at once, of one that sends one message to a queue
nobody reads (the send's own cost), and of one that sends one message (16 concurrent keep-alive clients,
10,000 requests); end to end for those 10,000 single sends (first request to the queue()
call that brings the count to 10,000); end to end for 100,000 messages sent with
sendBatch(100); push -> queue() latency p50/p99 with max_batch_size 1 (one send at a time,
timed by the Worker's own clock); the peak RSS of the process tree (and its largest processes
at that moment); and whether the
messages survive a restart. Prints figures; never fails on them. The load generator is
build/bench/http_load (C++); on 2 cores it still competes with what it measures, so compare
the two columns rather than the absolute figures.
Usage: bench/worker_vs_wrangler.py [requests (default 10000)] [latency samples (default 300)] [rounds (default 1)]
FLAREQ picks the flareq binary; FLAREQ_BASELINE=OLD puts an older build in wrangler dev's column.
On this machine two runs of the same build differ by up to 25%, so a change of 10% needs
several rounds: each round runs both, in turn first, and prints its own table."""
import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAREQ = os.environ.get("FLAREQ") or os.path.join(ROOT, "build", "flareq")
# FLAREQ_BASELINE=path/to/older/flareq compares two flareq builds in the same minutes, in place
# of wrangler dev.
BASELINE = os.environ.get("FLAREQ_BASELINE")
WRANGLER_JS = os.path.join(ROOT, "worker", "node_modules", "wrangler", "bin", "wrangler.js")
# flareq's wrangler needs Node.js 22.12+: the one scripts/setup installs when the PATH's is older.
NODE = os.path.join(ROOT, "worker", ".node", "bin", "node") if os.path.exists(
    os.path.join(ROOT, "worker", ".node", "bin", "node")) else "node"
HTTP_LOAD = os.path.join(ROOT, "build", "bench", "http_load")
REQUESTS = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
LATENCY_SAMPLES = int(sys.argv[2]) if len(sys.argv) > 2 else 300
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
CLIENTS = 16


def die_with_this_process():
    """In the child: a SIGKILL when the benchmark dies (PR_SET_PDEATHSIG), so a benchmark
    killed halfway leaves no dev server running."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tree_by_name(pid):
    """For pid and all its descendants, summed by process name: resident KiB and CPU seconds
    (user + system) used so far, as {name: (rss_kb, cpu_s)}."""
    parents, names, rss, cpu = {}, {}, {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                head, tail = f.read().rsplit(")", 1)
            fields = tail.split()
            p = int(entry)
            parents[p], names[p] = int(fields[1]), head.split("(", 1)[1]
            cpu[p] = (int(fields[11]) + int(fields[12])) / tick
            with open(f"/proc/{entry}/status") as f:
                m = re.search(r"VmRSS:\s+(\d+)", f.read())
                rss[p] = int(m.group(1)) if m else 0
        except (OSError, ValueError, IndexError):
            pass
    by_name, todo = {}, [pid]
    while todo:
        p = todo.pop()
        kb, s = by_name.get(names.get(p, "?"), (0, 0))
        by_name[names.get(p, "?")] = (kb + rss.get(p, 0), s + cpu.get(p, 0))
        todo += [c for c, pp in parents.items() if pp == p]
    return by_name


def tree_rss_kb(pid):
    """Resident size of pid and all its descendants, and the same by process name."""
    split = {name: kb for name, (kb, _) in tree_by_name(pid).items()}
    return sum(split.values()), split


def tree_cpu_s(pid):
    """CPU seconds used so far by pid and its descendants, by process name."""
    return {name: s for name, (_, s) in tree_by_name(pid).items()}


def cpu_split(before, after, requests):
    """CPU milliseconds per request by process, between two tree_cpu_s() readings."""
    used = {name: after[name] - before.get(name, 0) for name in after}
    top = sorted(((n, t) for n, t in used.items() if t > 0), key=lambda kv: -kv[1])[:4]
    return " ".join(f"{name} {1000 * t / requests:.2f}" for name, t in top)


class Subject:
    """One dev server running the Worker; follows its log for queue()'s running total."""

    def __init__(self, label, argv, cwd, port):
        self.label, self.port, self.received, self.peak_rss = label, port, 0, 0
        self.latencies, self.received_at = [], 0
        self.cond = threading.Condition()
        env = dict(os.environ, WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false",
                   WRANGLER_HIDE_BANNER="true", CI="true", FORCE_COLOR="0")
        self.started = time.time()
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, start_new_session=True,
                                     preexec_fn=die_with_this_process)
        threading.Thread(target=self._follow, daemon=True).start()
        threading.Thread(target=self._sample_rss, daemon=True).start()
        self.cold_start_s = self._first_200()

    def _follow(self):
        self.tail = []
        for line in self.proc.stdout:
            self.tail = (self.tail + [line])[-20:]
            m = re.search(r"received (\d+)", line)
            if m:
                with self.cond:
                    self.received, self.received_at = max(self.received, int(m.group(1))), time.time()
                    self.cond.notify_all()
            m = re.search(r"latency (-?\d+)", line)
            if m:
                with self.cond:
                    self.latencies.append(int(m.group(1)))
                    self.cond.notify_all()

    def _sample_rss(self):
        self.peak_split = {}
        while self.proc.poll() is None:
            total, split = tree_rss_kb(self.proc.pid)
            if total > self.peak_rss:
                self.peak_rss, self.peak_split = total, split
            time.sleep(0.2)

    def _first_200(self):
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/ping")
                if c.getresponse().status == 200:
                    return time.time() - self.started
            except OSError:
                pass
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise SystemExit(f"{self.label} exited before serving:\n" + "".join(getattr(self, "tail", [])))
            time.sleep(0.02)

    def wait_received(self, count, timeout=60):
        with self.cond:
            self.cond.wait_for(lambda: self.received >= count, timeout)
            return self.received_at, self.received

    def load(self, path, requests):
        """`requests` GETs of path from CLIENTS keep-alive clients (build/bench/http_load);
        returns when the first was sent (s), how long they took, and how many got a 200."""
        out = subprocess.run([HTTP_LOAD, "127.0.0.1", str(self.port), path, str(requests), str(CLIENTS)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        if r["failed"]:
            print(f"  {self.label}: {r['failed']} of {requests} failed, first: {r['first_error']}")
        return r["started_ms"] / 1000, (r["ended_ms"] - r["started_ms"]) / 1000, r["ok"]

    def latency(self, samples):
        """One /latency request at a time, each after the previous message reached queue();
        returns the latencies the Worker measured (ms)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for i in range(samples):
            c.request("GET", "/latency")
            c.getresponse().read()
            with self.cond:
                self.cond.wait_for(lambda: len(self.latencies) > i, 10)
        return list(self.latencies)

    def stop(self):
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else float("nan")


def measure(subject):
    figures = {"cold start to first 200": f"{subject.cold_start_s:.2f} s"}
    sent = REQUESTS
    before = tree_cpu_s(subject.proc.pid)
    _, took, ok = subject.load("/ping", REQUESTS)
    plain = ok / took
    figures[f"fetch() that returns at once, {CLIENTS} clients"] = f"{plain:,.0f} req/s"
    figures["  CPU ms per plain fetch(), by process"] = cpu_split(before, tree_cpu_s(subject.proc.pid), ok)
    before = tree_cpu_s(subject.proc.pid)
    _, took, ok = subject.load("/park", REQUESTS)
    figures[f"fetch()+send() to a queue nobody reads, {CLIENTS} clients"] = f"{ok / took:,.0f} req/s ({ok / took / plain:.2f} x plain)"
    figures["  CPU ms per fetch()+send() alone, by process"] = cpu_split(before, tree_cpu_s(subject.proc.pid), ok)
    before = tree_cpu_s(subject.proc.pid)
    t0, took, ok = subject.load("/", REQUESTS)
    figures[f"fetch()+send() with queue() consuming, {CLIENTS} clients"] = f"{ok / took:,.0f} req/s ({ok / took / plain:.2f} x plain)" + (
        "" if ok == sent else f" ({sent - ok} failed)")
    subject.wait_received(ok)
    figures["  CPU ms per fetch()+send() and its delivery, by process"] = cpu_split(before, tree_cpu_s(subject.proc.pid), ok)
    done, got = subject.wait_received(ok)
    figures[f"{REQUESTS:,} single sends, end to end"] = f"{done - t0:.2f} s" if got >= ok else f"only {got} of {ok} arrived"
    base = subject.received
    batches = REQUESTS // 10
    before = tree_cpu_s(subject.proc.pid)
    t0, _, ok = subject.load("/batch", batches)
    n = ok * 100
    done, got = subject.wait_received(base + n)
    figures[f"{batches * 100:,} messages by sendBatch(100), end to end"] = (
        f"{done - t0:.2f} s ({n / (done - t0):,.0f} msg/s)" if got >= base + n else f"only {got - base} of {n} arrived") + (
        "" if ok == batches else f" ({batches - ok} sendBatch failed)")
    figures["  CPU ms per sendBatch(100) and its deliveries, by process"] = cpu_split(before, tree_cpu_s(subject.proc.pid), ok)
    lat = subject.latency(LATENCY_SAMPLES)
    figures["push -> queue() latency, batch size 1"] = (
        f"p50 {percentile(lat, 50)} ms, p99 {percentile(lat, 99)} ms" + (
            "" if len(lat) >= LATENCY_SAMPLES else f" (only {len(lat)} of {LATENCY_SAMPLES} arrived)"))
    figures["peak RSS of the process tree"] = f"{subject.peak_rss / 1024:.0f} MiB"
    top = sorted(subject.peak_split.items(), key=lambda kv: -kv[1])[:4]
    figures["  of which, by process"] = " ".join(f"{name} {kb / 1024:.0f}" for name, kb in top)
    return figures


def main():
    subprocess.run([os.path.join(ROOT, "scripts", "setup")], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", os.path.join(ROOT, "build"), "--target", "http_load"], check=True,
                   stdout=subprocess.DEVNULL)
    other = "baseline flareq" if BASELINE else "wrangler dev"
    for round_number in range(1, ROUNDS + 1):
        order = (other, "flareq dev") if round_number % 2 else ("flareq dev", other)
        results = {label: run_one(label) for label in order}
        rows = list(next(iter(results.values())).keys())
        width = max(len(r) for r in rows)
        if ROUNDS > 1:
            print(f"round {round_number} of {ROUNDS} ({order[0]} first)")
        print(f"{'':{width}}  {other:>28}  {'flareq dev':>28}")
        for r in rows:
            print(f"{r:{width}}  {results[other][r]:>28}  {results['flareq dev'][r]:>28}")
        sys.stdout.flush()
    if not BASELINE:
        print("messages kept across a restart, or while no consumer runs: wrangler dev no (in memory), flareq dev yes")


def run_one(label):
    """Starts `label`'s dev server on a fresh copy of bench/worker, measures it and stops it."""
    work = tempfile.mkdtemp(prefix="flareq-bench-worker-")
    shutil.copytree(os.path.join(ROOT, "bench", "worker"), work, dirs_exist_ok=True)
    port = free_port()
    if label == "wrangler dev":
        argv = [NODE, WRANGLER_JS, "dev", "--ip", "127.0.0.1", "--port", str(port), "--inspector-port", str(free_port()),
                "--log-level", "log"]
    else:
        argv = [BASELINE if label == "baseline flareq" else FLAREQ, "dev", "--worker-port", str(port), "--port", "0"]
    subject = None
    try:
        subject = Subject(label, argv, work, port)
        return measure(subject)
    finally:
        if subject:
            subject.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
