#!/usr/bin/env bash
# Pull-consumer figures (issue 5): 100,000 messages pulled 100 at a time and acked by one
# client over one keep-alive connection. Prints figures; never fails on them.
# Usage: bench/pull.sh [messages (default 100000)]
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-100000}
scripts/setup >/dev/null
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
build/flareq --state "$work/state.sqlite" dev --port 0 --port-file "$work/port" --http-pull bench >"$work/dev.log" 2>&1 &
for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
/usr/bin/python3 - "http://127.0.0.1:$(cat "$work/port")/client/v4/accounts/local/queues/bench" "$total" <<'PY'
import http.client, json, sys, time, urllib.parse
url = urllib.parse.urlparse(sys.argv[1]); total = int(sys.argv[2])
conn = http.client.HTTPConnection(url.hostname, url.port)
def post(path, body):
    conn.request("POST", url.path + path, json.dumps(body)); r = conn.getresponse()
    data = json.loads(r.read()); assert r.status == 200, data; return data["result"]
batch = json.dumps({"messages": [{"body": {"type": "welcome-email", "userId": i}} for i in range(100)]})
for _ in range(total // 100):
    conn.request("POST", url.path + "/messages/batch", batch); conn.getresponse().read()
start = time.time(); done = 0
while True:
    messages = post("/messages/pull", {"batch_size": 100, "visibility_timeout_ms": 60000})["messages"]
    if not messages:
        break
    done += post("/messages/ack", {"acks": [{"lease_id": m["lease_id"]} for m in messages]})["ackCount"]
elapsed = time.time() - start
print("pull+ack, batch size 100, one client: %d messages in %.2fs = %.0f messages/s" % (done, elapsed, done / elapsed))
PY
