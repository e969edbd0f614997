// Creating queues, registering consumers and listing producers from a config.
#include "emulator/project/apply_config.h"

#include <algorithm>
#include <set>

#include "emulator/core/error.h"
#include "emulator/core/nearest_name.h"

namespace flareq::project {

namespace {

// Adds a rule the config declares unless the bucket has it already; one that the state file's
// rules refuse is the config's error, at the rule's file:line.
std::optional<std::string> apply_r2_rule(const config::R2RuleConfig& declared, Store& store) {
  for (const auto& r : store.r2_rules(declared.bucket))
    if (r.queue == declared.queue && r.actions == declared.actions && r.prefix == declared.prefix &&
        r.suffix == declared.suffix)
      return std::nullopt;
  r2::Rule rule;
  rule.actions = declared.actions;
  rule.prefix = declared.prefix;
  rule.suffix = declared.suffix;
  rule.description = declared.description;
  try {
    rule = store.add_r2_rules(declared.bucket, store.queue(declared.queue), {rule}).front();
  } catch (const Error& e) {
    throw config::ConfigError(declared.where + e.what() +
                              " (see: flareq r2 bucket notification list " + declared.bucket + ")");
  }
  return "Added R2 event notification rule " + rule.id + ": bucket " + declared.bucket + " -> queue '" +
         declared.queue + "' (from the config)";
}

// The queues that something of `configs` sends to: a producer binding, a dead-letter move, an R2 rule.
std::set<std::string> queues_sent_to(const std::vector<config::Config>& configs) {
  std::set<std::string> fed;
  for (const auto& c : configs) {
    for (const auto& p : c.producers) fed.insert(p.queue);
    for (const auto& consumer : c.consumers)
      if (!consumer.dead_letter_queue.empty()) fed.insert(consumer.dead_letter_queue);
    for (const auto& r : c.r2_rules) fed.insert(r.queue);
  }
  return fed;
}

}  // namespace

std::vector<std::string> apply_config(const config::Config& config, Store& store) {
  std::vector<std::string> changes;
  for (const auto& name : config.queue_names()) {
    if (!store.find_queue(name)) {
      store.ensure_queue(name);
      changes.push_back("Created queue '" + name + "'");
    }
  }
  std::string script = config.script_name();
  for (const auto& c : config.consumers) {
    Queue q = store.queue(c.queue);
    ConsumerType type = c.type == "http_pull" ? ConsumerType::HttpPull : ConsumerType::Worker;
    ConsumerSettings s = ConsumerSettings::defaults_for(type);
    if (c.max_batch_size) s.batch_size = *c.max_batch_size;
    s.max_wait_time_ms = static_cast<int64_t>(c.max_batch_timeout * 1000 + 0.5);
    s.max_retries = c.max_retries;
    s.dead_letter_queue = c.dead_letter_queue;
    s.max_concurrency = c.max_concurrency;
    s.retry_delay = c.retry_delay;
    if (c.visibility_timeout_ms) s.visibility_timeout_ms = *c.visibility_timeout_ms;
    if (c.faults) {
      store.set_faults(q.name, *c.faults);
      changes.push_back("Injecting into queue '" + q.name + "' (the config's \"faults\"): " + describe_faults(*c.faults));
    }
    auto existing = store.consumer_of(q.key);
    if (existing && existing->type == type) {
      Consumer updated = *existing;
      updated.settings = s;
      if (type == ConsumerType::Worker) updated.script = script;
      store.update_consumer(updated);
      continue;
    }
    if (existing) {
      changes.push_back(std::string("Replacing the ") + consumer_type_name(existing->type) + " consumer of '" + q.name +
                        "' with the config's " + consumer_type_name(type) + " consumer");
      store.remove_consumer(existing->id);
    }
    store.add_consumer(q, type, type == ConsumerType::Worker ? script : "", s);
  }
  // The Worker's consumers are the ones its config names: one left from an earlier config (a
  // queue renamed, a consumer taken out) is removed, its messages kept. wrangler deploy left
  // such a registration in place (the Worker kept getting that queue's batches), which
  // Cloudflare treats as a bug to fix; wrangler dev has only the config's.
  if (!config.main.empty())
    for (const auto& q : store.list_queues()) {
      auto existing = store.consumer_of(q.key);
      if (!existing || existing->type != ConsumerType::Worker || existing->script != script) continue;
      auto names_it = [&](const config::ConsumerConfig& c) { return c.queue == q.name; };
      if (std::any_of(config.consumers.begin(), config.consumers.end(), names_it)) continue;
      store.remove_consumer(existing->id);
      changes.push_back("Removed Worker " + script + "'s consumer of '" + q.name +
                        "': its config no longer names that queue (the queue and its messages stay)");
    }
  for (const auto& declared : config.r2_rules) {
    if (auto line = apply_r2_rule(declared, store)) changes.push_back(*line);
  }
  return changes;
}

std::vector<Producer> producers_of(const config::Config& config, const std::string& queue) {
  std::vector<Producer> out;
  for (const auto& p : config.producers)
    if (p.queue == queue) out.push_back(Producer{p.binding, config.worker_name, ""});
  return out;
}

std::vector<std::string> unconsumed_producer_warnings(const std::vector<config::Config>& configs, Store& store) {
  std::vector<std::string> consumed;
  for (const auto& c : configs)
    for (const auto& consumer : c.consumers) consumed.push_back(consumer.queue);
  for (const auto& queue : store.list_consumed_queues()) consumed.push_back(queue.name);
  std::vector<std::string> warnings, warned;
  // One warning per queue: `sender` says what sends to it, `otherwise` ends it when no consumed
  // queue has a name close enough to suggest.
  auto warn = [&](const std::string& queue, const std::string& sender, const std::string& otherwise) {
    if (std::find(consumed.begin(), consumed.end(), queue) != consumed.end()) return;
    if (std::find(warned.begin(), warned.end(), queue) != warned.end()) return;
    warned.push_back(queue);
    std::string line = "warning: nothing consumes queue '" + queue + "', which " + sender;
    if (auto meant = nearest_name(queue, consumed)) line += "; did you mean '" + *meant + "'?";
    else line += otherwise;
    warnings.push_back(line);
  };
  for (const auto& c : configs)
    for (const auto& p : c.producers)
      warn(p.queue, (c.main.empty() ? "the config" : "Worker " + c.script_name()) + " sends to (binding " + p.binding + ")",
           ": its messages wait until a consumer reads them (a consumer in another project's config reads them only "
           "from this state file: run both in one dev, flareq dev -c " + c.path.filename().string() +
               " -c ../consumer/wrangler.jsonc)");
  for (const auto& c : configs)
    for (const auto& r : c.r2_rules)
      warn(r.queue, "the event notifications of R2 bucket " + r.bucket + " send to",
           ": they wait until a consumer (a Worker's queue(), or an HTTP pull consumer) reads them");
  return warnings;
}

std::vector<std::string> unfed_consumer_notes(const std::vector<config::Config>& configs, Store& store) {
  std::set<std::string> fed = queues_sent_to(configs);
  std::vector<std::string> notes;
  for (const auto& c : configs) {
    if (c.main.empty()) continue;
    for (const auto& consumer : c.consumers) {
      if (fed.count(consumer.queue)) continue;
      if (!store.r2_rules_of_queue(store.queue(consumer.queue).key).empty()) continue;
      fed.insert(consumer.queue);  // one note per queue
      notes.push_back("note: no Worker in this dev sends to queue '" + consumer.queue + "', which Worker " +
                      c.script_name() + " consumes: its messages come from the API or the CLI (flareq send " +
                      consumer.queue + " '{\"hello\":1}'), or from a producer in another project's config once both " +
                      "run in one dev (flareq dev -c " + c.path.filename().string() + " -c ../producer/wrangler.jsonc)");
    }
  }
  return notes;
}

std::vector<std::string> stranded_queue_notes(const std::vector<config::Config>& configs, Store& store) {
  if (configs.empty()) return {};  // the API alone: what it sends to is for clients to read
  std::set<std::string> named = queues_sent_to(configs);
  for (const auto& c : configs)
    for (const auto& consumer : c.consumers) named.insert(consumer.queue);
  std::vector<Queue> queues = store.list_queues();
  for (const auto& queue : queues)
    if (auto consumer = store.consumer_of(queue.key)) {
      named.insert(queue.name);
      if (!consumer->settings.dead_letter_queue.empty()) named.insert(consumer->settings.dead_letter_queue);
    }
  std::vector<std::string> notes;
  for (const auto& queue : queues) {
    if (named.count(queue.name)) continue;
    int64_t held = store.backlog(queue.key).count;
    if (held == 0) continue;
    notes.push_back("note: queue '" + queue.name + "' holds " + std::to_string(held) + " message(s), but nothing in this dev " +
                    "sends to it or reads it (no config names it): flareq messages list " + queue.name +
                    " shows them, flareq dlq replay " + queue.name + " --to QUEUE moves them to a queue that is read, " +
                    "flareq queues delete " + queue.name + " --force drops them");
  }
  return notes;
}

}  // namespace flareq::project
