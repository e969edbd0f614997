#!/usr/bin/env bash
# Runs the example end to end: starts `flareq dev` on a fresh state file, sends the
# sign-ups, waits until the queue is drained, shows the dead letter queue, stops dev.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
flareq="$here/../../build/flareq"
cd "$here"
rm -f .flareq/port
"$flareq" dev --reset --port 0 --port-file .flareq/port &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null' EXIT
for _ in $(seq 200); do [ -s .flareq/port ] && break; sleep 0.05; done
./signup.sh "http://127.0.0.1:$(cat .flareq/port)/client/v4/accounts/local"
"$flareq" wait signup-events --timeout 30
echo
echo "The dead letter queue now holds the message that kept failing:"
"$flareq" messages list signup-events-dlq
