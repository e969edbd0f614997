// The consumer lines of `flareq dev`'s start-up output.
#include "emulator/dev/consumer_report.h"

#include <algorithm>
#include <sstream>

namespace flareq::dev {
namespace {

std::string seconds(double s) {
  std::ostringstream os;
  os << s << "s";
  return os.str();
}

}  // namespace

std::string delivery_label(const std::map<std::string, handler::HandlerSpec>& handlers, const std::string& queue) {
  auto it = handlers.find(queue);
  if (it == handlers.end()) return "";
  const handler::HandlerSpec& spec = it->second;
  if (!spec.shared.empty()) return "worker " + spec.shared;
  std::string command = spec.command.shell;
  for (const auto& arg : spec.command.argv) command += (command.empty() ? "" : " ") + arg;
  return std::string(spec.mode == config::HandlerMode::Persistent ? "persistent handler " : "handler ") + command;
}

std::vector<std::string> describe_consumers(Store& store, const std::map<std::string, handler::HandlerSpec>& handlers,
                                           const std::map<std::string, std::string>& workers_not_run) {
  std::vector<std::string> lines;
  auto queues = store.list_queues();
  size_t width = 0;
  for (const auto& q : queues) width = std::max(width, q.name.size());
  for (const auto& q : queues) {
    auto consumer = store.consumer_of(q.key);
    if (!consumer) continue;
    std::string name = q.name + std::string(width - q.name.size(), ' ');
    const auto& s = consumer->settings;
    if (consumer->type == ConsumerType::HttpPull) {
      lines.push_back("  " + name + "  http_pull consumer: pull over HTTP (batch " + std::to_string(s.batch_size) +
                      " · visibility " + seconds(s.visibility_timeout_ms / 1000.0) + ")");
      continue;
    }
    auto handler = handlers.find(q.name);
    if (handler == handlers.end()) {
      auto worker = workers_not_run.find(q.name);
      if (worker != workers_not_run.end())
        lines.push_back("  " + name + "  worker " + worker->second + ", not run here (--no-worker): messages are kept");
      else
        lines.push_back("  " + name + "  no handler: messages are kept until one runs (set \"command\" or --consumer " +
                        q.name + "=COMMAND)");
      continue;
    }
    std::string who = handler->second.shared.empty() ? "" : "worker " + handler->second.shared + " · ";
    lines.push_back("  " + name + "  " + who + "batch " + std::to_string(s.batch_size) + " · timeout " +
                    seconds(s.max_wait_time_ms / 1000.0) + " · retries " + std::to_string(s.max_retries) +
                    " · retry_delay " + std::to_string(s.retry_delay) + "s · dlq " +
                    (s.dead_letter_queue.empty() ? "none" : s.dead_letter_queue) + " · concurrency " +
                    (s.max_concurrency ? std::to_string(*s.max_concurrency) : "auto") +
                    (q.settings.delivery_paused ? " · delivery paused" : ""));
  }
  return lines;
}

}  // namespace flareq::dev
