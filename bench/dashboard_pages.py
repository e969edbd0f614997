#!/usr/bin/env python3
"""The dashboard's message pages over a queue of 1,000,000 messages (issue 14's goal: under
200 ms each). Pushes the messages with delivery paused, then times each kind of page: the
first, one halfway in (by keyset cursor), newest first, a state filter that matches nothing
and a text search that matches nothing (both stop at their scan budget). Prints figures;
never fails on them.
Usage: bench/dashboard_pages.py [MESSAGES]"""
import http.client, json, os, sqlite3, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
work = tempfile.mkdtemp()
state = os.path.join(work, "state.sqlite")
port_file = os.path.join(work, "port")
dev = subprocess.Popen([os.path.join(root, "build", "flareq"), "--state", state, "dev", "--port", "0", "--port-file", port_file],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    while not os.path.exists(port_file) or not open(port_file).read().strip():
        time.sleep(0.05)
    conn = http.client.HTTPConnection("127.0.0.1", int(open(port_file).read()))
    base = "/client/v4/accounts/local"

    def call(method, path, body=None):
        conn.request(method, base + path, json.dumps(body) if body is not None else None)
        r = conn.getresponse()
        data = json.loads(r.read())
        assert data["success"], data
        return data["result"]

    call("POST", "/queues", {"queue_name": "big"})
    call("PATCH", "/queues/big", {"settings": {"delivery_paused": True}})
    batch = {"messages": [{"body": {"type": "welcome-email", "userId": i, "note": "x" * 40}} for i in range(100)]}
    started = time.time()
    for _ in range(count // 100):
        call("POST", "/queues/big/messages/batch", batch)
    print(f"pushed {count:,} messages in {time.time() - started:.1f} s")
    middle = sqlite3.connect(f"file:{state}?mode=ro", uri=True).execute(
        "SELECT enqueued_ms, seq FROM messages ORDER BY seq LIMIT 1 OFFSET ?", (count // 2,)).fetchone()

    def timed(query, runs=7):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            result = call("GET", "/queues/big/flareq/messages?" + query)
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times), max(times), result

    for label, query in [("first page, oldest first, 50", "limit=50"),
                         ("a page halfway in (keyset cursor)", f"limit=50&cursor={middle[0]}.{middle[1]}"),
                         ("first page, newest first", "order=newest&limit=50"),
                         ("state=delayed, none match (scan budget)", "state=delayed"),
                         ("search, no match (scan budget)", "search=no-such-text")]:
        median, worst, result = timed(query)
        print(f"{label:42s} median {median:6.1f} ms, max {worst:6.1f} ms  "
              f"({len(result['messages'])} messages, {result['scanned']:,} scanned)")
    t = time.perf_counter()
    call("GET", "/flareq/overview")
    print(f"{'overview':42s} {(time.perf_counter() - t) * 1000:6.1f} ms")
finally:
    dev.terminate()
    dev.wait()
    subprocess.run(["rm", "-rf", work])
