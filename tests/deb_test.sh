#!/usr/bin/env bash
# The .deb scripts/package built: it needs only glibc's and libgcc's packages, and its flareq,
# unpacked away from this repository, runs a Worker project's fetch() and queue() with the
# project's own wrangler (installed --offline from npm's cache, as tests/package_test.sh does).
# Usage: tests/deb_test.sh SOURCE_DIR DIST_DIR
set -euo pipefail
src=$(realpath "$1") dist=$(realpath "$2")
work=$(mktemp -d /tmp/flareq-deb-test.XXXXXX)
dev=""
cleanup() {
  if [ -n "$dev" ]; then kill -9 "$dev" 2>/dev/null || true; fi
  pkill -9 -f "$work/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$work/dev.log" ] && cat "$work/dev.log"; exit 1; }

shopt -s nullglob
debs=("$dist"/flareq_*_amd64.deb)
[ ${#debs[@]} -eq 1 ] || fail "no .deb in $dist: run scripts/package"
depends=$(dpkg-deb -f "${debs[0]}" Depends)
[ "$(echo "$depends" | tr ',' '\n' | sed 's/ *(.*//; s/^ *//' | sort | tr '\n' ' ')" = "libc6 libgcc-s1 " ] \
  || fail "the .deb depends on more than glibc and libgcc: $depends"
dpkg-deb -x "${debs[0]}" "$work/root"
flareq=$work/root/usr/bin/flareq
if ldd "$flareq" | grep -q "not found"; then fail "$(ldd "$flareq")"; fi

node_ok() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a==22&&b>=12)?0:1)' 2>/dev/null; }
node_ok "$(command -v node)" || export FLAREQ_NODE="$src/worker/.node/bin/node"
unset FLAREQ_BINARY FLAREQ_WRANGLER_DIR FLAREQ_WORKER_HOST_DIR
cp -r "$src/tests/package/project" "$work/project"
cp "$src/worker/package.json" "$src/worker/package-lock.json" "$work/project/"
cd "$work/project"
npm ci --offline --no-audit --no-fund --loglevel=error >/dev/null || fail "npm ci of wrangler"
"$flareq" dev --port 0 --port-file "$work/port" --worker-port 0 --worker-port-file "$work/worker-port" >"$work/dev.log" 2>&1 &
dev=$!
for _ in $(seq 1200); do
  [ -s "$work/port" ] && break
  kill -0 "$dev" 2>/dev/null || fail "the .deb's flareq dev exited"
  sleep 0.1
done
grep -q "$work/root/usr/share/flareq/worker/host.mjs" <(ps -eo args) || fail "the Worker host does not run from the .deb's files"
[ "$(curl -sf "http://127.0.0.1:$(cat "$work/worker-port")/?id=9")" = "queued 9" ] || fail "the Worker's fetch() did not answer"
"$flareq" wait orders --timeout 60 || fail "the order was not consumed"
grep -q "order 9 fulfilled" "$work/dev.log" || fail "queue() did not run"
kill -TERM "$dev"
wait "$dev" || fail "dev exited with $? on SIGTERM"
dev=""
echo "ok: the .deb's flareq ran a Worker project's fetch() and queue()"
