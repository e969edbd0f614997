#!/usr/bin/env python3
"""The handler of bench/chaos.py: appends the body (a number) of every message it gets to
$CHAOS_LOG, one line each, before it acks. Per-batch by default; `persistent` as argv[1]."""
import json
import os
import sys

log = os.open(os.environ["CHAOS_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def record(batch):
    os.write(log, "".join("%s\n" % m["body"] for m in batch["messages"]).encode())


if len(sys.argv) > 1 and sys.argv[1] == "persistent":
    for line in sys.stdin:
        batch = json.loads(line)
        record(batch)
        sys.stdout.write('{"invocation":"%s","outcome":"ok"}\n' % batch["invocation"])
        sys.stdout.flush()
else:
    record(json.load(sys.stdin))
