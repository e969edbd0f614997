// The Host, Origin, Authorization and Content-Length rules of local_safety.h.
#include "emulator/http/local_safety.h"

#include <arpa/inet.h>

#include "emulator/core/encoding.h"

namespace flareq::api {
namespace {

// "name", "name:port", "[v6]" or "[v6]:port" → the name, lowercased, without brackets.
std::string host_name(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    return ascii_lower(authority.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  size_t colon = authority.find(':');
  return ascii_lower(authority.substr(0, colon));
}

bool is_ip_address(const std::string& name) {
  unsigned char bytes[16];
  return inet_pton(AF_INET, name.c_str(), bytes) == 1 || inet_pton(AF_INET6, name.c_str(), bytes) == 1;
}

// A Host the server may be addressed by: a loopback name, the address it listens on, or, on a
// wildcard address, any IP address.
bool is_local_name(const std::string& name, const ListenAddress& listening) {
  std::string listen = ascii_lower(listening.host);
  bool wildcard = listen == "0.0.0.0" || listen == "::" || listen == "*";
  return is_loopback_name(name) || name == listen || (wildcard && is_ip_address(name));
}

}  // namespace

bool is_loopback_name(const std::string& name) {
  in_addr v4{};
  return name == "localhost" || name == "::1" ||
         (inet_pton(AF_INET, name.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127);
}

std::optional<std::string> foreign_request(const ListenAddress& listening, std::string_view method,
                                           std::string_view host_header, std::string_view origin_header,
                                           AllowedOrigins allowed) {
  if (!host_header.empty() && !is_local_name(host_name(host_header), listening))
    return "requests must be addressed to this server as localhost or " + listening.host + ", not '" +
           printable(host_header) + "'" +
           (allowed == AllowedOrigins::ThisServer ? " (serving other names needs --api-token)" : "");
  bool changes_state = method != "GET" && method != "HEAD" && method != "OPTIONS";
  if (!changes_state || origin_header.empty()) return std::nullopt;
  // A page of this server (the dashboard, or a page the Worker serves) is same-origin: its
  // Origin names the Host just checked, or this port on a loopback name. With Local, any page
  // on a loopback name is accepted too. Any other page is refused, including the opaque
  // origin "null" of sandboxed frames and local files.
  std::string_view authority = origin_header;
  bool http = authority.substr(0, 7) == "http://", https = authority.substr(0, 8) == "https://";
  authority.remove_prefix(http ? 7 : https ? 8 : 0);
  std::string name = host_name(authority);
  std::string port = ":" + std::to_string(listening.port);
  bool same_port = authority.size() > port.size() && authority.substr(authority.size() - port.size()) == port;
  if (http && !host_header.empty() && ascii_lower(authority) == ascii_lower(host_header)) return std::nullopt;
  if (http && same_port && is_loopback_name(name)) return std::nullopt;
  if (allowed == AllowedOrigins::Local && (http || https) && is_loopback_name(name)) return std::nullopt;
  return "a web page of another origin (" + printable(origin_header) + ") may not change this server's state";
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
  size_t space = authorization.find(' ');
  if (space == std::string_view::npos) return false;
  if (ascii_lower(authorization.substr(0, space)) != "bearer") return false;
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
