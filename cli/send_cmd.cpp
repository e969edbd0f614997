// `flareq send QUEUE [BODY]`: one message from BODY or stdin, or with --ndjson one message
// per line of stdin, sent in batches within production's limits.
#include <unistd.h>

#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "emulator/core/error.h"
#include "emulator/core/intake.h"
#include "emulator/core/json_depth.h"

namespace flareq::cli {
namespace {

struct SendOptions {
  std::string queue;
  std::optional<std::string> body;
  std::string content_type = "json";
  std::optional<int64_t> delay;
  bool ndjson = false;
  bool quiet = false;
};

// A JSON body is stored on one line, as the API and the runtime send it: a handler reads each
// batch as one line.
OutgoingMessage make_message(const std::string& text, ContentType type, std::optional<int64_t> delay) {
  std::string body = text;
  if (type == ContentType::Json && json_depth_within(text)) {
    auto parsed = nlohmann::ordered_json::parse(text, nullptr, false);
    if (parsed.is_discarded())
      throw bad_request(code::kInvalidBody, "the body is not valid JSON (use --content-type text to send it as text)");
    body = parsed.dump();
  }
  return take_message(type, std::move(body), delay);
}

void run_send(const GlobalOptions& g, const SendOptions& o) {
  ContentType type = *parse_content_type(o.content_type);
  auto ctx = open_context(g);
  auto queue = ctx->store->find_queue(o.queue);
  if (!queue && ctx->config()) {
    auto names = ctx->config()->queue_names();
    if (std::find(names.begin(), names.end(), o.queue) != names.end()) queue = ctx->store->ensure_queue(o.queue);
  }
  if (!queue)
    throw not_found(code::kQueueNotFound, "queue '" + o.queue + "' does not exist (create it with: flareq queues create " + o.queue + ")");

  std::vector<OutgoingMessage> batch;
  size_t batch_bytes = 0;
  size_t sent = 0;
  auto flush = [&] {
    if (batch.empty()) return;
    for (const auto& s : ctx->store->send(*queue, batch).messages)
      if (!o.quiet) std::cout << s.id << "\n";
    sent += batch.size();
    batch.clear();
    batch_bytes = 0;
  };
  auto add = [&](OutgoingMessage m) {
    if (batch.size() == limits::kMaxBatchMessages || batch_bytes + m.body.size() > limits::kMaxBatchBytes) flush();
    batch_bytes += m.body.size();
    batch.push_back(std::move(m));
  };

  if (!o.body && isatty(STDIN_FILENO))  // a bare `flareq send q` would otherwise seem to hang
    std::cerr << (o.ndjson ? "Reading messages from standard input, one per line" : "Reading the message body from standard input")
              << " (end with Ctrl-D)\n";
  if (o.ndjson) {
    if (o.body) throw UsageError("--ndjson reads messages from stdin; do not pass BODY");
    std::string line;
    size_t line_no = 0;
    while (std::getline(std::cin, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      try {
        add(make_message(line, type, o.delay));
      } catch (const Error& e) {
        flush();
        throw Error(e.code(), e.http_status(), "line " + std::to_string(line_no) + ": " + e.what() + " (" +
                                                   std::to_string(sent) + " messages before it were sent)");
      }
    }
  } else {
    std::string text = o.body ? *o.body : std::string(std::istreambuf_iterator<char>(std::cin), {});
    if (!o.body && type != ContentType::Bytes && !text.empty() && text.back() == '\n') text.pop_back();
    if (text.empty() && type == ContentType::Json)
      throw bad_request(code::kInvalidBody, "no message body: give BODY or pipe it on standard input");
    add(make_message(text, type, o.delay));
  }
  flush();
  if (o.quiet || sent != 1) std::cerr << "Sent " << sent << " message" << (sent == 1 ? "" : "s") << " to queue '" << queue->name << "'\n";
}

}  // namespace

void setup_send(CLI::App& app, GlobalOptions& g) {
  auto o = std::make_shared<SendOptions>();
  auto* send = app.add_subcommand("send", "Send a message (BODY or stdin) to a queue; prints the new message ids");
  send->add_option("queue", o->queue, "queue name or id")->required();
  send->add_option("body", o->body, "message body (default: read stdin)");
  send->add_option("--content-type", o->content_type, "json (default), text or bytes")
      ->check(CLI::IsMember({"json", "text", "bytes"}));
  send->add_option("--delay-secs", o->delay, "deliver no earlier than this many seconds from now")
      ->check(CLI::Range(int64_t{0}, limits::kMaxDelaySecs));
  send->add_flag("--ndjson", o->ndjson, "one message per line of stdin, sent in batches of up to 100");
  send->add_flag("-q,--quiet", o->quiet, "print a count instead of the ids");
  send->callback([&g, o] { run_send(g, *o); });
}

}  // namespace flareq::cli
