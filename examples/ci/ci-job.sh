#!/usr/bin/env bash
# A complete CI job with flareq: start `flareq dev` on any free port in the background,
# wait until it is ready, run the test against it, stop it. Every run starts from an empty
# state file (--reset), so jobs never see each other's messages, and with the clock standing
# still (--virtual-clock): time moves only when the test says `flareq time advance`.
#   FLAREQ=path/to/flareq examples/ci/ci-job.sh     (default: flareq on PATH)
set -euo pipefail
cd "$(dirname "$0")"
export FLAREQ=${FLAREQ:-flareq}
work=$(mktemp -d)
export FULFILLED_DIR="$work/fulfilled" FLAREQ_STATE="$work/state.sqlite"

"$FLAREQ" dev --reset --virtual-clock --port 0 --port-file "$work/port" >"$work/dev.log" 2>&1 &
dev=$!
stop() { kill "$dev" 2>/dev/null; wait "$dev" 2>/dev/null || true; }
trap 'stop; rm -rf "$work"' EXIT

# Ready when the port file exists and /healthz answers.
for _ in $(seq 200); do
  if [ -s "$work/port" ] && curl -sf "http://127.0.0.1:$(cat "$work/port")/healthz" >/dev/null; then break; fi
  kill -0 "$dev" 2>/dev/null || { cat "$work/dev.log"; exit 1; }
  sleep 0.05
done
export FLAREQ_API="http://127.0.0.1:$(cat "$work/port")/client/v4/accounts/local"

if ./test_orders.sh; then status=0; else status=$?; echo "--- flareq dev log ---"; cat "$work/dev.log"; fi
exit $status
