// The API's routes: each is a method and a path pattern, under /client/v4 unless the pattern
// starts with "/", registered by the route file that answers it (routes.h). A pattern's
// "{queue}" segment is resolved to the queue it names before the route runs; "{name}" segments
// reach the route as given. A path no route has answers 404; a path some route has, under
// another method, 405.
#pragma once
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/core/error.h"
#include "emulator/http/request_body.h"
#include "emulator/store/store.h"

namespace httplib {
struct Request;
struct Response;
}

namespace flareq::api {

// What a route answers: a status and the envelope's result (and result_info for lists); or,
// for the few answers outside the envelope (the metrics' text, the event stream), `raw`, which
// writes the response itself.
struct Reply {
  Reply() = default;
  Reply(int status, nlohmann::json result, std::optional<nlohmann::json> result_info = std::nullopt)
      : status(status), result(std::move(result)), result_info(std::move(result_info)) {}
  static Reply writing(std::function<void(httplib::Response&)> write) {
    Reply r;
    r.raw = std::move(write);
    return r;
  }
  int status = 200;
  nlohmann::json result;
  std::optional<nlohmann::json> result_info;
  std::function<void(httplib::Response&)> raw;
};

struct RouteRequest {
  const httplib::Request& http;
  const std::string& content;           // the body, read whatever its Content-Type
  Store& store;                         // this thread's connection
  std::optional<Queue> queue;           // the pattern's {queue}, looked up
  std::map<std::string, std::string> params;  // every {…} segment as given, by name
  RequestJson body() const { return parse_body(content); }
  const std::string& param(const std::string& name) const { return params.at(name); }
};

using Route = std::function<Reply(RouteRequest& request)>;

class RouteTable {
 public:
  // `pattern` is slash-separated and relative to /client/v4, e.g.
  // "accounts/{account}/queues/{queue}/messages/pull", or from the root when it starts with
  // "/" ("/metrics").
  void add(std::string method, std::string_view pattern, Route route);

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;  // every {…} segment as given, by name
  };
  // `segments`: the request's whole path, split. Throws the API's 404 or 405.
  Match find(const httplib::Request& request, const std::vector<std::string_view>& segments) const;

 private:
  struct Entry {
    std::string method;
    std::vector<std::string> pattern;
    Route route;
  };
  std::vector<Entry> entries_;
};

// A queue named in a path: its id, or a valid queue name; anything else is 10107.
const std::string& checked_queue_ref(const std::string& id_or_name);

// The two refusals of routing, one wording each.
Error no_route(const httplib::Request& request);
Error method_not_allowed(const httplib::Request& request);

}  // namespace flareq::api
