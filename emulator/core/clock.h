// The one source of time for flareq: production code uses SystemClock, tests a FakeClock
// they move by hand, so no test ever sleeps for a batch timeout or a retry delay. Either one
// carries the state file's virtual time (`flareq time`): an offset from its real time, or a
// time standing still, which the store reads from the file and sets here.
#pragma once
#include <atomic>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <optional>
#include <thread>

namespace flareq {

// A state file's virtual time: now = real now + offset_ms, unless it stands still at frozen_ms.
struct VirtualTime {
  int64_t offset_ms = 0;
  std::optional<int64_t> frozen_ms;
  bool operator==(const VirtualTime& o) const { return offset_ms == o.offset_ms && frozen_ms == o.frozen_ms; }
  bool operator!=(const VirtualTime& o) const { return !(*this == o); }
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in milliseconds, moved by the virtual time: what messages are stamped and
  // scheduled with.
  int64_t now_ms() const {
    int64_t frozen = frozen_ms_.load(std::memory_order_relaxed);
    return frozen != kRunning ? frozen : real_ms() + offset_ms_.load(std::memory_order_relaxed);
  }
  // Unix time in milliseconds, as the machine (or the test) has it.
  virtual int64_t real_ms() const = 0;
  // A monotonic time in milliseconds, for measuring durations and grace periods; never moved
  // by the virtual time.
  virtual int64_t steady_ms() const = 0;
  // Waits `ms` of steady time (a FakeClock moves itself instead).
  virtual void sleep_ms(int64_t ms) const = 0;

  VirtualTime virtual_time() const {
    int64_t frozen = frozen_ms_.load(std::memory_order_relaxed);
    return {offset_ms_.load(std::memory_order_relaxed), frozen == kRunning ? std::nullopt : std::optional<int64_t>(frozen)};
  }
  // Const because it mirrors the state file rather than changing what this clock is: every
  // holder of the clock sees the file's time.
  void set_virtual_time(const VirtualTime& t) const {
    offset_ms_.store(t.offset_ms, std::memory_order_relaxed);
    frozen_ms_.store(t.frozen_ms.value_or(kRunning), std::memory_order_relaxed);
  }

 private:
  static constexpr int64_t kRunning = INT64_MIN;
  mutable std::atomic<int64_t> offset_ms_{0};
  mutable std::atomic<int64_t> frozen_ms_{kRunning};
};

class SystemClock final : public Clock {
 public:
  int64_t real_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t steady_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }
  void sleep_ms(int64_t ms) const override {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
};

// The machine's clock, for code that measures real durations and has no state file's clock
// at hand (handlers, the Worker front). Its virtual time is never set.
const Clock& system_clock();

// Waits on `cv` until `done()` or until `clock` reaches `deadline_ms` (steady time); true when
// done. The wait is cut in slices so that a FakeClock moved by another thread is noticed.
template <typename Lock, typename Done>
bool wait_until_steady(std::condition_variable& cv, Lock& lock, const Clock& clock, int64_t deadline_ms, Done done) {
  constexpr int64_t kSliceMs = 50;
  while (!done()) {
    int64_t left = deadline_ms - clock.steady_ms();
    if (left <= 0) return false;
    cv.wait_for(lock, std::chrono::milliseconds(std::min(left, kSliceMs)));
  }
  return true;
}

// Both times move only when the test says so (or when code under test sleeps on it), and together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1795860000000) : now_(start_ms) {}
  int64_t real_ms() const override { return now_.load(); }
  int64_t steady_ms() const override { return steady_.load(); }
  void sleep_ms(int64_t ms) const override {
    if (ms > 0) advance_ms(ms);
  }
  void advance_ms(int64_t ms) const {
    now_ += ms;
    steady_ += ms;
  }
  void set_ms(int64_t ms) { now_ = ms; }

 private:
  mutable std::atomic<int64_t> now_;
  mutable std::atomic<int64_t> steady_{0};
};

}  // namespace flareq
