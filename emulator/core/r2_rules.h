// R2 event notification rules and the messages they send (docs/semantics.md, "R2 event
// notifications"): which actions an event type names, when a rule matches an object's key,
// when two rules conflict, and the body production gives a notification. Pure logic.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flareq::r2 {

constexpr int kMaxRulesPerBucket = 100;

// The actions an event type ("object-create", "object-delete") stands for, or nullopt for an
// unknown type.
std::optional<std::vector<std::string>> actions_for(std::string_view event_type);
bool is_action(std::string_view action);
// Actions as wrangler prints and flareq stores them: "PutObject,CompleteMultipartUpload,CopyObject".
std::string joined(const std::vector<std::string>& actions);
// Why a bucket in `jurisdiction` cannot have notifications (production has none there), or
// nothing for no jurisdiction ("" or "default").
std::optional<std::string> jurisdiction_problem(std::string_view jurisdiction);
// Why `name` is no R2 bucket name, or nothing.
std::optional<std::string> bucket_name_problem(std::string_view name);

struct Rule {
  std::string id;           // flareq's, stable for the rule's life
  std::string bucket;
  std::string queue;        // the queue's name
  std::string queue_id;
  std::vector<std::string> actions;
  std::string prefix;       // literal; empty matches every key
  std::string suffix;
  std::string description;
  int64_t created_ms = 0;
};

// Whether an `action` on the object `key` matches the rule.
bool matches(const Rule& rule, std::string_view action, std::string_view key);
// Whether some request could trigger both rules: they share an action, and some key matches
// both filters. Production refuses such a pair on one bucket.
bool overlaps(const Rule& a, const Rule& b);
// Why `rule` cannot join `existing` (the bucket's rules): invalid, one too many, or in conflict.
struct Refusal {
  bool conflict = false;  // with one of `existing`
  std::string why;
};
std::optional<Refusal> refusal(const Rule& rule, const std::vector<Rule>& existing);

// What happened to an object, as a notification reports it.
struct Event {
  std::string bucket;
  std::string action;
  std::string key;
  std::optional<int64_t> size;  // absent on deletes
  std::optional<std::string> etag;
  std::optional<std::string> copy_source_bucket;  // CopyObject only
  std::optional<std::string> copy_source_key;
  int64_t time_ms = 0;
};

// The message body production sends: {account, action, bucket, object: {key, size, eTag},
// eventTime, copySource?}.
nlohmann::ordered_json event_body(const Event& event, const std::string& account);

}  // namespace flareq::r2
