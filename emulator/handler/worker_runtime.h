// The Worker host as a queue's handler (README, "Your Worker"). The host process is a
// persistent handler: started before any batch, started again after a crash, its output in the
// dev log, its whole process group killed on a timeout. Once its runtime names the port of the
// delivery service (worker/delivery.worker.mjs, beside the Worker in workerd), each batch is
// posted there over HTTP and goes straight to the Worker's queue() inside the runtime, rather
// than through the host's stdin and Node.js.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "emulator/handler/handler.h"

namespace httplib {
class Client;
}

namespace flareq::handler {

class WorkerRuntimeHandler final : public Handler {
 public:
  WorkerRuntimeHandler(const HandlerSpec& spec, LogSink log);
  ~WorkerRuntimeHandler() override;

  // From now on, batches go to the delivery service on 127.0.0.1:port, with its secret. Its
  // port stays the same across reloads and restarts of the runtime.
  void deliver_to(int port, const std::string& secret);

  InvocationResult invoke(const std::string& document) override;
  InvocationResult invoke_and_crash(const std::string& document) override;
  void kill_all() override;
  void kill_process() override { host_->kill_process(); }
  std::string start_now() override { return host_->start_now(); }

 private:
  InvocationResult post(const std::string& document, bool crash);
  std::unique_ptr<httplib::Client> take_client();
  void give_back(std::unique_ptr<httplib::Client> client);

  int64_t timeout_ms_;
  std::unique_ptr<Handler> host_;
  std::atomic<int> port_{0};
  std::string secret_;  // set once, before port_
  std::atomic<bool> closing_{false};
  std::mutex idle_mutex_;
  std::vector<std::unique_ptr<httplib::Client>> idle_;  // keep-alive connections to the delivery service
};

}  // namespace flareq::handler
