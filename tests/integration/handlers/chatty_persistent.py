#!/usr/bin/python3
"""A persistent handler that writes 300 KB of log lines before answering each batch."""
import json
import sys

for line in sys.stdin:
    sys.stdout.write(("x" * 99 + "\n") * 3000)
    invocation = json.loads(line)["invocation"]
    sys.stdout.write(json.dumps({"invocation": invocation, "outcome": "ok"}) + "\n")
    sys.stdout.flush()
