// `dlq replay`, shared by the CLI and the HTTP API: moves dead-lettered messages back to
// the queue each came from (or to one named queue) in transactions of bounded size, so an
// interrupted replay leaves each message in exactly one place and a rerun finishes it.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "emulator/store/store.h"

namespace flareq {

constexpr size_t kReplayBatch = 500;

struct ReplayReport {
  std::map<std::string, int64_t> by_target;  // how many went (or would go) to each queue
  int64_t moved = 0;                         // 0 on a dry run
  int64_t without_origin = 0;                // skipped: no origin recorded and no --to
  std::vector<ReplayCandidate> sample;       // the first few selected
};

// Refuses (10104) when a target queue does not exist, before moving anything.
ReplayReport replay_dead_letters(Store& store, const Queue& dlq, const ReplayFilter& filter, bool dry_run,
                                 const std::function<void(int64_t done, int64_t total)>& progress = {});

}  // namespace flareq
