-- flareq state file, version 5: a dead-lettered message remembers how many deliveries it
-- failed on the queue it came from (its attempts start again on the dead letter queue), so
-- that whoever looks at it sees why it is there.
ALTER TABLE messages ADD COLUMN origin_attempts INTEGER;
