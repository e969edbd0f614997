// The dashboard's side of the server: its static files (with headers that keep other pages
// from framing or scripting it) and the event stream it follows: the overview of every queue
// each second, and dev's log lines as they are written.
#include <httplib.h>

#include <chrono>
#include <thread>

#include "emulator/core/clock.h"
#include "emulator/http/api_server.h"
#include "emulator/http/dashboard_files.h"

namespace flareq::api {

namespace {

constexpr int64_t kOverviewEveryMs = 1000;

const char* mime_type(std::string_view name) {
  auto ends = [&name](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

bool ApiServer::serve_dashboard_file(const std::string& path, httplib::Response& res) {
  std::string_view name;
  if (path == "/") name = "index.html";
  else if (path.rfind("/dashboard/", 0) == 0) name = std::string_view(path).substr(11);
  else return false;
  for (const auto& file : dashboard_files()) {
    if (file.name != name) continue;
    res.set_content(std::string(file.content), mime_type(file.name));
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                   "base-uri 'none'; form-action 'none'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cache-Control", "no-cache");
    return true;
  }
  return false;
}

void ApiServer::stream_events(httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  struct Position {
    uint64_t log_seq = 0;
    int64_t next_overview_ms = 0;
  };
  auto at = std::make_shared<Position>();
  res.set_chunked_content_provider("text/event-stream", [this, at](size_t, httplib::DataSink& sink) {
    if (stopping_) return false;
    std::string out;
    int64_t now = system_clock().steady_ms();
    if (now >= at->next_overview_ms) {
      nlohmann::json overview = overview_json(stores_.local(), context_);
      out += "event: overview\ndata: " + overview.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
      at->next_overview_ms = now + kOverviewEveryMs;
    }
    auto wait = std::chrono::milliseconds(std::max<int64_t>(1, at->next_overview_ms - system_clock().steady_ms()));
    if (options_.log_feed) {
      for (const auto& [seq, line] : options_.log_feed->after(at->log_seq, wait)) {
        nlohmann::json j = {{"seq", seq}, {"line", line}};
        out += "event: log\ndata: " + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
        at->log_seq = seq;
      }
    } else {
      std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(100)));
    }
    if (stopping_) return false;
    // A client that went away fails the write, which ends the stream and frees its thread.
    return out.empty() || sink.write(out.data(), out.size());
  });
}

}  // namespace flareq::api
