// Leasing ready messages to a consumer and settling them afterwards: acks delete, retries
// make a message visible again after its delay, the last failed delivery moves it to the
// dead letter queue, and a delivery flareq itself cut short is put back uncounted. Every step
// is one transaction.
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/core/outcome.h"
#include "emulator/store/message_row.h"
#include "emulator/store/store.h"
#include "emulator/store/write_transaction.h"

// A delivery that flareq itself cut short (dev stopped or died), undone: the message as it was
// before that lease, its attempt not counted.
#define FLAREQ_PUT_BACK "attempts = max(attempts - 1, 0), lease_token = NULL, lease_owner = NULL"

namespace flareq {
namespace {

// Seqs as a JSON array, for statements that take a whole batch at once (json_each).
std::string json_array(const std::vector<int64_t>& seqs) {
  std::string out = "[";
  for (int64_t seq : seqs) {
    if (out.size() > 1) out += ',';
    out += std::to_string(seq);
  }
  return out + "]";
}

}  // namespace

DeadLetterMove Store::finish_message(const StoredMessage& m, const Queue& from, const std::string& dlq, int64_t now,
                                     const std::string& error) {
  DeadLetterMove move{m.id, m.attempts, dlq};
  if (!dlq.empty()) {
    auto target = find_queue(dlq);
    int64_t dlq_key = target ? target->key : insert_queue(dlq, {});
    // Id, timestamp and body stay; attempts start again on the dead letter queue.
    Stmt copy = cached(
        "INSERT INTO messages (qkey, id, content_type, body, size, enqueued_ms, visible_ms, attempts, origin_queue, "
        "origin_attempts, last_error) SELECT ?, id, content_type, body, size, enqueued_ms, ?, 0, ?, ?, "
        "coalesce(?, last_error) FROM messages WHERE seq = ?");
    copy->bind(1, dlq_key);
    copy->bind(2, now);
    copy->bind(3, from.name);
    copy->bind(4, m.attempts);
    if (error.empty()) copy->bind(5);
    else copy->bind(5, error);
    copy->bind(6, m.seq);
    copy->exec();
    count_received(dlq_key, 1, m.size);
  }
  Stmt del = cached("DELETE FROM messages WHERE seq = ?");
  del->bind(1, m.seq);
  del->exec();
  Stmt count = cached("UPDATE queues SET dead_lettered = dead_lettered + 1 WHERE qkey = ?");
  count->bind(1, from.key);
  count->exec();
  return move;
}

LeaseResult Store::lease(const Queue& queue, const ConsumerSettings& consumer, int64_t limit, int64_t lease_ms,
                         const std::string& owner) {
  LeasePass pass(*this);
  LeaseResult result = pass.lease(queue, consumer, limit, lease_ms, owner);
  pass.commit();
  return result;
}

Store::LeasePass::LeasePass(Store& store) : store_(store) {}
Store::LeasePass::~LeasePass() = default;

void Store::LeasePass::commit() {
  if (tx_) tx_->commit();
  tx_.reset();
}

LeaseResult Store::LeasePass::lease(const Queue& queue, const ConsumerSettings& consumer, int64_t limit,
                                    int64_t lease_ms, const std::string& owner) {
  if (!tx_) tx_ = std::make_unique<WriteTransaction>(*store_.db_);
  return store_.lease_held(queue, consumer, limit, lease_ms, owner);
}

// A lease inside the transaction the caller holds.
LeaseResult Store::lease_held(const Queue& queue, const ConsumerSettings& consumer, int64_t limit, int64_t lease_ms,
                              const std::string& owner) {
  LeaseResult result;
  result.token = new_secret_token();
  int64_t now = clock_.now_ms();
  std::vector<StoredMessage> candidates;
  {
    Stmt st = cached(
        "SELECT " FLAREQ_MESSAGE_COLUMNS " FROM messages WHERE qkey = ? AND visible_ms <= ? ORDER BY visible_ms, seq LIMIT ?");
    st->bind(1, queue.key);
    st->bind(2, now);
    st->bind(3, limit);
    while (st->executeStep()) candidates.push_back(read_message_row(*st));
  }
  std::vector<int64_t> taken;  // updated in one statement
  for (auto& m : candidates) {
    // A lease that ran out unsettled was a failed delivery; after the last one allowed,
    // the message is done with rather than delivered again.
    if (m.has_lease && retries_exhausted(m.attempts, consumer.max_retries)) {
      result.finished.push_back(finish_message(m, queue, consumer.dead_letter_queue, now));
      continue;
    }
    taken.push_back(m.seq);
    m.attempts += 1;
    m.has_lease = true;
    m.visible_ms = now + lease_ms;
    result.messages.push_back(std::move(m));
  }
  if (!result.messages.empty()) {
    Stmt take = cached(
        "UPDATE messages SET attempts = attempts + 1, lease_token = ?, lease_owner = ?, visible_ms = ? "
        "WHERE seq IN (SELECT value FROM json_each(?))");
    take->bind(1, result.token);
    take->bind(2, owner);
    take->bind(3, now + lease_ms);
    take->bind(4, json_array(taken));
    take->exec();
    Stmt count = cached("UPDATE queues SET delivered = delivered + ? WHERE qkey = ?");
    count->bind(1, static_cast<int64_t>(result.messages.size()));
    count->bind(2, queue.key);
    count->exec();
  }
  return result;
}

SettleResult Store::settle(const Queue& queue, const ConsumerSettings& consumer, const std::string& token,
                           const std::vector<int64_t>& acked, const std::vector<std::pair<int64_t, int64_t>>& retried) {
  return settle({Settlement{queue, consumer, token, acked, retried, {}, ""}}).front();
}

std::vector<SettleResult> Store::settle(const std::vector<Settlement>& settlements) {
  std::vector<SettleResult> results;
  WriteTransaction tx(*db_);
  int64_t now = clock_.now_ms();
  for (const Settlement& s : settlements) results.push_back(settle_held(s, now));
  tx.commit();
  return results;
}

SettleResult Store::settle_held(const Settlement& s, int64_t now) {
  const Queue& queue = s.queue;
  const std::string& token = s.token;
  SettleResult result;
  if (!s.acked.empty()) {
    // One statement for all (the seqs as a JSON array); the unary + keeps SQLite on the rowid
    // rather than on scanning the queue's leased messages.
    Stmt del = cached("DELETE FROM messages WHERE seq IN (SELECT value FROM json_each(?)) AND lease_token = ? AND +qkey = ?");
    del->bind(1, json_array(s.acked));
    del->bind(2, token);
    del->bind(3, queue.key);
    result.acked = del->exec();
  }
  for (const auto& [seq, delay_secs] : s.retried) {
    StoredMessage m;
    {
      Stmt get = cached(
          "SELECT " FLAREQ_MESSAGE_COLUMNS " FROM messages WHERE seq = ? AND lease_token = ? AND qkey = ?");
      get->bind(1, seq);
      get->bind(2, token);
      get->bind(3, queue.key);
      if (!get->executeStep()) continue;  // the lease was lost: someone else holds it now
      m = read_message_row(*get);
    }
    if (retries_exhausted(m.attempts, s.consumer.max_retries)) {
      result.finished.push_back(finish_message(m, queue, s.consumer.dead_letter_queue, now, s.error));
      continue;
    }
    Stmt retry = cached(
        "UPDATE messages SET visible_ms = ?, lease_token = NULL, lease_owner = NULL, last_error = ? WHERE seq = ?");
    retry->bind(1, now + delay_secs * 1000);
    if (s.error.empty()) retry->bind(2);
    else retry->bind(2, s.error);
    retry->bind(3, seq);
    retry->exec();
    ++result.retried;
  }
  if (!s.put_back.empty()) {
    Stmt back = cached(
        "UPDATE messages SET " FLAREQ_PUT_BACK ", visible_ms = ? "
        "WHERE seq IN (SELECT value FROM json_each(?)) AND lease_token = ? AND +qkey = ?");
    back->bind(1, now);
    back->bind(2, json_array(s.put_back));
    back->bind(3, token);
    back->bind(4, queue.key);
    result.put_back = back->exec();
  }
  Stmt count = cached("UPDATE queues SET acked = acked + ?, retried = retried + ? WHERE qkey = ?");
  count->bind(1, result.acked);
  count->bind(2, result.retried);
  count->bind(3, queue.key);
  count->exec();
  return result;
}

int64_t Store::release_leases(const std::string& owner) {
  WriteTransaction tx(*db_);
  // flareq's own death cut these deliveries short, not the handler: put back, uncounted (a
  // message with max_retries 0 is not lost to a kill), even once their leases have run out.
  Stmt st = cached(
      "UPDATE messages SET " FLAREQ_PUT_BACK ", visible_ms = min(visible_ms, ?) "
      "WHERE lease_owner = ? AND lease_token IS NOT NULL");
  st->bind(1, clock_.now_ms());
  st->bind(2, owner);
  int64_t n = st->exec();
  tx.commit();
  return n;
}

std::vector<std::string> Store::lease_owners() {
  Stmt st = cached("SELECT DISTINCT lease_owner FROM messages WHERE lease_token IS NOT NULL AND lease_owner IS NOT NULL");
  std::vector<std::string> out;
  while (st->executeStep()) out.push_back(st->getColumn(0).getString());
  return out;
}

int64_t Store::expire_messages(const Queue& queue) {
  int64_t cutoff = clock_.now_ms() - queue.settings.retention_secs * 1000;
  {
    Stmt any = cached("SELECT 1 FROM messages WHERE qkey = ? AND enqueued_ms < ? LIMIT 1");
    any->bind(1, queue.key);
    any->bind(2, cutoff);
    if (!any->executeStep()) return 0;
  }
  WriteTransaction tx(*db_);
  int64_t n = expire_before(queue, cutoff);
  tx.commit();
  return n;
}

int64_t Store::expire_before(const Queue& queue, int64_t cutoff_ms) {
  Stmt del = cached("DELETE FROM messages WHERE qkey = ? AND enqueued_ms < ?");
  del->bind(1, queue.key);
  del->bind(2, cutoff_ms);
  int64_t n = del->exec();
  if (n == 0) return 0;
  Stmt count = cached("UPDATE queues SET expired = expired + ? WHERE qkey = ?");
  count->bind(1, n);
  count->bind(2, queue.key);
  count->exec();
  return n;
}

std::optional<int64_t> Store::next_visible_ms(int64_t queue_key) {
  Stmt st = cached("SELECT visible_ms FROM messages WHERE qkey = ? ORDER BY visible_ms LIMIT 1");
  st->bind(1, queue_key);
  if (!st->executeStep()) return std::nullopt;
  return st->getColumn(0).getInt64();
}

int64_t Store::count_ready(int64_t queue_key, int64_t limit) {
  Stmt st = cached("SELECT count(*) FROM (SELECT 1 FROM messages WHERE qkey = ? AND visible_ms <= ? LIMIT ?)");
  st->bind(1, queue_key);
  st->bind(2, clock_.now_ms());
  st->bind(3, limit);
  st->executeStep();
  return st->getColumn(0).getInt64();
}

int64_t Store::data_version() { return db_->execAndGet("PRAGMA data_version").getInt64(); }

}  // namespace flareq
