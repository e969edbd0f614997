// The row-level half of a dead-letter replay: which messages a filter selects, and moving
// one batch of them back in one transaction (the procedure is dead_letter_replay.cpp).
#include <algorithm>
#include <map>

#include "emulator/core/error.h"
#include "emulator/store/message_row.h"
#include "emulator/store/store.h"
#include "emulator/store/write_transaction.h"

namespace flareq {

std::vector<ReplayCandidate> Store::replay_candidates(const Queue& dlq, const ReplayFilter& filter) {
  Stmt st = cached("SELECT seq, id, coalesce(origin_queue, ''), enqueued_ms FROM messages WHERE qkey = ? ORDER BY seq");
  st->bind(1, dlq.key);
  int64_t now = clock_.now_ms();
  std::vector<ReplayCandidate> out;
  while (st->executeStep()) {
    ReplayCandidate c{st->getColumn(0).getInt64(), st->getColumn(1).getString(), st->getColumn(2).getString(),
                      st->getColumn(3).getInt64()};
    if (!filter.ids.empty() && std::find(filter.ids.begin(), filter.ids.end(), c.id) == filter.ids.end()) continue;
    if (filter.older_than_ms && c.enqueued_ms > now - *filter.older_than_ms) continue;
    if (!filter.to.empty()) c.target = filter.to;
    out.push_back(std::move(c));
    if (filter.limit && static_cast<int64_t>(out.size()) >= *filter.limit) break;
  }
  return out;
}

int64_t Store::replay(const Queue& dlq, const std::vector<ReplayCandidate>& batch) {
  WriteTransaction tx(*db_);
  int64_t now = clock_.now_ms();
  struct Added {
    int64_t count = 0;
    int64_t bytes = 0;
  };
  std::map<std::string, Added> received;  // by target queue name
  std::map<std::string, int64_t> keys;
  int64_t moved = 0;
  for (const auto& c : batch) {
    if (c.target.empty()) continue;
    auto key = keys.find(c.target);
    if (key == keys.end()) {
      auto q = find_queue(c.target);
      if (!q) throw not_found(code::kQueueNotFound, "queue '" + c.target + "' does not exist");
      key = keys.emplace(c.target, q->key).first;
    }
    Stmt copy = cached(
        "INSERT INTO messages (qkey, id, content_type, body, size, enqueued_ms, visible_ms, attempts) "
        "SELECT ?, id, content_type, body, size, enqueued_ms, ?, 0 FROM messages WHERE seq = ? AND qkey = ?");
    copy->bind(1, key->second);
    copy->bind(2, now);
    copy->bind(3, c.seq);
    copy->bind(4, dlq.key);
    if (copy->exec() == 0) continue;  // already replayed (by an earlier, interrupted run)
    Stmt size = cached("SELECT size FROM messages WHERE seq = ?");
    size->bind(1, db_->getLastInsertRowid());
    size->executeStep();
    received[c.target].bytes += size->getColumn(0).getInt64();
    Stmt del = cached("DELETE FROM messages WHERE seq = ? AND qkey = ?");
    del->bind(1, c.seq);
    del->bind(2, dlq.key);
    del->exec();
    received[c.target].count++;
    ++moved;
  }
  for (const auto& [name, a] : received) count_received(keys[name], a.count, a.bytes);
  Stmt count = cached("UPDATE queues SET replayed = replayed + ? WHERE qkey = ?");
  count->bind(1, moved);
  count->bind(2, dlq.key);
  count->exec();
  tx.commit();
  return moved;
}

}  // namespace flareq
