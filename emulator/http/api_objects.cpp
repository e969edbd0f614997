// Queues, consumers, metrics and counters as the v4 API spells them.
#include "emulator/http/api_objects.h"

#include "emulator/core/encoding.h"

namespace flareq::api {

using nlohmann::json;

json consumer_json(const Consumer& c) {
  const auto& s = c.settings;
  json settings = {{"batch_size", s.batch_size}, {"max_retries", s.max_retries}, {"retry_delay", s.retry_delay}};
  if (c.type == ConsumerType::Worker) {
    settings["max_wait_time_ms"] = s.max_wait_time_ms;
    settings["max_concurrency"] = s.max_concurrency ? json(*s.max_concurrency) : json(nullptr);
  } else {
    settings["visibility_timeout_ms"] = s.visibility_timeout_ms;
  }
  json out = {{"consumer_id", c.id},
              {"queue_name", c.queue_name},
              {"type", consumer_type_name(c.type)},
              {"dead_letter_queue", s.dead_letter_queue},
              {"created_on", iso8601(c.created_ms)},
              {"settings", settings}};
  if (c.type == ConsumerType::Worker) {
    out["script"] = c.script;
    out["script_name"] = c.script;
  }
  return out;
}

json queue_json(const Queue& q, const std::vector<Producer>& producers, const std::optional<Consumer>& consumer) {
  json prods = json::array();
  for (const auto& p : producers) prods.push_back({{"type", "worker"}, {"script", p.script}, {"binding", p.binding}});
  json cons = json::array();
  if (consumer) cons.push_back(consumer_json(*consumer));
  return {{"queue_id", q.id},
          {"queue_name", q.name},
          {"created_on", iso8601(q.created_ms)},
          {"modified_on", iso8601(q.modified_ms)},
          {"producers", prods},
          {"producers_total_count", prods.size()},
          {"consumers", cons},
          {"consumers_total_count", cons.size()},
          {"settings",
           {{"delivery_delay", q.settings.delivery_delay},
            {"delivery_paused", q.settings.delivery_paused},
            {"message_retention_period", q.settings.retention_secs}}}};
}

json metrics_json(const QueueMetrics& b) {
  return {{"backlog_count", b.count},
          {"backlog_bytes", b.bytes},
          {"oldest_message_timestamp_ms", b.oldest_enqueued_ms.value_or(0)}};
}

json counters_json(const QueueCounters& c) {
  return {{"received", c.received}, {"delivered", c.delivered},         {"acked", c.acked},
          {"retried", c.retried},   {"dead_lettered", c.dead_lettered}, {"expired", c.expired},
          {"replayed", c.replayed}};
}


}  // namespace flareq::api
