// A small JSON-over-HTTP client for integration tests, on cpp-httplib, and a raw TCP
// connection for requests that no HTTP client would send.
#pragma once
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

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
  // The body in chunked transfer encoding, 64 KB a chunk.
  HttpReply post_chunked(const std::string& path, const std::string& body) {
    auto provide = [&body](size_t offset, httplib::DataSink& sink) {
      if (offset < body.size()) return sink.write(body.data() + offset, std::min<size_t>(65536, body.size() - offset));
      sink.done();
      return true;
    };
    return reply_of(client_.Post(full_path(path).c_str(), headers(), provide, "application/json"));
  }

 private:
  HttpReply call(const std::string& method, std::string path, const std::string& body,
                 const std::string& type = "text/plain;charset=UTF-8") {
    path = full_path(path);
    httplib::Result r = method == "GET"      ? client_.Get(path.c_str(), headers())
                        : method == "DELETE" ? client_.Delete(path.c_str(), headers())
                        : method == "PUT"    ? client_.Put(path.c_str(), headers(), body, type.c_str())
                        : method == "PATCH"  ? client_.Patch(path.c_str(), headers(), body, type.c_str())
                                             : client_.Post(path.c_str(), headers(), body, type.c_str());
    return reply_of(std::move(r));
  }
  static std::string full_path(const std::string& path) {
    return !path.empty() && path[0] == '/' ? path : "/client/v4/accounts/local/" + path;
  }
  httplib::Headers headers() const {
    httplib::Headers h;
    if (!token_.empty()) h.emplace("Authorization", "Bearer " + token_);
    return h;
  }
  static HttpReply reply_of(httplib::Result r) {
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

class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConnection() { close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool connected() const { return connected_; }
  void send_text(const std::string& text) { ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL); }
  // What arrives within `timeout_ms`: until the server closes or stops sending, or, when
  // `until` is given, until it has arrived.
  std::string receive(int timeout_ms, std::string_view until = "") {
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      if (poll(&p, 1, std::max(left, 1)) <= 0) break;
      char buf[8192];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
      if (!until.empty() && got.find(until) != std::string::npos) break;
    }
    return got;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace flareq::testing
