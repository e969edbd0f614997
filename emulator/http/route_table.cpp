// Matching request paths against the registered patterns.
#include "emulator/http/route_table.h"

#include <httplib.h>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/core/limits.h"

namespace flareq::api {

namespace {

bool is_param(const std::string& segment) { return segment.size() > 2 && segment.front() == '{' && segment.back() == '}'; }

}  // namespace

void RouteTable::add(std::string method, std::string_view pattern, Route route) {
  Entry e{std::move(method), {}, std::move(route)};
  if (pattern.empty() || pattern.front() != '/') e.pattern = {"client", "v4"};
  size_t i = 0;
  while (i <= pattern.size()) {
    size_t j = pattern.find('/', i);
    if (j == std::string_view::npos) j = pattern.size();
    if (j > i) e.pattern.emplace_back(pattern.substr(i, j - i));
    i = j + 1;
  }
  entries_.push_back(std::move(e));
}

RouteTable::Match RouteTable::find(const httplib::Request& request, const std::vector<std::string_view>& segments) const {
  bool path_known = false;
  for (const auto& e : entries_) {
    if (e.pattern.size() != segments.size()) continue;
    Match m;
    bool same = true;
    for (size_t i = 0; i < segments.size() && same; ++i) {
      if (!is_param(e.pattern[i])) {
        same = e.pattern[i] == segments[i];
        continue;
      }
      m.params[e.pattern[i].substr(1, e.pattern[i].size() - 2)] = std::string(segments[i]);
    }
    if (!same) continue;
    path_known = true;
    if (e.method != request.method) continue;
    m.route = &e.route;
    return m;
  }
  throw path_known ? method_not_allowed(request) : no_route(request);
}

const std::string& checked_queue_ref(const std::string& id_or_name) {
  if (!is_id(id_or_name) && !limits::is_valid_queue_name(id_or_name))
    throw bad_request(code::kMalformedQueueId, "'" + printable(id_or_name) + "' is neither a queue id nor a queue name");
  return id_or_name;
}

Error no_route(const httplib::Request& request) {
  std::string text = "no route for " + printable(request.method) + " " + printable(request.path);
  // Another product's command of wrangler's (`wrangler queues subscription`, `wrangler r2 bucket
  // create`) pointed at flareq: what it serves of Cloudflare's API.
  if (request.path.rfind("/client/v4/accounts/", 0) == 0)
    text += ": flareq serves Cloudflare's Queues API (/accounts/{account}/queues…) and R2 event notification rules "
            "(/accounts/{account}/event_notifications/r2/…), not the rest of Cloudflare's API";
  return Error(code::kNotFound, 404, text);
}

Error method_not_allowed(const httplib::Request& request) {
  return Error(code::kNotFound, 405, "method " + printable(request.method) + " is not allowed on " + printable(request.path));
}

}  // namespace flareq::api
