// Waiting until queues hold no message, ready, delayed or leased (`flareq wait`): the state
// file is read every 20 ms, so it sees the deliveries of any process that uses the file.
#pragma once
#include <optional>
#include <vector>

#include "emulator/core/clock.h"
#include "emulator/store/store.h"

namespace flareq {

struct Undrained {
  Queue queue;  // read again at the end: its settings as they are now
  Backlog backlog;
};

struct DrainWait {
  std::vector<Undrained> left;  // empty: every queue drained
  // Set when the wait ended early because all that is left is delayed under a virtual clock
  // that stood still for a second (only an advance of it brings them): how far the clock must
  // move for the first to be due.
  std::optional<int64_t> due_after_advance_ms;
};

// Returns as soon as every queue is empty; else once `timeout_ms` has passed on `clock`, or
// earlier when waiting is in vain (DrainWait::due_after_advance_ms). With `advance_time`, a
// virtual clock is moved instead to each next message due, as often as it takes.
DrainWait wait_until_drained(Store& store, const std::vector<Queue>& queues, int64_t timeout_ms, const Clock& clock,
                             bool advance_time = false);

}  // namespace flareq
