// Waiting until queues hold no message, ready, delayed or leased (`flareq wait`): the state
// file is read every 20 ms, so it sees the deliveries of any process that uses the file.
#pragma once
#include <vector>

#include "emulator/core/clock.h"
#include "emulator/store/store.h"

namespace flareq {

struct Undrained {
  Queue queue;  // read again at the end: its settings as they are now
  Backlog backlog;
};

// The queues that still hold messages once `timeout_ms` has passed on `clock`; empty as soon
// as every queue is empty.
std::vector<Undrained> wait_until_drained(Store& store, const std::vector<Queue>& queues, int64_t timeout_ms,
                                          const Clock& clock);

}  // namespace flareq
