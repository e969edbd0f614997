// Source maps (version 3) decoded, and stack frames rewritten through them (see source_map.h).
#include "emulator/handler/source_map.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

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

std::string without_file_scheme(const std::string& s) { return s.rfind("file://", 0) == 0 ? s.substr(7) : s; }

std::string percent_decoded(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<SourceMap> SourceMap::parse(const std::string& text, const std::filesystem::path& map_dir) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object() || doc.value("version", 0) != 3 || !doc.contains("mappings") || !doc["mappings"].is_string() ||
      !doc.contains("sources") || !doc["sources"].is_array())
    return std::nullopt;
  SourceMap map;
  std::filesystem::path root = map_dir;
  if (doc.contains("sourceRoot") && doc["sourceRoot"].is_string() && !doc["sourceRoot"].get<std::string>().empty())
    root = map_dir / without_file_scheme(doc["sourceRoot"].get<std::string>());
  for (const auto& source : doc["sources"]) {
    std::string name = source.is_string() ? source.get<std::string>() : "";
    bool url = name.find("://") != std::string::npos && name.rfind("file://", 0) != 0;
    map.sources_.push_back(url ? name : (root / without_file_scheme(name)).lexically_normal().string());
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
  // A frame's place: an absolute path, or a file:// URL, then :line:column.
  static const std::regex frame(R"((file://)?(/[^\s()]*?):(\d{1,9}):(\d{1,9})(?=[)\s]|$))");
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  std::istringstream lines(text);
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (!first) out += '\n';
    first = false;
    size_t copied = 0;
    for (std::sregex_iterator it(line.begin(), line.end(), frame), end; it != end; ++it) {
      const std::smatch& m = *it;
      const SourceMap* map = map_for(percent_decoded(m[2].str()));
      std::optional<SourceMap::Position> place;
      if (map) place = map->find(std::stoll(m[3].str()), std::stoll(m[4].str()));
      if (!place || place->source.empty()) continue;
      out.append(line, copied, m.position(0) - copied);
      out += (m[1].matched && place->source.front() == '/' ? "file://" : "") + place->source + ":" +
             std::to_string(place->line) + ":" + std::to_string(place->column);
      copied = m.position(0) + m.length(0);
    }
    out.append(line, copied, std::string::npos);
  }
  if (!text.empty() && text.back() == '\n') out += '\n';
  return out;
}

}  // namespace flareq::handler
