// The batch window and concurrency rules of batch_window.h.
#include "emulator/core/batch_window.h"

#include <algorithm>

namespace flareq {

WindowDecision decide_batch(const WindowState& s) {
  WindowDecision d;
  if (s.paused || s.ready <= 0 || !s.oldest_ready_ms) return d;
  int limit = s.max_concurrency ? *s.max_concurrency : (s.ready >= s.batch_size ? kAutoConcurrency : 1);
  if (s.in_flight >= limit) return d;  // a finishing batch looks again
  if (s.ready >= s.batch_size) {
    d.deliver = s.batch_size;
    d.full = true;
    return d;
  }
  // The window opens when its first message became ready, or, for leftovers of a full
  // batch, when that batch was cut.
  int64_t opened = std::max(*s.oldest_ready_ms, s.opened_after_ms);
  int64_t closes = opened + s.timeout_ms;
  if (s.now_ms >= closes || (s.flush_ms > 0 && opened <= s.flush_ms)) {
    d.deliver = s.ready;
    return d;
  }
  d.due_ms = closes;
  return d;
}

}  // namespace flareq
