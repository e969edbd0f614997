// Settling one invocation's messages by workerd's rules.
#include "emulator/core/outcome.h"

namespace flareq {

Resolution resolve(const std::vector<std::string>& ids, const InvocationReport& report,
                   int64_t consumer_retry_delay_secs) {
  Resolution r;
  auto retry_delay = [&](const std::optional<int64_t>& own) {
    if (own) return *own;
    if (report.batch_call && !report.batch_call->ack && report.batch_call->delay_secs)
      return *report.batch_call->delay_secs;
    return consumer_retry_delay_secs;
  };
  for (const auto& id : ids) {
    auto it = report.per_message.find(id);
    if (it != report.per_message.end()) {
      if (it->second.ack) r.acked.push_back(id);
      else r.retried.push_back({id, retry_delay(it->second.delay_secs)});
      continue;
    }
    if (report.batch_call) {
      if (report.batch_call->ack) r.acked.push_back(id);
      else r.retried.push_back({id, retry_delay(std::nullopt)});
      continue;
    }
    if (!report.threw) r.acked.push_back(id);
    else r.retried.push_back({id, consumer_retry_delay_secs});
  }
  return r;
}

}  // namespace flareq
