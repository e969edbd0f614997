#!/usr/bin/env bash
# Time to a served Worker: `npx flareq dev` against `npx wrangler dev` on the same fresh project
# (tests/package/project: a producer and a consumer), alternately, in the same minutes. The
# clock runs from the command's start to the first 200 from the Worker's fetch(). Prints
# figures; never fails on them. Needs scripts/package's tarballs.
# Usage: bench/startup.sh [ROUNDS]   (default 5)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
dist=$src/build/dist
work=$(mktemp -d /tmp/flareq-startup.XXXXXX)
group=""
cleanup() {
  if [ -n "$group" ]; then kill -9 -- "-$group" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/package/fresh_project.sh"
make_fresh_project "$src" "$work"
cd "$work/project"
npm install --offline --no-audit --no-fund --loglevel=error -D "$dist"/flareq-[0-9]*.tgz "$dist"/flareq-linux-x64-*.tgz >/dev/null

# Milliseconds from the start of "$@" (in a process group of its own) to a 200 on $url.
time_to_serve() {
  local url=$1; shift
  local start end
  start=$(date +%s%N)
  setsid "$@" >"$work/out.log" 2>&1 &
  group=$!
  until curl -sf -o /dev/null "$url"; do
    kill -0 "$group" 2>/dev/null || { cat "$work/out.log" >&2; echo "exited" >&2; return 1; }
    sleep 0.02
  done
  end=$(date +%s%N)
  kill -INT -- "-$group" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$group" 2>/dev/null || break; sleep 0.1; done
  kill -9 -- "-$group" 2>/dev/null || true
  wait "$group" 2>/dev/null || true
  group=""
  rm -rf .flareq .wrangler
  echo $(( (end - start) / 1000000 ))
}

port=$((20000 + RANDOM % 10000))
flareq_ms=() wrangler_ms=()
for round in $(seq "$rounds"); do
  flareq_ms+=("$(time_to_serve "http://127.0.0.1:$port/?id=$round" npx flareq dev --port 0 --worker-port "$port")")
  wrangler_ms+=("$(time_to_serve "http://127.0.0.1:$((port + 1))/?id=$round" npx wrangler dev --ip 127.0.0.1 --port "$((port + 1))" --inspector-port 0)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "time to a served Worker, $rounds rounds alternately (ms): node $(node --version), wrangler $(npx wrangler --version 2>/dev/null | tail -1)"
echo "  npx flareq dev:   ${flareq_ms[*]}   median $(median "${flareq_ms[@]}")"
echo "  npx wrangler dev: ${wrangler_ms[*]}   median $(median "${wrangler_ms[@]}")"
