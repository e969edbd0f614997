// Waiting for queues to drain (drain_wait.h).
#include "emulator/store/drain_wait.h"

namespace flareq {

namespace {
constexpr int64_t kReadEveryMs = 20;
}

std::vector<Undrained> wait_until_drained(Store& store, const std::vector<Queue>& queues, int64_t timeout_ms,
                                          const Clock& clock) {
  const int64_t deadline = clock.steady_ms() + timeout_ms;
  while (true) {
    bool timed_out = clock.steady_ms() >= deadline;
    std::vector<Undrained> left;
    for (const auto& q : queues) {
      Backlog b = store.backlog(q.key);
      if (b.count > 0) left.push_back({timed_out ? store.queue(q.name) : q, b});
    }
    if (left.empty() || timed_out) return left;
    clock.sleep_ms(kReadEveryMs);
  }
}

}  // namespace flareq
