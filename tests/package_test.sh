#!/usr/bin/env bash
# What a user gets from npm: the tarballs scripts/package built, installed into a fresh project
# outside this repository (its own node_modules only, wrangler from the project's own lock file),
# run there with `npx flareq dev` and with a node:test file that uses flareq/testing. No flareq
# source tree or build directory is on the PATH, and nothing is fetched (npm runs --offline:
# `npm ci` in worker/ put wrangler's tarballs in npm's cache).
# Usage: tests/package_test.sh SOURCE_DIR DIST_DIR
set -euo pipefail
src=$(realpath "$1") dist=$(realpath "$2")
work=$(mktemp -d /tmp/flareq-package-test.XXXXXX)
dev=""
cleanup() {
  if [ -n "$dev" ]; then kill -9 -- "-$dev" 2>/dev/null || true; fi
  pkill -9 -f "$work/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$work/dev.log" ] && cat "$work/dev.log"; exit 1; }

shopt -s nullglob
main=("$dist"/flareq-[0-9]*.tgz) x64=("$dist"/flareq-linux-x64-*.tgz)
[ ${#main[@]} -eq 1 ] && [ ${#x64[@]} -eq 1 ] || fail "no tarballs in $dist: run scripts/package"

source "$src/tests/package/fresh_project.sh"
make_fresh_project "$src" "$work" || fail "npm ci of wrangler"
# Nothing of this repository's on the PATH but a link to a Node.js, outside the tree.
export PATH="$work/bin:/usr/local/bin:/usr/bin:/bin"
project=$work/project
cd "$project"
npm install --offline --no-audit --no-fund --loglevel=error -D "${main[0]}" "${x64[0]}" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "npm install of the tarballs"; }
[ -x node_modules/flareq-linux-x64/bin/flareq ] || fail "the platform package holds no binary"
if ldd node_modules/flareq-linux-x64/bin/flareq | grep -q "not found"; then fail "$(ldd node_modules/flareq-linux-x64/bin/flareq)"; fi
[ "$(npx flareq --version)" = "flareq $(node -p 'require("flareq/package.json").version')" ] || fail "npx flareq --version"

# The launcher passes the binary's exit status through.
status=0; npx flareq queues info no-such-queue >/dev/null 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "npx flareq queues info of a missing queue exited with $status, not the binary's 1"

# npx flareq dev, in a process group of its own as a terminal runs it: the Worker's fetch()
# answers, a send reaches queue(), and Ctrl-C (SIGINT to the whole group: npm, the launcher
# and flareq each get one) stops it cleanly.
setsid npx flareq dev --port 0 --port-file "$work/port" --worker-port 0 --worker-port-file "$work/worker-port" >"$work/dev.log" 2>&1 &
dev=$!
wait_for_dev "$dev" "$work/port" || fail "npx flareq dev did not start"
grep -q "$project/node_modules/flareq/worker/host.mjs" <(ps -eo args) || fail "the Worker host does not run from the npm package"
out=$(order_flows "$work/worker-port" 7 "$work/dev.log" npx flareq) || fail "$out"
kill -INT -- "-$dev"
status=0; wait "$dev" || status=$?
dev=""
# npm exec answers its own SIGINT with 130 once its child has ended, as with any package's bin.
[ "$status" -eq 0 ] || [ "$status" -eq 130 ] || fail "npx flareq dev exited with $status after Ctrl-C"
grep -q "stopping now" "$work/dev.log" && fail "one Ctrl-C, delivered three times in the group, was taken for two"
grep -q "flareq stopped" "$work/dev.log" || fail "dev did not stop cleanly"
pgrep -f "$work/" >/dev/null && fail "processes left behind: $(pgrep -af "$work/")"

# A Node.js too old for the project's wrangler is named plainly.
old_node=$(command -v /usr/bin/node || true)
if [ -n "$old_node" ] && ! node_ok "$old_node"; then
  out=$(PATH="/usr/bin:/bin" /usr/bin/node node_modules/.bin/flareq dev --port 0 2>&1) && fail "dev ran under $($old_node --version)"
  echo "$out" | grep -q "needs Node.js >=22.12" || fail "the message for an old Node.js: $out"
fi

# A user's node:test file with flareq/testing.
node --test orders.test.mjs >"$work/test.log" 2>&1 || { cat "$work/test.log"; fail "the node:test file with flareq/testing"; }
pgrep -f "$work/" >/dev/null && fail "processes left behind: $(pgrep -af "$work/")"
echo "ok: the npm tarballs installed into a fresh project ran npx flareq dev and flareq/testing"
