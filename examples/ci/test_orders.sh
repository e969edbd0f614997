#!/usr/bin/env bash
# The test: places three orders through the API, then asserts on the consumer's effects.
# Needs FLAREQ_API (the accounts URL) and runs beside wrangler.jsonc.
set -euo pipefail
flareq=${FLAREQ:-flareq}
for id in 101 102 103; do
  curl -sf -X POST "$FLAREQ_API/queues/orders/messages" -d "{\"body\":{\"orderId\":$id,\"item\":\"book\"}}" >/dev/null
done
# Deliver the partial batch now instead of waiting out max_batch_timeout, then wait until
# every message is acknowledged (or fail with what is left).
"$flareq" flush orders >/dev/null
"$flareq" wait orders --timeout 30
for id in 101 102 103; do
  [ -f "$FULFILLED_DIR/$id.json" ] || { echo "FAIL: order $id was not fulfilled" >&2; exit 1; }
done
[ "$("$flareq" queues info orders-dlq --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["backlog"]["count"])')" = 0 ] \
  || { echo "FAIL: something was dead-lettered" >&2; exit 1; }
echo "ok: 3 orders fulfilled, nothing dead-lettered"
