// `flareq messages list|show|delete`: a peek at what a queue holds, in delivery order (it
// never leases or changes a message), one message whole, or one message deleted.
#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "emulator/http/api_objects.h"
#include "emulator/core/encoding.h"
#include "emulator/core/error.h"

namespace flareq::cli {
namespace {

struct MessagesOptions {
  std::string queue;
  int64_t limit = 20;
  std::string state;
  bool json_output = false;
};

std::string body_preview(const StoredMessage& m) {
  if (m.content_type == ContentType::Bytes || m.content_type == ContentType::V8)
    return "<" + std::to_string(m.body.size()) + " bytes>";
  return preview(m.body, 60);
}

// The first line of what a message's last failed delivery threw ("queue() threw Error: …").
std::string error_preview(const StoredMessage& m) { return preview(m.last_error.substr(0, m.last_error.find('\n')), 50); }

void run_list(const GlobalOptions& g, const MessagesOptions& o) {
  auto ctx = open_context(g, Open::Read);
  Queue q = ctx->store->queue(o.queue);
  std::optional<MessageState> state;
  if (!o.state.empty()) state = parse_message_state(o.state);
  auto messages = ctx->store->peek(q.key, o.limit, state);
  int64_t now = ctx->clock.now_ms();
  if (o.json_output) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& m : messages) out.push_back(api::message_json(m, now));
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (messages.empty()) {
    std::cout << "Queue '" << q.name << "' holds no " << (o.state.empty() ? "" : o.state + " ") << "messages\n";
    return;
  }
  // In a dead letter queue: where each message failed, and how often. Where deliveries failed
  // (there, or in a queue retrying them): the first line of what each threw.
  bool dead_lettered = std::any_of(messages.begin(), messages.end(), [](const auto& m) { return !m.origin_queue.empty(); });
  bool failed = std::any_of(messages.begin(), messages.end(), [](const auto& m) { return !m.last_error.empty(); });
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : messages) {
    MessageState s = m.state_at(now);
    std::string visible = s == MessageState::Ready ? "now" : "in " + human_duration_ms(m.visible_ms - now);
    rows.push_back({m.id, message_state_name(s), std::to_string(m.attempts), iso8601(m.enqueued_ms), visible,
                    content_type_name(m.content_type), body_preview(m)});
    if (failed) rows.back().insert(rows.back().begin() + 3, error_preview(m));
    if (dead_lettered)
      rows.back().insert(rows.back().begin() + 3, m.origin_queue.empty() ? "" :
                         m.origin_queue + (m.origin_attempts > 0 ? " (" + std::to_string(m.origin_attempts) +
                                                             (m.origin_attempts == 1 ? " attempt)" : " attempts)") : ""));
  }
  std::vector<std::string> header = {"ID", "STATE", "ATTEMPTS", "ENQUEUED", "VISIBLE", "TYPE", "BODY"};
  if (failed) header.insert(header.begin() + 3, "LAST ERROR");
  if (dead_lettered) header.insert(header.begin() + 3, "CAME FROM");
  print_table(header, rows);
  if (static_cast<int64_t>(messages.size()) == o.limit && q.message_count > o.limit)
    std::cout << "(" << messages.size() << " of " << q.message_count << " messages; use --limit to see more)\n";
  if (dead_lettered)
    std::cout << "(`flareq messages show ID` prints one whole, its last error included; `flareq dlq replay " << q.name
              << "` sends them back to the queue each failed in)\n";
}

void run_show(const GlobalOptions& g, const std::string& id, bool json_output) {
  auto ctx = open_context(g, Open::Read);
  auto found = ctx->store->find_message(id);
  if (!found) throw not_found(code::kNotFound, "no message with id '" + id + "'");
  const auto& [q, m] = *found;
  int64_t now = ctx->clock.now_ms();
  if (json_output) {
    nlohmann::ordered_json j = api::message_json(m, now);
    j["queue"] = q.name;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "Message:     " << m.id << "\n"
            << "Queue:       " << q.name << "\n"
            << "State:       " << message_state_name(m.state_at(now)) << "\n"
            << "Attempts:    " << m.attempts << "\n"
            << "Timestamp:   " << iso8601(m.enqueued_ms) << "\n"
            << "Visible at:  " << iso8601(m.visible_ms) << "\n";
  if (!m.origin_queue.empty())
    std::cout << "Came from:   " << m.origin_queue << " (dead-lettered"
              << (m.origin_attempts > 0
                      ? " after " + std::to_string(m.origin_attempts) + (m.origin_attempts == 1 ? " attempt" : " attempts")
                      : "")
              << ")\n";
  if (!m.last_error.empty()) {
    std::string indented = m.last_error;
    for (size_t at = indented.find('\n'); at != std::string::npos; at = indented.find('\n', at + 14))
      indented.replace(at, 1, "\n             ");
    std::cout << "Last error:  " << indented << "\n";
  }
  std::cout << "Type:        " << content_type_name(m.content_type) << ", " << m.size << " bytes\n"
            << "Body:\n";
  if (m.content_type == ContentType::Json) std::cout << body_json(m.content_type, m.body).dump(2) << "\n";
  else if (m.content_type == ContentType::Text) std::cout << printable(m.body, /*keep_lines=*/true) << "\n";
  else std::cout << base64_encode(m.body) << "  (base64)\n";
}

void run_delete(const GlobalOptions& g, const std::string& id) {
  auto ctx = open_context(g);
  auto found = ctx->store->find_message(id);
  if (!found || !ctx->store->delete_message(found->first.key, found->second.seq))
    throw not_found(code::kNotFound, "no message with id '" + id + "'");
  std::cout << "Deleted message " << id << " from queue '" << found->first.name << "'\n";
}

}  // namespace

void setup_messages(CLI::App& app, GlobalOptions& g) {
  auto* messages = app.add_subcommand("messages", "Look at the messages a queue holds");
  messages->require_subcommand(1);
  auto o = std::make_shared<MessagesOptions>();
  auto* list = messages->add_subcommand("list", "List messages in delivery order without leasing them");
  list->add_option("queue", o->queue, "queue name or id")->required();
  list->add_option("--limit", o->limit, "most messages to show")->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  list->add_option("--only", o->state, "only ready, delayed or leased messages")
      ->check(CLI::IsMember({"ready", "delayed", "leased"}));
  list->add_flag("--json", o->json_output, "print JSON");
  list->callback([&g, o] { run_list(g, *o); });

  auto id = std::make_shared<std::string>();
  auto* show = messages->add_subcommand("show", "Print one message whole: body decoded, attempts, times, origin");
  show->add_option("id", *id, "message id")->required();
  show->add_flag("--json", o->json_output, "print JSON");
  show->callback([&g, o, id] { run_show(g, *id, o->json_output); });
  auto* del = messages->add_subcommand("delete", "Delete one message");
  del->add_option("id", *id, "message id")->required();
  del->callback([&g, id] { run_delete(g, *id); });
}

}  // namespace flareq::cli
