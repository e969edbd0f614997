// Parsing and printing durations (duration.h).
#include "emulator/core/duration.h"

#include <cmath>
#include <cstdlib>

namespace flareq {
namespace {

struct Unit {
  const char* name;
  int64_t ms;
};
// Largest first, for printing.
constexpr Unit kUnits[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};

// A hundred years is more than any delay, retention or advance needs, and far from overflow.
constexpr double kMaxMs = 100.0 * 365 * 86400000;

}  // namespace

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  size_t i = 0;
  bool plain = true;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (i == start || i - start > 20) return std::nullopt;
    std::string number(text.substr(start, i - start));
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !std::isfinite(value)) return std::nullopt;
    if (i == text.size() && plain) return value * 1000 > kMaxMs ? std::nullopt : std::optional<int64_t>(std::llround(value * 1000));
    plain = false;
    int64_t scale = 0;
    size_t unit_length = text.substr(i, 2) == "ms" ? 2 : 1;  // "ms" before "m"
    for (const auto& u : kUnits) {
      if (text.substr(i, unit_length) == u.name) {
        scale = u.ms;
        i += unit_length;
        break;
      }
    }
    if (scale == 0) return std::nullopt;
    total += value * static_cast<double>(scale);
    if (total > kMaxMs) return std::nullopt;
  }
  return std::llround(total);
}

std::optional<std::pair<int64_t, int64_t>> parse_duration_range_ms(std::string_view text) {
  size_t dots = text.find("..");
  auto low = parse_duration_ms(text.substr(0, dots));
  auto high = dots == std::string_view::npos ? low : parse_duration_ms(text.substr(dots + 2));
  if (!low || !high || *low > *high) return std::nullopt;
  return std::make_pair(*low, *high);
}

std::string duration_hint(std::string_view text) {
  return "'" + std::string(text) + "' is not a duration like 200ms, 90s, 30m, 1h, 2d or 1h30m";
}

std::string duration_range_hint(std::string_view text) {
  size_t dots = text.find("..");
  if (dots != std::string_view::npos) {
    auto low = parse_duration_ms(text.substr(0, dots));
    auto high = parse_duration_ms(text.substr(dots + 2));
    if (low && high && *low > *high)
      return "'" + std::string(text) + "' is reversed: put the shorter duration first (" +
             std::string(text.substr(dots + 2)) + ".." + std::string(text.substr(0, dots)) + ")";
    if (!low) return duration_hint(text.substr(0, dots)) + ", or a range such as 200ms..2s";
    return duration_hint(text.substr(dots + 2)) + ", or a range such as 200ms..2s";
  }
  return duration_hint(text) + ", or a range such as 200ms..2s";
}

std::string format_duration_ms(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out = ms < 0 ? "-" : "";
  int64_t left = std::llabs(ms);
  for (const auto& u : kUnits) {
    if (left >= u.ms) {
      out += std::to_string(left / u.ms) + u.name;
      left %= u.ms;
    }
  }
  return out;
}

}  // namespace flareq
