// Starting the Worker hosts of `flareq dev` (worker_hosts.h): a free port each, the host's
// readiness through its ready file, and the ready line.
#include "emulator/dev/worker_hosts.h"

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "emulator/config/field_places.h"
#include "emulator/core/clock.h"
#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/handler/worker_runtime.h"
#include "emulator/project/worker_host.h"

namespace flareq::dev {
namespace {

// A host that neither reports nor exits (a stuck bundler): bounded, and Ctrl-C ends the wait.
constexpr int kWorkerStartTimeoutMs = 120000;
constexpr int kPortAttempts = 3;

// The host's report that a port chosen for the runtime was taken before workerd bound it
// ({"error", "code": "EADDRINUSE"}): the one failure that starting again on others cures.
struct RuntimePortTaken : UsageError {
  using UsageError::UsageError;
};

// Starts the Worker host now (fetch() must be served before any batch) and waits until it
// reports where the Worker listens; throws with the host's own sentence when it cannot start.
nlohmann::json start_worker(handler::Handler& host, const std::filesystem::path& ready_file, const std::string& name,
                            const config::Config& config, const std::atomic<bool>* cancel) {
  if (Result<Done> started = host.start_now(); !started)
    throw UsageError("the Worker host did not start: " + started.why());
  for (int waited = 0; waited < kWorkerStartTimeoutMs; waited += 20) {
    if (cancel && *cancel) throw WorkerStartCancelled{};
    // A host that ended before it said anything (a file of its own missing, a Node.js that
    // cannot run it) would only do so again.
    if (host.processes_started() > 1 && !std::filesystem::exists(ready_file))
      throw UsageError("the Worker host of " + name + " exited before it was ready (its output is above)");
    std::ifstream in(ready_file);
    if (in) {
      nlohmann::json ready = nlohmann::json::parse(in, nullptr, false);
      std::error_code ec;
      std::filesystem::remove(ready_file, ec);
      if (!ready.is_object()) throw UsageError("the Worker host reported nothing readable");
      if (ready.contains("error")) {
        // wrangler's words for a config it refuses, with the place of each field they name.
        std::string error =
            "Worker " + name + ": " + config::place_fields(config.path, config.env, ready["error"].get<std::string>());
        if (ready.value("code", "") == "EADDRINUSE") throw RuntimePortTaken(error);
        throw UsageError(error);
      }
      return ready;
    }
    system_clock().sleep_ms(20);
  }
  throw UsageError("Worker " + name + " was not ready after " + std::to_string(kWorkerStartTimeoutMs / 1000) +
                   "s (see the lines above)");
}

// Binds a socket to 127.0.0.1:port (0: any) and lets it go: the port bound, or -1 when it is in
// use. `reuse` (SO_REUSEADDR) lets a port that only lingers in TIME_WAIT count as free.
int bind_loopback(int port, bool reuse) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  if (fd >= 0 && reuse) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (fd >= 0) close(fd);
  return ok ? ntohs(a.sin_port) : -1;
}

// A port on 127.0.0.1 that is free now, for the runtime (behind the Worker front, or its
// delivery service). The runtime keeps it across reloads and restarts of its host, so it is
// chosen here. It is taken below the kernel's ephemeral range when there is room, where no
// outgoing connection can take it before the runtime binds it.
int runtime_port() {
  int ephemeral_start = 32768, ephemeral_end = 60999;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_start >> ephemeral_end;
  for (int attempt = 0; attempt < 100; ++attempt) {
    int candidate = ephemeral_start > 20000 ? 20000 + static_cast<int>(new_seed() % (ephemeral_start - 20000)) : 0;
    if (int port = bind_loopback(candidate, /*reuse=*/false); port > 0) return port;
  }
  throw UsageError("cannot find a free port on 127.0.0.1 for the Worker's runtime");
}

// The paths the host says its runtime serves under another prefix ([from, to] pairs).
api::PathRewrites path_rewrites(const nlohmann::json& ready) {
  api::PathRewrites rules;
  for (const auto& pair : ready.value("pathRewrites", nlohmann::json::array()))
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
      rules.push_back({pair[0].get<std::string>(), pair[1].get<std::string>()});
  return rules;
}

// Whether the Worker's log level (FLAREQ_WORKER_LOG_LEVEL, the host's, as wrangler's
// --log-level) shows requests, which wrangler dev logs at "info".
bool requests_logged() {
  const char* level = std::getenv("FLAREQ_WORKER_LOG_LEVEL");
  std::string l = level ? level : "";
  return l != "none" && l != "error" && l != "warn";
}

}  // namespace

void write_port_file(const std::string& path, int port) {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::filesystem::rename(tmp, path);
}

WorkerHosts::WorkerHosts(const std::vector<const config::Config*>& configs, const WorkerStart& start, Log& log,
                         const std::function<void(const std::string&)>& print)
    : hosts_dir_(!configs.empty()) {
  // The Workers of one dev share the secret their runtimes ask of fetch(), so that one passes on
  // a request it got to another through a service binding (front-gate.mjs).
  std::string front_secret = new_secret_token();
  std::vector<std::string> names;
  for (const config::Config* config : configs) names.push_back(config->script_name());
  for (size_t i = 0; i < configs.size(); ++i) {
    const config::Config& config = *configs[i];
    std::string name = config.script_name();
    if (hosts_.count(name))
      throw UsageError("two configs name the same Worker '" + name + "': give each its own \"name\"");
    // The front takes the Worker's address now, so a port in use is an error before anything starts.
    api::WorkerFrontOptions front;
    front.ip = !config.dev_ip.empty() ? config.dev_ip : "127.0.0.1";
    if (front.ip == "localhost") front.ip = "127.0.0.1";
    if (front.ip == "*") front.ip = "0.0.0.0";
    front.port = i == 0 ? start.first_port : config.dev_port.value_or(0);
    front.runtime_secret = front_secret;
    std::string api_origin = start.api_url.substr(0, start.api_url.find("/client/v4/"));
    front.on_cloudflare_api_path = [&log, name, api_origin](const std::string& method, const std::string& target) {
      log.line("note: " + printable(method + " " + target.substr(0, 200)) + " went to Worker " + name +
               "'s fetch(), not to flareq: while dev runs a Worker, flareq's API is on " + api_origin +
               " (flareq's commands find it themselves)");
    };
    // Each request with its answer, as wrangler dev logs them (at its "info" level).
    if (requests_logged())
      front.on_answered = [&log, prefix = "[" + name + "] "](const api::AnsweredRequest& r) {
        log.line(prefix + printable(r.method + " " + r.target) + " " + std::to_string(r.status) +
                 (r.reason.empty() ? "" : " " + printable(r.reason)) + " (" + std::to_string(r.ms) + "ms)" +
                 (r.refused.empty() ? "" : ", from flareq's Worker front: " + r.refused));
      };
    auto opened = api::WorkerFront::open(front);
    if (!opened) throw UsageError(opened.why());
    fronts_.push_back(std::move(*opened));
    project::WorkerHostOptions w;
    w.delivery_secret = new_secret_token();
    w.front_secret = front.runtime_secret;
    w.peers = names;
    w.api_url = start.api_url;
    w.api_token = start.api_token;
    w.ready_file = hosts_dir_.path / ("worker-" + std::to_string(i) + ".json");
    w.temp_dir = hosts_dir_.path;
    w.timeout_ms = start.timeout_ms;
    // Each Worker's debugger: the first config's on --inspector-port, the next ones' on the ports after it.
    if (start.first_inspector_port > 0) {
      int inspector_port = start.first_inspector_port + static_cast<int>(i);
      if (inspector_port > 65535 || bind_loopback(inspector_port, /*reuse=*/true) < 0)
        throw UsageError("cannot serve Worker " + name + "'s debugger on 127.0.0.1:" + std::to_string(inspector_port) +
                         ": the port is in use (another dev, wrangler dev or node --inspect?); choose another with "
                         "--inspector-port" + (i > 0 ? " (the Workers after the first take the ports after it)" : ""));
      w.inspector_port = inspector_port;
    }
    std::string prefix = "[" + name + "] ";
    std::shared_ptr<handler::WorkerRuntimeHandler> host;
    nlohmann::json ready;
    // The runtime's ports are free when chosen, but another process (another dev starting at
    // the same moment) may take one before workerd binds it: then the host starts again on others.
    for (int attempt = 1;; ++attempt) {
      w.runtime_port = runtime_port();
      do w.delivery_port = runtime_port();
      while (w.delivery_port == w.runtime_port);
      fronts_.back()->set_runtime_port(w.runtime_port);
      handler::HandlerSpec spec = project::worker_host_spec(config, w);
      if (!isatty(STDOUT_FILENO)) spec.env["FORCE_COLOR"] = "0";  // wrangler's colours only on a terminal
      host = std::make_shared<handler::WorkerRuntimeHandler>(
          spec, [&log, prefix](const std::string& line) { log.line(prefix + line); });
      try {
        ready = start_worker(*host, w.ready_file, name, config, start.cancel);
        break;
      } catch (const RuntimePortTaken&) {
        if (attempt == kPortAttempts) throw;
        log.line(prefix + "a port chosen for its runtime was taken meanwhile: starting it on others");
        host.reset();  // its whole process group is gone once this returns: nothing writes the ready file
        std::error_code ec;
        std::filesystem::remove(w.ready_file, ec);
      }
    }
    hosts_[name] = host;
    for (const auto& b : config.r2_buckets) buckets_.push_back({b.bucket, b.binding, name, w.runtime_port, w.front_secret});
    // Batches go straight to the runtime where the host could add the delivery service (with
    // flareq's pinned wrangler it can); else through the host, which the log says.
    if (ready.contains("delivery")) host->deliver_to(w.delivery_port, w.delivery_secret, ready.value("marks", false));
    else
      log.line(prefix + "batches for queue() go through the host's Node.js, the slower way (" +
               ready.value("deliveryUnavailable", "") + ")");
    fronts_.back()->set_path_rewrites(path_rewrites(ready));
    int port = fronts_.back()->port();
    std::string url = "http://" + (front.ip.find(':') != std::string::npos ? "[" + front.ip + "]" : front.ip) + ":" +
                      std::to_string(port);
    print("Worker " + name + " ready on " + url + "   (" + ready.value("main", "") + ", compatibility_date " +
          ready.value("compatibility_date", "") + "; " + ready.value("runtime", "") + ")");
    if (w.inspector_port > 0) {
      std::string ws = "127.0.0.1:" + std::to_string(w.inspector_port) + "/ws";
      print("Worker " + name + "'s debugger on ws://" + ws + "   (DevTools: https://devtools.devprod.cloudflare.dev/"
            "js_app?theme=systemPreferred&debugger=true&ws=" + ws + ")");
    }
    if (i == 0) first_url_ = url;
    if (i == 0 && !start.first_port_file.empty())
      write_port_file(start.first_port_file, port);
  }
}

WorkerHosts::~WorkerHosts() {
  for (auto& front : fronts_) front->stop();
}

int WorkerHosts::first_port() const { return fronts_.empty() ? -1 : fronts_.front()->port(); }

WorkerHosts::HostsDirectory::HostsDirectory(bool needed) {
  if (!needed) return;
  std::string pattern = (std::filesystem::temp_directory_path() / "flareq-dev-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw UsageError("cannot make a directory in " + std::filesystem::temp_directory_path().string() + ": " +
                     std::strerror(errno));
  path = pattern;
}

WorkerHosts::HostsDirectory::~HostsDirectory() {
  if (path.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

Result<nlohmann::json> WorkerHosts::write_object(const api::R2ObjectWrite& write) const {
  auto found = std::find_if(buckets_.begin(), buckets_.end(), [&](const BucketRoute& b) { return b.bucket == write.bucket; });
  const BucketRoute* route = found == buckets_.end() ? nullptr : &*found;
  if (!route) return Result<nlohmann::json>::failure("no Worker of this flareq dev binds R2 bucket " + write.bucket);
  httplib::Client runtime("127.0.0.1", route->runtime_port);
  runtime.set_read_timeout(60, 0);
  httplib::Headers headers = {{"X-Flareq-R2", route->secret},
                              {"X-Flareq-R2-Op", write.remove ? "delete" : "put"},
                              {"X-Flareq-R2-Binding", route->binding},
                              {"X-Flareq-R2-Key", base64_encode(write.key)}};  // any bytes, in a header
  std::string type = write.content_type.empty() ? "application/octet-stream" : write.content_type;
  auto answer = runtime.Post("/", headers, write.body, type);
  std::string where = "Worker " + route->worker + " (binding " + route->binding + ")";
  if (!answer) return Result<nlohmann::json>::failure(where + " did not answer: its runtime is not running");
  auto body = nlohmann::json::parse(answer->body, nullptr, false);
  if (answer->status != 200 || !body.is_object())
    return Result<nlohmann::json>::failure(where + " could not write " + write.bucket + "/" + write.key + ": " +
                                           (body.is_object() ? body.value("error", answer->body) : answer->body));
  return body;
}

std::shared_ptr<handler::Handler> WorkerHosts::host(const std::string& name) const {
  auto it = hosts_.find(name);
  return it == hosts_.end() ? nullptr : it->second;
}

}  // namespace flareq::dev
