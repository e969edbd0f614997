#!/usr/bin/env bash
# The test: places orders through the API, then asserts on the consumer's effects. It never
# waits for a timer: `dev` runs with --virtual-clock, and the test moves time itself.
# Needs FLAREQ_API (the accounts URL) and runs beside wrangler.jsonc.
set -euo pipefail
flareq=${FLAREQ:-flareq}
order() { curl -sf -X POST "$FLAREQ_API/queues/orders/messages" -d "{\"body\":{\"orderId\":$1,\"item\":\"book\"}}" >/dev/null; }
field() { "$flareq" queues info orders --json | python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
fulfilled() { [ -f "$FULFILLED_DIR/$1.json" ] || { echo "FAIL: order $1 was not fulfilled" >&2; exit 1; }; }

# 1. Three orders. The batch window (max_batch_timeout, 5 s) closes when the clock passes it,
#    then `wait` returns once every message is acknowledged (or fails with what is left).
for id in 101 102 103; do order $id; done
"$flareq" time advance 5s >/dev/null
"$flareq" wait orders --timeout 30
for id in 101 102 103; do fulfilled $id; done

# 2. A failing consumer: the next delivery fails as if the handler threw (an injected fault),
#    so the order comes back after retry_delay, 10 minutes later, and joins a new batch
#    window (5 s). The test moves the clock past both instead of waiting for them.
"$flareq" faults set orders --fail 1 --seed 1 >/dev/null
order 104
"$flareq" time advance 5s >/dev/null
for _ in $(seq 300); do [ "$(field '["backlog"]["delayed"]')" = 1 ] && break; sleep 0.01; done
"$flareq" faults clear >/dev/null
"$flareq" time advance 10m5s >/dev/null
"$flareq" wait orders --timeout 30
fulfilled 104
[ "$(field '["counters"]["injected_failures"]')" = 1 ] || { echo "FAIL: expected one injected failure" >&2; exit 1; }

[ "$("$flareq" queues info orders-dlq --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["backlog"]["count"])')" = 0 ] \
  || { echo "FAIL: something was dead-lettered" >&2; exit 1; }
echo "ok: 4 orders fulfilled (one after an injected failure and a 10-minute retry delay), nothing dead-lettered"
