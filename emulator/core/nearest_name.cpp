// "Did you mean …?" (nearest_name.h): Levenshtein distance over two rows.
#include "emulator/core/nearest_name.h"

#include <algorithm>

namespace flareq {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    previous.swap(current);
  }
  return previous[b.size()];
}

std::optional<std::string> nearest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (const auto& candidate : candidates) {
    if (candidate == name) continue;
    size_t d = edit_distance(name, candidate);
    size_t longer = std::max(name.size(), candidate.size());
    if (d > 2 || d * 3 >= longer) continue;
    if (!best || d < best_distance) best = candidate, best_distance = d;
  }
  return best;
}

}  // namespace flareq
