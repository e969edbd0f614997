#!/usr/bin/env bash
# Runs sdk_test.mjs against a fresh `flareq dev`. The pinned SDK is installed from the npm
# registry (npm ci, against the committed lock file) into build/compat-sdk on first use. Usage: tests/compat/sdk/run.sh [flareq]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
source "$root/tests/eventually.sh"
flareq=${1:-$root/build/flareq}
deps="$root/build/compat-sdk"
if [ ! -d "$deps/node_modules/cloudflare" ]; then
  mkdir -p "$deps" && cp "$here/package.json" "$here/package-lock.json" "$deps/"
  (cd "$deps" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp "$here/sdk_test.mjs" "$deps/"
work=$(mktemp -d)
"$flareq" --state "$work/state.sqlite" dev --port 0 --port-file "$work/port" >"$work/dev.log" 2>&1 &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null; rm -rf "$work"' EXIT
eventually 10 "dev's port file" ready_file "$dev" "$work/port"
node "$deps/sdk_test.mjs" "http://127.0.0.1:$(cat "$work/port")/client/v4" || { cat "$work/dev.log"; exit 1; }
