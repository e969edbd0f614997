// Replaying a dead letter queue in bounded transactions, with a progress callback.
#include "emulator/store/dead_letter_replay.h"

#include "emulator/core/error.h"

namespace flareq {

ReplayReport replay_dead_letters(Store& store, const Queue& dlq, const ReplayFilter& filter, bool dry_run,
                                 const std::function<void(int64_t, int64_t)>& progress) {
  std::vector<ReplayCandidate> selected = store.replay_candidates(dlq, filter);
  ReplayReport report;
  std::vector<ReplayCandidate> movable;
  for (const auto& c : selected) {
    if (c.target.empty()) {
      ++report.without_origin;
      continue;
    }
    report.by_target[c.target]++;
    movable.push_back(c);
  }
  for (size_t i = 0; i < selected.size() && i < 5; ++i) report.sample.push_back(selected[i]);
  std::string missing;
  for (const auto& [target, n] : report.by_target)
    if (!store.find_queue(target)) missing += (missing.empty() ? "'" : ", '") + target + "'";
  if (!missing.empty())
    throw not_found(code::kQueueNotFound, "cannot replay into " + missing + ": no such queue (create it, or pick one with --to)");
  if (dry_run) return report;
  int64_t total = static_cast<int64_t>(movable.size());
  for (size_t start = 0; start < movable.size(); start += kReplayBatch) {
    std::vector<ReplayCandidate> batch(movable.begin() + static_cast<long>(start),
                                       movable.begin() + static_cast<long>(std::min(movable.size(), start + kReplayBatch)));
    report.moved += store.replay(dlq, batch);
    if (progress) progress(static_cast<int64_t>(std::min(movable.size(), start + kReplayBatch)), total);
  }
  return report;
}

}  // namespace flareq
