// flareq's HTTP front end: Cloudflare's Queues REST API (v4 shapes, docs/semantics.md, "The REST API") under
// /client/v4, plus /healthz and /metrics. Every answer is JSON in Cloudflare's envelope.
// The routes themselves live in the *_routes.cpp files (routes.h).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/core/log_feed.h"
#include "emulator/core/result.h"
#include "emulator/http/local_safety.h"
#include "emulator/http/routes.h"
#include "emulator/store/group_commit.h"
#include "emulator/store/store_pool.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace flareq::api {

// A write to a bucket from outside the Worker (`flareq r2 object put|delete`, flareq/testing),
// made through the Worker that binds the bucket so that its notifications follow.
struct R2ObjectWrite {
  std::string bucket;
  std::string key;
  bool remove = false;  // a delete; else a put of `body`
  std::string body;
  std::string content_type;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8787;  // 0 picks a free port
  std::string api_token;   // when set, every request needs "Authorization: Bearer TOKEN"
  std::string account_id;  // when set, only this account id is accepted
  // Connections served at once: each open keep-alive connection holds a thread, started
  // when it arrives; beyond this many, a new connection waits for one to close.
  int max_connections = 4096;
  // The producers a queue has (from the config), for the queue object.
  std::function<std::vector<Producer>(const std::string& queue)> producers_of;
  // Called after messages are committed (wakes the dispatcher).
  std::function<void()> after_send;
  // How this process delivers a queue ("worker my-worker", "handler python3 handle.py"), for
  // the dashboard; empty when it does not.
  std::function<std::string(const std::string& queue)> delivery_of;
  // The dev log, which the dashboard's event stream follows (none: no log lines in it).
  const LogFeed* log_feed = nullptr;
  // Writes a line to the dev log (an R2 notification as it is sent); none: nothing is logged.
  std::function<void(const std::string& line)> log_line;
  // Makes an R2 object write through this dev's Worker that binds the bucket: what R2 reported
  // ({key, size, etag} or {deleted}), or why not (no such Worker, the write failed).
  std::function<Result<nlohmann::json>(const R2ObjectWrite& write)> write_r2_object;
};

class ApiServer {
 public:
  ApiServer(StorePool& stores, ServerOptions options);
  ~ApiServer();

  int bind();    // binds host:port; returns the port
  void serve();  // blocks until stop()
  void stop();

  // Answers one request as the server does once it has read it; `content` is the body,
  // whatever its Content-Type. The socket front end calls it, and so does the API fuzzer.
  void handle(const httplib::Request& req, const std::string& content, httplib::Response& res);

 private:
  void add_server_routes();
  void set_up_connections();
  void read_bodies();
  void answer_failures();
  Reply route(const httplib::Request& req, const std::string& content, const std::vector<std::string_view>& path);
  // The dashboard (dashboard.cpp): its files, and the event stream it follows.
  static bool serve_dashboard_file(const std::string& path, httplib::Response& res);
  void stream_events(httplib::Response& res);
  std::string prometheus_text();
  void close_idle_connections();

  StorePool& stores_;
  GroupCommit sends_;
  ServerOptions options_;
  ApiContext context_;
  RouteTable routes_;
  std::unique_ptr<httplib::Server> server_;
  std::atomic<int> listen_fd_{-1};
  bool served_ = false;  // serve() was called: httplib closes the socket once it returns
  std::atomic<bool> stopping_{false};  // ends the event streams
  std::atomic<bool> stop_sent_{false};  // httplib's stop() was called
  ListenAddress listening_;
};

}  // namespace flareq::api
