// Injected faults (`flareq faults`): what may go wrong for one queue, and the deterministic
// draw that decides, for the n-th delivery or push, whether it does. The same settings and
// seed give the same sequence of faults in every process, run after run.
#pragma once
#include <cstdint>
#include <string>

#include "emulator/core/error.h"

namespace flareq {

struct FaultSettings {
  double fail = 0;             // fraction of deliveries that fail as if the handler threw
  int64_t latency_min_ms = 0;  // added before a batch is handed over: uniform in [min, max]
  int64_t latency_max_ms = 0;
  double crash = 0;            // fraction of deliveries whose handler process is killed mid-batch
  double push_errors = 0;      // fraction of pushes refused with a retryable error
  uint64_t seed = 0;

  bool affects_delivery() const { return fail > 0 || crash > 0 || latency_max_ms > 0; }
  bool affects_pushes() const { return push_errors > 0; }
  bool any() const { return affects_delivery() || affects_pushes(); }
};

constexpr int64_t kMaxFaultLatencyMs = 15 * 60 * 1000;  // production's wall-clock limit of a consumer

// Throws Error (400, invalid settings) naming the first field out of range.
void check_fault_settings(const FaultSettings& settings);

// What happens to one delivery. A failed delivery never reaches the handler; a crash
// reaches it and then kills its process.
struct DeliveryFault {
  int64_t latency_ms = 0;
  bool fail = false;
  bool crash = false;
  bool any() const { return latency_ms > 0 || fail || crash; }
};

// Why an invocation failed, when a fault made it fail: the log and the dev output say so.
constexpr const char* kInjectedFailure = "[fault] failed as if the handler threw (injected)";
constexpr const char* kInjectedCrash = "[fault] handler process killed mid-batch (injected)";

// `draw` counts the deliveries (or pushes) this fault setting has decided so far.
DeliveryFault draw_delivery_fault(const FaultSettings& settings, uint64_t draw);
bool draw_push_error(const FaultSettings& settings, uint64_t draw);

// What a push refused by an injected fault answers: production's 429 QueueOverloaded.
Error injected_push_error();

// "fail 0.2 · latency 200ms..2s · crash 0.05 · push errors 0.1 · seed 7".
std::string describe_faults(const FaultSettings& settings);

}  // namespace flareq
