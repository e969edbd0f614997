#!/usr/bin/env bash
# Delivery figures (issue 4): 100,000 messages consumed with max_batch_size 100 and
# max_batch_timeout 0 by a persistent handler that acks everything and by a per-batch
# handler; and push→handler latency for single messages (batch size 1, timeout 0) with a
# persistent handler. Prints figures; never fails on them.
# Usage: bench/delivery.sh [messages (default 100000)]
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-100000}
scripts/setup >/dev/null
command -v bc >/dev/null || { echo "bench needs bc: apt-get install bc" >&2; exit 1; }
bench=$(pwd)/bench
flareq=${FLAREQ:-$(pwd)/build/flareq}  # FLAREQ picks another build, for a comparison in the same minutes
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
py=/usr/bin/python3

start_dev() {  # $1: wrangler.jsonc content
  echo "$1" >"$work/wrangler.jsonc"
  rm -rf "$work/port" "$work/.flareq"
  (cd "$work" && exec "$flareq" dev --port 0 --port-file "$work/port" >"$work/dev.log" 2>&1) &
  dev_pid=$!
  for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  api="http://127.0.0.1:$(cat "$work/port")/client/v4/accounts/local"
}
stop_dev() { kill $dev_pid; wait $dev_pid 2>/dev/null || true; }

push_all() {  # pushes $total small messages to queue "bench", 100 per request
  $py - "$api/queues/bench/messages/batch" "$total" <<'PY'
import http.client, json, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1]); total = int(sys.argv[2])
conn = http.client.HTTPConnection(url.hostname, url.port)
body = json.dumps({"messages": [{"body": {"type": "welcome-email", "userId": i}} for i in range(100)]})
for _ in range(total // 100):
    conn.request("POST", url.path, body); r = conn.getresponse(); r.read(); assert r.status == 200
PY
}

consume() {  # $1: label, $2: consumer JSON fields
  start_dev "{\"queues\":{\"consumers\":[{\"queue\":\"bench\",\"max_batch_size\":100,\"max_batch_timeout\":0,$2}]}}"
  (cd "$work" && "$flareq" queues pause-delivery bench >/dev/null)
  push_all
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$work" && "$flareq" queues resume-delivery bench >/dev/null && "$flareq" wait bench --timeout 600)
  t1=$(date +%s.%N)
  stop_dev
  printf '%s: %d messages in %.2fs = %.0f messages/s\n' "$1" "$total" "$(echo "$t1 - $t0" | bc -l)" \
    "$(echo "$total / ($t1 - $t0)" | bc -l)"
}

consume "persistent handler, ack all" "\"command\":[\"$py\",\"$bench/ack_all_persistent.py\"],\"mode\":\"persistent\""
consume "per-batch handler (sh -c 'cat >/dev/null')" "\"command\":\"cat >/dev/null\""

# Latency: one message at a time, each carrying its send time; first pushed to the dev
# that runs the handler, then to a second dev process on the same state file.
export LATENCY_LOG="$work/latency.log"
push_timed() {  # $1: the accounts URL to push to, $2: a label
  $py - "$1/queues/bench/messages" <<'PY'
import http.client, json, sys, time, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
conn = http.client.HTTPConnection(url.hostname, url.port)
for i in range(500):
    body = json.dumps({"body": {"sent": time.time() * 1000}})
    conn.request("POST", url.path, body); r = conn.getresponse(); r.read(); assert r.status == 200, r.status
    time.sleep(0.005)
PY
  (cd "$work" && "$flareq" wait bench --timeout 60)
  awk '{print $2 - $1}' "$LATENCY_LOG" | sort -n | awk -v label="$2" '{a[NR]=$1} END {
    printf "push->handler latency, batch size 1, persistent handler, %s: p50 %.2f ms, p99 %.2f ms (%d messages)\n",
           label, a[int(NR*0.5)], a[int(NR*0.99)], NR}'
  : >"$LATENCY_LOG"  # the handler keeps the file open
}
start_dev "{\"queues\":{\"consumers\":[{\"queue\":\"bench\",\"max_batch_size\":1,\"max_batch_timeout\":0,\"command\":[\"$py\",\"$bench/latency_persistent.py\"],\"mode\":\"persistent\"}]}}"
push_timed "$api" "pushed to the same process"
mkdir -p "$work/producer" && echo '{}' >"$work/producer/wrangler.jsonc"
(cd "$work/producer" && exec "$flareq" --state "$work/.flareq/state.sqlite" dev --port 0 --port-file "$work/producer/port" >"$work/producer/dev.log" 2>&1) &
producer=$!
for _ in $(seq 200); do [ -s "$work/producer/port" ] && break; sleep 0.05; done
push_timed "http://127.0.0.1:$(cat "$work/producer/port")/client/v4/accounts/local" "pushed to another dev process"
kill $producer; wait $producer 2>/dev/null || true
stop_dev
