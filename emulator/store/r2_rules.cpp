// R2 event notification rules in the state file, and the commit of a notification: the rule
// lookup, the match and the message's insert are one transaction.
#include <algorithm>
#include <sstream>

#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/store/store.h"
#include "emulator/store/write_transaction.h"

namespace flareq {
namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

}  // namespace

#define FLAREQ_R2_RULES_SELECT                                                                          \
  "SELECT r.rule_id, r.bucket, q.name, q.queue_id, r.actions, r.prefix, r.suffix, r.description, r.created_ms " \
  "FROM r2_notification_rules r JOIN queues q ON q.qkey = r.qkey "
#define FLAREQ_R2_RULES_ORDER " ORDER BY r.bucket, r.created_ms, r.rule_id"

std::vector<r2::Rule> Store::select_r2_rules(const char* sql, const std::optional<std::string>& value) {
  Stmt st = cached(sql);
  if (value) st->bind(1, *value);
  std::vector<r2::Rule> rules;
  while (st->executeStep()) {
    r2::Rule r;
    r.id = st->getColumn(0).getString();
    r.bucket = st->getColumn(1).getString();
    r.queue = st->getColumn(2).getString();
    r.queue_id = st->getColumn(3).getString();
    r.actions = split(st->getColumn(4).getString());
    r.prefix = st->getColumn(5).getString();
    r.suffix = st->getColumn(6).getString();
    r.description = st->getColumn(7).getString();
    r.created_ms = st->getColumn(8).getInt64();
    rules.push_back(std::move(r));
  }
  return rules;
}

std::vector<r2::Rule> Store::rules_of_bucket(const std::string& bucket) {
  return select_r2_rules(FLAREQ_R2_RULES_SELECT "WHERE r.bucket = ?" FLAREQ_R2_RULES_ORDER, bucket);
}

std::vector<r2::Rule> Store::r2_rules(const std::string& bucket) {
  if (!bucket.empty()) return rules_of_bucket(bucket);
  return select_r2_rules(FLAREQ_R2_RULES_SELECT FLAREQ_R2_RULES_ORDER, std::nullopt);
}

std::vector<r2::Rule> Store::r2_rules_of_queue(int64_t queue_key) {
  return select_r2_rules(FLAREQ_R2_RULES_SELECT "WHERE r.qkey = CAST(? AS INTEGER)" FLAREQ_R2_RULES_ORDER,
                         std::to_string(queue_key));
}

std::vector<Producer> Store::r2_producers(int64_t queue_key) {
  std::vector<Producer> out;
  for (const auto& rule : r2_rules_of_queue(queue_key)) {
    bool listed = false;
    for (const auto& p : out) listed = listed || p.bucket == rule.bucket;
    if (!listed) out.push_back(Producer{"", "", rule.bucket});
  }
  return out;
}

std::vector<r2::Rule> Store::add_r2_rules(const std::string& bucket, const Queue& queue, std::vector<r2::Rule> rules) {
  WriteTransaction tx(*db_);
  std::vector<r2::Rule> existing = rules_of_bucket(bucket);
  int64_t now = clock_.now_ms();
  Stmt insert = cached(
      "INSERT INTO r2_notification_rules (rule_id, bucket, qkey, actions, prefix, suffix, description, created_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (auto& rule : rules) {
    rule.id = new_id();
    rule.bucket = bucket;
    rule.queue = queue.name;
    rule.queue_id = queue.id;
    rule.created_ms = now;
    if (auto refused = r2::refusal(rule, existing)) {
      if (refused->conflict) throw conflict(code::kConflictingNotificationRule, refused->why);
      throw bad_request(code::kInvalidNotificationRule, refused->why);
    }
    insert->bind(1, rule.id);
    insert->bind(2, bucket);
    insert->bind(3, queue.key);
    insert->bind(4, r2::joined(rule.actions));
    insert->bind(5, rule.prefix);
    insert->bind(6, rule.suffix);
    insert->bind(7, rule.description);
    insert->bind(8, now);
    insert->exec();
    insert->reset();
    existing.push_back(rule);
  }
  tx.commit();
  return rules;
}

int64_t Store::delete_r2_rules(const std::string& bucket, int64_t queue_key, const std::vector<std::string>& rule_ids) {
  WriteTransaction tx(*db_);
  int64_t deleted = 0;
  if (rule_ids.empty()) {
    Stmt st = cached("DELETE FROM r2_notification_rules WHERE bucket = ? AND qkey = ?");
    st->bind(1, bucket);
    st->bind(2, queue_key);
    deleted = st->exec();
  } else {
    Stmt st = cached("DELETE FROM r2_notification_rules WHERE bucket = ? AND qkey = ? AND rule_id = ?");
    for (const auto& id : rule_ids) {
      st->bind(1, bucket);
      st->bind(2, queue_key);
      st->bind(3, id);
      deleted += st->exec();
      st->reset();
    }
  }
  tx.commit();
  return deleted;
}

std::optional<Store::R2Notification> Store::notify_r2(r2::Event event, const std::string& account) {
  // Most writes match no rule: they are told so without taking the write lock.
  auto rules = rules_of_bucket(event.bucket);
  if (std::none_of(rules.begin(), rules.end(), [&](const r2::Rule& r) { return r2::matches(r, event.action, event.key); }))
    return std::nullopt;
  WriteTransaction tx(*db_);
  for (auto& rule : rules_of_bucket(event.bucket)) {
    if (!r2::matches(rule, event.action, event.key)) continue;
    event.time_ms = clock_.now_ms();
    R2Notification sent{std::move(rule), {}, r2::event_body(event, account)};
    Queue target = queue(sent.rule.queue_id);
    std::vector<OutgoingMessage> message{{ContentType::Json, sent.body.dump(), std::nullopt}};
    sent.message = insert_messages(target, message, std::nullopt).front();
    count_received(target.key, 1, static_cast<int64_t>(message.front().body.size()));
    tx.commit();
    return sent;
  }
  return std::nullopt;  // nothing written: the transaction ends without a commit
}

}  // namespace flareq
