// How one invocation's calls resolve into acks and retries (docs/semantics.md, "The consumer's verdict"; production's rules
// from workerd), and what happens to a message after its last failed delivery.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace flareq {

// One ack() or retry() call; for retry, its delaySeconds if given.
struct Call {
  bool ack = true;
  std::optional<int64_t> delay_secs;
};

// What a handler reported for one batch.
struct InvocationReport {
  bool threw = false;                       // non-zero exit, signal, timeout, protocol error
  std::map<std::string, Call> per_message;  // the first call per message id
  std::optional<Call> batch_call;           // the first of ackAll() / retryAll()
};

struct Retry {
  std::string id;
  int64_t delay_secs = 0;
};

struct Resolution {
  std::vector<std::string> acked;
  std::vector<Retry> retried;
};

// acked ⇐ explicitly acked, or (ackAll and not explicitly retried), or (returned normally,
// no retryAll and not explicitly retried); everything else is retried, with the delay of
// retry() > retryAll() > the consumer's retry_delay.
Resolution resolve(const std::vector<std::string>& ids, const InvocationReport& report,
                   int64_t consumer_retry_delay_secs);

// A message retried after its attempts-th delivery: delivered again, or done with
// (dead-lettered when a DLQ is set, else deleted). A message is delivered at most
// 1 + max_retries times.
inline bool retries_exhausted(int attempts, int max_retries) { return attempts >= 1 + max_retries; }

}  // namespace flareq
