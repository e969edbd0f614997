// Human output: aligned tables, sizes and ages.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace flareq {
struct Backlog;
class Clock;
namespace r2 {
struct Rule;
}
}

namespace flareq::cli {

void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);
std::string human_bytes(int64_t bytes);
std::string human_duration_ms(int64_t ms);
// A duration flag ("200ms", "90s", "30m", "1h", "2d", or plain seconds) → milliseconds; throws a usage error.
int64_t parse_duration_flag(const std::string& text);
// "3 ready, 1 delayed, 0 leased".
std::string backlog_line(const Backlog& backlog);
// The clock's time and how it stands to real time: "2026-12-02T18:10:00.000Z (1h ahead of real time)".
std::string clock_line(const Clock& clock);
// A one-line preview of a body, at most `width` characters.
// Labels and values, one pair a line, the values aligned (as wrangler prints them).
std::string labelled_values(const std::vector<std::pair<std::string, std::string>>& view);
// An R2 event notification rule on one line: bucket, actions, filters and id.
std::string r2_rule_line(const r2::Rule& rule);
std::string preview(const std::string& text, size_t width);

}  // namespace flareq::cli
