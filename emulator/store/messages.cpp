// Storing, peeking at, counting, finding and deleting messages. Finding the next deliverable messages of a
// queue walks the messages_due index, never the table.
#include <map>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/store/message_row.h"
#include "emulator/store/store.h"
#include "emulator/store/write_transaction.h"

namespace flareq {

SendResult Store::send(const Queue& queue, const std::vector<OutgoingMessage>& messages,
                       std::optional<int64_t> batch_delay_secs) {
  SendRequest request{queue.id, &messages, batch_delay_secs, {}, nullptr};
  send_all({&request});
  if (request.error) std::rethrow_exception(request.error);
  return std::move(request.result);
}

void Store::send_all(const std::vector<SendRequest*>& group) {
  WriteTransaction tx(*db_);
  // Each queue is looked up, counted and measured once per group, inside the transaction.
  std::map<std::string, std::optional<Queue>> queues;
  struct Added {
    int64_t count = 0;
    int64_t bytes = 0;
  };
  std::map<int64_t, Added> added;
  bool push_faults = false;
  {
    Stmt any = cached("SELECT 1 FROM faults WHERE push_errors > 0 LIMIT 1");
    push_faults = any->executeStep();
  }
  for (SendRequest* r : group) {
    auto [it, fresh] = queues.try_emplace(r->queue);
    if (fresh) it->second = find_queue(r->queue);
    if (!it->second) {
      r->error = std::make_exception_ptr(not_found(code::kQueueNotFound, "queue '" + printable(r->queue) + "' does not exist"));
      continue;
    }
    if (push_faults && r->may_fault && refuse_push(*it->second)) {
      r->error = std::make_exception_ptr(injected_push_error());
      continue;
    }
    r->result.messages = insert_messages(*it->second, *r->messages, r->batch_delay_secs);
    Added& a = added[it->second->key];
    a.count += static_cast<int64_t>(r->messages->size());
    for (const auto& m : *r->messages) a.bytes += static_cast<int64_t>(m.body.size());
  }
  std::map<int64_t, QueueMetrics> after;
  for (const auto& [key, a] : added) {
    count_received(key, a.count, a.bytes);
    after[key] = metrics(key);
  }
  tx.commit();
  for (SendRequest* r : group)
    if (!r->error) r->result.metrics = after[queues[r->queue]->key];
}

std::vector<SentMessage> Store::insert_messages(const Queue& queue, const std::vector<OutgoingMessage>& messages,
                                                std::optional<int64_t> batch_delay_secs) {
  std::vector<SentMessage> sent;
  sent.reserve(messages.size());
  int64_t now = clock_.now_ms();
  Stmt insert = cached(
      "INSERT INTO messages (qkey, id, content_type, body, size, enqueued_ms, visible_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (const auto& m : messages) {
    int64_t delay = effective_delay(m.delay_secs, batch_delay_secs, queue.settings.delivery_delay);
    SentMessage s{new_id(), now};
    insert->bind(1, queue.key);
    insert->bindNoCopy(2, s.id);
    insert->bind(3, static_cast<int>(m.content_type));
    insert->bindNoCopy(4, m.body.data(), static_cast<int>(m.body.size()));
    insert->bind(5, static_cast<int64_t>(m.body.size()));
    insert->bind(6, now);
    insert->bind(7, now + delay * 1000);
    insert->exec();
    insert->reset();
    sent.push_back(std::move(s));
  }
  return sent;
}

void Store::count_received(int64_t queue_key, int64_t count, int64_t bytes) {
  Stmt st = cached(
      "UPDATE queues SET received = received + ?1, message_count = message_count + ?1, "
      "message_bytes = message_bytes + ?2 WHERE qkey = ?3");
  st->bind(1, count);
  st->bind(2, bytes);
  st->bind(3, queue_key);
  st->exec();
}

QueueMetrics Store::metrics(int64_t queue_key) {
  QueueMetrics m;
  {
    Stmt st = cached("SELECT message_count, message_bytes FROM queues WHERE qkey = ?");
    st->bind(1, queue_key);
    if (!st->executeStep()) throw not_found(code::kQueueNotFound, "queue does not exist");
    m.count = st->getColumn(0).getInt64();
    m.bytes = st->getColumn(1).getInt64();
  }
  Stmt st = cached("SELECT min(enqueued_ms) FROM messages WHERE qkey = ?");
  st->bind(1, queue_key);
  st->executeStep();
  if (!st->getColumn(0).isNull()) m.oldest_enqueued_ms = st->getColumn(0).getInt64();
  return m;
}

std::vector<StoredMessage> Store::peek(int64_t queue_key, int64_t limit, std::optional<MessageState> state) {
  const char* sql = "SELECT " FLAREQ_MESSAGE_COLUMNS " FROM messages WHERE qkey = ?1 ORDER BY visible_ms, seq LIMIT ?3";
  if (state == MessageState::Ready)
    sql = "SELECT " FLAREQ_MESSAGE_COLUMNS " FROM messages WHERE qkey = ?1 AND visible_ms <= ?2 "
          "ORDER BY visible_ms, seq LIMIT ?3";
  else if (state == MessageState::Delayed)
    sql = "SELECT " FLAREQ_MESSAGE_COLUMNS " FROM messages WHERE qkey = ?1 AND visible_ms > ?2 "
          "AND lease_token IS NULL ORDER BY visible_ms, seq LIMIT ?3";
  else if (state == MessageState::Leased)
    sql = "SELECT " FLAREQ_MESSAGE_COLUMNS " FROM messages WHERE qkey = ?1 AND visible_ms > ?2 "
          "AND lease_token IS NOT NULL ORDER BY visible_ms, seq LIMIT ?3";
  Stmt st = cached(sql);
  st->bind(1, queue_key);
  st->bind(2, clock_.now_ms());
  st->bind(3, limit);
  std::vector<StoredMessage> out;
  while (st->executeStep()) out.push_back(read_message_row(*st));
  return out;
}

Backlog Store::backlog(int64_t queue_key) {
  // One read transaction, so the counts agree with each other.
  SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::DEFERRED);
  int64_t now = clock_.now_ms();
  Backlog b;
  static_cast<QueueMetrics&>(b) = metrics(queue_key);
  int64_t not_ready = 0;
  {
    Stmt st = cached("SELECT count(*) FROM messages WHERE qkey = ? AND visible_ms > ?");
    st->bind(1, queue_key);
    st->bind(2, now);
    st->executeStep();
    not_ready = st->getColumn(0).getInt64();
  }
  {
    Stmt st = cached(
        "SELECT count(*) FROM messages WHERE qkey = ? AND visible_ms > ? AND lease_token IS NOT NULL");
    st->bind(1, queue_key);
    st->bind(2, now);
    st->executeStep();
    b.leased = st->getColumn(0).getInt64();
  }
  tx.commit();
  b.delayed = not_ready - b.leased;
  b.ready = b.count - not_ready;
  return b;
}


int64_t Store::delete_messages(int64_t queue_key, const std::vector<std::pair<int64_t, std::string>>& refs) {
  WriteTransaction tx(*db_);
  Stmt st = cached("DELETE FROM messages WHERE seq = ? AND id = ? AND qkey = ?");
  int64_t deleted = 0;
  for (const auto& [seq, id] : refs) {
    st->bind(1, seq);
    st->bind(2, id);
    st->bind(3, queue_key);
    deleted += st->exec();
    st->reset();
  }
  tx.commit();
  return deleted;
}

std::optional<std::pair<Queue, StoredMessage>> Store::find_message(const std::string& id) {
  StoredMessage m;
  int64_t queue_key = 0;
  {
    Stmt st = cached("SELECT " FLAREQ_MESSAGE_COLUMNS ", qkey FROM messages WHERE id = ? LIMIT 1");
    st->bind(1, id);
    if (!st->executeStep()) return std::nullopt;
    m = read_message_row(*st);
    queue_key = st->getColumn(kMessageColumnCount).getInt64();
  }
  for (auto& q : list_queues())
    if (q.key == queue_key) return std::make_pair(q, m);
  return std::nullopt;
}

bool Store::delete_message(int64_t queue_key, int64_t seq) {
  WriteTransaction tx(*db_);
  Stmt st = cached("DELETE FROM messages WHERE seq = ? AND qkey = ?");
  st->bind(1, seq);
  st->bind(2, queue_key);
  bool deleted = st->exec() > 0;
  tx.commit();
  return deleted;
}

}  // namespace flareq
