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
#include <limits>

#include "emulator/core/error.h"
#include "emulator/http/local_safety.h"
#include "emulator/http/request_head.h"

namespace flareq::api {

namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr int kSendTimeoutSecs = 30;  // a client that reads nothing for this long is dropped

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string answer(int status, std::string_view reason, const std::string& why) {
  std::string body = "flareq: " + why + "\n";
  std::string extra = status == 503 ? "Retry-After: 1\r\n" : "";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra + "Connection: close\r\n\r\n" + body;
}

bool send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
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

WorkerFront::WorkerFront(const WorkerFrontOptions& options)
    : options_(options), runtime_port_(options.runtime_port), threads_(2 * options.max_connections + 2) {
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
  if (size == 0) throw UsageError("cannot serve the Worker on " + where + ": not an IP address");
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
    throw UsageError("cannot serve the Worker on " + where + ": " + why);
  }
  size = sizeof(address);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

WorkerFront::~WorkerFront() { stop(); }

void WorkerFront::stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);  // accept() returns
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
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
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
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

void WorkerFront::serve(const std::shared_ptr<Connection>& c) {
  std::string buffer;
  std::string refusal;
  auto refuse = [&](int status, std::string_view reason, const std::string& why) {
    refusal = answer(status, reason, why);
  };
  ListenAddress listening{options_.ip, port_};
  auto forward = [&](size_t bytes) {
    bool ok = send_all(c->runtime, buffer.data(), bytes);
    buffer.erase(0, bytes);
    return ok;
  };
  // The runtime, once this connection first needs it: it may be (re)starting, so wait a while.
  auto connect_runtime = [&]() -> bool {
    int64_t deadline = steady_ms() + options_.runtime_wait_ms;
    while (!stopping_) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(runtime_port_.load()));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
        set_no_delay(fd);
        std::lock_guard lock(c->mutex);
        c->runtime = fd;
        c->pumping = true;
        return true;
      }
      if (fd >= 0) ::close(fd);
      if (steady_ms() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  };
  auto pump = [this, c] {
    char chunk[kChunk];
    while (true) {
      ssize_t n = ::recv(c->runtime, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !send_all(c->client, chunk, static_cast<size_t>(n))) break;
      c->touch();
    }
    std::lock_guard lock(c->mutex);
    if (!c->last_words.empty()) send_all(c->client, c->last_words.data(), c->last_words.size());
    c->pumping = false;
    c->pumped.notify_all();
    uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(c->wake, &one, sizeof(one));  // the runtime is done: so is the client
  };

  while (!stopping_) {
    // A head: no limit on the wait for its first byte, head_timeout_ms for the rest of it.
    size_t end;
    int64_t deadline = -1;
    ssize_t got = 1;
    while ((end = request_head_end(buffer)) == std::string::npos) {
      if (buffer.size() > kMaxRequestHeadBytes) {
        refuse(431, "Request Header Fields Too Large", "the request head is over 64 KiB");
        break;
      }
      if (!buffer.empty() && deadline < 0) deadline = steady_ms() + options_.head_timeout_ms;
      int wait = deadline < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, deadline - steady_ms()));
      got = c->read_client(buffer, wait);
      if (got <= 0) break;
    }
    if (!refusal.empty() || got == 0) break;
    if (got < 0) {
      refuse(408, "Request Timeout",
             "the request head did not arrive within " + std::to_string(options_.head_timeout_ms / 1000) + "s");
      break;
    }
    auto parsed = parse_request_head(std::string_view(buffer).substr(0, end));
    if (auto* why = std::get_if<std::string>(&parsed)) {
      refuse(400, "Bad Request", *why);
      break;
    }
    const RequestHead& head = std::get<RequestHead>(parsed);
    if (auto why = foreign_request(listening, head.method, head.host, head.origin, AllowedOrigins::Local)) {
      refuse(403, "Forbidden", *why);
      break;
    }
    if (c->runtime < 0) {
      if (!connect_runtime()) {
        refuse(503, "Service Unavailable", "the Worker is not running (its host is starting or restarting; see dev's log)");
        break;
      }
      threads_.run(pump);
    }
    if (!forward(end)) break;

    // The body, through to its last byte.
    bool ok = true;
    if (head.body == RequestHead::Body::Length) {
      uint64_t left = head.length;
      while (ok && left > 0) {
        if (buffer.empty() && c->read_client(buffer, options_.body_idle_timeout_ms) <= 0) ok = false;
        size_t take = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
        left -= take;
        ok = ok && forward(take);
      }
    } else if (head.body == RequestHead::Body::Chunked) {
      ChunkedBody chunked;
      while (ok && !chunked.done()) {
        if (buffer.empty() && c->read_client(buffer, options_.body_idle_timeout_ms) <= 0) ok = false;
        size_t take = ok ? chunked.scan(buffer) : 0;
        if (take == ChunkedBody::kMalformed) {
          refuse(400, "Bad Request", "the request's chunked body is malformed");
          ok = false;
        } else {
          ok = ok && forward(take);
        }
      }
    }
    if (!ok) break;
    if (head.upgrade) {  // a WebSocket: from here on, bytes both ways, unchecked
      while (forward(buffer.size()) && c->read_client(buffer, -1) > 0) {
      }
      break;
    }
  }

  if (c->runtime >= 0) {
    // The runtime answers what it already has, then the client gets our refusal, if any.
    std::unique_lock lock(c->mutex);
    c->last_words = refusal;
    ::shutdown(c->runtime, SHUT_WR);
    c->pumped.wait(lock, [&] { return !c->pumping; });
  } else if (!refusal.empty()) {
    send_all(c->client, refusal.data(), refusal.size());
  }
  // Give the client its answer before closing: unread bytes at close() would reset the
  // connection and could discard what is still queued for it.
  ::shutdown(c->client, SHUT_WR);
  char sink[4096];
  pollfd fd{c->client, POLLIN, 0};
  for (int i = 0; i < 10 && ::poll(&fd, 1, 100) > 0 && ::recv(c->client, sink, sizeof(sink), 0) > 0; ++i) {
  }
  std::lock_guard lock(mutex_);
  open_.erase(c);
}

}  // namespace flareq::api
