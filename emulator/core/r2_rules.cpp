// R2 event notification rules: event types, matching, conflicts and production's message body.
#include "emulator/core/r2_rules.h"

#include <algorithm>

#include "emulator/core/encoding.h"

namespace flareq::r2 {
namespace {

const std::vector<std::string> kCreate = {"PutObject", "CompleteMultipartUpload", "CopyObject"};
const std::vector<std::string> kDelete = {"DeleteObject", "LifecycleDeletion"};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

std::string describe(const Rule& rule) {
  return "rule " + rule.id + " (queue " + rule.queue + ", " + joined(rule.actions) + ", prefix \"" + rule.prefix +
         "\", suffix \"" + rule.suffix + "\")";
}

}  // namespace

std::optional<std::vector<std::string>> actions_for(std::string_view event_type) {
  if (event_type == "object-create") return kCreate;
  if (event_type == "object-delete") return kDelete;
  return std::nullopt;
}

bool is_action(std::string_view action) {
  return std::find(kCreate.begin(), kCreate.end(), action) != kCreate.end() ||
         std::find(kDelete.begin(), kDelete.end(), action) != kDelete.end();
}

std::string joined(const std::vector<std::string>& actions) {
  std::string out;
  for (const auto& a : actions) out += (out.empty() ? "" : ",") + a;
  return out;
}

std::optional<std::string> jurisdiction_problem(std::string_view jurisdiction) {
  if (jurisdiction.empty() || jurisdiction == "default") return std::nullopt;
  return "event notifications are not available for buckets with a jurisdiction (" + std::string(jurisdiction) + ")";
}

std::optional<std::string> bucket_name_problem(std::string_view name) {
  bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (name.size() < 3 || name.size() > 63 || !chars_ok || name.front() == '-' || name.back() == '-')
    return "The bucket name \"" + std::string(name) +
           "\" is invalid. Bucket names must begin and end with an alphanumeric character, only contain "
           "lowercase letters (a-z), numbers (0-9), and hyphens (-), and be between 3 and 63 characters long.";
  return std::nullopt;
}

bool matches(const Rule& rule, std::string_view action, std::string_view key) {
  return std::find(rule.actions.begin(), rule.actions.end(), action) != rule.actions.end() &&
         starts_with(key, rule.prefix) && ends_with(key, rule.suffix);
}

bool overlaps(const Rule& a, const Rule& b) {
  bool shared_action = std::any_of(a.actions.begin(), a.actions.end(), [&](const std::string& x) {
    return std::find(b.actions.begin(), b.actions.end(), x) != b.actions.end();
  });
  // A key that starts with the longer prefix and ends with the longer suffix matches both
  // when each prefix begins the other and each suffix ends the other.
  bool prefixes_meet = starts_with(a.prefix, b.prefix) || starts_with(b.prefix, a.prefix);
  bool suffixes_meet = ends_with(a.suffix, b.suffix) || ends_with(b.suffix, a.suffix);
  return shared_action && prefixes_meet && suffixes_meet;
}

std::optional<Refusal> refusal(const Rule& rule, const std::vector<Rule>& existing) {
  auto invalid = [](std::string why) { return Refusal{false, std::move(why)}; };
  if (auto problem = bucket_name_problem(rule.bucket)) return invalid(*problem);
  if (rule.actions.empty()) return invalid("a rule needs at least one event type (object-create, object-delete)");
  for (const auto& a : rule.actions)
    if (!is_action(a)) return invalid("\"" + a + "\" is not an R2 action that sends event notifications");
  if (existing.size() >= static_cast<size_t>(kMaxRulesPerBucket))
    return invalid("bucket " + rule.bucket + " already has " + std::to_string(kMaxRulesPerBucket) +
                   " event notification rules, the most a bucket can have");
  for (const auto& other : existing)
    if (overlaps(rule, other))
      return Refusal{true, "conflicting event notification rules: the new rule and " + describe(other) +
                               " could both match one request to bucket " + rule.bucket +
                               " (rules for the same action may not have overlapping prefixes and suffixes)"};
  return std::nullopt;
}

nlohmann::ordered_json event_body(const Event& event, const std::string& account) {
  nlohmann::ordered_json object = {{"key", event.key}};
  if (event.size) object["size"] = *event.size;
  if (event.etag) object["eTag"] = *event.etag;
  nlohmann::ordered_json body = {{"account", account},
                         {"action", event.action},
                         {"bucket", event.bucket},
                         {"object", object},
                         {"eventTime", iso8601(event.time_ms)}};
  if (event.copy_source_bucket)
    body["copySource"] = {{"bucket", *event.copy_source_bucket}, {"object", event.copy_source_key.value_or("")}};
  return body;
}

}  // namespace flareq::r2
