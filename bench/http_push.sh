#!/usr/bin/env bash
# HTTP front-end figures (issue 3): single-message push against a bare cpp-httplib server
# in the same run, batch push of 100 messages per request, and dev's memory after 1,000,000
# pushed messages. Prints figures; never fails on them. FLAREQ (default build/flareq) picks
# the binary, so an older build can run in the same minutes.
# Usage: bench/http_push.sh [seconds per run (default 10)] [connections (default 16)]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}; conns=${2:-16}
for tool in wrk bc; do command -v $tool >/dev/null || { echo "bench needs $tool: apt-get install wrk bc" >&2; exit 1; }; done
scripts/setup >/dev/null
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cat >"$work/push.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"body":{"type":"welcome-email","userId":123}}'
LUA
python3 - "$work/batch.lua" <<'PY'
import json, sys
body = json.dumps({"messages": [{"body": {"type": "welcome-email", "userId": i}} for i in range(100)]})
open(sys.argv[1], "w").write('wrk.method = "POST"\nwrk.body = [[' + body + ']]\n')
PY

rps() { wrk -t2 -c"$conns" -d"${secs}s" -s "$2" "$1" | awk '/Requests\/sec/ {print $2}'; }
latency() { wrk -t2 -c"$conns" -d"${secs}s" -s "$2" --latency "$1" | awk '/ 50%/ {p50=$2} / 99%/ {p99=$2} END {print "p50 " p50 ", p99 " p99}'; }

build/bench/bare_httplib_server >"$work/bare.port" &
sleep 0.3
bare=$(rps "http://127.0.0.1:$(cat "$work/bare.port")/push" "$work/push.lua")
kill %1; wait %1 2>/dev/null || true

start_dev() {
  rm -f "$work/port"
  "${FLAREQ:-build/flareq}" --state "$work/state.sqlite" dev --port 0 --port-file "$work/port" >"$work/dev.log" 2>&1 &
  dev_pid=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  base="http://127.0.0.1:$(cat "$work/port")/client/v4/accounts/local/queues"
  curl -s -X POST "$base" -d '{"queue_name":"bench"}' >/dev/null
}
start_dev
single=$(rps "$base/bench/messages" "$work/push.lua")
single_latency=$(latency "$base/bench/messages" "$work/push.lua")
batch=$(rps "$base/bench/messages/batch" "$work/batch.lua")
kill $dev_pid; wait $dev_pid 2>/dev/null || true

# Memory: 10,000 batch requests of 100 messages, then dev's resident size.
rm -f "$work/state.sqlite"*
start_dev
python3 - "$base/bench/messages/batch" <<'PY'
import http.client, json, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
conn = http.client.HTTPConnection(url.hostname, url.port)
body = json.dumps({"messages": [{"body": {"type": "welcome-email", "userId": i}} for i in range(100)]})
for _ in range(10000):
    conn.request("POST", url.path, body)
    r = conn.getresponse(); r.read()
    assert r.status == 200, r.status
PY
count=$(curl -s "$base/bench/metrics" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["backlog_count"])')
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$dev_pid/status)
kill $dev_pid; wait $dev_pid 2>/dev/null || true

printf 'single push, %s connections, %ss: bare cpp-httplib %s req/s, flareq %s req/s, ratio %.2f\n' \
  "$conns" "$secs" "$bare" "$single" "$(echo "$single / $bare" | bc -l)"
printf 'single push latency under load: %s\n' "$single_latency"
printf 'batch push (100 per request): %s req/s = %.0f messages/s\n' "$batch" "$(echo "$batch * 100" | bc -l)"
printf 'dev resident size after %s pushed messages: %.1f MiB\n' "$count" "$(echo "$rss_kb / 1024" | bc -l)"
