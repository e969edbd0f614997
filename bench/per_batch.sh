#!/usr/bin/env bash
# Per-batch handlers under load: 50,000 messages pushed by 4 clients in batches of 100 while a
# tiny C handler (reads its batch, exits) takes them in batches of 100 (max_batch_timeout 0),
# a process per batch. Prints the time to push them all and, end to end, messages per second,
# beside the machine's ceiling (bench/spawn_ceiling.c: the same handler spawned with nothing
# else running, which bounds any per-batch figure), and where the CPU went: the handler
# processes (reaped by dev, so counted in its children's time), dev itself and the push client,
# with the fastest end to end those CPU seconds allow on this machine's cores.
# FLAREQ (default build/flareq) picks the binary, so an older build can run in the same minutes.
# Prints figures; never fails on them. Usage: bench/per_batch.sh [messages (default 50000)]
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-50000}
flareq=${FLAREQ:-$(pwd)/build/flareq}
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
printf '#include <unistd.h>\nint main(void){char b[65536];while(read(0,b,sizeof b)>0);return 0;}\n' >"$work/h.c"
cc -O2 -o "$work/handler" "$work/h.c"
# The ceiling: the same handler spawned by two threads with nothing else running.
cc -O2 -pthread -o "$work/spawn_ceiling" bench/spawn_ceiling.c
ceiling=$("$work/spawn_ceiling" "$work/handler" 500)
echo "{\"queues\":{\"consumers\":[{\"queue\":\"bench\",\"max_batch_size\":100,\"max_batch_timeout\":0,\"command\":[\"$work/handler\"]}]}}" \
  >"$work/wrangler.jsonc"
(cd "$work" && exec "$flareq" dev --port 0 --port-file "$work/port" >"$work/dev.log" 2>&1) &
dev_pid=$!
for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
api="http://127.0.0.1:$(cat "$work/port")/client/v4/accounts/local"
t0=$(date +%s.%N)
push_cpu=$(python3 - "$api/queues/bench/messages/batch" "$total" <<'PY'
import http.client, json, os, sys, threading, urllib.parse
url = urllib.parse.urlparse(sys.argv[1]); total = int(sys.argv[2])
body = json.dumps({"messages": [{"body": {"type": "welcome-email", "userId": i}} for i in range(100)]})
def client(n):
    conn = http.client.HTTPConnection(url.hostname, url.port)
    for _ in range(n):
        conn.request("POST", url.path, body); r = conn.getresponse(); r.read(); assert r.status == 200
threads = [threading.Thread(target=client, args=(total // 400,)) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(os.times()[:2]))  # the client's own CPU seconds
PY
)
t1=$(date +%s.%N)
(cd "$work" && "$flareq" wait bench --timeout 600)
t2=$(date +%s.%N)
# dev's own CPU and its reaped children's (every handler), from /proc, in clock ticks.
read -r dev_ticks children_ticks < <(sed 's/.*) //' "/proc/$dev_pid/stat" | awk '{print $12 + $13, $14 + $15}')
python3 -c "import sys; t0,t1,t2,n,c=map(float,sys.argv[1:6]); print(f'per-batch handler: pushed {int(n)} in {t1-t0:.2f}s; end to end {t2-t0:.2f}s = {n/(t2-t0):,.0f} msg/s (this machine spawns that handler {c:,.0f} times/s with nothing else running: at most {100*c:,.0f} msg/s)')" "$t0" "$t1" "$t2" "$total" "$ceiling"
python3 -c "import os,sys; n,push,dev,kids,tck=map(float,sys.argv[1:]); h,d=kids/tck,dev/tck; cores=os.cpu_count(); least=(h+d+push)/cores; print(f'CPU: the handler processes {h:.2f} s, dev {d:.2f} s, the push client {push:.2f} s; on {cores} cores that takes at least {least:.2f} s, at most {n/least:,.0f} msg/s end to end')" "$total" "$push_cpu" "$dev_ticks" "$children_ticks" "$(getconf CLK_TCK)"
