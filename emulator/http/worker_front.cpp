// The Worker front (worker_front.h): accepting, checking each request head, and passing bytes
// between a client and the runtime.
#include "emulator/http/worker_front.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>

#include "emulator/core/clock.h"
#include "emulator/core/error.h"
#include "emulator/core/write_all.h"
#include "emulator/http/local_safety.h"
#include "emulator/http/request_head.h"
#include "emulator/http/response_heads.h"

namespace flareq::api {

namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr int kSendTimeoutSecs = 30;  // a client that reads nothing for this long is dropped

int64_t steady_ms() { return system_clock().steady_ms(); }

std::string answer(int status, std::string_view reason, const std::string& why) {
  std::string body = "flareq: " + why + "\n";
  std::string extra = status == 503 ? "Retry-After: 1\r\n" : "";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra + "Connection: close\r\n\r\n" + body;
}

void set_no_delay(int fd) {
  int yes = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
}

}  // namespace

struct WorkerFront::Connection {
  int client = -1;
  int runtime = -1;
  int wake = -1;  // an eventfd: the pump or stop() ends the wait for the client's next bytes
  std::atomic<int64_t> active_ms{0};
  std::mutex mutex;
  std::condition_variable pumped;
  bool pumping = false;
  std::string last_words;  // an answer for the client once the runtime has finished its own
  struct Asked {
    std::string method;
    std::string target;
    int64_t at_ms = 0;  // steady
  };
  std::deque<Asked> asked;  // requests passed on and not answered yet (with on_answered)

  ~Connection() {
    for (int fd : {client, runtime, wake})
      if (fd >= 0) ::close(fd);
  }
  void touch() { active_ms.store(steady_ms(), std::memory_order_relaxed); }
  void end() {  // from another thread: stop waiting on either side
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake, &one, sizeof(one));
    std::lock_guard lock(mutex);
    if (runtime >= 0) ::shutdown(runtime, SHUT_RDWR);
  }

  // Up to kChunk bytes from the client onto `buffer`: the count, 0 at its end or when woken,
  // -1 when nothing came within `timeout_ms` (-1: no limit).
  ssize_t read_client(std::string& buffer, int timeout_ms) {
    pollfd fds[2] = {{client, POLLIN, 0}, {wake, POLLIN, 0}};
    int ready;
    do ready = ::poll(fds, 2, timeout_ms);
    while (ready < 0 && errno == EINTR);
    if (ready == 0) return -1;
    if (ready < 0 || (fds[1].revents & POLLIN)) return 0;
    size_t had = buffer.size();
    buffer.resize(had + kChunk);
    ssize_t n;
    do n = ::recv(client, buffer.data() + had, kChunk, 0);
    while (n < 0 && errno == EINTR);
    buffer.resize(had + static_cast<size_t>(n > 0 ? n : 0));
    if (n > 0) touch();
    return n > 0 ? n : 0;
  }
};

Result<std::unique_ptr<WorkerFront>> WorkerFront::open(const WorkerFrontOptions& options) {
  std::unique_ptr<WorkerFront> front(new WorkerFront(options));
  std::string why = front->listen();
  if (!why.empty()) return Result<std::unique_ptr<WorkerFront>>::failure(why);
  front->acceptor_ = std::thread([f = front.get()] { f->accept_loop(); });
  return front;
}

WorkerFront::WorkerFront(const WorkerFrontOptions& options)
    : options_(options), runtime_port_(options.runtime_port), threads_(2 * options.max_connections + 2) {}

std::string WorkerFront::listen() {
  const WorkerFrontOptions& options = options_;
  sockaddr_storage address{};
  socklen_t size = 0;
  if (options.ip.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&address);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(options.port));
    if (inet_pton(AF_INET6, options.ip.c_str(), &a6->sin6_addr) == 1) size = sizeof *a6;
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&address);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(options.port));
    if (inet_pton(AF_INET, options.ip.c_str(), &a4->sin_addr) == 1) size = sizeof *a4;
  }
  std::string where = options.ip + ":" + std::to_string(options.port);
  if (size == 0) return "cannot serve the Worker on " + where + ": not an IP address";
  listen_fd_ = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  // SO_REUSEADDR only: never SO_REUSEPORT, so a second dev cannot share the port.
  if (listen_fd_ >= 0) setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(listen_fd_, 1024) != 0) {
    std::string why = errno == EADDRINUSE ? "the port is in use (another dev or wrangler dev?); choose another with "
                                            "--worker-port, or 0 for any free port"
                                          : std::strerror(errno);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    return "cannot serve the Worker on " + where + ": " + why;
  }
  size = sizeof(address);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  return "";
}

WorkerFront::~WorkerFront() { stop(); }

void WorkerFront::set_path_rewrites(PathRewrites rules) {
  auto shared = std::make_shared<const PathRewrites>(std::move(rules));
  std::lock_guard<std::mutex> lock(rewrites_mutex_);
  path_rewrites_ = std::move(shared);
}

std::shared_ptr<const PathRewrites> WorkerFront::path_rewrites() const {
  std::lock_guard<std::mutex> lock(rewrites_mutex_);
  return path_rewrites_;
}

void WorkerFront::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);  // accept() returns
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  {
    std::lock_guard lock(mutex_);
    for (const auto& c : open_) {
      c->end();
      ::shutdown(c->client, SHUT_RDWR);  // a send blocked on a client that reads nothing
    }
  }
  threads_.shutdown();
}

void WorkerFront::accept_loop() {
  while (!stopping_) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping_) return;
      if (errno == EMFILE || errno == ENFILE) {
        std::lock_guard lock(mutex_);
        make_room();
      }
      system_clock().sleep_ms(10);
      continue;
    }
    set_no_delay(fd);
    timeval send_timeout{kSendTimeoutSecs, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    auto connection = std::make_shared<Connection>();
    connection->client = fd;
    connection->wake = ::eventfd(0, EFD_CLOEXEC);
    connection->touch();
    if (connection->wake < 0) continue;  // out of descriptors: closed by the destructor
    {
      std::lock_guard lock(mutex_);
      if (open_.size() >= options_.max_connections) make_room();
      open_.insert(connection);
    }
    threads_.run([this, connection] { serve(connection); });
  }
}

// Called with mutex_ held: ends the connection that has been idle longest.
void WorkerFront::make_room() {
  std::shared_ptr<Connection> idlest;
  for (const auto& c : open_)
    if (!idlest || c->active_ms.load(std::memory_order_relaxed) < idlest->active_ms.load(std::memory_order_relaxed))
      idlest = c;
  if (idlest) idlest->end();
}

// One client connection's life in serve(): its requests, each checked and passed on, and its end.
class WorkerFront::Exchange {
 public:
  Exchange(WorkerFront& front, std::shared_ptr<Connection> c)
      : front_(front), c_(std::move(c)), listening_{front.options_.ip, front.port_} {}

  // Passes requests through until the client, the runtime or a refusal ends the connection.
  void run() {
    while (!front_.stopping_ && pass_request()) {
    }
    finish();
  }

 private:
  // One request: its head read and checked, then the head and body passed to the runtime.
  // False when the connection ends here.
  bool pass_request() {
    size_t end = read_head();
    if (end == std::string::npos) return false;
    Result<RequestHead> head = parse_request_head(std::string_view(buffer_).substr(0, end));
    if (!head) return refuse(400, "Bad Request", head.why());
    if (auto why = foreign_request(listening_, head->method, head->host, head->origin, AllowedOrigins::Local))
      return refuse(403, "Forbidden", *why, &*head);
    if (head->target.rfind("/client/v4/", 0) == 0 && front_.options_.on_cloudflare_api_path &&
        !front_.api_path_told_.exchange(true))
      front_.options_.on_cloudflare_api_path(head->method, head->target);
    if (c_->runtime < 0) {
      if (!connect_runtime())
        return refuse(503, "Service Unavailable",
                      "the Worker is not running (its host is starting or restarting; see dev's log)", &*head);
      front_.threads_.run([c = c_, on_answered = front_.options_.on_answered] { pump(*c, on_answered); });
    }
    if (front_.options_.on_answered) {
      std::lock_guard lock(c_->mutex);
      c_->asked.push_back({head->method, head->target, steady_ms()});
    }
    if (!forward_head(end) || !pass_body(*head)) return false;
    if (head->upgrade) {  // a WebSocket: from here on, bytes both ways, unchecked
      while (forward(buffer_.size()) && c_->read_client(buffer_, -1) > 0) {
      }
      return false;
    }
    return true;
  }

  // Reads until a whole head is in the buffer: no limit on the wait for its first byte,
  // head_timeout_ms for the rest of it. Where the head ends, or npos when the connection ends
  // (closed, or refused).
  size_t read_head() {
    size_t end;
    int64_t deadline = -1;
    while ((end = request_head_end(buffer_)) == std::string::npos) {
      if (buffer_.size() > kMaxRequestHeadBytes) {
        refuse(431, "Request Header Fields Too Large", "the request head is over 64 KiB");
        return std::string::npos;
      }
      if (!buffer_.empty() && deadline < 0) deadline = steady_ms() + front_.options_.head_timeout_ms;
      int wait = deadline < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, deadline - steady_ms()));
      ssize_t got = c_->read_client(buffer_, wait);
      if (got < 0)
        refuse(408, "Request Timeout",
               "the request head did not arrive within " + std::to_string(front_.options_.head_timeout_ms / 1000) + "s");
      if (got <= 0) return std::string::npos;
    }
    return end;
  }

  // The body, through to its last byte; false when it did not all arrive or is malformed.
  bool pass_body(const RequestHead& head) {
    const int idle_ms = front_.options_.body_idle_timeout_ms;
    if (head.body == RequestHead::Body::Length) {
      for (uint64_t left = head.length; left > 0;) {
        if (buffer_.empty() && c_->read_client(buffer_, idle_ms) <= 0) return false;
        size_t take = static_cast<size_t>(std::min<uint64_t>(left, buffer_.size()));
        left -= take;
        if (!forward(take)) return false;
      }
    } else if (head.body == RequestHead::Body::Chunked) {
      for (ChunkedBody chunked; !chunked.done();) {
        if (buffer_.empty() && c_->read_client(buffer_, idle_ms) <= 0) return false;
        size_t take = chunked.scan(buffer_);
        if (take == ChunkedBody::kMalformed) return refuse(400, "Bad Request", "the request's chunked body is malformed");
        if (!forward(take)) return false;
      }
    }
    return true;
  }

  // The runtime, once this connection first needs it: it may be (re)starting, so wait a while.
  bool connect_runtime() {
    int64_t deadline = steady_ms() + front_.options_.runtime_wait_ms;
    while (!front_.stopping_) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(front_.runtime_port_.load()));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
        set_no_delay(fd);
        std::lock_guard lock(c_->mutex);
        c_->runtime = fd;
        c_->pumping = true;
        return true;
      }
      if (fd >= 0) ::close(fd);
      if (steady_ms() >= deadline) return false;
      system_clock().sleep_ms(5);
    }
    return false;
  }

  // The runtime's bytes to the client, on a thread of its own, until the runtime is done; each
  // answer's head told to `on_answered`, if set.
  static void pump(Connection& c, const std::function<void(const AnsweredRequest&)>& on_answered) {
    ResponseHeads answers([&](const ResponseHead& head) {
      Connection::Asked asked;
      {
        std::lock_guard lock(c.mutex);
        if (c.asked.empty()) return false;  // an answer to nothing asked: not told
        asked = std::move(c.asked.front());
        c.asked.pop_front();
      }
      on_answered({asked.method, asked.target, head.status, head.reason, steady_ms() - asked.at_ms, ""});
      return asked.method == "HEAD";
    });
    char chunk[kChunk];
    while (true) {
      ssize_t n = ::recv(c.runtime, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (on_answered && !answers.stopped()) answers.feed(std::string_view(chunk, static_cast<size_t>(n)));
      if (!write_all(c.client, chunk, static_cast<size_t>(n))) break;
      c.touch();
    }
    std::lock_guard lock(c.mutex);
    if (!c.last_words.empty()) write_all(c.client, c.last_words.data(), c.last_words.size());
    c.pumping = false;
    c.pumped.notify_all();
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(c.wake, &one, sizeof(one));  // the runtime is done: so is the client
  }

  // The head, its path rewritten where the runtime serves it under another, with the
  // runtime's secret after the request line.
  bool forward_head(size_t end) {
    const std::string& secret = front_.options_.runtime_secret;
    std::shared_ptr<const PathRewrites> rewrites = front_.path_rewrites();
    if (secret.empty() && rewrites->empty()) return forward(end);
    size_t line_end = buffer_.find("\r\n") + 2;
    std::string head = rewrite_request_line(std::string_view(buffer_).substr(0, line_end), *rewrites) +
                       (secret.empty() ? "" : "X-Flareq-Front: " + secret + "\r\n") +
                       buffer_.substr(line_end, end - line_end);
    buffer_.erase(0, end);
    return write_all(c_->runtime, head.data(), head.size());
  }

  bool forward(size_t bytes) {
    bool ok = write_all(c_->runtime, buffer_.data(), bytes);
    buffer_.erase(0, bytes);
    return ok;
  }

  // Ends the connection with this answer (after whatever the runtime already answered).
  // A refusal of a request whose head was read is told as an answer, with why.
  bool refuse(int status, std::string_view reason, const std::string& why, const RequestHead* head = nullptr) {
    refusal_ = answer(status, reason, why);
    if (head && front_.options_.on_answered)
      front_.options_.on_answered({head->method, head->target, status, std::string(reason), 0, why});
    return false;
  }

  void finish() {
    if (c_->runtime >= 0) {
      // The runtime answers what it already has, then the client gets our refusal, if any.
      std::unique_lock lock(c_->mutex);
      c_->last_words = refusal_;
      ::shutdown(c_->runtime, SHUT_WR);
      c_->pumped.wait(lock, [&] { return !c_->pumping; });
    } else if (!refusal_.empty()) {
      write_all(c_->client, refusal_.data(), refusal_.size());
    }
    // Give the client its answer before closing: unread bytes at close() would reset the
    // connection and could discard what is still queued for it.
    ::shutdown(c_->client, SHUT_WR);
    char sink[4096];
    pollfd fd{c_->client, POLLIN, 0};
    for (int i = 0; i < 10 && ::poll(&fd, 1, 100) > 0 && ::recv(c_->client, sink, sizeof(sink), 0) > 0; ++i) {
    }
    std::lock_guard lock(front_.mutex_);
    front_.open_.erase(c_);
  }

  WorkerFront& front_;
  std::shared_ptr<Connection> c_;
  ListenAddress listening_;
  std::string buffer_;   // the client's bytes not passed on yet
  std::string refusal_;  // the answer that ends the connection, if any
};

void WorkerFront::serve(const std::shared_ptr<Connection>& c) { Exchange(*this, c).run(); }

}  // namespace flareq::api
