#!/usr/bin/env bash
# Runs the example end to end: starts `flareq dev` (the Worker in workerd, its queues in
# flareq) on a fresh state file, sends the sign-ups to the Worker, waits until the queue is
# drained, shows the dead letter queue, stops dev.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
flareq="$here/../../build/flareq"
cd "$here"
mkdir -p .flareq && rm -f .flareq/port .flareq/worker-port
"$flareq" dev --reset --port 0 --port-file .flareq/port --worker-port 0 --worker-port-file .flareq/worker-port &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null' EXIT
for _ in $(seq 1200); do [ -s .flareq/port ] && break; kill -0 $dev 2>/dev/null || exit 1; sleep 0.05; done
./signup.sh "http://127.0.0.1:$(cat .flareq/worker-port)"
"$flareq" wait signup-events --timeout 30
echo
echo "The dead letter queue now holds the message that kept failing:"
"$flareq" messages list signup-events-dlq
