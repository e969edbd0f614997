// The server's set-up, authentication, envelope and routing of queue-level paths.
#include "emulator/http/api_server.h"

#include <SQLiteCpp/Exception.h>
#include <httplib.h>

#include <iostream>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/http/connection_threads.h"
#include "emulator/http/request_body.h"
#include "emulator/store/dead_letter_replay.h"

namespace flareq::api {

using nlohmann::json;

namespace {

constexpr size_t kMaxRequestBytes = 2 * 1024 * 1024;  // a full batch, JSON-escaped, fits
constexpr int kLocalAccountPage = 1;

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// A malformed request's bytes can reach an error message (a JSON parse error quotes
// them): such bytes are answered as U+FFFD rather than failing the answer.
std::string dump(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

void write_envelope(httplib::Response& res, const Reply& reply) {
  json body = {{"success", true}, {"errors", json::array()}, {"messages", json::array()}, {"result", reply.result}};
  if (reply.result_info) body["result_info"] = *reply.result_info;
  res.status = reply.status;
  res.set_content(dump(body), "application/json");
}

void write_error(httplib::Response& res, int status, int code, const std::string& message) {
  json body = {{"success", false},
               {"errors", json::array({{{"code", code}, {"message", message}}})},
               {"messages", json::array()},
               {"result", nullptr}};
  res.status = status;
  // The cloudflare SDK retries 408/409/429/5xx unless told not to; these answers will not change.
  if (status >= 400 && status < 500) res.set_header("x-should-retry", "false");
  res.set_content(dump(body), "application/json");
}

std::string too_large_message() { return "request body exceeds " + std::to_string(kMaxRequestBytes) + " bytes"; }

Error method_not_allowed(const httplib::Request& req) {
  return Error(code::kNotFound, 405, "method " + req.method + " is not allowed on " + req.path);
}

Error no_route(const httplib::Request& req) { return Error(code::kNotFound, 404, "no route for " + req.method + " " + req.path); }

json local_account() { return {{"id", "local"}, {"name", "flareq local account"}}; }

}  // namespace

ApiServer::ApiServer(StorePool& stores, ServerOptions options)
    : stores_(stores),
      sends_(stores.path(), stores.durability(), stores.clock(), options.after_send),
      options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
  auto& s = *server_;
  s.set_tcp_nodelay(true);
  s.set_payload_max_length(kMaxRequestBytes);
  s.set_read_timeout(30, 0);
  s.set_write_timeout(30, 0);
  s.set_keep_alive_timeout(30);
  s.set_keep_alive_max_count(1000000);
  size_t max_connections = static_cast<size_t>(options_.max_connections);
  s.new_task_queue = [max_connections] { return new ConnectionThreads(max_connections); };
  auto without_body = [this](const httplib::Request& req, httplib::Response& res) { handle(req, req.body, res); };
  // Methods with a body read it themselves: httplib would decode a form-urlencoded body
  // (curl -d's default Content-Type) and refuse one over 8 KB, but bodies here are JSON
  // whatever the Content-Type says.
  auto with_body = [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
    // A refused body is left unread, so the connection cannot carry another request.
    auto refuse = [&res](int status, int code, const std::string& message) {
      write_error(res, status, code, message);
      res.set_header("Connection", "close");
    };
    if (req.is_multipart_form_data())
      return refuse(400, code::kInvalidBody, "request bodies are JSON, not multipart/form-data");
    std::string content;
    bool too_large = false;  // httplib 0.11 checks Content-Length, but not a chunked body's size
    bool complete = read([&](const char* data, size_t size) {
      too_large = content.size() + size > kMaxRequestBytes;
      if (!too_large) content.append(data, size);
      return !too_large;
    });
    if (too_large || res.status == 413) return refuse(413, code::kBatchTooLarge, too_large_message());
    if (!complete) return refuse(400, code::kInvalidBody, "the request body could not be read");
    handle(req, content, res);
  };
  s.Get(".*", without_body);
  s.Options(".*", without_body);
  s.Post(".*", with_body);
  s.Put(".*", with_body);
  s.Patch(".*", with_body);
  s.Delete(".*", with_body);
  // What httplib refuses before a route runs (payload too large, bad request line).
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413)
      write_error(res, 413, code::kBatchTooLarge, too_large_message());
    else
      write_error(res, res.status, code::kNotFound, "HTTP status " + std::to_string(res.status));
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    write_error(res, 500, code::kInternal, what);
  });
}

ApiServer::~ApiServer() = default;

int ApiServer::bind() {
  if (options_.port == 0) return server_->bind_to_any_port(options_.host);
  if (!server_->bind_to_port(options_.host, options_.port))
    throw std::runtime_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                             " (is another flareq dev running? use --port 0 for any free port)");
  return options_.port;
}

void ApiServer::serve() { server_->listen_after_bind(); }
void ApiServer::stop() { server_->stop(); }

void ApiServer::handle(const httplib::Request& req, const std::string& content, httplib::Response& res) {
  try {
    if (!options_.api_token.empty() && req.path != "/healthz") {
      std::string auth = req.get_header_value("Authorization");
      if (auth != "Bearer " + options_.api_token)
        throw Error(code::kUnauthorized, 403,
                    auth.empty() ? "Authentication error: this flareq needs Authorization: Bearer <token>"
                                 : "Authentication error: the API token is not valid");
    }
    Segments path = split_path(req.path);
    if (path.size() == 1 && path[0] == "healthz") {
      res.set_content("{\"status\":\"ok\"}", "application/json");
      return;
    }
    if (path.size() == 1 && path[0] == "metrics") {
      if (req.method != "GET") throw method_not_allowed(req);
      res.set_content(prometheus_text(), "text/plain; version=0.0.4");
      return;
    }
    write_envelope(res, route(req, content, path));
  } catch (const Error& e) {
    write_error(res, e.http_status(), e.code(), e.what());
  } catch (const SQLite::Exception& e) {
    std::cerr << "flareq: state file error on " << req.method << " " << req.path << ": " << e.what() << "\n";
    write_error(res, 500, code::kInternal, std::string("state file error: ") + e.what());
  }
}

Reply ApiServer::route(const httplib::Request& req, const std::string& content, const Segments& path) {
  if (path.size() < 2 || path[0] != "client" || path[1] != "v4") throw no_route(req);
  Segments p(path.begin() + 2, path.end());
  // What wrangler asks before it knows the account.
  if (p.size() == 1 && (p[0] == "memberships" || p[0] == "accounts")) {
    json account = local_account();
    if (!options_.account_id.empty()) account["id"] = options_.account_id;
    json item = p[0] == "memberships" ? json{{"id", "local"}, {"account", account}, {"status", "accepted"}} : account;
    return {200, json::array({item}), json{{"page", kLocalAccountPage}, {"per_page", 20}, {"count", 1}, {"total_count", 1}, {"total_pages", 1}}};
  }
  if (p.size() == 3 && p[0] == "user" && p[1] == "tokens" && p[2] == "verify")
    return {200, {{"id", "local"}, {"status", "active"}}, std::nullopt};
  if (p.size() < 3 || p[0] != "accounts" || p[2] != "queues") throw no_route(req);
  if (!options_.account_id.empty() && p[1] != options_.account_id)
    throw Error(code::kUnauthorized, 403, "account '" + std::string(p[1]) + "' is not served here");

  Store& store = stores_.local();
  if (p.size() == 3) {
    if (req.method == "GET") return list_queues(req, store);
    if (req.method == "POST") return create_queue(parse_body(content), store);
    throw method_not_allowed(req);
  }
  std::string id_or_name(p[3]);
  if (!is_id(id_or_name) && !limits::is_valid_queue_name(id_or_name))
    throw bad_request(code::kMalformedQueueId, "'" + id_or_name + "' is neither a queue id nor a queue name");
  // Pushes look the queue up inside their group commit, not here: the hot path.
  bool push = req.method == "POST" && p.size() >= 5 && p[4] == "messages" &&
              (p.size() == 5 || (p.size() == 6 && p[5] == "batch"));
  if (push) return push_messages(content, id_or_name, p.size() == 6);
  Queue queue = store.queue(id_or_name);
  return route_queue(req, content, store, queue, Segments(p.begin() + 4, p.end()));
}

json ApiServer::queue_object(Store& store, const Queue& queue) {
  std::vector<Producer> producers;
  if (options_.producers_of) producers = options_.producers_of(queue.name);
  return queue_json(queue, producers, store.consumer_of(queue.key));
}

Reply ApiServer::list_queues(const httplib::Request& req, Store& store) {
  std::vector<Queue> queues = store.list_queues();
  if (req.has_param("name")) {
    // Exact names: wrangler takes result[0] without checking it.
    size_t n = req.get_param_value_count("name");
    std::vector<Queue> matching;
    for (const auto& q : queues)
      for (size_t i = 0; i < n; ++i)
        if (q.name == req.get_param_value("name", i)) matching.push_back(q);
    queues = std::move(matching);
  }
  auto number = [&](const char* key, int64_t fallback) -> int64_t {
    if (!req.has_param(key)) return fallback;
    try {
      return std::max<int64_t>(1, std::stoll(req.get_param_value(key)));
    } catch (const std::exception&) {
      throw bad_request(code::kInvalidBody, std::string(key) + " must be a positive integer");
    }
  };
  int64_t total = static_cast<int64_t>(queues.size());
  // Without per_page every queue comes back: the SDK never asks for page 2.
  int64_t per_page = number("per_page", std::max<int64_t>(total, 1));
  int64_t page = number("page", 1);
  int64_t start = std::min(total, (page - 1) * per_page);
  int64_t end = std::min(total, start + per_page);
  json result = json::array();
  for (int64_t i = start; i < end; ++i) result.push_back(queue_object(store, queues[static_cast<size_t>(i)]));
  json info = {{"page", page},
               {"per_page", per_page},
               {"count", end - start},
               {"total_count", total},
               {"total_pages", (total + per_page - 1) / per_page}};
  return {200, result, info};
}

namespace {

QueueSettings read_queue_settings(const RequestJson& body, QueueSettings base) {
  if (!body.contains("settings") || body.at("settings").is_null()) return base;
  const RequestJson& settings = body.at("settings");
  if (!settings.is_object()) throw bad_request(code::kInvalidQueueSettings, "settings must be an object");
  Fields f(settings, "settings.");
  if (auto d = f.integer("delivery_delay", code::kInvalidQueueSettings, 0, limits::kMaxDelaySecs)) base.delivery_delay = *d;
  if (auto r = f.integer("message_retention_period", code::kInvalidQueueSettings, limits::kMinRetentionSecs,
                         limits::kMaxRetentionSecs))
    base.retention_secs = *r;
  if (auto p = f.boolean("delivery_paused", code::kInvalidQueueSettings)) base.delivery_paused = *p;
  return base;
}

}  // namespace

Reply ApiServer::create_queue(const RequestJson& body, Store& store) {
  auto name = Fields(body).string("queue_name", code::kInvalidBody);
  if (!name) throw bad_request(code::kInvalidBody, "queue_name is required");
  Queue q = store.create_queue(*name, read_queue_settings(body, {}));
  return {200, queue_object(store, q), std::nullopt};
}

Reply ApiServer::route_queue(const httplib::Request& req, const std::string& content, Store& store, const Queue& queue, const Segments& rest) {
  const std::string& m = req.method;
  if (rest.empty()) {
    if (m == "GET") return {200, queue_object(store, queue), std::nullopt};
    if (m == "DELETE") {
      store.delete_queue(queue.key);
      return {200, nullptr, std::nullopt};
    }
    if (m == "PUT" || m == "PATCH") {
      RequestJson body = parse_body(content);
      auto name = Fields(body).string("queue_name", code::kInvalidBody);
      if (name && *name != queue.name)
        throw bad_request(code::kInvalidQueueSettings, "renaming a queue is not supported locally");
      // PUT replaces the settings (what it leaves out returns to its default); PATCH merges.
      QueueSettings base = m == "PATCH" ? queue.settings : QueueSettings{};
      if (m == "PUT") base.delivery_paused = queue.settings.delivery_paused;
      Queue updated = store.update_queue(queue.key, read_queue_settings(body, base));
      return {200, queue_object(store, updated), std::nullopt};
    }
    throw method_not_allowed(req);
  }
  if (rest[0] == "metrics" && rest.size() == 1) {
    if (m != "GET") throw method_not_allowed(req);
    return {200, metrics_json(store.metrics(queue.key)), std::nullopt};
  }
  if (rest[0] == "purge" && rest.size() == 1) {
    if (m == "GET") {
      std::lock_guard<std::mutex> lock(purge_mutex_);
      auto it = last_purge_ms_.find(queue.id);
      return {200, {{"completed", true}, {"started_on", it == last_purge_ms_.end() ? json(nullptr) : json(iso8601(it->second))}}, std::nullopt};
    }
    if (m != "POST") throw method_not_allowed(req);
    RequestJson body = parse_body(content);
    if (Fields(body).boolean("delete_messages_permanently", code::kInvalidBody) != true)
      throw bad_request(code::kInvalidBody, "purging needs {\"delete_messages_permanently\": true}");
    int64_t started = stores_.clock().now_ms();
    store.purge_queue(queue.key);
    std::lock_guard<std::mutex> lock(purge_mutex_);
    last_purge_ms_[queue.id] = started;
    return {200, {{"completed", true}, {"started_on", iso8601(started)}}, std::nullopt};
  }
  // flareq's extensions: replay a dead letter queue, flush pending batch windows.
  if (rest[0] == "replay" && rest.size() == 1) {
    if (m != "POST") throw method_not_allowed(req);
    RequestJson body = parse_body(content);
    Fields f(body);
    ReplayFilter filter;
    filter.to = f.string("to", code::kInvalidBody).value_or("");
    filter.limit = f.integer("limit", code::kInvalidBody, 1, INT64_MAX);
    if (auto secs = f.integer("older_than_secs", code::kInvalidBody, 0, INT64_MAX / 1000)) filter.older_than_ms = *secs * 1000;
    if (f.has("ids")) {
      if (!body.at("ids").is_array()) throw bad_request(code::kInvalidBody, "ids must be an array of message ids");
      for (const auto& id : body.at("ids")) {
        if (!id.is_string()) throw bad_request(code::kInvalidBody, "ids must be an array of message ids");
        filter.ids.push_back(id.get<std::string>());
      }
    }
    if (!filter.to.empty()) store.queue(filter.to);
    bool dry_run = f.boolean("dry_run", code::kInvalidBody).value_or(false);
    ReplayReport report = replay_dead_letters(store, queue, filter, dry_run);
    if (report.moved > 0 && options_.after_send) options_.after_send();
    return {200,
            {{"dry_run", dry_run}, {"moved", report.moved}, {"by_target", report.by_target},
             {"without_origin", report.without_origin}},
            std::nullopt};
  }
  if (rest[0] == "flush" && rest.size() == 1) {
    if (m != "POST") throw method_not_allowed(req);
    store.request_flush(queue.key);
    if (options_.after_send) options_.after_send();
    return {200, {{"flushed", true}}, std::nullopt};
  }
  if (rest[0] == "consumers") return route_consumers(req, content, store, queue, Segments(rest.begin() + 1, rest.end()));
  if (rest[0] == "messages") return route_messages(req, content, store, queue, Segments(rest.begin() + 1, rest.end()));
  throw no_route(req);
}

}  // namespace flareq::api
