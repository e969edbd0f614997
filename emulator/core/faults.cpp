// The fault draw: each decision is a pure function of (seed, kind of decision, draw number),
// hashed with splitmix64, so no generator state needs to be kept or shared between processes.
#include "emulator/core/faults.h"

#include <cmath>
#include <sstream>

#include "emulator/core/duration.h"

namespace flareq {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A uniform number in [0, 1) for one decision.
double uniform(uint64_t seed, uint64_t draw, uint64_t decision) {
  uint64_t h = splitmix64(splitmix64(splitmix64(seed) ^ draw) ^ decision);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

enum Decision : uint64_t { kFail = 1, kCrash = 2, kLatency = 3, kPush = 4 };

void check_rate(double rate, const char* field) {
  if (!(rate >= 0 && rate <= 1))
    throw bad_request(code::kInvalidConsumerSettings, std::string(field) + " must be a fraction from 0 to 1");
}

std::string rate(double r) {
  std::ostringstream out;
  out << r;
  return out.str();
}

}  // namespace

void check_fault_settings(const FaultSettings& s) {
  check_rate(s.fail, "fail");
  check_rate(s.crash, "crash_handler");
  check_rate(s.push_errors, "push_errors");
  if (s.latency_min_ms < 0 || s.latency_min_ms > s.latency_max_ms || s.latency_max_ms > kMaxFaultLatencyMs)
    throw bad_request(code::kInvalidConsumerSettings, "latency must be a range MIN..MAX with 0 <= MIN <= MAX <= 15m");
}

DeliveryFault draw_delivery_fault(const FaultSettings& s, uint64_t draw) {
  DeliveryFault f;
  if (s.latency_max_ms > 0) {
    double span = static_cast<double>(s.latency_max_ms - s.latency_min_ms);
    f.latency_ms = s.latency_min_ms + static_cast<int64_t>(std::floor(uniform(s.seed, draw, kLatency) * (span + 1)));
  }
  f.fail = uniform(s.seed, draw, kFail) < s.fail;
  f.crash = !f.fail && uniform(s.seed, draw, kCrash) < s.crash;
  return f;
}

bool draw_push_error(const FaultSettings& s, uint64_t draw) { return uniform(s.seed, draw, kPush) < s.push_errors; }

Error injected_push_error() {
  return Error(code::kQueueOverloaded, 429, "Queue is overloaded. Please back off. (a fault injected by flareq)");
}

std::string describe_faults(const FaultSettings& s) {
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : " · ") + part; };
  if (s.fail > 0) add("fail " + rate(s.fail));
  if (s.latency_max_ms > 0)
    add("latency " + format_duration_ms(s.latency_min_ms) + ".." + format_duration_ms(s.latency_max_ms));
  if (s.crash > 0) add("crash handler " + rate(s.crash));
  if (s.push_errors > 0) add("push errors " + rate(s.push_errors));
  add("seed " + std::to_string(s.seed));
  return out;
}

}  // namespace flareq
