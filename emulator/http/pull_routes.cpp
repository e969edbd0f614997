// /queues/{queue}/messages/pull and /ack: HTTP pull consumers (docs/semantics.md, "HTTP pull consumers"). A pull leases up to
// batch_size visible messages for the visibility timeout; an ack deletes or retries them
// by lease id (message_handle.h: the row and the pull's random token), checked against the
// queue, so one from another queue does nothing.
#include <httplib.h>

#include "emulator/core/error.h"
#include "emulator/http/api_server.h"
#include "emulator/http/message_handle.h"
#include "emulator/http/request_body.h"

namespace flareq::api {

using nlohmann::json;

namespace {

Consumer pull_consumer(Store& store, const Queue& queue) {
  auto consumer = store.consumer_of(queue.key);
  if (!consumer || consumer->type != ConsumerType::HttpPull)
    throw conflict(code::kInvalidConsumerSettings,
                   "queue '" + queue.name + "' has no HTTP pull consumer" +
                       (consumer ? " (its consumer is a worker)" : "") +
                       "; add one with: flareq queues consumer http add " + queue.name);
  return *consumer;
}

Reply pull(RouteRequest& r) {
  Store& store = r.store;
  const Queue& queue = *r.queue;
  RequestJson body = r.body();
  {
    Consumer consumer = pull_consumer(store, queue);
    if (queue.settings.delivery_paused)
      throw conflict(code::kQueueDeliveryPaused, "queue_delivery_paused: delivery of queue '" + queue.name + "' is paused");
    Fields f(body);
    int64_t batch_size = f.integer("batch_size", code::kInvalidBody, 1, limits::kMaxBatchSize).value_or(consumer.settings.batch_size);
    int64_t visibility = consumer.settings.visibility_timeout_ms;
    if (auto v = f.integer("visibility_timeout", code::kInvalidBody, 1, limits::kMaxVisibilityTimeoutMs)) visibility = *v;
    if (auto v = f.integer("visibility_timeout_ms", code::kInvalidBody, 1, limits::kMaxVisibilityTimeoutMs)) visibility = *v;
    LeaseResult lease = store.lease(queue, consumer.settings, batch_size, visibility, kPullLeaseOwner);
    json messages = json::array();
    for (const auto& m : lease.messages) {
      json j = pulled_message_json(m);
      j["lease_id"] = message_handle(m.seq, lease.token);
      messages.push_back(std::move(j));
    }
    Backlog backlog = store.backlog(queue.key);
    return {200,
            {{"message_backlog_count", backlog.count},
             {"messages", messages},
             {"metadata", {{"metrics", metrics_json(backlog)}}}},
            std::nullopt};
  }
}

Reply ack(RouteRequest& r) {
  Store& store = r.store;
  const Queue& queue = *r.queue;
  RequestJson body = r.body();
  {
    Consumer consumer = pull_consumer(store, queue);
    json warnings = json::array();
    // Lease ids grouped by the pull that issued them.
    std::map<std::string, std::pair<std::vector<int64_t>, std::vector<std::pair<int64_t, int64_t>>>> by_token;
    auto read = [&](const char* list, bool ack) {
      if (!body.contains(list) || body.at(list).is_null()) return;
      if (!body.at(list).is_array()) throw bad_request(code::kInvalidBody, std::string(list) + " must be an array");
      for (const auto& item : body.at(list)) {
        std::string id = item.is_object() && item.contains("lease_id") && item.at("lease_id").is_string()
                             ? item.at("lease_id").get<std::string>()
                             : "";
        auto lease = parse_message_handle(id);
        if (!lease) {
          warnings.push_back("malformed lease_id " + (id.empty() ? item.dump() : "'" + id + "'"));
          continue;
        }
        if (ack) {
          by_token[lease->second].first.push_back(lease->first);
        } else {
          int64_t delay = Fields(item).integer("delay_seconds", code::kInvalidDelay, 0, limits::kMaxDelaySecs)
                              .value_or(consumer.settings.retry_delay);
          by_token[lease->second].second.emplace_back(lease->first, delay);
        }
      }
    };
    read("acks", true);
    read("retries", false);
    int64_t acked = 0, retried = 0, requested = 0;
    for (const auto& [token, calls] : by_token) {
      SettleResult settled = store.settle(queue, consumer.settings, token, calls.first, calls.second);
      acked += settled.acked;
      retried += settled.retried + static_cast<int64_t>(settled.finished.size());
      requested += static_cast<int64_t>(calls.first.size() + calls.second.size());
    }
    if (acked + retried < requested)
      warnings.push_back(std::to_string(requested - acked - retried) +
                         " lease id(s) matched no message of this queue (already acked, leased again, or from another queue)");
    return {200, {{"ackCount", acked}, {"retryCount", retried}, {"warnings", warnings}}, std::nullopt};
  }
}

}  // namespace

void add_pull_routes(RouteTable& routes, ApiContext&) {
  const std::string messages = "accounts/{account}/queues/{queue}/messages";
  routes.add("POST", messages + "/pull", pull);
  routes.add("POST", messages + "/ack", ack);
}

}  // namespace flareq::api
