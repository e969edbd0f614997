// `flareq queues consumer add|remove` (Worker consumers) and `queues consumer http
// add|remove` (HTTP pull consumers), with wrangler's flags.
#include <cmath>
#include <iostream>

#include "cli/checks.h"
#include "cli/commands.h"
#include "emulator/core/error.h"

namespace flareq::cli {
namespace {

struct ConsumerOptions {
  std::string queue;
  std::string script;
  std::optional<int> batch_size;
  std::optional<double> batch_timeout;
  std::optional<int> retries;
  std::string dead_letter_queue;
  std::optional<int> max_concurrency;
  std::optional<int64_t> retry_delay;
  std::optional<int64_t> visibility_timeout_secs;
};

void add_common_flags(CLI::App* cmd, ConsumerOptions& o) {
  cmd->add_option("--batch-size", o.batch_size, "most messages in one batch")->check(CLI::Range(1, limits::kMaxBatchSize));
  cmd->add_option("--message-retries", o.retries, "deliveries after the first before a message is dead-lettered")
      ->check(CLI::Range(0, limits::kMaxRetries));
  cmd->add_option("--dead-letter-queue", o.dead_letter_queue, "queue for messages that exhaust their retries");
  cmd->add_option("--retry-delay-secs", o.retry_delay, "default delay before a retried message is redelivered")
      ->check(CLI::Range(int64_t{0}, limits::kMaxRetryDelaySecs));
}

void add(const GlobalOptions& g, const ConsumerOptions& o, ConsumerType type) {
  auto ctx = open_context(g);
  Queue q = ctx->store->queue(o.queue);
  ConsumerSettings s = ConsumerSettings::defaults_for(type);
  if (o.batch_size) s.batch_size = *o.batch_size;
  if (o.batch_timeout) s.max_wait_time_ms = std::llround(*o.batch_timeout * 1000);
  if (o.retries) s.max_retries = *o.retries;
  s.dead_letter_queue = o.dead_letter_queue;
  s.max_concurrency = o.max_concurrency;
  if (o.retry_delay) s.retry_delay = *o.retry_delay;
  if (o.visibility_timeout_secs) s.visibility_timeout_ms = *o.visibility_timeout_secs * 1000;
  ctx->store->add_consumer(q, type, o.script, s);
  std::cout << "Added " << (type == ConsumerType::HttpPull ? "HTTP pull consumer" : "consumer") << " to queue '"
            << q.name << "'\n";
}

void remove(const GlobalOptions& g, const ConsumerOptions& o, ConsumerType type) {
  auto ctx = open_context(g);
  Queue q = ctx->store->queue(o.queue);
  auto c = ctx->store->consumer_of(q.key);
  bool matches = c && c->type == type && (type == ConsumerType::HttpPull || c->script == o.script);
  if (!matches) {
    std::string what = type == ConsumerType::HttpPull ? "HTTP pull consumer" : "consumer for script '" + o.script + "'";
    throw not_found(code::kNotFound, "queue '" + q.name + "' has no " + what);
  }
  ctx->store->remove_consumer(c->id);
  std::cout << "Removed " << (type == ConsumerType::HttpPull ? "HTTP pull consumer" : "consumer") << " from queue '"
            << q.name << "'\n";
}

}  // namespace

void setup_queue_consumers(CLI::App& queues, GlobalOptions& g) {
  auto* consumer = queues.add_subcommand("consumer", "Add or remove a queue's consumer");
  consumer->require_subcommand(1);
  auto o = std::make_shared<ConsumerOptions>();

  auto* add_cmd = consumer->add_subcommand("add", "Add a Worker consumer to a queue");
  add_cmd->add_option("queue", o->queue, "queue name or id")->required();
  add_cmd->add_option("script", o->script, "name of the consumer Worker")->required();
  add_common_flags(add_cmd, *o);
  add_cmd->add_option("--batch-timeout", o->batch_timeout, "seconds to wait for a full batch")
      ->check(between(0, limits::kMaxBatchTimeoutSecs));
  add_cmd->add_option("--max-concurrency", o->max_concurrency, "most batches in flight at once (default: auto)")
      ->check(CLI::Range(1, limits::kMaxConcurrency));
  add_cmd->callback([&g, o] { add(g, *o, ConsumerType::Worker); });

  auto* remove_cmd = consumer->add_subcommand("remove", "Remove a Worker consumer from a queue");
  remove_cmd->add_option("queue", o->queue, "queue name or id")->required();
  remove_cmd->add_option("script", o->script, "name of the consumer Worker")->required();
  remove_cmd->callback([&g, o] { remove(g, *o, ConsumerType::Worker); });

  auto* http = consumer->add_subcommand("http", "Add or remove an HTTP pull consumer");
  http->require_subcommand(1);
  auto* http_add = http->add_subcommand("add", "Add an HTTP pull consumer to a queue");
  http_add->add_option("queue", o->queue, "queue name or id")->required();
  add_common_flags(http_add, *o);
  http_add->add_option("--visibility-timeout-secs", o->visibility_timeout_secs, "how long a pulled message stays leased")
      ->check(CLI::Range(int64_t{1}, limits::kMaxVisibilityTimeoutMs / 1000));
  http_add->callback([&g, o] { add(g, *o, ConsumerType::HttpPull); });

  auto* http_remove = http->add_subcommand("remove", "Remove the HTTP pull consumer of a queue");
  http_remove->add_option("queue", o->queue, "queue name or id")->required();
  http_remove->callback([&g, o] { remove(g, *o, ConsumerType::HttpPull); });
}

}  // namespace flareq::cli
