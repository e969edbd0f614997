// Source maps (version 3) decoded, and stack frames rewritten through them (see source_map.h).
#include "emulator/handler/source_map.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "emulator/core/encoding.h"

namespace flareq::handler {
namespace {

// A map larger than this is not read (wrangler's, with every source inside, are far smaller).
constexpr uintmax_t kLargestMap = 64u << 20;

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// One base64 VLQ number of a mapping at `at`, which moves past it.
bool read_vlq(const std::string& text, size_t& at, int64_t& out) {
  int64_t value = 0;
  for (int shift = 0; at < text.size() && shift <= 60; shift += 5) {
    int digit = base64_digit(text[at++]);
    if (digit < 0) return false;
    value += static_cast<int64_t>(digit & 31) << shift;
    if (!(digit & 32)) {
      out = (value & 1) ? -(value >> 1) : (value >> 1);
      return true;
    }
  }
  return false;
}

// A file:// URL's path; anything else as it is.
std::string_view without_file_scheme(std::string_view s) { return s.substr(0, 7) == "file://" ? s.substr(7) : s; }

// A stack frame's place, "path:line:column", the path absolute or a file:// URL.
struct FramePlace {
  std::string file;  // the path, %-escapes decoded
  bool url = false;  // it was a file:// URL
  int64_t line = 0, column = 0;
};

// A number of 1 to 9 digits.
std::optional<int64_t> small_number(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::optional<FramePlace> frame_place(std::string_view word) {
  size_t second = word.rfind(':');
  if (second == std::string_view::npos || second == 0) return std::nullopt;
  size_t first = word.rfind(':', second - 1);
  if (first == std::string_view::npos) return std::nullopt;
  auto line = small_number(word.substr(first + 1, second - first - 1));
  auto column = small_number(word.substr(second + 1));
  if (!line || !column) return std::nullopt;
  std::string_view place = word.substr(0, first);
  std::string_view path = without_file_scheme(place);
  if (path.empty() || path.front() != '/') return std::nullopt;
  return FramePlace{percent_decode(path), path.size() != place.size(), *line, *column};
}

}  // namespace

std::optional<SourceMap> SourceMap::parse(const std::string& text, const std::filesystem::path& map_dir) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc.contains("version") || doc["version"] != 3 || !doc.contains("mappings") ||
      !doc["mappings"].is_string() || !doc.contains("sources") || !doc["sources"].is_array())
    return std::nullopt;
  SourceMap map;
  std::filesystem::path root = map_dir;
  if (doc.contains("sourceRoot") && doc["sourceRoot"].is_string() && !doc["sourceRoot"].get<std::string>().empty())
    root = map_dir / std::string(without_file_scheme(doc["sourceRoot"].get<std::string>()));
  for (const auto& source : doc["sources"]) {
    std::string name = source.is_string() ? source.get<std::string>() : "";
    bool url = name.find("://") != std::string::npos && name.rfind("file://", 0) != 0;
    map.sources_.push_back(url ? name : (root / std::string(without_file_scheme(name))).lexically_normal().string());
  }
  const std::string& mappings = doc["mappings"].get_ref<const std::string&>();
  int64_t source = 0, line = 0, column = 0;
  int64_t generated_column = 0;
  map.lines_.emplace_back();
  for (size_t at = 0; at < mappings.size();) {
    if (mappings[at] == ';') {
      map.lines_.emplace_back();
      generated_column = 0;
      ++at;
      continue;
    }
    if (mappings[at] == ',') {
      ++at;
      continue;
    }
    int64_t fields[5];
    int count = 0;
    while (at < mappings.size() && mappings[at] != ',' && mappings[at] != ';') {
      if (count == 5 || !read_vlq(mappings, at, fields[count])) return std::nullopt;
      ++count;
    }
    if (count != 1 && count != 4 && count != 5) return std::nullopt;
    generated_column += fields[0];
    Segment segment{generated_column, -1, 0, 0};
    if (count >= 4) {
      source += fields[1];
      line += fields[2];
      column += fields[3];
      segment = {generated_column, source, line, column};
    }
    map.lines_.back().push_back(segment);
  }
  for (auto& segments : map.lines_)
    std::stable_sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) { return a.column < b.column; });
  return map;
}

std::optional<SourceMap::Position> SourceMap::find(int64_t line, int64_t column) const {
  if (line < 1 || line > static_cast<int64_t>(lines_.size())) return std::nullopt;
  const auto& segments = lines_[line - 1];
  auto after = std::upper_bound(segments.begin(), segments.end(), column - 1,
                                [](int64_t c, const Segment& s) { return c < s.column; });
  if (after == segments.begin()) return std::nullopt;
  const Segment& s = *std::prev(after);
  if (s.source < 0 || s.source >= static_cast<int64_t>(sources_.size())) return std::nullopt;
  return Position{sources_[s.source], s.line + 1, s.source_column + 1};
}

const SourceMap* SourceMaps::map_for(const std::string& bundle) {
  std::error_code ec;
  std::filesystem::path path = bundle + ".map";
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kLargestMap) return nullptr;
  auto modified = std::filesystem::last_write_time(path, ec);
  if (ec) return nullptr;
  auto found = loaded_.find(bundle);
  if (found != loaded_.end() && found->second.modified == modified && found->second.size == size)
    return found->second.map ? &*found->second.map : nullptr;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  Loaded& entry = loaded_[bundle];
  entry = {modified, size, in ? SourceMap::parse(text.str(), path.parent_path()) : std::nullopt};
  return entry.map ? &*entry.map : nullptr;
}

std::string SourceMaps::map_stack(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  out.reserve(text.size());
  // Word by word (a frame's place has no space or parenthesis in it), in one pass: no regular
  // expression, whose backtracking a long line (a thrown message of a megabyte) would not survive.
  size_t word = 0;
  for (size_t at = 0; at <= text.size(); ++at) {
    if (at < text.size() && !std::strchr(" \t\r\n()", text[at])) continue;
    std::string_view w(text.data() + word, at - word);
    std::optional<FramePlace> place = frame_place(w);
    std::optional<SourceMap::Position> found;
    if (place) {
      const SourceMap* map = map_for(place->file);
      if (map) found = map->find(place->line, place->column);
    }
    if (found && !found->source.empty())
      out += (place->url && found->source.front() == '/' ? "file://" : "") + found->source + ":" +
             std::to_string(found->line) + ":" + std::to_string(found->column);
    else
      out += w;
    if (at < text.size()) out += text[at];
    word = at + 1;
  }
  return out;
}

}  // namespace flareq::handler
