// The name a user most likely meant: for "did you mean …?" hints on a misspelled queue name.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace flareq {

// Edit distance (insertions, deletions, substitutions) between two names.
size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `name` (ties: the first), when it is close enough to be a slip:
// at most 2 edits, and fewer than a third of the longer name. Never `name` itself.
std::optional<std::string> nearest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace flareq
