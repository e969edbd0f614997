// A load generator for bench/worker_vs_wrangler.py: REQUESTS GETs of PATH spread over CLIENTS
// keep-alive connections, one thread each. Prints one JSON line: when the first request was
// sent and the last answer came (Unix ms), how many were answered 200, and the first failure.
// Usage: http_load HOST PORT PATH REQUESTS CLIENTS
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: http_load HOST PORT PATH REQUESTS CLIENTS\n";
    return 2;
  }
  std::string host = argv[1], path = argv[3];
  int port = std::stoi(argv[2]);
  long requests = std::stol(argv[4]);
  int clients = std::stoi(argv[5]);
  std::atomic<long> next{0}, ok{0};
  std::mutex mutex;
  std::string first_error;
  int64_t started = unix_ms();
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&] {
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      client.set_read_timeout(60, 0);
      while (next.fetch_add(1) < requests) {
        auto res = client.Get(path);
        if (res && res->status == 200) {
          ++ok;
          continue;
        }
        std::lock_guard lock(mutex);
        if (first_error.empty())
          first_error = res ? std::to_string(res->status) + " " + res->body.substr(0, 200) : httplib::to_string(res.error());
      }
    });
  for (auto& t : threads) t.join();
  std::cout << "{\"started_ms\":" << started << ",\"ended_ms\":" << unix_ms() << ",\"ok\":" << ok.load()
            << ",\"failed\":" << requests - ok.load() << ",\"first_error\":" << json_string(first_error) << "}" << std::endl;
}
