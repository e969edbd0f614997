#!/bin/sh
# A per-batch handler that writes 300 KB of log lines before it reads its batch.
head -c 300000 /dev/zero | tr '\0' x | fold -w 100
cat >/dev/null
