-- flareq state file, version 1: queues, their consumers, and every message with all that
-- drives its delivery. Times are Unix milliseconds.

CREATE TABLE queues (
  qkey              INTEGER PRIMARY KEY,
  queue_id          TEXT    NOT NULL UNIQUE,          -- 32 lowercase hex, Cloudflare's queue_id
  name              TEXT    NOT NULL UNIQUE,
  created_ms        INTEGER NOT NULL,
  modified_ms       INTEGER NOT NULL,
  delivery_delay    INTEGER NOT NULL DEFAULT 0,       -- seconds, 0..86400
  retention_secs    INTEGER NOT NULL DEFAULT 345600,  -- message_retention_period
  delivery_paused   INTEGER NOT NULL DEFAULT 0,
  -- What the queue holds now, kept by the triggers below.
  message_count     INTEGER NOT NULL DEFAULT 0,
  message_bytes     INTEGER NOT NULL DEFAULT 0,
  -- Lifetime counters.
  received          INTEGER NOT NULL DEFAULT 0,
  delivered         INTEGER NOT NULL DEFAULT 0,
  acked             INTEGER NOT NULL DEFAULT 0,
  retried           INTEGER NOT NULL DEFAULT 0,
  dead_lettered     INTEGER NOT NULL DEFAULT 0,
  expired           INTEGER NOT NULL DEFAULT 0,
  replayed          INTEGER NOT NULL DEFAULT 0
);

-- One consumer per queue, as in production.
CREATE TABLE consumers (
  consumer_id           TEXT    PRIMARY KEY,
  qkey                  INTEGER NOT NULL UNIQUE REFERENCES queues(qkey) ON DELETE CASCADE,
  type                  TEXT    NOT NULL CHECK (type IN ('worker', 'http_pull')),
  script                TEXT    NOT NULL DEFAULT '',
  created_ms            INTEGER NOT NULL,
  batch_size            INTEGER NOT NULL,
  max_retries           INTEGER NOT NULL,
  max_wait_time_ms      INTEGER NOT NULL,
  max_concurrency       INTEGER,                      -- NULL: autoscale (a local default)
  retry_delay           INTEGER NOT NULL,
  visibility_timeout_ms INTEGER NOT NULL,
  dead_letter_queue     TEXT    NOT NULL DEFAULT ''   -- a queue name; '' when none
);

-- A message is ready when visible_ms <= now and unleased or its lease has run out, delayed
-- when visible_ms > now without a lease, leased while lease_token is set and visible_ms
-- (the lease's expiry) is in the future. One index therefore finds the next deliverable
-- messages of a queue, expired leases included.
CREATE TABLE messages (
  seq           INTEGER PRIMARY KEY,                  -- arrival order
  qkey          INTEGER NOT NULL REFERENCES queues(qkey),
  id            TEXT    NOT NULL,                     -- 32 lowercase hex; kept across DLQ moves
  content_type  INTEGER NOT NULL,                     -- 0 json, 1 text, 2 bytes, 3 v8
  body          BLOB    NOT NULL,
  size          INTEGER NOT NULL,
  enqueued_ms   INTEGER NOT NULL,                     -- the message's timestamp
  visible_ms    INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,           -- deliveries so far on this queue
  lease_token   TEXT,
  lease_owner   TEXT,
  origin_queue  TEXT                                  -- set on dead-lettered messages
);
CREATE INDEX messages_due ON messages (qkey, visible_ms, seq);
CREATE INDEX messages_age ON messages (qkey, enqueued_ms);
CREATE INDEX messages_leased ON messages (qkey, visible_ms) WHERE lease_token IS NOT NULL;

CREATE TRIGGER messages_added AFTER INSERT ON messages BEGIN
  UPDATE queues SET message_count = message_count + 1, message_bytes = message_bytes + NEW.size
   WHERE qkey = NEW.qkey;
END;
CREATE TRIGGER messages_removed AFTER DELETE ON messages BEGIN
  UPDATE queues SET message_count = message_count - 1, message_bytes = message_bytes - OLD.size
   WHERE qkey = OLD.qkey;
END;

-- Marks the file as flareq's, so that a foreign SQLite database is refused rather than changed.
CREATE TABLE flareq_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO flareq_meta (key, value) VALUES ('application', 'flareq');
