// GET /metrics: per-queue gauges and lifetime counters in Prometheus' text format.
#include <sstream>

#include "emulator/http/api_server.h"

namespace flareq::api {

namespace {

std::string label(const std::string& queue) {
  std::string out;
  for (char c : queue) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string ApiServer::prometheus_text() {
  Store& store = stores_.local();
  std::vector<std::pair<Queue, Backlog>> rows;
  for (const auto& q : store.list_queues()) rows.emplace_back(q, store.backlog(q.key));
  std::ostringstream out;
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    for (const auto& [q, b] : rows) value(q, b, "flareq_" + std::string(name).substr(7) + "{queue=\"" + label(q.name) + "\"");
  };
  family("flareq_queue_messages", "gauge", "Messages a queue holds, by state.",
         [&](const Queue&, const Backlog& b, const std::string& prefix) {
           out << prefix << ",state=\"ready\"} " << b.ready << "\n"
               << prefix << ",state=\"delayed\"} " << b.delayed << "\n"
               << prefix << ",state=\"leased\"} " << b.leased << "\n";
         });
  family("flareq_queue_bytes", "gauge", "Bytes of message bodies a queue holds.",
         [&](const Queue&, const Backlog& b, const std::string& prefix) { out << prefix << "} " << b.bytes << "\n"; });
  family("flareq_queue_oldest_message_timestamp_ms", "gauge", "Enqueue time of the oldest message (0 when empty).",
         [&](const Queue&, const Backlog& b, const std::string& prefix) {
           out << prefix << "} " << b.oldest_enqueued_ms.value_or(0) << "\n";
         });
  struct Counter {
    const char* name;
    const char* help;
    int64_t QueueCounters::*field;
  };
  struct Injected {
    const char* name;
    const char* help;
    int64_t InjectedCounts::*field;
  };
  for (const Counter& c : {Counter{"flareq_queue_received_total", "Messages sent to the queue.", &QueueCounters::received},
                           Counter{"flareq_queue_delivered_total", "Message deliveries (push or pull).", &QueueCounters::delivered},
                           Counter{"flareq_queue_acked_total", "Messages acknowledged.", &QueueCounters::acked},
                           Counter{"flareq_queue_retried_total", "Messages retried.", &QueueCounters::retried},
                           Counter{"flareq_queue_dead_lettered_total", "Messages moved to a dead letter queue or dropped after their last retry.", &QueueCounters::dead_lettered},
                           Counter{"flareq_queue_expired_total", "Messages deleted by retention.", &QueueCounters::expired},
                           Counter{"flareq_queue_replayed_total", "Messages replayed out of this dead letter queue.", &QueueCounters::replayed}}) {
    family(c.name, "counter", c.help, [&](const Queue& q, const Backlog&, const std::string& prefix) {
      out << prefix << "} " << q.counters.*c.field << "\n";
    });
  }
  for (const Injected& c : {Injected{"flareq_queue_injected_failures_total", "Deliveries failed by an injected fault.", &InjectedCounts::failures},
                            Injected{"flareq_queue_injected_crashes_total", "Deliveries whose handler an injected fault killed.", &InjectedCounts::crashes},
                            Injected{"flareq_queue_injected_latency_total", "Deliveries held back by injected latency.", &InjectedCounts::latency},
                            Injected{"flareq_queue_injected_push_errors_total", "Pushes refused by an injected fault.", &InjectedCounts::push_errors}}) {
    family(c.name, "counter", c.help, [&](const Queue& q, const Backlog&, const std::string& prefix) {
      out << prefix << "} " << q.counters.injected.*c.field << "\n";
    });
  }
  return out.str();
}

}  // namespace flareq::api
