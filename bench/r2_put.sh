#!/usr/bin/env bash
# What an R2 event notification costs a Worker's put(): the same Worker, under one flareq dev,
# answers GET /put with one env.BUCKET.put() of 64 bytes; rounds alternate between no rule on
# the bucket and a matching rule (the notification committed before put() returns; its queue
# has no consumer, so delivery takes no CPU from the puts). Prints requests/s per round and the
# medians; never fails on them. #27's goal: with a rule, at most 20% slower.
# Usage: bench/r2_put.sh [requests per round (default 3000)] [rounds per mode (default 3)] [clients (default 8)]
# FLAREQ picks the flareq binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
flareq=${FLAREQ:-$root/build/flareq}
load=$root/build/bench/http_load
requests=${1:-3000} rounds=${2:-3} clients=${3:-8}
work=$(mktemp -d /tmp/flareq-bench-r2-XXXXXX)
mkdir -p "$work/src"
cat >"$work/wrangler.jsonc" <<'JSON'
{ "name": "r2-bench", "main": "src/index.js", "compatibility_date": "2026-04-01",
  "r2_buckets": [{ "binding": "BUCKET", "bucket_name": "bench" }],
  "queues": { "producers": [{ "binding": "EVENTS", "queue": "bench-events" }] } }
JSON
cat >"$work/src/index.js" <<'JS'
const body = "x".repeat(64);
export default {
  async fetch(request, env) {
    const object = await env.BUCKET.put("images/bench.png", body);
    return new Response(object.etag);
  },
};
JS
cd "$work"
"$flareq" dev --port 0 --port-file "$work/port" --worker-port 0 --worker-port-file "$work/worker-port" >"$work/dev.log" 2>&1 &
dev=$!
trap 'kill $dev 2>/dev/null || true; wait $dev 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 2400); do [ -s "$work/worker-port" ] && break; kill -0 $dev 2>/dev/null || { cat "$work/dev.log"; exit 1; }; sleep 0.05; done
port=$(cat "$work/worker-port")
"$load" 127.0.0.1 "$port" /put 500 "$clients" >/dev/null  # warm up
rate() { "$load" 127.0.0.1 "$port" /put "$requests" "$clients" |
         python3 -c 'import json,sys; r=json.load(sys.stdin); print(round(r["ok"]*1000/max(1,r["ended_ms"]-r["started_ms"])))'; }
median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
without=() with=()
for i in $(seq "$rounds"); do
  without+=("$(rate)")
  "$flareq" r2 bucket notification create bench --event-type object-create --queue bench-events >/dev/null
  with+=("$(rate)")
  "$flareq" r2 bucket notification delete bench --queue bench-events >/dev/null
done
sent=$("$flareq" queues info bench-events --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["received"])')
m0=$(echo "${without[*]}" | median) m1=$(echo "${with[*]}" | median)
echo "put() of 64 bytes, $requests requests x $rounds rounds per mode, $clients clients (requests/s):"
echo "  no rule:        ${without[*]}   median $m0"
echo "  matching rule:  ${with[*]}   median $m1   ($sent notifications committed)"
python3 -c "print(f'  a notification costs a put {100*($m0-$m1)/$m0:.1f}% of its throughput (goal: at most 20%)')"
