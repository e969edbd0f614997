// `flareq r2 bucket notification create|list|delete`: R2 event notification rules, with
// wrangler's flags and words, written to the state file (docs/semantics.md, "R2 event
// notifications"). A running dev applies them to the next write at once.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "emulator/core/encoding.h"
#include "emulator/core/error.h"

namespace flareq::cli {
namespace {

struct NotificationOptions {
  std::string bucket;
  std::vector<std::string> event_types;
  std::string queue;
  std::string prefix;
  std::string suffix;
  std::string description;
  std::string rule;
  std::string jurisdiction;
};

void check_jurisdiction(const NotificationOptions& o) {
  if (!o.jurisdiction.empty() && o.jurisdiction != "default")
    throw bad_request(code::kInvalidNotificationRule,
                      "event notifications are not available for buckets with a jurisdiction (" + o.jurisdiction + ")");
}

void create(const GlobalOptions& g, const NotificationOptions& o) {
  check_jurisdiction(o);
  auto ctx = open_context(g);
  Queue q = ctx->store->queue(o.queue);
  r2::Rule rule;
  rule.prefix = o.prefix;
  rule.suffix = o.suffix;
  rule.description = o.description;
  std::string what;
  for (const auto& type : o.event_types) {
    std::vector<std::string> actions = r2::actions_for(type).value_or(std::vector<std::string>{});
    rule.actions.insert(rule.actions.end(), actions.begin(), actions.end());
    what += std::string(what.empty() ? "" : " and ") + (type == "object-create" ? "creation" : "deletion");
  }
  std::string actions;
  for (const auto& a : rule.actions) actions += (actions.empty() ? "" : ",") + a;
  std::cout << "Creating event notification rule for object " << what << " (" << actions << ")\n";
  r2::Rule added = ctx->store->add_r2_rules(o.bucket, q, {rule}).front();
  std::cout << "Event notification rule created successfully! (rule " << added.id << ")\n";
}

void list(const GlobalOptions& g, const NotificationOptions& o, bool json_output) {
  check_jurisdiction(o);
  if (auto problem = r2::bucket_name_problem(o.bucket)) throw bad_request(code::kInvalidNotificationRule, *problem);
  auto ctx = open_context(g, Open::Read);
  auto rules = ctx->store->r2_rules(o.bucket);
  if (json_output) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rules)
      out.push_back({{"rule_id", r.id}, {"created_at", iso8601(r.created_ms)}, {"queue_name", r.queue},
                     {"prefix", r.prefix}, {"suffix", r.suffix}, {"actions", r.actions}, {"description", r.description}});
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "Fetching notification rules for bucket " << o.bucket << "...\n";
  if (rules.empty()) {
    std::cout << "No event notification rules for bucket " << o.bucket
              << ". Add one with: flareq r2 bucket notification create " << o.bucket
              << " --event-type object-create --queue QUEUE\n";
    return;
  }
  for (const auto& r : rules) {
    std::string actions;
    for (const auto& a : r.actions) actions += (actions.empty() ? "" : ",") + a;
    std::vector<std::pair<std::string, std::string>> view = {
        {"rule_id", r.id},
        {"created_at", iso8601(r.created_ms)},
        {"queue_name", r.queue},
        {"prefix", r.prefix.empty() ? "(all prefixes)" : r.prefix},
        {"suffix", r.suffix.empty() ? "(all suffixes)" : r.suffix},
        {"event_type", actions}};
    if (!r.description.empty()) view.push_back({"description", r.description});
    if (&r != &rules.front()) std::cout << "\n";
    std::cout << labelled_values(view);
  }
}

void remove(const GlobalOptions& g, const NotificationOptions& o) {
  check_jurisdiction(o);
  if (auto problem = r2::bucket_name_problem(o.bucket)) throw bad_request(code::kInvalidNotificationRule, *problem);
  auto ctx = open_context(g);
  Queue q = ctx->store->queue(o.queue);
  if (o.rule.empty()) std::cout << "Deleting event notification rules associated with queue " << q.name << "...\n";
  else std::cout << "Deleting event notifications rule \"" << o.rule << "\"...\n";
  std::vector<std::string> ids;
  if (!o.rule.empty()) ids.push_back(o.rule);
  if (ctx->store->delete_r2_rules(o.bucket, q.key, ids) == 0)
    throw not_found(code::kNotFound, o.rule.empty() ? "bucket " + o.bucket + " has no event notification rules for queue " + q.name
                                                    : "bucket " + o.bucket + " has no rule " + o.rule + " for queue " + q.name);
  std::cout << "Event notification rule deleted successfully!\n";
}

}  // namespace

void setup_r2(CLI::App& app, GlobalOptions& g) {
  auto* r2 = app.add_subcommand("r2", "R2 event notifications: rules that turn writes to a bucket into queue messages");
  r2->require_subcommand(1);
  auto* bucket = r2->add_subcommand("bucket", "Manage R2 buckets' event notification rules");
  bucket->require_subcommand(1);
  auto* notification = bucket->add_subcommand("notification", "Manage event notification rules for an R2 bucket");
  notification->require_subcommand(1);
  auto o = std::make_shared<NotificationOptions>();
  auto jurisdiction = [o](CLI::App* cmd) {
    cmd->add_option("-J,--jurisdiction", o->jurisdiction, "The jurisdiction where the bucket exists (none locally)");
  };

  auto* create_cmd = notification->add_subcommand("create", "Create an event notification rule for an R2 bucket");
  create_cmd->add_option("bucket", o->bucket, "The name of the R2 bucket to create an event notification rule for")
      ->required();
  create_cmd->add_option("--event-types,--event-type", o->event_types,
                         "The type of event(s) that will emit event notifications")
      ->required()
      ->check(CLI::IsMember({"object-create", "object-delete"}));
  create_cmd->add_option("--queue", o->queue, "The name of the queue that will receive event notification messages")
      ->required();
  create_cmd->add_option("--prefix", o->prefix,
                         "The prefix that an object must match to emit event notifications (literal, no patterns)");
  create_cmd->add_option("--suffix", o->suffix,
                         "The suffix that an object must match to emit event notifications (literal, no patterns)");
  create_cmd->add_option("--description", o->description,
                         "A description that can be used to identify the event notification rule after creation");
  jurisdiction(create_cmd);
  create_cmd->callback([&g, o] { create(g, *o); });

  auto json_output = std::make_shared<bool>(false);
  auto* list_cmd = notification->add_subcommand("list", "List event notification rules for an R2 bucket");
  list_cmd->alias("get");
  list_cmd->add_option("bucket", o->bucket, "The name of the R2 bucket to get event notification rules for")->required();
  list_cmd->add_flag("--json", *json_output, "print the rules as JSON");
  jurisdiction(list_cmd);
  list_cmd->callback([&g, o, json_output] { list(g, *o, *json_output); });

  auto* delete_cmd = notification->add_subcommand("delete", "Delete an event notification rule from an R2 bucket");
  delete_cmd->add_option("bucket", o->bucket, "The name of the R2 bucket to delete an event notification rule for")
      ->required();
  delete_cmd->add_option("--queue", o->queue,
                         "The name of the queue that corresponds to the event notification rule. If no rule is "
                         "provided, all event notification rules associated with the bucket and queue will be deleted")
      ->required();
  delete_cmd->add_option("--rule", o->rule, "The ID of the event notification rule to delete");
  jurisdiction(delete_cmd);
  delete_cmd->callback([&g, o] { remove(g, *o); });
}

}  // namespace flareq::cli
