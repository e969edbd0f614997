-- flareq state file, version 4: the virtual clock (`flareq time`) and injected faults
-- (`flareq faults`), kept in the file so that every process on it agrees on both.

-- One row. Virtual now = real now + offset_ms, or frozen_ms while time stands still.
CREATE TABLE clock (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  offset_ms INTEGER NOT NULL DEFAULT 0,
  frozen_ms INTEGER
);
INSERT INTO clock (id) VALUES (1);

-- What may go wrong, per queue name ('' for pushes to every queue), and what has.
CREATE TABLE faults (
  queue            TEXT    PRIMARY KEY,
  fail             REAL    NOT NULL DEFAULT 0,   -- fraction of deliveries failed as a throw
  latency_min_ms   INTEGER NOT NULL DEFAULT 0,   -- added before a batch is handed over
  latency_max_ms   INTEGER NOT NULL DEFAULT 0,
  crash            REAL    NOT NULL DEFAULT 0,   -- fraction of deliveries whose handler is killed
  push_errors      REAL    NOT NULL DEFAULT 0,   -- fraction of pushes refused (retryable)
  seed             INTEGER NOT NULL,
  set_ms           INTEGER NOT NULL,
  -- Decisions drawn so far (the draw number of the next one), and what they injected.
  deliveries_drawn INTEGER NOT NULL DEFAULT 0,
  pushes_drawn     INTEGER NOT NULL DEFAULT 0,
  failed           INTEGER NOT NULL DEFAULT 0,
  crashed          INTEGER NOT NULL DEFAULT 0,
  delayed          INTEGER NOT NULL DEFAULT 0,
  pushes_refused   INTEGER NOT NULL DEFAULT 0
);

-- Lifetime counters of injected faults, beside the queue's other counters.
ALTER TABLE queues ADD COLUMN injected_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN injected_crashes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN injected_latency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queues ADD COLUMN injected_push_errors INTEGER NOT NULL DEFAULT 0;
