// flareq's HTTP front end: Cloudflare's Queues REST API (v4 shapes, spec §6) under
// /client/v4, plus /healthz and /metrics. Every answer is JSON in Cloudflare's envelope.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/http/api_objects.h"
#include "emulator/http/request_body.h"
#include "emulator/store/group_commit.h"
#include "emulator/store/store_pool.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace flareq::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8787;  // 0 picks a free port
  std::string api_token;   // when set, every request needs "Authorization: Bearer TOKEN"
  std::string account_id;  // when set, only this account id is accepted
  // Connections served at once: each open keep-alive connection holds a thread, started
  // when it arrives; beyond this many, a new connection waits for one to close.
  int max_connections = 512;
  // The producers a queue has (from the config), for the queue object.
  std::function<std::vector<Producer>(const std::string& queue)> producers_of;
  // Called after messages are committed (wakes the dispatcher).
  std::function<void()> after_send;
};

// What a route answers: a status and the envelope's result (and result_info for lists).
struct Reply {
  int status = 200;
  nlohmann::json result;
  std::optional<nlohmann::json> result_info;
};

// A message as pull and peek return it (spec §5).
nlohmann::json pulled_message_json(const StoredMessage& message);

class ApiServer {
 public:
  ApiServer(StorePool& stores, ServerOptions options);
  ~ApiServer();

  int bind();    // binds host:port; returns the port
  void serve();  // blocks until stop()
  void stop();

 private:
  using Segments = std::vector<std::string_view>;
  // `content` is the request body, read by the server's body reader whatever its Content-Type.
  void handle(const httplib::Request& req, const std::string& content, httplib::Response& res);
  Reply route(const httplib::Request& req, const std::string& content, const Segments& path);
  Reply route_queue(const httplib::Request& req, const std::string& content, Store& store, const Queue& queue, const Segments& rest);
  Reply route_consumers(const httplib::Request& req, const std::string& content, Store& store, const Queue& queue, const Segments& rest);
  Reply route_messages(const httplib::Request& req, const std::string& content, Store& store, const Queue& queue, const Segments& rest);
  Reply push_messages(const std::string& content, const std::string& queue, bool batch);
  Reply route_pull(const httplib::Request& req, Store& store, const Queue& queue, std::string_view action,
                   const RequestJson& body);
  Reply list_queues(const httplib::Request& req, Store& store);
  Reply create_queue(const RequestJson& body, Store& store);
  nlohmann::json queue_object(Store& store, const Queue& queue);
  std::string prometheus_text();

  StorePool& stores_;
  GroupCommit sends_;
  ServerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::mutex purge_mutex_;
  std::map<std::string, int64_t> last_purge_ms_;  // queue id → when it was last purged
};

}  // namespace flareq::api
