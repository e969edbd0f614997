// Waiting for queues to drain (drain_wait.h).
#include "emulator/store/drain_wait.h"

#include <algorithm>

namespace flareq {

namespace {
constexpr int64_t kReadEveryMs = 20;
// How long only delayed messages under a virtual clock that stands still end a wait.
constexpr int64_t kStuckMs = 1000;
}  // namespace

DrainWait wait_until_drained(Store& store, const std::vector<Queue>& queues, int64_t timeout_ms, const Clock& clock,
                             bool advance_time) {
  const int64_t deadline = clock.steady_ms() + timeout_ms;
  std::optional<VirtualTime> stuck_at;  // the virtual time while only delayed messages are left
  int64_t stuck_since = 0;
  while (true) {
    VirtualTime time = store.sync_clock();  // `flareq time advance` may run meanwhile
    bool timed_out = clock.steady_ms() >= deadline;
    DrainWait wait;
    bool only_delayed = time.frozen_ms.has_value();
    for (const auto& q : queues) {
      Backlog b = store.backlog(q.key);
      if (b.count == 0) continue;
      only_delayed = only_delayed && b.ready == 0 && b.leased == 0;
      wait.left.push_back({q, b});
    }
    if (wait.left.empty()) return wait;
    auto first_due = [&] {
      int64_t first = INT64_MAX;
      for (const auto& u : wait.left) first = std::min(first, store.next_visible_ms(u.queue.key).value_or(INT64_MAX));
      return first;
    };
    if (only_delayed && advance_time) {
      int64_t first = first_due();
      if (first != INT64_MAX) store.advance_clock(std::max<int64_t>(first - *time.frozen_ms, 1));
    } else if (!only_delayed || stuck_at != time) {
      stuck_at = only_delayed ? std::optional<VirtualTime>(time) : std::nullopt;
      stuck_since = clock.steady_ms();
    } else if (clock.steady_ms() - stuck_since >= kStuckMs) {
      wait.due_after_advance_ms = first_due() - *time.frozen_ms;
      timed_out = true;
    }
    if (timed_out) {
      for (auto& u : wait.left) u.queue = store.queue(u.queue.name);
      return wait;
    }
    clock.sleep_ms(kReadEveryMs);
  }
}

}  // namespace flareq
