// How deeply a JSON text nests, found without parsing it. nlohmann's serializer recurses
// once per level, so a body of 65,000 nested arrays (131 KB) overflowed the stack; every
// JSON text flareq accepts from outside is checked against kMaxJsonDepth first.
#pragma once
#include <cstddef>
#include <string_view>

namespace flareq {

constexpr size_t kMaxJsonDepth = 512;

// True when no array or object in `text` is nested more than `max_depth` levels deep.
// Brackets inside strings do not count; the text need not be valid JSON.
bool json_depth_within(std::string_view text, size_t max_depth = kMaxJsonDepth);

}  // namespace flareq
