#!/usr/bin/env bash
# Twelve people sign up: each is one request to the Worker's fetch(), which queues a welcome
# email and answers at once. Usage: signup.sh WORKER_URL   (e.g. http://127.0.0.1:8787)
set -euo pipefail
worker=$1
names=(ada grace linus margaret ken barbara dennis frances edsger radia tim mallory)
for i in "${!names[@]}"; do
  name=${names[$i]}
  email="$name@example.com"
  [ "$name" = mallory ] && email="mallory@bounce.invalid"
  curl -sf -X POST "$worker/signup" -d "{\"userId\":$((i + 1)),\"name\":\"$name\",\"email\":\"$email\"}" >/dev/null
done
echo "12 sign-ups sent to the Worker"
