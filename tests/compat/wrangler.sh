#!/usr/bin/env bash
# The real wrangler's `queues` commands against `flareq dev`, through CLOUDFLARE_API_BASE_URL.
# wrangler is large, so this is run by hand, not in CI:  tests/compat/wrangler.sh [version]
# It installs wrangler (default 4.86.0, the version flareq's API was checked against) into
# build/compat-wrangler, starts flareq dev on a fresh state file and prints every command's
# output; it exits non-zero if a command fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/eventually.sh"
version=${1:-4.86.0}
deps="$root/build/compat-wrangler-$version"
if [ ! -x "$deps/node_modules/.bin/wrangler" ]; then
  mkdir -p "$deps"
  (cd "$deps" && echo '{"private":true}' >package.json && npm install --no-audit --no-fund --loglevel=error "wrangler@$version" >/dev/null)
fi
work=$(mktemp -d)
"$root/build/flareq" --state "$work/state.sqlite" dev --port 0 --port-file "$work/port" >"$work/dev.log" 2>&1 &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null; rm -rf "$work"' EXIT
eventually 10 "dev's port file" ready_file "$dev" "$work/port"
export CLOUDFLARE_API_BASE_URL="http://127.0.0.1:$(cat "$work/port")/client/v4" CLOUDFLARE_API_TOKEN=local \
       CLOUDFLARE_ACCOUNT_ID=local WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CI=true
cd "$work"
w() { echo "\$ wrangler $*"; "$deps/node_modules/.bin/wrangler" "$@" 2>&1; echo; }
w queues create orders
w queues list
w queues info orders
w queues update orders --delivery-delay-secs 10
w queues pause-delivery orders
w queues resume-delivery orders
w queues consumer http add orders --batch-size 5 --visibility-timeout-secs 60
w queues info orders
w queues consumer http remove orders
w queues purge orders --force
w queues delete orders
w queues list
