// The Host, Origin, Authorization and Content-Length rules of local_safety.h.
#include "emulator/http/local_safety.h"

#include <cctype>

#include "emulator/core/encoding.h"

namespace flareq::api {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "name", "name:port", "[v6]" or "[v6]:port" → the name, lowercased, without brackets.
std::string host_name(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    return lower(authority.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  size_t colon = authority.find(':');
  return lower(authority.substr(0, colon));
}

bool is_local_name(const std::string& name, const ListenAddress& listening) {
  return name == "localhost" || name == "::1" || name.rfind("127.", 0) == 0 || name == lower(listening.host);
}

}  // namespace

std::optional<std::string> foreign_request(const ListenAddress& listening, std::string_view method,
                                           std::string_view host_header, std::string_view origin_header) {
  if (!host_header.empty() && !is_local_name(host_name(host_header), listening))
    return "requests must be addressed to this server as localhost or " + listening.host + ", not '" +
           printable(host_header) + "' (serving other names needs --api-token)";
  bool changes_state = method != "GET" && method != "HEAD" && method != "OPTIONS";
  if (!changes_state || origin_header.empty()) return std::nullopt;
  // A page of this server (the dashboard) is same-origin; any other page is refused,
  // including the opaque origin "null" of sandboxed frames and local files.
  std::string_view rest = origin_header;
  bool http = rest.substr(0, 7) == "http://";
  rest.remove_prefix(http ? 7 : 0);
  std::string port = ":" + std::to_string(listening.port);
  bool same_port = rest.size() > port.size() && rest.substr(rest.size() - port.size()) == port;
  if (http && same_port && is_local_name(host_name(rest), listening)) return std::nullopt;
  return "a web page of another origin (" + printable(origin_header) + ") may not change this server's state";
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
  size_t space = authorization.find(' ');
  if (space == std::string_view::npos) return false;
  if (lower(authorization.substr(0, space)) != "bearer") return false;
  std::string_view given = authorization.substr(space + 1);
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  return given == token;
}

std::optional<std::string> bad_content_length(std::string_view value) {
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos)
    return std::nullopt;
  return "Content-Length must be a number of bytes, got '" + printable(value) + "'";
}

}  // namespace flareq::api
