// A small JSON-over-HTTP client for integration tests, on cpp-httplib.
#pragma once
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace flareq::testing {

struct HttpReply {
  int status = 0;
  nlohmann::json body;  // null when the body is not JSON
  std::string text;
  httplib::Headers headers;
};

class Http {
 public:
  explicit Http(int port, std::string token = "") : client_("127.0.0.1", port), token_(std::move(token)) {
    client_.set_read_timeout(30, 0);
  }
  // `path` is relative to /client/v4/accounts/local unless it starts with '/'.
  HttpReply get(const std::string& path) { return call("GET", path, ""); }
  HttpReply del(const std::string& path) { return call("DELETE", path, ""); }
  HttpReply post(const std::string& path, const nlohmann::json& body) { return call("POST", path, body.dump()); }
  HttpReply put(const std::string& path, const nlohmann::json& body) { return call("PUT", path, body.dump()); }
  HttpReply patch(const std::string& path, const nlohmann::json& body) { return call("PATCH", path, body.dump()); }
  HttpReply post_raw(const std::string& path, const std::string& body, const std::string& type = "text/plain;charset=UTF-8") {
    return call("POST", path, body, type);
  }

 private:
  HttpReply call(const std::string& method, std::string path, const std::string& body,
                 const std::string& type = "text/plain;charset=UTF-8") {
    if (path.empty() || path[0] != '/') path = "/client/v4/accounts/local/" + path;
    httplib::Headers headers;
    if (!token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
    httplib::Result r = method == "GET"      ? client_.Get(path.c_str(), headers)
                        : method == "DELETE" ? client_.Delete(path.c_str(), headers)
                        : method == "PUT"    ? client_.Put(path.c_str(), headers, body, type.c_str())
                        : method == "PATCH"  ? client_.Patch(path.c_str(), headers, body, type.c_str())
                                             : client_.Post(path.c_str(), headers, body, type.c_str());
    HttpReply reply;
    if (!r) return reply;
    reply.status = r->status;
    reply.text = r->body;
    reply.headers = r->headers;
    reply.body = nlohmann::json::parse(r->body, nullptr, false);
    if (reply.body.is_discarded()) reply.body = nullptr;
    return reply;
  }
  httplib::Client client_;
  std::string token_;
};

}  // namespace flareq::testing
