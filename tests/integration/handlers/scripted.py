#!/usr/bin/python3
"""A consumer handler for integration tests, steered by the bodies of the messages it gets.

Each batch is checked against schema/handler-batch.schema.json and recorded as one JSON line
in $RECORD ({"pid","ids","attempts","timestamps","bodies","t"}). A message body (a JSON object) may say:
  {"do": "ack"} / {"do": "retry", "delay": N}          per-message calls, in batch order
  {"batch": "ackAll" | "retryAll" | "throw" | "raise" | "hang" | "crash", "delay": N}
  {"batch": "sleep", "seconds": S}
"throw" prints the result of the calls made so far, then exits 1; "hang" sleeps an hour;
"crash" kills the process with SIGKILL. With --persistent it reads one batch per line and
answers each with its invocation id; "throw" answers outcome "exception".
"""
import json, os, signal, sys, time

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = json.load(open(os.path.join(HERE, "..", "..", "..", "schema", "handler-batch.schema.json")))
RESULT_SCHEMA = json.load(open(os.path.join(HERE, "..", "..", "..", "schema", "handler-result.schema.json")))


def handle(batch):
    jsonschema.validate(batch, SCHEMA)
    record = {"pid": os.getpid(), "ids": [m["id"] for m in batch["messages"]],
              "attempts": [m["attempts"] for m in batch["messages"]],
              "timestamps": [m["timestampMs"] for m in batch["messages"]],
              "bodies": [m["body"] for m in batch["messages"]], "t": int(time.time() * 1000),
              "queue": batch["queue"], "env_queue": os.environ.get("FLAREQ_QUEUE")}
    with open(os.environ["RECORD"], "a") as f:
        f.write(json.dumps(record) + "\n")
    result, outcome = {}, "ok"
    for m in batch["messages"]:
        body = m["body"] if isinstance(m["body"], dict) else {}
        if body.get("do") == "ack":
            result.setdefault("acks", []).append(m["id"])
        elif body.get("do") == "retry":
            retry = {"id": m["id"]}
            if "delay" in body:
                retry["delaySeconds"] = body["delay"]
            result.setdefault("retries", []).append(retry)
        action = body.get("batch")
        if action == "ackAll":
            result["ackAll"] = True
        elif action == "retryAll":
            result["retryAll"] = {"delaySeconds": body["delay"]} if "delay" in body else {}
        elif action == "throw":
            outcome = "exception"
        elif action == "raise":  # an uncaught exception: Python's traceback on stderr, exit status 1
            raise KeyError("email")
        elif action == "hang":
            with open(os.environ["RECORD"] + ".hang", "w") as f:
                f.write(str(os.getpgrp()))
            time.sleep(3600)
        elif action == "sleep":
            time.sleep(body["seconds"])
        elif action == "crash":
            os.kill(os.getpid(), signal.SIGKILL)
    jsonschema.validate(result, RESULT_SCHEMA)
    return result, outcome


def main():
    print("handler started", flush=True)
    print("a line on stderr", file=sys.stderr, flush=True)
    if "--persistent" in sys.argv:
        for line in sys.stdin:
            batch = json.loads(line)
            result, outcome = handle(batch)
            result.update({"invocation": batch["invocation"], "outcome": outcome})
            print(json.dumps(result), flush=True)
        return
    result, outcome = handle(json.load(sys.stdin))
    print(json.dumps(result), flush=True)
    if outcome == "exception":
        sys.exit(1)


main()
