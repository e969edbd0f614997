// The delivery service's HTTP client (delivery_client.h).
#include "emulator/handler/delivery_client.h"

#include <httplib.h>

namespace flareq::handler {

DeliveryClient::DeliveryClient() = default;
DeliveryClient::~DeliveryClient() = default;

std::unique_ptr<httplib::Client> DeliveryClient::take(const BatchPost& post) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (port_ != post.port) idle_.clear();  // connections to a runtime that moved
    port_ = post.port;
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  auto client = std::make_unique<httplib::Client>("127.0.0.1", post.port);
  client->set_keep_alive(true);
  client->set_connection_timeout(1);
  client->set_tcp_nodelay(true);  // a batch is one request: no waiting for more to send
  client->set_default_headers({{"X-Flareq-Delivery-Secret", post.secret}});
  return client;
}

void DeliveryClient::give_back(std::unique_ptr<httplib::Client> client) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(client));
}

PostAnswer DeliveryClient::post(const BatchPost& post) {
  auto client = take(post);
  client->set_read_timeout(post.timeout_ms / 1000, (post.timeout_ms % 1000) * 1000);
  client->set_write_timeout(post.timeout_ms / 1000, (post.timeout_ms % 1000) * 1000);
  httplib::Headers headers;
  if (!post.mark.empty()) headers.emplace("X-Flareq-Mark", post.mark);
  const std::string& body = post.document;
  auto write_then_cut = [&](size_t offset, size_t length, httplib::DataSink& sink) {
    return sink.write(body.data() + offset, length) && offset + length < body.size();
  };
  httplib::Result answer = post.cut_after_write
                               ? client->Post("/", headers, body.size(), write_then_cut, "application/json")
                               : client->Post("/", headers, body, "application/json");
  PostAnswer result;
  if (post.cut_after_write) {  // its connection is not kept: it closes with the client
    result.failure = PostAnswer::Failure::ConnectionLost;
    return result;
  }
  if (answer && answer->status == 503 && answer->has_header("X-Flareq-Not-Loaded")) {
    result.failure = PostAnswer::Failure::NotLoaded;
    return result;
  }
  if (answer) {
    result.status = answer->status;
    result.body = std::move(answer->body);
    give_back(std::move(client));
    return result;
  }
  bool not_listening =
      answer.error() == httplib::Error::Connection || answer.error() == httplib::Error::ConnectionTimeout;
  result.failure = not_listening ? PostAnswer::Failure::NotListening : PostAnswer::Failure::ConnectionLost;
  if (!not_listening) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.clear();  // their connections are to the runtime that is going
  }
  return result;
}

}  // namespace flareq::handler
