"""The consumer of "orders": fulfils each order by writing fulfilled/ORDER_ID.json."""
import json
import os
import sys

batch = json.load(sys.stdin)
out = os.environ.get("FULFILLED_DIR", "fulfilled")
os.makedirs(out, exist_ok=True)
for message in batch["messages"]:
    order = message["body"]
    with open(os.path.join(out, f"{order['orderId']}.json"), "w") as f:
        json.dump(order, f)
    print(f"fulfilled order {order['orderId']}")
