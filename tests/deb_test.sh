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

source "$src/tests/package/fresh_project.sh"
make_fresh_project "$src" "$work" || fail "npm ci of wrangler"
cd "$work/project"
"$flareq" dev --port 0 --port-file "$work/port" --worker-port 0 --worker-port-file "$work/worker-port" >"$work/dev.log" 2>&1 &
dev=$!
wait_for_dev "$dev" "$work/port" || fail "the .deb's flareq dev did not start"
grep -q "$work/root/usr/share/flareq/worker/host.mjs" <(ps -eo args) || fail "the Worker host does not run from the .deb's files"
out=$(order_flows "$work/worker-port" 9 "$work/dev.log" "$flareq") || fail "$out"
kill -TERM "$dev"
wait "$dev" || fail "dev exited with $? on SIGTERM"
dev=""
echo "ok: the .deb's flareq ran a Worker project's fetch() and queue()"
