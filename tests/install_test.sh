#!/usr/bin/env bash
# `cmake --install` puts the binary and the Worker host's files where the binary finds them:
# an installed flareq, away from its source tree, runs a Worker's fetch() and queue().
# Usage: tests/install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
source "$src/tests/eventually.sh"
work=$(mktemp -d)
dev=""
cleanup() {
  if [ -n "$dev" ]; then kill "$dev" 2>/dev/null || true; wait "$dev" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cp -r "$src/tests/workers/js" "$work/project"
cd "$work/project"
"$work/prefix/bin/flareq" --state "$work/state.sqlite" dev --port 0 --port-file "$work/port" \
  --worker-port 0 --worker-port-file "$work/worker-port" >"$work/dev.log" 2>&1 &
dev=$!
both_ports() { ready_file "$dev" "$work/worker-port" && ready_file "$dev" "$work/port"; }
eventually 60 "the installed flareq dev's ports" both_ports || { cat "$work/dev.log"; echo "FAIL: the installed flareq dev is not ready"; exit 1; }
pgrep -f "$work/prefix/share/flareq/worker/host.mjs" >/dev/null \
  || { cat "$work/dev.log"; echo "FAIL: the Worker host does not run from the installed files"; exit 1; }
[ "$(curl -sf "http://127.0.0.1:$(cat "$work/worker-port")/vars")" = "hello from vars" ] \
  || { cat "$work/dev.log"; echo "FAIL: the Worker's fetch() did not answer"; exit 1; }
curl -sf "http://127.0.0.1:$(cat "$work/worker-port")/job?action=ack&tag=installed" >/dev/null
"$work/prefix/bin/flareq" --state "$work/state.sqlite" wait jobs --timeout 60
"$work/prefix/bin/flareq" --state "$work/state.sqlite" messages list results | grep -q '"tag":"installed"' \
  || { cat "$work/dev.log"; echo "FAIL: queue() did not run"; exit 1; }
echo "ok: the installed flareq ran the Worker's fetch() and queue()"
