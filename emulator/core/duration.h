// Durations as people write them ("200ms", "90s", "30m", "1h", "2d", "1h30m"; a plain number
// is seconds), shared by the CLI and the config so that both read them alike.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace flareq {

// Milliseconds, or nothing when the text is not a duration (negative, overflowing or unknown units).
std::optional<int64_t> parse_duration_ms(std::string_view text);
// Why parse_duration_range_ms refused `text`, for its error message (a reversed range says so).
std::string duration_range_hint(std::string_view text);
// "A..B" (each a duration) to [A, B] in milliseconds, with A <= B; a single duration is [A, A].
std::optional<std::pair<int64_t, int64_t>> parse_duration_range_ms(std::string_view text);
// The sentence that says what a duration looks like, for errors.
std::string duration_hint(std::string_view text);
// The shortest exact way to write `ms` in the same units ("1h30m", "200ms", "0s").
std::string format_duration_ms(int64_t ms);

}  // namespace flareq
