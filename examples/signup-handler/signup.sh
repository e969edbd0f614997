#!/usr/bin/env bash
# The producer: twelve people sign up; each sign-up pushes one "welcome-email" message to
# flareq's Cloudflare-shaped API, which answers once the message is stored.
# Usage: signup.sh API_URL   (e.g. http://127.0.0.1:8787/client/v4/accounts/local)
set -euo pipefail
api=$1
names=(ada grace linus margaret ken barbara dennis frances edsger radia tim mallory)
for i in "${!names[@]}"; do
  name=${names[$i]}
  email="$name@example.com"
  [ "$name" = mallory ] && email="mallory@bounce.invalid"
  curl -sf -X POST "$api/queues/signup-events/messages" \
       -d "{\"body\":{\"type\":\"welcome-email\",\"userId\":$((i + 1)),\"name\":\"$name\",\"email\":\"$email\"}}" >/dev/null
done
echo "12 sign-ups sent"
