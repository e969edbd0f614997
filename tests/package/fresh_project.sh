# Sourced by tests/package_test.sh, tests/deb_test.sh and bench/startup.sh: a user's fresh
# Workers project (tests/package/project: a producer and a consumer) in $work/project, outside
# this repository, with its own wrangler installed from npm's cache (worker/'s lock file, which
# scripts/setup's `npm ci` put there: nothing is fetched), and a Node.js that wrangler accepts
# first on the PATH.

source "$(dirname "${BASH_SOURCE[0]}")/../eventually.sh"

node_ok() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a==22&&b>=12)?0:1)' 2>/dev/null; }

# make_fresh_project SOURCE_DIR WORK_DIR
make_fresh_project() {
  local src=$1 work=$2
  mkdir -p "$work/bin"
  if node_ok "$(command -v node)"; then ln -sf "$(command -v node)" "$work/bin/node"; else ln -sf "$src/worker/.node/bin/node" "$work/bin/node"; fi
  export PATH="$work/bin:$PATH"
  unset FLAREQ_BINARY FLAREQ_WRANGLER_DIR FLAREQ_NODE FLAREQ_WORKER_HOST_DIR
  cp -r "$src/tests/package/project" "$work/project"
  cp "$src/worker/package.json" "$src/worker/package-lock.json" "$work/project/"
  (cd "$work/project" && npm ci --offline --no-audit --no-fund --loglevel=error >/dev/null)
}

# wait_for_dev PID PORT_FILE: returns once dev has written its port file (everything is ready
# then), 1 if it exits first or takes more than 120 s.
wait_for_dev() {
  local alive=yes
  dev_ready() { [ -s "$2" ] && return 0; kill -0 "$1" 2>/dev/null || { alive=no; return 0; }; return 1; }
  eventually 120 "dev's port file $2" dev_ready "$1" "$2" && [ "$alive" != no ]
}

# order_flows WORKER_PORT_FILE ID DEV_LOG FLAREQ…: the Worker's fetch() queues order ID and its
# queue() fulfils it (FLAREQ… is how to run flareq there, for `wait`).
order_flows() {
  local port_file=$1 id=$2 log=$3
  shift 3
  [ "$(curl -sf "http://127.0.0.1:$(cat "$port_file")/?id=$id")" = "queued $id" ] || { echo "the Worker's fetch() did not answer"; return 1; }
  "$@" wait orders --timeout 60 || { echo "the order was not consumed"; return 1; }
  grep -q "order $id fulfilled" "$log" || { echo "queue() did not run"; return 1; }
}
