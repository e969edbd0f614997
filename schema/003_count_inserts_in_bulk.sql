-- flareq state file, version 3: inserts update a queue's message_count and message_bytes in
-- one statement per send, not per row (the per-row trigger cost a third of a batch push).
-- Deletes, which happen on many paths, keep their trigger.
DROP TRIGGER messages_added;
