// The one source of time for flareq: production code uses SystemClock, tests a FakeClock
// they move by hand, so no test ever sleeps for a batch timeout or a retry delay.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

namespace flareq {

// The machine's monotonic time in milliseconds. Code that waits on real processes (handler
// timeouts, restart backoff) uses it directly; scheduling goes through a Clock.
inline int64_t monotonic_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in milliseconds: what messages are stamped and scheduled with.
  virtual int64_t now_ms() const = 0;
  // A monotonic time in milliseconds, for measuring durations and grace periods.
  virtual int64_t steady_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t steady_ms() const override { return monotonic_ms(); }
};

// Both times move only when the test says so, and together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1795860000000) : now_(start_ms) {}
  int64_t now_ms() const override { return now_.load(); }
  int64_t steady_ms() const override { return steady_.load(); }
  void advance_ms(int64_t ms) {
    now_ += ms;
    steady_ += ms;
  }
  void set_ms(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
  std::atomic<int64_t> steady_{0};
};

}  // namespace flareq
