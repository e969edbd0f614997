// Posting a batch to the delivery service in the Worker's runtime (worker/delivery.worker.mjs)
// over HTTP, on kept-alive connections. `PostBatch` is the seam the Worker's handler posts
// through; DeliveryClient is the real one, tests give it a fake.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace httplib {
class Client;
}

namespace flareq::handler {

struct BatchPost {
  int port = 0;            // the delivery service's, on 127.0.0.1
  std::string secret;      // sent as X-Flareq-Delivery-Secret
  std::string document;    // the batch document
  std::string mark;        // sent as X-Flareq-Mark when not empty
  bool cut_after_write = false;  // an injected crash: the connection is cut once the batch is written
  int64_t timeout_ms = 900000;   // for the answer
};

struct PostAnswer {
  enum class Failure {
    None,           // the runtime answered: status and body
    NotListening,   // no connection could be made: the batch was not handed over
    NotLoaded,      // the Worker's host answered for it: the Worker threw while it loaded and
                    // waits for a fix (worker/load-failure.mjs); the batch was not handed over
    ConnectionLost  // the connection ended (or timed out) after the batch was handed over
  };
  Failure failure = Failure::None;
  int status = 0;
  std::string body;
};

using PostBatch = std::function<PostAnswer(const BatchPost& post)>;

class DeliveryClient {
 public:
  DeliveryClient();
  ~DeliveryClient();
  PostAnswer post(const BatchPost& post);

 private:
  std::unique_ptr<httplib::Client> take(const BatchPost& post);
  void give_back(std::unique_ptr<httplib::Client> client);

  std::mutex mutex_;
  int port_ = 0;  // the port of the idle connections
  std::vector<std::unique_ptr<httplib::Client>> idle_;
};

}  // namespace flareq::handler
