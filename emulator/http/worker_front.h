// The Worker's public port in `flareq dev`. The runtime serves the Worker's fetch() on a
// loopback port of its own; the front owns the address users call (8787 by default), holds
// every request on a connection to the local safety rules (local_safety.h, with any local page
// allowed as Origin), and passes the bytes of those it admits to the runtime unchanged, so
// streaming bodies and WebSockets work as they do under `wrangler dev`.
//
// Each connection gets its own connection to the runtime and two threads (one per direction).
// A request head must arrive whole within a deadline (slowloris); when the connection limit is
// reached, the connection idle longest is closed to make room. While the runtime restarts (a
// reload, a crashed host), new connections wait for it for a while before being answered 503.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "emulator/core/result.h"
#include "emulator/core/thread_pool.h"
#include "emulator/http/path_rewrites.h"

namespace flareq::api {

struct AnsweredRequest {
  std::string method;
  std::string target;
  int status = 0;
  std::string reason;
  int64_t ms = 0;  // from the request's head to its answer's
  std::string refused;  // why the front answered it itself, without the Worker; "" when the Worker did
};

struct WorkerFrontOptions {
  std::string ip = "127.0.0.1";
  int port = 8787;  // 0: any free port
  int runtime_port = 0;  // where the runtime serves fetch(), on 127.0.0.1 (set_runtime_port)
  size_t max_connections = 512;
  int head_timeout_ms = 10000;      // from a head's first byte to its blank line
  int body_idle_timeout_ms = 60000;  // between two pieces of a request body
  int runtime_wait_ms = 30000;      // for the runtime to accept, while it (re)starts
  // Added to every request passed to the runtime (X-Flareq-Front), whose gate refuses a request
  // without it before the Worker's code runs (worker/front-gate.mjs); empty: none.
  std::string runtime_secret;
  // Told the method and target of the first request for a path of Cloudflare's API
  // (/client/v4/…), which the Worker gets like any other: meant for flareq's API, most likely.
  std::function<void(const std::string& method, const std::string& target)> on_cloudflare_api_path;
  // Told of each request the runtime answered, as its answer's head passes (what `wrangler dev`
  // logs as `GET /api/hello 200 OK (3ms)`): unset, none are followed.
  std::function<void(const AnsweredRequest& request)> on_answered;
};

class WorkerFront {
 public:
  // Binds and listens, or says why it cannot (the address is taken or invalid).
  static Result<std::unique_ptr<WorkerFront>> open(const WorkerFrontOptions& options);
  ~WorkerFront();  // stop()
  WorkerFront(const WorkerFront&) = delete;
  WorkerFront& operator=(const WorkerFront&) = delete;

  int port() const { return port_; }
  // Where new connections find the runtime from now on (another port, when the first choice
  // was taken before the runtime could bind it).
  void set_runtime_port(int port) { runtime_port_ = port; }
  // Paths that reach the runtime under another prefix from now on (path_rewrites.h): known
  // once the runtime has started, while the front already listens.
  void set_path_rewrites(PathRewrites rules);
  // Closes the port and every connection, and joins every thread.
  void stop();

  struct Connection;

 private:
  class Exchange;
  explicit WorkerFront(const WorkerFrontOptions& options);
  std::string listen();  // why it cannot listen, or ""
  void accept_loop();
  void serve(const std::shared_ptr<Connection>& connection);
  void make_room();

  WorkerFrontOptions options_;
  std::atomic<int> runtime_port_;
  std::shared_ptr<const PathRewrites> path_rewrites() const;
  mutable std::mutex rewrites_mutex_;
  std::shared_ptr<const PathRewrites> path_rewrites_ = std::make_shared<const PathRewrites>();
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> api_path_told_{false};
  std::mutex mutex_;
  std::set<std::shared_ptr<Connection>> open_;
  ThreadPool threads_;
  std::thread acceptor_;
};

}  // namespace flareq::api
