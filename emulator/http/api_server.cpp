// The server's set-up, authentication, the envelope, and handing each request to its route.
#include "emulator/http/api_server.h"

#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <iostream>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/http/connection_threads.h"
#include "emulator/http/local_safety.h"
#include "emulator/http/request_body.h"
#include "emulator/store/state_file_error.h"

namespace flareq::api {

using nlohmann::json;

namespace {

constexpr size_t kMaxRequestBytes = 2 * 1024 * 1024;  // a full batch, JSON-escaped, fits
// Debian's cpp-httplib listens with a backlog of 5, which stalls bursts of new connections
// for a second; listen() again raises it.
constexpr int kListenBacklog = 1024;
constexpr time_t kKeepAliveSecs = 5;  // an idle connection holds a thread this long at most

// The port a socket is bound to locally, or -1.
int local_port(int fd) {
  sockaddr_storage address{};
  socklen_t size = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) return -1;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return -1;
}

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
  // The cloudflare SDK retries 408/409/429/5xx unless told not to; these answers will not
  // change. A 429 (an injected overload) is meant to be retried.
  if (status == 429) res.set_header("Retry-After", "1");
  else if (status >= 400 && status < 500) res.set_header("x-should-retry", "false");
  res.set_content(dump(body), "application/json");
}

// An Error as the API's answer; a failing state file is also said on dev's stderr, and one
// that passes (503) asks the client to come back.
void answer_error(const httplib::Request& req, httplib::Response& res, const Error& e) {
  if (e.code() == code::kInternal)
    std::cerr << "flareq: " << e.what() << " on " << req.method << " " << req.path << "\n";
  write_error(res, e.http_status(), e.code(), e.what());
  if (e.http_status() == 503) res.set_header("Retry-After", "1");
}

std::string too_large_message() { return "request body exceeds " + std::to_string(kMaxRequestBytes) + " bytes"; }

}  // namespace

ApiServer::ApiServer(StorePool& stores, ServerOptions options)
    : stores_(stores),
      sends_(stores.path(), stores.durability(), stores.clock(), options.after_send),
      options_(std::move(options)), context_{stores_, sends_, options_, {}, {}},
      server_(std::make_unique<httplib::Server>()) {
  add_account_routes(routes_, context_);
  add_queue_routes(routes_, context_);
  add_consumer_routes(routes_, context_);
  add_message_routes(routes_, context_);
  add_pull_routes(routes_, context_);
  add_time_routes(routes_, context_);
  add_fault_routes(routes_, context_);
  add_dashboard_routes(routes_, context_);
  add_r2_notification_routes(routes_, context_);
  add_flareq_routes(routes_, context_);
  add_server_routes();
  set_up_connections();
  read_bodies();
  answer_failures();
}

// The routes the server answers itself, outside Cloudflare's envelope: the health check, the
// metrics' text and the dashboard's event stream.
void ApiServer::add_server_routes() {
  routes_.add("GET", "/healthz", [](RouteRequest&) {
    return Reply::writing([](httplib::Response& res) { res.set_content("{\"status\":\"ok\"}", "application/json"); });
  });
  routes_.add("GET", "/metrics", [this](RouteRequest&) {
    return Reply::writing([this](httplib::Response& res) { res.set_content(prometheus_text(), "text/plain; version=0.0.4"); });
  });
  routes_.add("GET", "accounts/{account}/flareq/events", [this](RouteRequest&) {
    return Reply::writing([this](httplib::Response& res) { stream_events(res); });
  });
}

// Sockets, timeouts, the connection threads, and the refusal of a Content-Length that is not
// a number before httplib waits for its body.
void ApiServer::set_up_connections() {
  auto& s = *server_;
  s.set_tcp_nodelay(true);
  s.set_payload_max_length(kMaxRequestBytes);
  s.set_read_timeout(30, 0);
  s.set_write_timeout(30, 0);
  s.set_keep_alive_timeout(kKeepAliveSecs);
  s.set_keep_alive_max_count(1000000);
  // httplib's default also sets SO_REUSEPORT, which let a second dev listen on the same port
  // and take half of the first one's requests.
  s.set_socket_options([this](int fd) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd_ = fd;
  });
  // A Content-Length that is not a number made httplib wait 30 to 60 s for a body.
  s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_header("Content-Length")) return httplib::Server::HandlerResponse::Unhandled;
    std::string length = req.get_header_value("Content-Length");
    auto refusal = bad_content_length(length);
    // Shorter numbers reach httplib's own payload check.
    if (refusal) write_error(res, 400, code::kInvalidBody, *refusal);
    else if (length.size() > 9) write_error(res, 413, code::kBatchTooLarge, too_large_message());
    else return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  size_t max_connections = static_cast<size_t>(options_.max_connections);
  s.new_task_queue = [max_connections] { return new ConnectionThreads(max_connections); };
}

// Every method reaches handle() with its body read whole.
void ApiServer::read_bodies() {
  auto& s = *server_;
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
}

// What httplib refuses before a route runs, and what a route throws that is not an Error.
void ApiServer::answer_failures() {
  auto& s = *server_;
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

// A socket bound and never served (dev whose Worker then did not start) is closed here:
// httplib closes only one it listened on, and dev starting again needs the port.
ApiServer::~ApiServer() {
  if (!served_ && listen_fd_ >= 0) ::close(listen_fd_);
}

int ApiServer::bind() {
  int port = options_.port;
  if (port == 0) port = server_->bind_to_any_port(options_.host);
  else if (!server_->bind_to_port(options_.host, port)) port = -1;
  if (port <= 0) {
    listen_fd_ = -1;  // httplib closed what it made
    throw std::runtime_error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                             " (is another flareq dev running? use --port 0 for any free port)");
  }
  if (listen_fd_ >= 0) ::listen(listen_fd_, kListenBacklog);
  listening_ = {options_.host, port};
  return port;
}

void ApiServer::serve() {
  served_ = true;
  server_->listen_after_bind();
}

void ApiServer::stop() {
  stopping_ = true;
  if (options_.log_feed) options_.log_feed->wake_all();
  // Once it listens, and once only: httplib asserts that a second stop() finds the socket it
  // has not closed yet, and dev's stop asks every 10 ms until serve() returns.
  if (server_->is_running() && !stop_sent_.exchange(true)) server_->stop();
  close_idle_connections();
}

void ApiServer::close_idle_connections() {
  // httplib waits out each idle keep-alive connection before listen returns. Shutting down
  // the reading side of our accepted sockets ends those waits at once; a response being
  // written still goes out.
  DIR* fds = opendir("/proc/self/fd");
  if (!fds) return;
  while (dirent* entry = readdir(fds)) {
    int fd = std::atoi(entry->d_name);
    if (fd <= 2 || fd == dirfd(fds) || fd == listen_fd_) continue;
    int type = 0;
    socklen_t size = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 || type != SOCK_STREAM) continue;
    int accepting = 0;
    size = sizeof(accepting);
    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &size);
    if (!accepting && local_port(fd) == listening_.port) shutdown(fd, SHUT_RD);
  }
  closedir(fds);
}

void ApiServer::handle(const httplib::Request& req, const std::string& content, httplib::Response& res) {
  try {
    // The dashboard's files hold no data: the page itself asks for the token.
    if (req.method == "GET" && serve_dashboard_file(req.path, res)) {
      if (options_.api_token.empty()) {
        auto refusal = foreign_request(listening_, req.method, req.get_header_value("Host"), req.get_header_value("Origin"));
        if (refusal) throw Error(code::kUnauthorized, 403, *refusal);
      }
      return;
    }
    if (!options_.api_token.empty() && req.path != "/healthz") {
      std::string auth = req.get_header_value("Authorization");
      if (!bearer_matches(auth, options_.api_token))
        throw Error(code::kUnauthorized, 403,
                    auth.empty() ? "Authentication error: this flareq needs Authorization: Bearer <token>"
                                 : "Authentication error: the API token is not valid");
    } else if (options_.api_token.empty()) {
      auto refusal = foreign_request(listening_, req.method, req.get_header_value("Host"), req.get_header_value("Origin"));
      if (refusal) throw Error(code::kUnauthorized, 403, *refusal);
    }
    // The runtime's queue bindings speak the runtime's own protocol, told apart by a header
    // (their GET /metrics is not the server's).
    if (is_queue_binding_request(req)) return serve_queue_binding(context_, stores_.local(), req, content, res);
    Reply reply = route(req, content, split_path(req.path));
    if (reply.raw) reply.raw(res);
    else write_envelope(res, reply);
  } catch (const SQLite::Exception& e) {  // from a store call a route made directly
    answer_error(req, res, state_file_error(e));
  } catch (const Error& e) {
    answer_error(req, res, e);
  }
}

Reply ApiServer::route(const httplib::Request& req, const std::string& content, const std::vector<std::string_view>& path) {
  if (!options_.account_id.empty() && path.size() >= 4 && path[0] == "client" && path[1] == "v4" &&
      path[2] == "accounts" && path[3] != options_.account_id)
    throw Error(code::kUnauthorized, 403, "account '" + std::string(path[3]) + "' is not served here");
  RouteTable::Match match = routes_.find(req, path);
  RouteRequest request{req, content, stores_.local(), std::nullopt, std::move(match.params)};
  auto queue = request.params.find("queue");
  if (queue != request.params.end()) request.queue = request.store.queue(checked_queue_ref(queue->second));
  return (*match.route)(request);
}

std::string ApiContext::account() const { return options.account_id.empty() ? "local" : options.account_id; }

json ApiContext::queue_object(Store& store, const Queue& queue) const {
  std::vector<Producer> producers;
  if (options.producers_of) producers = options.producers_of(queue.name);
  for (auto& p : store.r2_producers(queue.key)) producers.push_back(std::move(p));
  return queue_json(queue, producers, store.consumer_of(queue.key));
}

void ApiContext::messages_changed() const {
  if (options.after_send) options.after_send();
}

}  // namespace flareq::api
