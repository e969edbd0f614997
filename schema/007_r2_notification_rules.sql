-- flareq state file, version 7: R2 event notification rules. A rule sends a message to its
-- queue for each matching action on an object of its bucket; deleting the queue deletes its
-- rules, as in production.
CREATE TABLE r2_notification_rules (
  rule_id      TEXT PRIMARY KEY,
  bucket       TEXT NOT NULL,
  qkey         INTEGER NOT NULL REFERENCES queues(qkey) ON DELETE CASCADE,
  actions      TEXT NOT NULL,  -- comma-separated, e.g. "PutObject,CompleteMultipartUpload,CopyObject"
  prefix       TEXT NOT NULL DEFAULT '',
  suffix       TEXT NOT NULL DEFAULT '',
  description  TEXT NOT NULL DEFAULT '',
  created_ms   INTEGER NOT NULL
);
CREATE INDEX r2_notification_rules_by_bucket ON r2_notification_rules (bucket);
