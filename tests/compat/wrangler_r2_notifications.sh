#!/usr/bin/env bash
# The real wrangler's `r2 bucket notification create|list|delete` against `flareq dev` (through
# CLOUDFLARE_API_BASE_URL, as a user points wrangler at flareq), with flareq's pinned wrangler:
# each command's words, a conflicting rule refused, and what flareq's own CLI then sees.
# Usage: tests/compat/wrangler_r2_notifications.sh FLAREQ NODE
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/eventually.sh"
flareq=$1 node=$2
work=$(mktemp -d /tmp/flareq-it-r2-XXXXXX)
"$flareq" --state "$work/state.sqlite" dev --port 0 --port-file "$work/port" >"$work/dev.log" 2>&1 &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null; rm -rf "$work"' EXIT
eventually 30 "dev's port file" ready_file "$dev" "$work/port"
export CLOUDFLARE_API_BASE_URL="http://127.0.0.1:$(cat "$work/port")/client/v4" CLOUDFLARE_API_TOKEN=local \
       CLOUDFLARE_ACCOUNT_ID=local WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CI=true NO_COLOR=1 \
       WRANGLER_LOG_PATH="$work/wrangler-logs" HOME="$work"
cd "$work"
wrangler() { "$node" "$root/worker/node_modules/wrangler/bin/wrangler.js" "$@" 2>&1; }
fail() { echo "FAILED: $*" >&2; echo "--- dev's log:" >&2; cat "$work/dev.log" >&2; exit 1; }
expect() {  # expect "what" "needle" "haystack"
  grep -qF -- "$2" <<<"$3" || fail "$1: no \"$2\" in:"$'\n'"$3"
}

out=$(wrangler queues create upload-events) || fail "queues create: $out"
out=$(wrangler r2 bucket notification create uploads --event-type object-create --queue upload-events \
        --prefix images/ --suffix .png --description thumbnails) || fail "create: $out"
expect create "Creating event notification rule for object creation (PutObject,CompleteMultipartUpload,CopyObject)" "$out"
expect create "Event notification rule created successfully!" "$out"
out=$(wrangler r2 bucket notification create uploads --event-type object-delete --queue upload-events) || fail "create: $out"

out=$(wrangler r2 bucket notification create uploads --event-type object-create --queue upload-events --prefix images/big/) \
  && fail "an overlapping rule was accepted: $out"
expect "overlapping create" "conflicting event notification rules" "$out"

out=$(wrangler r2 bucket notification list uploads) || fail "list: $out"
echo "$out"
expect list "queue_name:  upload-events" "$out"
expect list "prefix:      images/" "$out"
expect list "suffix:      .png" "$out"
expect list "event_type:  DeleteObject,LifecycleDeletion" "$out"
rule=$(grep -m1 -o 'rule_id: *[0-9a-f]*' <<<"$out" | awk '{print $2}')

out=$("$flareq" --state "$work/state.sqlite" queues info upload-events)
expect "flareq queues info" "Producers:   1 (r2 bucket uploads)" "$out"
out=$(wrangler queues info upload-events) || fail "queues info: $out"
expect "wrangler queues info" "r2_bucket:uploads" "$out"

out=$(wrangler r2 bucket notification delete uploads --queue upload-events --rule "$rule") || fail "delete --rule: $out"
expect "delete --rule" "Deleting event notifications rule \"$rule\"..." "$out"
expect "delete --rule" "Event notification rule deleted successfully!" "$out"
out=$("$flareq" --state "$work/state.sqlite" r2 bucket notification list uploads --json)
[ "$(grep -c '"rule_id"' <<<"$out")" = 1 ] || fail "one rule should be left: $out"
out=$(wrangler r2 bucket notification delete uploads --queue upload-events) || fail "delete --queue: $out"
expect "delete --queue" "Deleting event notification rules associated with queue upload-events..." "$out"
out=$("$flareq" --state "$work/state.sqlite" r2 bucket notification list uploads)
expect "flareq list" "No event notification rules for bucket uploads" "$out"
echo "wrangler r2 bucket notification create|list|delete: OK"
