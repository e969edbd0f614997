"""The consumer of signup-events: "sends" a welcome email per message.

flareq starts it once per batch with the batch as JSON on stdin. It acks what it sent and
retries what failed by printing one result line, as Cloudflare's message.ack() and
message.retry() would; see flareq's README for the whole protocol.
"""
import json
import sys

batch = json.load(sys.stdin)
acks, retries = [], []
for message in batch["messages"]:
    user = message["body"]
    if user["email"].endswith("@bounce.invalid"):
        print(f"could not email {user['email']} (attempt {message['attempts']})", file=sys.stderr)
        retries.append({"id": message["id"]})
        continue
    print(f"welcome email sent to {user['name']} <{user['email']}>")
    acks.append(message["id"])
print(json.dumps({"acks": acks, "retries": retries}))
