#!/usr/bin/env bash
# The arm64 binary, run under qemu-user: the commands that need no thread. Under Debian 12's
# qemu-user 7.2 on this machine's kernel (6.18), no aarch64 program gets past its first
# pthread_create (a three-line std::thread program hangs the same way), so `dev` cannot be
# checked here. scripts/package runs this after cross-compiling.
# Usage: tests/arm64_test.sh ARM64_BINARY
set -euo pipefail
binary=$(realpath "$1")
work=$(mktemp -d /tmp/flareq-arm64-test.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL (arm64): $*"; exit 1; }
flareq() { qemu-aarch64-static -L /usr/aarch64-linux-gnu "$binary" --state "$work/state.sqlite" "$@"; }

[ "$(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$binary" --version)" = "flareq $(sed -n 's/^project(flareq VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../CMakeLists.txt")" ] \
  || fail "--version"
flareq queues create orders >/dev/null || fail "queues create"
flareq send orders '{"id":1}' >/dev/null || fail "send"
flareq messages list orders | grep -q '"id":1' || fail "messages list"
echo "ok: the arm64 binary under qemu: --version, queues create, send, messages list"
