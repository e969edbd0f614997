// What keeps a local server safe from the web pages in its user's browser (README, "Local
// safety"): without a token, a request must be addressed to this server by a loopback name
// (so a DNS-rebound name is refused), and a state-changing request must not come from a
// page of another origin. With a token, the token decides. The same rules guard the API's
// port and the Worker's (worker_front.h).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace flareq::api {

struct ListenAddress {
  std::string host;  // as given to --host
  int port = 0;
};

// Which pages may change state: only this server's own (the API and its dashboard), or any
// page served from this machine (the Worker's port, which a front end on another localhost
// port calls).
enum class AllowedOrigins { ThisServer, Local };

// Why the request must be refused, or nothing. `method`, `host_header` and `origin_header`
// are as received ("" when absent). On a wildcard address (0.0.0.0, ::) a Host that is an IP
// address is accepted too: a rebound name is always a name.
std::optional<std::string> foreign_request(const ListenAddress& listening, std::string_view method,
                                           std::string_view host_header, std::string_view origin_header,
                                           AllowedOrigins allowed = AllowedOrigins::ThisServer);

// localhost, ::1 or an address 127.x.y.z: a name such as "127.evil.example" is not, since
// anyone can point it anywhere. Both the Host check and `dev --host` (no token needed) use it.
bool is_loopback_name(const std::string& name);

// "Bearer TOKEN", the scheme in any case (RFC 7235), the token exactly.
bool bearer_matches(std::string_view authorization, std::string_view token);

// A Content-Length that is not a plain decimal number: httplib would wait for a body that
// never comes. Returns the refusal, or nothing.
std::optional<std::string> bad_content_length(std::string_view value);

}  // namespace flareq::api
