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
  for (const auto& p : producers)
    prods.push_back(p.bucket.empty() ? json{{"type", "worker"}, {"script", p.script}, {"binding", p.binding}}
                                     : json{{"type", "r2_bucket"}, {"bucket_name", p.bucket}});
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
  return {{"received", c.received},
          {"delivered", c.delivered},
          {"acked", c.acked},
          {"retried", c.retried},
          {"dead_lettered", c.dead_lettered},
          {"expired", c.expired},
          {"replayed", c.replayed},
          {"injected_failures", c.injected.failures},
          {"injected_crashes", c.injected.crashes},
          {"injected_latency", c.injected.latency},
          {"injected_push_errors", c.injected.push_errors}};
}

nlohmann::ordered_json message_json(const StoredMessage& m, int64_t now) {
  nlohmann::ordered_json j = {{"id", m.id},
                              {"state", message_state_name(m.state_at(now))},
                              {"attempts", m.attempts},
                              {"timestamp", iso8601(m.enqueued_ms)},
                              {"timestamp_ms", m.enqueued_ms},
                              {"visible_at_ms", m.visible_ms},
                              {"content_type", content_type_name(m.content_type)},
                              {"size", m.size},
                              {"body", body_json(m.content_type, m.body)}};
  if (!m.origin_queue.empty()) j["origin_queue"] = m.origin_queue;
  if (m.origin_attempts > 0) j["origin_attempts"] = m.origin_attempts;
  if (!m.last_error.empty()) j["last_error"] = m.last_error;
  return j;
}

json clock_json(const Clock& clock) {
  // One reading of the real clock for all three figures: two could straddle a millisecond
  // and make the offset look 1 ms short of what was advanced.
  VirtualTime t = clock.virtual_time();
  int64_t real = clock.real_ms();
  int64_t now = t.frozen_ms ? *t.frozen_ms : real + t.offset_ms;
  return {{"now_ms", now},
          {"now", iso8601(now)},
          {"real_ms", real},
          {"offset_ms", now - real},
          {"frozen", t.frozen_ms.has_value()}};
}

json clock_change_json(const ClockChange& change) {
  json queues = json::array();
  for (const auto& q : change.queues) queues.push_back({{"queue", q.queue}, {"due", q.due}, {"expired", q.expired}});
  return {{"from_ms", change.from_ms}, {"to_ms", change.to_ms}, {"to", iso8601(change.to_ms)}, {"queues", queues}};
}

json fault_json(const FaultRecord& f) {
  const FaultSettings& s = f.settings;
  return {{"queue", f.queue.empty() ? json(nullptr) : json(f.queue)},
          {"fail", s.fail},
          {"latency_min_ms", s.latency_min_ms},
          {"latency_max_ms", s.latency_max_ms},
          {"crash_handler", s.crash},
          {"push_errors", s.push_errors},
          {"seed", s.seed},
          {"set_on", iso8601(f.set_ms)},
          {"injected", {{"deliveries_drawn", f.deliveries_drawn}, {"failed", f.injected.failures},
                        {"crashed", f.injected.crashes}, {"delayed", f.injected.latency},
                        {"pushes_drawn", f.pushes_drawn}, {"pushes_refused", f.injected.push_errors}}}};
}


}  // namespace flareq::api
