#!/usr/bin/env bash
# A large backlog (issue 26, item 7): N messages (default 10,000,000) sent with
# `flareq send --ndjson` while no consumer runs, then `queues info` and `messages list` timed on
# that backlog, then the backlog drained by a persistent handler that acks every batch of 100.
# Prints the send rate, the two commands' times, the drain rate, dev's peak RSS while it
# drains, and the state file's size at its peak and once drained. FLAREQ picks another build,
# so that two are compared in the same minutes. Prints figures; never fails on them.
# Usage: bench/backlog.sh [messages (default 10000000)]
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-10000000}
flareq=${FLAREQ:-$(pwd)/build/flareq}
bench=$(pwd)/bench
py=/usr/bin/python3
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
state="$work/state.sqlite"
fq() { "$flareq" --state "$state" "$@"; }
size_mb() { du -cm "$state"* | tail -1 | cut -f1; }
ms_of() {  # the wall time of a command, in ms
  local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }

echo "{\"queues\":{\"consumers\":[{\"queue\":\"big\",\"max_batch_size\":100,\"max_batch_timeout\":0,\"command\":[\"$py\",\"$bench/ack_all_persistent.py\"],\"mode\":\"persistent\"}]}}" >"$work/wrangler.jsonc"
fq queues create big >/dev/null
t0=$(date +%s.%N)
$py -c "
import sys
out = sys.stdout
for i in range($total):
    out.write('{\"type\":\"welcome-email\",\"userId\":%d}\n' % i)
" | fq send big --ndjson --quiet >/dev/null
t1=$(date +%s.%N)
peak=$(size_mb)
printf 'send --ndjson: %d messages in %.1fs = %.0f msg/s; state file %d MB\n' "$total" \
  "$(echo "$t1 - $t0" | bc -l)" "$(echo "$total / ($t1 - $t0)" | bc -l)" "$peak"
printf 'on that backlog: queues info %d ms, messages list %d ms, messages list --only delayed %d ms\n' \
  "$(ms_of fq queues info big)" "$(ms_of fq messages list big)" "$(ms_of fq messages list big --only delayed)"

(cd "$work" && exec "$flareq" --state "$state" dev --port 0 --port-file "$work/port" >"$work/dev.log" 2>&1) &
dev=$!
t0=$(date +%s.%N)
rss=0
while fq queues info big --json | $py -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["backlog"]["count"] else 1)'; do
  now=$(awk '/VmRSS/ {print $2}' /proc/$dev/status 2>/dev/null || echo 0)
  [ "$now" -gt "$rss" ] && rss=$now
  sleep 0.5
done
t1=$(date +%s.%N)
printf 'drained by a persistent handler: %d messages in %.1fs = %.0f msg/s; dev peak RSS %.1f MiB\n' "$total" \
  "$(echo "$t1 - $t0" | bc -l)" "$(echo "$total / ($t1 - $t0)" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
sleep 3  # the space reclaim runs with dev's housekeeping
kill $dev; wait $dev 2>/dev/null || true
printf 'state file: %d MB at its peak, %d MB once drained\n' "$peak" "$(size_mb)"
