// `flareq r2 bucket notification create|list|delete`: R2 event notification rules, with
// wrangler's flags and words, written to the state file (docs/semantics.md, "R2 event
// notifications"); a running dev applies them to the next write at once. `flareq r2 object
// put|delete`: a write to a bucket through the running dev's Worker, notifications included.
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "cli/output.h"
#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/http/dev_address.h"

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

const std::string& checked_bucket(const std::string& bucket) {
  if (auto problem = r2::bucket_name_problem(bucket)) throw bad_request(code::kInvalidNotificationRule, *problem);
  return bucket;
}

void check_jurisdiction(const NotificationOptions& o) {
  if (auto problem = r2::jurisdiction_problem(o.jurisdiction)) throw bad_request(code::kInvalidNotificationRule, *problem);
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
  std::cout << "Creating event notification rule for object " << what << " (" << r2::joined(rule.actions) << ")\n";
  r2::Rule added = ctx->store->add_r2_rules(o.bucket, q, {rule}).front();
  std::cout << "Event notification rule created successfully! (rule " << added.id << ")\n";
}

void list(const GlobalOptions& g, const NotificationOptions& o, bool json_output) {
  check_jurisdiction(o);
  checked_bucket(o.bucket);
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
    std::vector<std::pair<std::string, std::string>> view = {
        {"rule_id", r.id},
        {"created_at", iso8601(r.created_ms)},
        {"queue_name", r.queue},
        {"prefix", r.prefix.empty() ? "(all prefixes)" : r.prefix},
        {"suffix", r.suffix.empty() ? "(all suffixes)" : r.suffix},
        {"event_type", r2::joined(r.actions)}};
    if (!r.description.empty()) view.push_back({"description", r.description});
    if (&r != &rules.front()) std::cout << "\n";
    std::cout << labelled_values(view);
  }
}

void remove(const GlobalOptions& g, const NotificationOptions& o) {
  check_jurisdiction(o);
  checked_bucket(o.bucket);
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

struct ObjectOptions {
  std::string path;  // BUCKET/KEY
  std::string file;
  bool pipe = false;
  std::string content_type;
};

std::pair<std::string, std::string> bucket_and_key(const std::string& path) {
  size_t slash = path.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == path.size())
    throw UsageError("name the object as BUCKET/KEY, got \"" + path + "\"");
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// Through the running dev: its Worker that binds the bucket makes the write (so it lands where
// that Worker reads, and the bucket's notifications follow).
nlohmann::json write_through_dev(const GlobalOptions& g, const std::string& method, const std::string& bucket,
                                 const std::string& key, const std::string& body, const std::string& content_type) {
  auto ctx = open_context(g, Open::Read);
  checked_bucket(bucket);
  Result<nlohmann::json> done = api::call_dev(ctx->state_path, method,
                                              "flareq/r2/buckets/" + bucket + "/objects?key=" + percent_encode(key),
                                              body, content_type);
  if (!done) throw UsageError(done.why());  // no dev, or its own sentence: not about this state file's contents
  return *done;
}

void put_object(const GlobalOptions& g, const ObjectOptions& o) {
  auto [bucket, key] = bucket_and_key(o.path);
  if (o.file.empty() == !o.pipe) throw UsageError("give the object's content with --file PATH or --pipe (stdin)");
  std::string body;
  if (o.pipe) {
    body.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) throw UsageError("cannot read " + o.file);
    body.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::cout << "Creating object \"" << key << "\" in bucket \"" << bucket << "\".\n";
  nlohmann::json object = write_through_dev(g, "PUT", bucket, key, body, o.content_type);
  std::cout << "Upload complete (" << object.value("size", 0) << " bytes, eTag " << object.value("etag", "") << ").\n";
}

void delete_object(const GlobalOptions& g, const ObjectOptions& o) {
  auto [bucket, key] = bucket_and_key(o.path);
  std::cout << "Deleting object \"" << key << "\" from bucket \"" << bucket << "\".\n";
  write_through_dev(g, "DELETE", bucket, key, "", "");
  std::cout << "Delete complete.\n";
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

  auto* object = r2->add_subcommand("object", "Write to a bucket that the running dev's Worker binds, as that Worker "
                                              "would: the bucket's event notifications follow");
  object->require_subcommand(1);
  auto w = std::make_shared<ObjectOptions>();
  auto* put_cmd = object->add_subcommand("put", "Create an object in an R2 bucket (through the running flareq dev)");
  put_cmd->add_option("objectPath", w->path, "BUCKET/KEY")->required();
  put_cmd->add_option("-f,--file", w->file, "The path of the file to upload");
  put_cmd->add_flag("-p,--pipe", w->pipe, "Read the object's content from stdin");
  put_cmd->add_option("--ct,--content-type", w->content_type, "The object's content type");
  put_cmd->callback([&g, w] { put_object(g, *w); });
  auto* del_cmd = object->add_subcommand("delete", "Delete an object from an R2 bucket (through the running flareq dev)");
  del_cmd->add_option("objectPath", w->path, "BUCKET/KEY")->required();
  del_cmd->callback([&g, w] { delete_object(g, *w); });
}

}  // namespace flareq::cli
