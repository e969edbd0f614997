// The Workers of `flareq dev`: one Worker host per config with "main" (`dev -c producer -c
// consumer` runs two), each serving its Worker's fetch() (behind its Worker front, on the
// Worker's public port) and the queues that Worker consumes. Started one after the other, each
// on free loopback ports for its runtime, and ready once its host says so in its ready file.
#pragma once
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emulator/config/config.h"
#include "emulator/dispatch/log.h"
#include "emulator/core/result.h"
#include "emulator/handler/handler.h"
#include "emulator/http/api_server.h"
#include "emulator/http/worker_front.h"

namespace flareq::dev {

struct WorkerStart {
  int first_port = 8787;  // the first Worker's fetch() (0: any free port); the others: their dev.port, else any
  std::string first_port_file;  // written with the first Worker's port once it is ready
  std::string api_url;          // flareq's API, for the producer bindings
  std::string api_token;
  int64_t timeout_ms = 900000;
  int first_inspector_port = -1;  // the first Worker's debugger (wrangler dev's --inspector-port); -1: none
  const std::atomic<bool>* cancel = nullptr;  // set: stop starting (dev was asked to stop)
};

// Thrown by WorkerHosts when `cancel` was set while a Worker started.
struct WorkerStartCancelled {};

class WorkerHosts {
 public:
  // Starts every Worker and gives `print` its ready line; throws UsageError with the host's own
  // sentence when one cannot start, or when two configs name the same Worker.
  WorkerHosts(const std::vector<const config::Config*>& configs, const WorkerStart& start, Log& log,
              const std::function<void(const std::string&)>& print);
  ~WorkerHosts();
  WorkerHosts(const WorkerHosts&) = delete;
  WorkerHosts& operator=(const WorkerHosts&) = delete;

  // The port of the first Worker's front (-1 when there is no Worker), and its URL ("").
  int first_port() const;
  const std::string& first_url() const { return first_url_; }
  // The host of the Worker named `name` (HandlerSpec::shared), or nullptr.
  std::shared_ptr<handler::Handler> host(const std::string& name) const;

  // Puts or deletes an object in a bucket that a Worker binds, through that Worker's runtime
  // (the entry gate, front-gate.mjs, makes the call on the Worker's own binding), so that the
  // bucket's event notifications follow as for the Worker's own writes. Safe from any thread.
  Result<nlohmann::json> write_object(const api::R2ObjectWrite& write) const;

 private:
  // A directory of this dev's own (mkdtemp) for the hosts' ready files, which they write again
  // on every restart (a file that a killed dev left in the temp directory under the name this
  // one would use, its pid reused, is never read as this one's), and their TMPDIR (Miniflare's
  // temporary files, which a host stopped before Miniflare could clean up would leave behind).
  // Removed with what it holds on any exit from the constructor or the destructor, after the
  // hosts (declared first).
  struct HostsDirectory {
    std::filesystem::path path;
    explicit HostsDirectory(bool needed);  // none (an empty path) when there is no Worker
    ~HostsDirectory();
    HostsDirectory(const HostsDirectory&) = delete;
    HostsDirectory& operator=(const HostsDirectory&) = delete;
  };
  HostsDirectory hosts_dir_;
  // Where each bucket a Worker binds is written: that Worker's runtime and the binding's name.
  struct BucketRoute {
    std::string bucket;
    std::string binding;
    std::string worker;
    int runtime_port = 0;
    std::string secret;
  };
  std::vector<BucketRoute> buckets_;
  std::vector<std::unique_ptr<api::WorkerFront>> fronts_;  // each Worker's public port
  std::string first_url_;
  std::map<std::string, std::shared_ptr<handler::Handler>> hosts_;
};

// Writes `port` to `path` atomically, for scripts that wait for it.
void write_port_file(const std::string& path, int port);

}  // namespace flareq::dev
