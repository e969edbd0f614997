#!/usr/bin/env bash
# Runs the R2 example end to end: starts `flareq dev` on a fresh state file, uploads two images
# and deletes one through the Worker, waits until the notifications are processed, shows the
# bucket's rules, stops dev.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
flareq="$here/../../build/flareq"
cd "$here"
mkdir -p .flareq && rm -f .flareq/port .flareq/worker-port
"$flareq" dev --reset --port 0 --port-file .flareq/port --worker-port 0 --worker-port-file .flareq/worker-port &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null' EXIT
for _ in $(seq 1200); do [ -s .flareq/port ] && break; kill -0 $dev 2>/dev/null || exit 1; sleep 0.05; done
worker="http://127.0.0.1:$(cat .flareq/worker-port)"
curl -sf -X PUT "$worker/images/cat.png" --data-binary "a cat picture" && echo
curl -sf -X PUT "$worker/images/dog.png" --data-binary "a dog picture, larger" && echo
curl -sf -X DELETE "$worker/images/cat.png"
"$flareq" wait upload-events --timeout 30
echo
"$flareq" r2 bucket notification list uploads
