// Request paths the Worker front (worker_front.h) passes to the runtime under another prefix:
// the local URLs that moved between Miniflare versions (`/cdn-cgi/handler/scheduled` became
// `/cdn-cgi/local/scheduled`), taken to where the runtime serves them, as wrangler's own proxy
// does. The Worker host says which (worker/miniflare-shapes.mjs).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace flareq::api {

struct PathRewrite {
  std::string from;  // a path prefix, without a trailing '/'
  std::string to;
};
using PathRewrites = std::vector<PathRewrite>;

// The request line ("GET /path?query HTTP/1.1\r\n") with its target's prefix replaced by the
// first rule whose prefix it starts with as a whole (the prefix itself, or followed by '/' or
// '?'); unchanged when none does.
std::string rewrite_request_line(std::string_view line, const PathRewrites& rules);

}  // namespace flareq::api
