// When a queue gets its next batch (docs/semantics.md, "Batching"): as soon as
// max_batch_size messages are ready, or when max_batch_timeout has passed since the first
// message of the pending batch became ready; later messages never extend a window, and
// leftovers after a full batch open a new one. Nothing goes to a paused queue, nor past its
// concurrency limit. Pure logic: the caller supplies what the queue holds and the time.
#pragma once
#include <cstdint>
#include <optional>

namespace flareq {

// Unset max_concurrency: one batch at a time while the backlog fits in a batch, up to this
// many while full batches wait (production autoscales; this keeps local order readable).
constexpr int kAutoConcurrency = 10;

struct WindowState {
  int64_t now_ms = 0;
  int64_t ready = 0;                      // ready messages, counted up to batch_size
  std::optional<int64_t> oldest_ready_ms; // when the longest-waiting ready message became ready
  int64_t opened_after_ms = 0;            // when the last full batch was cut (0: never)
  int64_t flush_ms = 0;                   // a flush closes windows opened at or before it
  int batch_size = 10;
  int64_t timeout_ms = 5000;
  bool paused = false;
  int in_flight = 0;                      // batches of this queue being handled now
  std::optional<int> max_concurrency;     // unset: kAutoConcurrency rules
};

struct WindowDecision {
  int64_t deliver = 0;                // messages to deliver now (0: none)
  std::optional<int64_t> due_ms;      // when to look again if nothing is delivered now
  bool full = false;                  // the batch is full: leftovers open a new window
};

WindowDecision decide_batch(const WindowState& state);

}  // namespace flareq
