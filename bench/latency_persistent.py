"""A persistent handler for bench/delivery.sh: notes when each message arrived, in the
file named by $LATENCY_LOG, as "sent_ms received_ms" lines (the body carries sent_ms)."""
import json
import os
import sys
import time

log = open(os.environ["LATENCY_LOG"], "a", buffering=1)
for line in sys.stdin:
    now = time.time() * 1000
    batch = json.loads(line)
    for m in batch["messages"]:
        log.write("%f %f\n" % (m["body"]["sent"], now))
    sys.stdout.write('{"invocation":"%s","outcome":"ok"}\n' % batch["invocation"])
    sys.stdout.flush()
