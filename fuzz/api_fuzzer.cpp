// libFuzzer target: one API request, answered by the real ApiServer and route table over a
// real state file, without a socket. The input is "METHOD PATH?QUERY\nHeader: v\n\nBODY";
// PATH is under /client/v4/accounts/local/, unless it starts with '/' (the root: the runtime's
// Queue binding protocol, /healthz, /metrics). Every answer must have a status below 500,
// except 503 for a busy state file, and under /client/v4 be Cloudflare's envelope; a crash,
// a hang, a leak or a 500 is a finding.
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "emulator/core/clock.h"
#include "emulator/http/api_server.h"
#include "emulator/store/store_pool.h"

namespace {

struct Server {
  flareq::SystemClock clock;
  std::filesystem::path dir;
  std::unique_ptr<flareq::StorePool> stores;
  std::unique_ptr<flareq::api::ApiServer> api;
  Server() {
    dir = std::filesystem::temp_directory_path() / ("flareq-api-fuzz-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    stores = std::make_unique<flareq::StorePool>(dir / "state.sqlite", flareq::Durability::Normal, clock);
    flareq::api::ServerOptions options;
    options.port = 0;
    api = std::make_unique<flareq::api::ApiServer>(*stores, options);
    api->bind();  // the listening address feeds the Host and Origin rules
    // A queue to act on, with a pull consumer and a few messages.
    auto& store = stores->local();
    auto q = store.ensure_queue("q");
    store.add_consumer(q, flareq::ConsumerType::HttpPull, "",
                       flareq::ConsumerSettings::defaults_for(flareq::ConsumerType::HttpPull));
    store.ensure_queue("dlq");
  }
  ~Server() { std::filesystem::remove_all(dir); }
};

std::string_view take_line(std::string_view& rest) {
  size_t n = rest.find('\n');
  std::string_view line = rest.substr(0, n);
  rest = n == std::string_view::npos ? std::string_view() : rest.substr(n + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Server server;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view first = take_line(rest);
  httplib::Request req;
  size_t space = first.find(' ');
  req.method = std::string(first.substr(0, space));
  std::string_view target = space == std::string_view::npos ? "/" : first.substr(space + 1);
  size_t question = target.find('?');
  std::string path(target.substr(0, question));
  req.path = !path.empty() && path[0] == '/' ? path : "/client/v4/accounts/local/" + path;
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      size_t eq = pair.find('=');
      req.params.emplace(std::string(pair.substr(0, eq)),
                         eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1)));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  for (std::string_view line = take_line(rest); !line.empty(); line = take_line(rest)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) break;
    req.headers.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  std::string content(rest);
  httplib::Response res;
  server.api->handle(req, content, res);
  if (res.status >= 500 && res.status != 503) {
    std::cerr << "answered " << res.status << ": " << res.body << "\n";
    std::abort();
  }
  // The dashboard's event stream answers with a stream; the root paths (the binding protocol,
  // /healthz, /metrics, the dashboard's files) each in their own way.
  if (res.get_header_value("Content-Type") == "text/event-stream" || req.path.rfind("/client/v4/", 0) != 0) return 0;
  auto body = nlohmann::json::parse(res.body, nullptr, false);
  if (body.is_discarded() || !body.contains("success")) {
    std::cerr << "not an envelope: " << res.body << "\n";
    std::abort();
  }
  // Start again from the first state now and then: a run sends millions of messages and
  // creates thousands of queues, which would make every later request slower.
  static int requests = 0;
  if (++requests % 500 == 0) {
    auto& store = server.stores->local();
    for (const auto& q : store.list_queues()) {
      if (q.name == "q" || q.name == "dlq") store.purge_queue(q.key);
      else store.delete_queue(q.key);
    }
    store.clear_faults();
    store.reset_clock();
  }
  return 0;
}
