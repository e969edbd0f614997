// A small recursive-descent parser for JSONC that records the position of every value.
// nlohmann/json reads comments but neither trailing commas nor positions, hence this.
#include "emulator/config/document.h"

namespace flareq::config {
namespace {

constexpr int kMaxDepth = 200;

class Parser {
 public:
  explicit Parser(std::string_view text, Document& doc) : s_(text), doc_(doc) {}

  void parse_document() {
    skip_space();
    doc_.value = parse_value("", 0);
    skip_space();
    if (i_ < s_.size()) fail("unexpected text after the end of the document");
  }

 private:
  std::string_view s_;
  Document& doc_;
  size_t i_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;

  SourcePos here() const { return {line_, static_cast<int>(i_ - line_start_) + 1}; }
  [[noreturn]] void fail(const std::string& what) const { throw SyntaxError(here(), what); }

  void advance() {
    if (s_[i_] == '\n') {
      ++line_;
      line_start_ = i_ + 1;
    }
    ++i_;
  }

  void skip_space() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance();
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '/') {
        while (i_ < s_.size() && s_[i_] != '\n') advance();
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
        SourcePos start = here();
        advance();
        advance();
        while (i_ + 1 < s_.size() && !(s_[i_] == '*' && s_[i_ + 1] == '/')) advance();
        if (i_ + 1 >= s_.size()) throw SyntaxError(start, "unterminated /* comment");
        advance();
        advance();
      } else if (static_cast<unsigned char>(c) == 0xEF && s_.substr(i_, 3) == "\xEF\xBB\xBF" &&
                 i_ == 0) {
        i_ += 3;  // byte-order mark
      } else {
        return;
      }
    }
  }

  nlohmann::json parse_value(const std::string& path, int depth) {
    if (depth > kMaxDepth) fail("nesting is too deep");
    if (i_ >= s_.size()) fail("unexpected end of file, expected a value");
    doc_.positions[path] = here();
    char c = s_[i_];
    if (c == '{') return parse_object(path, depth);
    if (c == '[') return parse_array(path, depth);
    if (c == '"') return parse_string();
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    if (s_.substr(i_, 4) == "true") return literal(4, true);
    if (s_.substr(i_, 5) == "false") return literal(5, false);
    if (s_.substr(i_, 4) == "null") return literal(4, nullptr);
    fail(std::string("unexpected character '") + c + "', expected a value");
  }

  nlohmann::json literal(size_t n, nlohmann::json v) {
    i_ += n;
    return v;
  }

  nlohmann::json parse_object(const std::string& path, int depth) {
    nlohmann::json obj = nlohmann::json::object();
    advance();  // {
    skip_space();
    while (true) {
      if (i_ >= s_.size()) fail("unexpected end of file, expected '}'");
      if (s_[i_] == '}') {
        advance();
        return obj;
      }
      if (s_[i_] != '"') fail("expected a quoted property name or '}'");
      SourcePos key_pos = here();
      std::string key = parse_string();
      skip_space();
      if (i_ >= s_.size() || s_[i_] != ':') fail("expected ':' after property name");
      advance();
      skip_space();
      std::string child = path.empty() ? key : path + "." + key;
      if (obj.contains(key)) throw SyntaxError(key_pos, "duplicate property \"" + key + "\"");
      obj[key] = parse_value(child, depth + 1);
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') {
        advance();
        skip_space();
      } else if (i_ < s_.size() && s_[i_] != '}') {
        fail("expected ',' or '}'");
      }
    }
  }

  nlohmann::json parse_array(const std::string& path, int depth) {
    nlohmann::json arr = nlohmann::json::array();
    advance();  // [
    skip_space();
    while (true) {
      if (i_ >= s_.size()) fail("unexpected end of file, expected ']'");
      if (s_[i_] == ']') {
        advance();
        return arr;
      }
      arr.push_back(parse_value(path + "[" + std::to_string(arr.size()) + "]", depth + 1));
      skip_space();
      if (i_ < s_.size() && s_[i_] == ',') {
        advance();
        skip_space();
      } else if (i_ < s_.size() && s_[i_] != ']') {
        fail("expected ',' or ']'");
      }
    }
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  uint32_t parse_hex4() {
    if (i_ + 4 > s_.size()) fail("incomplete \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f') v |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= uint32_t(c - 'A' + 10);
      else fail("invalid \\u escape");
    }
    return v;
  }

  std::string parse_string() {
    advance();  // opening quote
    std::string out;
    while (true) {
      if (i_ >= s_.size()) fail("unterminated string");
      char c = s_[i_];
      if (c == '"') {
        advance();
        return out;
      }
      if (c == '\n') fail("unterminated string");
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        ++i_;
        continue;
      }
      ++i_;
      if (i_ >= s_.size()) fail("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = parse_hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(i_, 2) == "\\u") {
            i_ += 2;
            uint32_t low = parse_hex4();
            if (low >= 0xDC00 && low <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            else fail("invalid surrogate pair");
          }
          append_utf8(out, cp);
          break;
        }
        default: fail(std::string("invalid escape '\\") + e + "'");
      }
    }
  }

  nlohmann::json parse_number() {
    size_t start = i_;
    if (s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !isdigit(static_cast<unsigned char>(s_[i_]))) fail("invalid number");
    bool is_float = false;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (isdigit(static_cast<unsigned char>(c))) {
        ++i_;
      } else if (c == '.' || c == 'e' || c == 'E' || ((c == '+' || c == '-') && is_float)) {
        is_float = true;
        ++i_;
      } else {
        break;
      }
    }
    std::string text(s_.substr(start, i_ - start));
    try {
      size_t used = 0;
      if (!is_float) {
        long long v = std::stoll(text, &used);
        if (used == text.size()) return v;
      } else {
        double v = std::stod(text, &used);
        if (used == text.size()) return v;
      }
    } catch (const std::exception&) {
    }
    i_ = start;
    fail("invalid number '" + text + "'");
  }
};

}  // namespace

Document parse_jsonc(std::string_view text) {
  Document doc;
  Parser(text, doc).parse_document();
  return doc;
}

}  // namespace flareq::config
