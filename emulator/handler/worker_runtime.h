// The Worker host as a queue's handler (README, "Your Worker"). The host process is a
// persistent handler: started before any batch, started again after a crash, its output in the
// dev log, its whole process group killed on a timeout. Once its runtime names the port of the
// delivery service (worker/delivery.worker.mjs, beside the Worker in workerd), each batch is
// posted there (through `PostBatch`) and goes straight to the Worker's queue() inside the
// runtime, rather than through the host's stdin and Node.js. What queue() threw is reported
// with its stack pointed at the Worker's sources.
#pragma once
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>

#include "emulator/handler/delivery_client.h"
#include "emulator/handler/handler.h"
#include "emulator/handler/source_map.h"

namespace flareq::handler {

class WorkerRuntimeHandler final : public Handler {
 public:
  // On the system's processes, clock and HTTP client.
  WorkerRuntimeHandler(const HandlerSpec& spec, LogSink log);
  // On the ones given (tests).
  WorkerRuntimeHandler(const HandlerSpec& spec, LogSink log, Spawner& spawner, const Clock& clock, PostBatch post);
  ~WorkerRuntimeHandler() override;

  // From now on, batches go to the delivery service on 127.0.0.1:port, with its secret. Its
  // port stays the same across reloads and restarts of the runtime. With `marks`, each batch
  // is reported only once the mark the service logs after queue() has come through the host,
  // behind everything queue() printed: the log shows a batch's output before its QUEUE line.
  void deliver_to(int port, const std::string& secret, bool marks);

  InvocationResult invoke(const std::string& document) override;
  InvocationResult invoke_and_crash(const std::string& document) override;
  void kill_all() override;
  void kill_process() override { host_->kill_process(); }
  Result<Done> start_now() override { return host_->start_now(); }
  int processes_started() const override { return host_->processes_started(); }
  bool holding_for_load() const override { return held_for_load_ > 0; }
  std::optional<int64_t> cpu_ms() override { return host_->cpu_ms(); }

 private:
  InvocationResult post(const std::string& document, bool crash);
  // Posts the batch (waiting for a runtime that is not listening yet) and reads the verdict.
  InvocationResult hand_over(const std::string& document, bool crash, const std::string& mark);
  InvocationResult verdict(const PostAnswer& answer, const std::string& mark);
  // A line of the host's output: a mark is taken, anything else goes to the log.
  void on_host_line(const std::string& line);
  void wait_for_mark(const std::string& mark);
  // Whether the host has said that a reload began since `reloads` were counted (waiting a moment
  // for its line, which comes through the host's output while the cut comes through a socket).
  bool reloaded_since(int reloads);
  // What queue() threw, its stack's frames in the bundle wrangler built pointed back at the
  // Worker's own source files (the bundle's source map), as `wrangler dev` shows them.
  InvocationResult with_sources(InvocationResult result);

  int64_t timeout_ms_;
  const Clock& clock_;
  PostBatch post_;
  LogSink log_;
  std::unique_ptr<DeliveryClient> client_;  // the real one, when post_ is it
  std::unique_ptr<Handler> host_;
  std::atomic<int> port_{0};
  std::string secret_;  // set once, before port_
  bool marks_ = false;  // likewise
  std::mutex marks_mutex_;
  std::condition_variable mark_seen_;
  std::set<std::string> awaited_, arrived_;  // marks
  std::atomic<bool> closing_{false};
  std::atomic<int> held_for_load_{0};  // batches waiting for a Worker that threw while it loaded
  std::atomic<int> reloads_{0};  // reloads the host has told of
  std::atomic<int64_t> quiet_until_ms_{0};  // steady: no batch is posted before it
  SourceMaps source_maps_;
};

}  // namespace flareq::handler
