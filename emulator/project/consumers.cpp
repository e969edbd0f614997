// Choosing and registering dev's consumers from the config and the flags.
#include "emulator/project/consumers.h"

#include "emulator/core/error.h"
#include "emulator/project/worker_host.h"

namespace flareq::project {

std::string worker_consumer(const config::Config& config, const config::ConsumerConfig& consumer) {
  return consumer.type == "worker" && consumer.command.empty() && !config.main.empty() ? config.script_name() : "";
}

std::map<std::string, handler::HandlerSpec> choose_handlers(const std::vector<config::Config>& configs, Store& store,
                                                            const ConsumerChoices& choices) {
  for (const auto& name : choices.pull_queues) {
    Queue q = store.ensure_queue(name);
    auto consumer = store.consumer_of(q.key);
    if (consumer && consumer->type == ConsumerType::Worker)
      throw UsageError("queue '" + name + "' has a worker consumer; a queue has one consumer at a time");
    if (!consumer) store.add_consumer(q, ConsumerType::HttpPull, "", ConsumerSettings::defaults_for(ConsumerType::HttpPull));
  }
  std::map<std::string, handler::HandlerSpec> handlers;
  std::map<std::string, std::string> consumed_in;  // queue → the config that consumes it
  for (const auto& config : configs)
    for (const auto& c : config.consumers) {
      if (c.type != "worker") continue;
      auto [seen, fresh] = consumed_in.emplace(c.queue, config.path.string());
      if (!fresh)
        throw UsageError("queue '" + c.queue + "' has a consumer in both " + seen->second + " and " + config.path.string() +
                         "; a queue has one consumer");
      if (!c.command.empty())
        handlers[c.queue] = {c.queue, c.command, c.mode, std::filesystem::absolute(config.path).parent_path(), {},
                             choices.handler_timeout_ms, ""};
      else if (std::string worker = worker_consumer(config, c); !worker.empty() && choices.run_worker)
        handlers[c.queue] = {c.queue, {}, config::HandlerMode::Persistent, {}, {}, choices.handler_timeout_ms, worker};
    }
  for (const auto& flag : choices.handlers) {
    size_t eq = flag.value.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == flag.value.size())
      throw UsageError(flag.flag + " takes QUEUE=COMMAND, got '" + flag.value + "'");
    std::string queue = flag.value.substr(0, eq);
    Queue q = store.ensure_queue(queue);
    auto consumer = store.consumer_of(q.key);
    if (consumer && consumer->type == ConsumerType::HttpPull)
      throw UsageError("queue '" + queue + "' has an HTTP pull consumer; remove it before running a handler for it");
    if (!consumer) store.add_consumer(q, ConsumerType::Worker, "flareq-dev", ConsumerSettings::defaults_for(ConsumerType::Worker));
    config::HandlerCommand command;
    command.shell = flag.value.substr(eq + 1);
    handlers[queue] = {queue, command, flag.mode, choices.flags_cwd, {}, choices.handler_timeout_ms, ""};
  }
  return handlers;
}

}  // namespace flareq::project
