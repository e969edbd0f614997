// wrangler's diagnostics of a config given the place of the field they name (field_places.h).
#include "emulator/config/field_places.h"

#include <sstream>

#include "emulator/config/document.h"

namespace flareq::config {

namespace {

// Where the first double-quoted field of `line` stands in `doc`, if any.
SourcePos place_of_field(const Document& doc, const std::string& env, const std::string& line) {
  for (size_t open = line.find('"'); open != std::string::npos; open = line.find('"', open + 1)) {
    size_t close = line.find('"', open + 1);
    if (close == std::string::npos) break;
    std::string quoted = line.substr(open + 1, close - open - 1);
    for (const std::string& path : {env.empty() ? "" : "env." + env + "." + quoted, quoted}) {
      if (path.empty()) continue;
      SourcePos pos = doc.position_of(path);
      if (pos.line > 0) return pos;
    }
    open = close;
  }
  return {};
}

}  // namespace

std::string place_fields(const std::filesystem::path& file, const std::string& env, const std::string& text) {
  Document doc;
  try {
    doc = read_document(file);
  } catch (const std::exception&) {
    return text;
  }
  std::istringstream lines(text);
  std::string out, line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (!first) out += '\n';
    first = false;
    size_t at = line.find_first_not_of(' ');
    SourcePos pos;
    if (at != std::string::npos && line.compare(at, 2, "- ") == 0) pos = place_of_field(doc, env, line);
    if (pos.line == 0) {
      out += line;
      continue;
    }
    at += 2;
    out += line.substr(0, at) + file.string() + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) +
           ": " + line.substr(at);
  }
  if (!text.empty() && text.back() == '\n') out += '\n';
  return out;
}

}  // namespace flareq::config
