// Reading request heads and following chunked bodies (request_head.h).
#include "emulator/http/request_head.h"

#include <cctype>
#include <cstring>

#include "emulator/core/encoding.h"

namespace flareq::api {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool list_has(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (ascii_lower(trim_ows(value.substr(0, comma))) == token) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

size_t request_head_end(std::string_view bytes) {
  size_t at = bytes.find("\r\n\r\n");
  return at == std::string_view::npos ? at : at + 4;
}

Result<RequestHead> parse_request_head(std::string_view head) {
  RequestHead out;
  size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return Result<RequestHead>::failure("the request line does not end with CRLF");
  std::string_view line = head.substr(0, line_end);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return Result<RequestHead>::failure("the request line is not 'METHOD TARGET HTTP/1.1'");
  out.method = std::string(line.substr(0, sp1));
  out.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(out.method)) return Result<RequestHead>::failure("the request's method is not a token");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return Result<RequestHead>::failure("only HTTP/1.0 and HTTP/1.1 are served");
  if (out.method == "CONNECT") return Result<RequestHead>::failure("CONNECT is not served here");

  int hosts = 0, origins = 0, lengths = 0;
  bool chunked = false, transfer_encoding = false, wants_upgrade = false, connection_upgrade = false;
  size_t at = line_end + 2;
  while (true) {
    size_t end = head.find("\r\n", at);
    if (end == std::string_view::npos) return Result<RequestHead>::failure("the request head does not end with a blank line");
    std::string_view field = head.substr(at, end - at);
    at = end + 2;
    if (field.empty()) break;
    if (field.find('\n') != std::string_view::npos || field.find('\r') != std::string_view::npos ||
        field.find('\0') != std::string_view::npos)
      return Result<RequestHead>::failure("a header line holds a bare CR, LF or NUL");
    if (field.front() == ' ' || field.front() == '\t') return Result<RequestHead>::failure("folded header lines are not accepted");
    size_t colon = field.find(':');
    if (colon == std::string_view::npos || !is_token(field.substr(0, colon)))
      return Result<RequestHead>::failure("a header line is not 'Name: value'");
    std::string name = ascii_lower(field.substr(0, colon));
    std::string_view value = trim_ows(field.substr(colon + 1));
    if (name == "host") {
      ++hosts;
      out.host = std::string(value);
    } else if (name == "origin") {
      ++origins;
      out.origin = std::string(value);
    } else if (name == "content-length") {
      ++lengths;
      if (value.empty() || value.size() > 15 || value.find_first_not_of("0123456789") != std::string_view::npos)
        return Result<RequestHead>::failure("Content-Length must be a number of bytes, got '" +
                                            std::string(value.substr(0, 40)) + "'");
      out.length = std::stoull(std::string(value));
    } else if (name == "transfer-encoding") {
      if (transfer_encoding || ascii_lower(value) != "chunked")
        return Result<RequestHead>::failure("only 'Transfer-Encoding: chunked' is accepted");
      transfer_encoding = chunked = true;
    } else if (name == "upgrade") {
      wants_upgrade = true;
    } else if (name == "connection") {
      connection_upgrade = connection_upgrade || list_has(value, "upgrade");
    }
  }
  if (at != head.size()) return Result<RequestHead>::failure("bytes follow the request head's blank line");
  if (hosts > 1 || origins > 1) return Result<RequestHead>::failure("a request may carry one Host and one Origin");
  if (lengths > 1) return Result<RequestHead>::failure("a request may carry one Content-Length");
  if (chunked && lengths) return Result<RequestHead>::failure("a request may not carry both Content-Length and Transfer-Encoding");
  if (chunked && version == "HTTP/1.0") return Result<RequestHead>::failure("HTTP/1.0 has no chunked bodies");
  out.body = chunked ? RequestHead::Body::Chunked : lengths ? RequestHead::Body::Length : RequestHead::Body::None;
  out.upgrade = wants_upgrade && connection_upgrade;
  return out;
}

size_t ChunkedBody::scan(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size() && state_ != State::Done) {
    char c = bytes[i];
    switch (state_) {
      case State::Size:
        if (int d = hex_digit(c); d >= 0) {
          if (++size_digits_ > 15) return kMalformed;
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(d);
        } else if (size_digits_ == 0) {
          return kMalformed;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::Extension;
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else {
          return kMalformed;
        }
        ++i;
        break;
      case State::Extension:
        if (c == '\r') state_ = State::SizeLf;
        else if (c == '\n') return kMalformed;
        ++i;
        break;
      case State::SizeLf:
        if (c != '\n') return kMalformed;
        state_ = remaining_ == 0 ? State::TrailerStart : State::Data;
        size_digits_ = 0;
        ++i;
        break;
      case State::Data: {
        uint64_t take = std::min<uint64_t>(remaining_, bytes.size() - i);
        remaining_ -= take;
        i += take;
        if (remaining_ == 0) state_ = State::DataCr;
        break;
      }
      case State::DataCr:
        if (c != '\r') return kMalformed;
        state_ = State::DataLf;
        ++i;
        break;
      case State::DataLf:
        if (c != '\n') return kMalformed;
        state_ = State::Size;
        ++i;
        break;
      case State::TrailerStart:
        state_ = c == '\r' ? State::FinalLf : State::Trailer;
        if (c == '\n') return kMalformed;
        ++i;
        break;
      case State::Trailer:
        if (c == '\r') state_ = State::TrailerLf;
        else if (c == '\n') return kMalformed;
        ++i;
        break;
      case State::TrailerLf:
        if (c != '\n') return kMalformed;
        state_ = State::TrailerStart;
        ++i;
        break;
      case State::FinalLf:
        if (c != '\n') return kMalformed;
        state_ = State::Done;
        ++i;
        break;
      case State::Done:
        break;
    }
  }
  return i;
}

}  // namespace flareq::api
