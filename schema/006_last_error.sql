-- flareq state file, version 6: a message remembers why its last delivery failed (what the
-- handler or queue() threw), and a dead-lettered one keeps it, so that whoever looks at it
-- sees the error without searching the log.
ALTER TABLE messages ADD COLUMN last_error TEXT;
