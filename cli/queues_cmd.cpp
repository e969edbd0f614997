// `flareq queues …`: create, update, delete, list, info, purge, pause/resume delivery and
// the consumer subcommands, with wrangler's names, flags and messages (wrangler 4.86's `queues` commands).
#include <cctype>
#include <iostream>

#include "cli/checks.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/http/api_objects.h"

namespace flareq::cli {
namespace {

using nlohmann::json;

// What sends to the queue: the config's Worker bindings and the buckets whose R2 rules name it.
std::vector<Producer> producers(const Context& ctx, const Queue& q) {
  std::vector<Producer> all = ctx.producers_of(q.name);
  for (auto& p : ctx.store->r2_producers(q.key)) all.push_back(std::move(p));
  return all;
}

struct QueueOptions {
  std::string name;
  std::optional<int64_t> delivery_delay;
  std::optional<int64_t> retention;
  bool force = false;
  bool json_output = false;
};

std::string binding_name(const std::string& queue) {
  std::string b;
  for (char c : queue) b += c == '-' ? '_' : c;
  return b;
}

void print_snippets(const std::string& queue) {
  using ordered = nlohmann::ordered_json;
  ordered producer = {{"queues", {{"producers", {{{"queue", queue}, {"binding", binding_name(queue)}}}}}}};
  ordered consumer = {{"queues", {{"consumers", {{{"queue", queue}}}}}}};
  std::cout << "\nConfigure your Worker to send messages to this queue:\n\n"
            << producer.dump(2) << "\n\nConfigure your Worker to consume messages from this queue:\n\n"
            << consumer.dump(2) << "\n";
}

void add_settings_flags(CLI::App* cmd, QueueOptions& o) {
  cmd->add_option("--delivery-delay-secs", o.delivery_delay, "delay every message by this many seconds")
      ->check(CLI::Range(int64_t{0}, limits::kMaxDelaySecs));
  cmd->add_option("--message-retention-period-secs", o.retention, "delete messages older than this")
      ->check(CLI::Range(limits::kMinRetentionSecs, limits::kMaxRetentionSecs));
}

void run_info(const GlobalOptions& g, const QueueOptions& o) {
  auto ctx = open_context(g, Open::Read);
  Queue q = ctx->store->queue(o.name);
  auto consumer = ctx->store->consumer_of(q.key);
  Backlog b = ctx->store->backlog(q.key);
  int64_t now = ctx->clock.now_ms();
  if (o.json_output) {
    json out = api::queue_json(q, producers(*ctx, q), consumer);
    out["backlog"] = {{"ready", b.ready}, {"delayed", b.delayed}, {"leased", b.leased},
                      {"count", b.count}, {"bytes", b.bytes},
                      {"oldest_message_timestamp_ms", b.oldest_enqueued_ms.value_or(0)}};
    out["counters"] = api::counters_json(q.counters);
    std::cout << out.dump(2) << "\n";
    return;
  }
  const auto& s = q.settings;
  std::cout << "Queue:       " << q.name << " (" << q.id << ")\n"
            << "Created:     " << iso8601(q.created_ms) << "\n"
            << "Modified:    " << iso8601(q.modified_ms) << "\n"
            << "Settings:    delivery_delay " << s.delivery_delay << "s · retention "
            << s.retention_secs << "s · delivery " << (s.delivery_paused ? "paused" : "active") << "\n"
            << "Messages:    " << b.count << " (" << backlog_line(b) << "), " << human_bytes(b.bytes);
  if (b.oldest_enqueued_ms) std::cout << ", oldest " << human_duration_ms(now - *b.oldest_enqueued_ms) << " old";
  std::cout << "\n";
  const auto& c = q.counters;
  std::cout << "Counters:    received " << c.received << " · delivered " << c.delivered << " · acked " << c.acked
            << " · retried " << c.retried << " · dead-lettered " << c.dead_lettered << " · expired "
            << c.expired << " · replayed " << c.replayed << "\n";
  if (c.injected.total() > 0)
    std::cout << "Injected:    failures " << c.injected.failures << " · handler crashes " << c.injected.crashes
              << " · held back " << c.injected.latency << " · pushes refused " << c.injected.push_errors
              << "  (flareq faults)\n";
  auto all = producers(*ctx, q);
  std::cout << "Producers:   " << all.size();
  for (const auto& p : all)
    std::cout << (&p == &all.front() ? " (" : ", ") << (p.bucket.empty() ? p.binding : "r2 bucket " + p.bucket);
  std::cout << (all.empty() ? "" : ")") << "\n";
  for (const auto& rule : ctx->store->r2_rules_of_queue(q.key))
    std::cout << "R2 rule:     " << r2_rule_line(rule) << "\n";
  if (!consumer) {
    std::cout << "Consumer:    none (messages are kept until they expire)\n";
    return;
  }
  const auto& cs = consumer->settings;
  std::cout << "Consumer:    " << consumer_type_name(consumer->type);
  if (consumer->type == ConsumerType::Worker) {
    std::cout << " " << consumer->script << " · batch " << cs.batch_size << " · timeout "
              << cs.max_wait_time_ms / 1000.0 << "s · concurrency "
              << (cs.max_concurrency ? std::to_string(*cs.max_concurrency) : std::string("auto"));
  } else {
    std::cout << " · batch " << cs.batch_size << " · visibility timeout " << cs.visibility_timeout_ms << "ms";
  }
  std::cout << " · retries " << cs.max_retries << " · retry_delay " << cs.retry_delay << "s · dlq "
            << (cs.dead_letter_queue.empty() ? "none" : cs.dead_letter_queue) << "\n";
}

void run_list(const GlobalOptions& g, bool json_output, std::optional<int> page) {
  auto ctx = open_context(g, Open::Read);
  auto queues = ctx->store->list_queues();
  constexpr size_t kPerPage = 100;
  if (page) {
    size_t start = (static_cast<size_t>(*page) - 1) * kPerPage;
    queues.erase(queues.begin(), queues.begin() + std::min(start, queues.size()));
    if (queues.size() > kPerPage) queues.resize(kPerPage);
  }
  if (json_output) {
    json out = json::array();
    for (const auto& q : queues) out.push_back(api::queue_json(q, producers(*ctx, q), ctx->store->consumer_of(q.key)));
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& q : queues) {
    rows.push_back({q.id, q.name, iso8601(q.created_ms), iso8601(q.modified_ms),
                    std::to_string(producers(*ctx, q).size()),
                    ctx->store->consumer_of(q.key) ? "1" : "0", std::to_string(q.message_count)});
  }
  if (rows.empty()) {
    std::cout << "No queues yet" << state_file_note() << ". Create one with: flareq queues create NAME\n";
    return;
  }
  print_table({"ID", "NAME", "CREATED", "MODIFIED", "PRODUCERS", "CONSUMERS", "MESSAGES"}, rows);
}

void run_delete(const GlobalOptions& g, const QueueOptions& o) {
  auto ctx = open_context(g);
  Queue q = ctx->store->queue(o.name);
  if (q.message_count > 0 && !o.force &&
      !confirm("Queue '" + q.name + "' holds " + std::to_string(q.message_count) +
               " messages, which will be lost. Delete it?"))
    throw UsageError("queue '" + q.name + "' holds " + std::to_string(q.message_count) +
                            " messages; pass --force to delete it and lose them");
  int64_t lost = ctx->store->delete_queue(q.key);
  std::cout << "Deleted queue '" << q.name << "'";
  if (lost > 0) std::cout << " and its " << lost << " messages";
  std::cout << "\n";
}

void run_purge(const GlobalOptions& g, const QueueOptions& o) {
  auto ctx = open_context(g);
  Queue q = ctx->store->queue(o.name);
  if (!o.force && !confirm("This will permanently delete all " + std::to_string(q.message_count) +
                           " messages in queue '" + q.name + "'. Continue?"))
    throw UsageError("purging needs confirmation; pass --force to purge queue '" + q.name + "'");
  int64_t n = ctx->store->purge_queue(q.key);
  std::cout << "Purged queue '" << q.name << "' (" << n << " messages deleted)\n";
}

void set_paused(const GlobalOptions& g, const std::string& name, bool paused) {
  auto ctx = open_context(g);
  Queue q = ctx->store->queue(name);
  QueueSettings s = q.settings;
  s.delivery_paused = paused;
  ctx->store->update_queue(q.key, s);
  std::cout << (paused ? "Paused" : "Resumed") << " message delivery for queue '" << q.name << "'\n";
}

}  // namespace

void setup_queues(CLI::App& app, GlobalOptions& g) {
  auto* queues = app.add_subcommand("queues", "Manage queues and their consumers");
  queues->require_subcommand(1);
  auto o = std::make_shared<QueueOptions>();

  auto* create = queues->add_subcommand("create", "Create a queue");
  create->add_option("name", o->name, "queue name")->required();
  add_settings_flags(create, *o);
  create->callback([&g, o] {
    auto ctx = open_context(g);
    QueueSettings s;
    s.delivery_delay = o->delivery_delay.value_or(0);
    s.retention_secs = o->retention.value_or(limits::kDefaultRetentionSecs);
    ctx->store->create_queue(o->name, s);
    std::cout << "Created queue '" << o->name << "'\n";
    print_snippets(o->name);
  });

  auto* update = queues->add_subcommand("update", "Change a queue's delivery delay or retention");
  update->add_option("name", o->name, "queue name or id")->required();
  add_settings_flags(update, *o);
  update->callback([&g, o] {
    auto ctx = open_context(g);
    Queue q = ctx->store->queue(o->name);
    QueueSettings s = q.settings;
    if (o->delivery_delay) s.delivery_delay = *o->delivery_delay;
    if (o->retention) s.retention_secs = *o->retention;
    ctx->store->update_queue(q.key, s);
    std::cout << "Updated queue '" << q.name << "'\n";
  });

  auto* del = queues->add_subcommand("delete", "Delete a queue (and, with --force, the messages it holds)");
  del->add_option("name", o->name, "queue name or id")->required();
  del->add_flag("--force", o->force, "delete even if the queue holds messages");
  del->callback([&g, o] { run_delete(g, *o); });

  auto list_page = std::make_shared<std::optional<int>>();
  auto* list = queues->add_subcommand("list", "List queues");
  list->add_option("--page", *list_page, "page of 100 queues")->check(at_least(1));
  list->add_flag("--json", o->json_output, "print JSON");
  list->callback([&g, o, list_page] { run_list(g, o->json_output, *list_page); });

  auto* info = queues->add_subcommand("info", "Show a queue's settings, consumer, backlog and counters");
  info->add_option("name", o->name, "queue name or id")->required();
  info->add_flag("--json", o->json_output, "print JSON");
  info->callback([&g, o] { run_info(g, *o); });

  auto* purge = queues->add_subcommand("purge", "Delete every message in a queue");
  purge->add_option("name", o->name, "queue name or id")->required();
  purge->add_flag("--force", o->force, "do not ask for confirmation");
  purge->callback([&g, o] { run_purge(g, *o); });

  auto* pause = queues->add_subcommand("pause-delivery", "Stop delivering messages (sending still works)");
  pause->add_option("name", o->name, "queue name or id")->required();
  pause->callback([&g, o] { set_paused(g, o->name, true); });

  auto* resume = queues->add_subcommand("resume-delivery", "Resume delivering messages");
  resume->add_option("name", o->name, "queue name or id")->required();
  resume->callback([&g, o] { set_paused(g, o->name, false); });

  setup_queue_consumers(*queues, g);
}

}  // namespace flareq::cli
