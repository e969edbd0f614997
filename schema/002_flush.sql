-- flareq state file, version 2: `flareq flush` asks every process delivering a queue to
-- close the batch windows opened at or before this time (Unix ms) at once.
ALTER TABLE queues ADD COLUMN flush_ms INTEGER NOT NULL DEFAULT 0;
