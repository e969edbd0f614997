// Tables, sizes, durations and previews for human output.
#include "cli/output.h"

#include "emulator/core/clock.h"
#include "emulator/core/duration.h"
#include "emulator/core/encoding.h"
#include "emulator/core/r2_rules.h"
#include "emulator/store/types.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

namespace flareq::cli {

std::string backlog_line(const Backlog& b) {
  return std::to_string(b.ready) + " ready, " + std::to_string(b.delayed) + " delayed, " + std::to_string(b.leased) +
         " leased";
}

// Width in characters, counting each UTF-8 sequence once.
static size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) width[i] = display_width(headers[i]);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - display_width(cells[i]) + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(headers);
  for (const auto& r : rows) line(r);
}

std::string human_bytes(int64_t bytes) {
  char buf[32];
  if (bytes < 1024) snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else if (bytes < 1024 * 1024) snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  else if (bytes < 1024LL * 1024 * 1024) snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024));
  else snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  return buf;
}

std::string human_duration_ms(int64_t ms) {
  char buf[32];
  if (ms < 0) ms = 0;
  if (ms < 1000) snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  else if (ms < 60000) snprintf(buf, sizeof buf, "%.1fs", ms / 1000.0);
  else if (ms < 3600000) snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60000), static_cast<long long>(ms / 1000 % 60));
  else if (ms < 86400000) snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3600000), static_cast<long long>(ms / 60000 % 60));
  else snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(ms / 86400000), static_cast<long long>(ms / 3600000 % 24));
  return buf;
}

int64_t parse_duration_flag(const std::string& text) {
  auto ms = flareq::parse_duration_ms(text);
  if (!ms) throw CLI::ValidationError("duration", duration_hint(text));
  return *ms;
}

std::string clock_line(const Clock& clock) {
  int64_t now = clock.now_ms(), ahead = now - clock.real_ms();
  std::string where = ahead == 0   ? "real time"
                      : ahead > 0 ? format_duration_ms(ahead) + " ahead of real time"
                                  : format_duration_ms(-ahead) + " behind real time";
  if (clock.virtual_time().frozen_ms) where = "standing still";
  return iso8601(now) + " (" + where + ")";
}

std::string labelled_values(const std::vector<std::pair<std::string, std::string>>& view) {
  size_t width = 0;
  for (const auto& [label, value] : view) width = std::max(width, label.size() + 1);
  std::string out;
  for (const auto& [label, value] : view) out += label + ":" + std::string(width - label.size() - 1 + 2, ' ') + value + "\n";
  return out;
}

std::string r2_rule_line(const r2::Rule& rule) {
  return "bucket " + rule.bucket + " · " + r2::joined(rule.actions) + " · prefix " +
         (rule.prefix.empty() ? "(all prefixes)" : "\"" + rule.prefix + "\"") + " · suffix " +
         (rule.suffix.empty() ? "(all suffixes)" : "\"" + rule.suffix + "\"") + " · rule " + rule.id;
}

std::string preview(const std::string& raw, size_t width) {
  std::string text = printable(raw);
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (chars == width) {
        out += "…";
        return out;
      }
      ++chars;
    }
    out += text[i];
  }
  return out;
}

}  // namespace flareq::cli
