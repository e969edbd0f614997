// Listing a queue's messages for people (the dashboard): keyset pages on (timestamp, seq),
// walked along the messages_age index, so a page deep in a queue of millions costs what the
// first one does; state and text filters are applied as rows are read, within a budget.
#include <algorithm>
#include <cctype>
#include <climits>

#include "emulator/store/message_row.h"
#include "emulator/store/store.h"

namespace flareq {
namespace {

// Case-insensitive for ASCII letters, byte for byte otherwise.
bool contains(const std::string& body, const std::string& text) {
  auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  return std::search(body.begin(), body.end(), text.begin(), text.end(), same) != body.end();
}

}  // namespace

MessagePage Store::list_messages(int64_t queue_key, const MessageQuery& q) {
  MessagePage page;
  MessageCursor from = q.after.value_or(q.newest_first ? MessageCursor{INT64_MAX, INT64_MAX} : MessageCursor{INT64_MIN, 0});
  Stmt st = cached(q.newest_first
                       ? "SELECT " FLAREQ_MESSAGE_COLUMNS " FROM messages WHERE qkey = ? AND (enqueued_ms, seq) < (?, ?) "
                         "ORDER BY enqueued_ms DESC, seq DESC"
                       : "SELECT " FLAREQ_MESSAGE_COLUMNS " FROM messages WHERE qkey = ? AND (enqueued_ms, seq) > (?, ?) "
                         "ORDER BY enqueued_ms, seq");
  st->bind(1, queue_key);
  st->bind(2, from.enqueued_ms);
  st->bind(3, from.seq);
  int64_t now = clock_.now_ms();
  MessageCursor last = from;
  bool more = false;
  while (st->executeStep()) {
    if (static_cast<int64_t>(page.messages.size()) == q.limit || page.scanned == q.scan_budget) {
      more = true;
      break;
    }
    StoredMessage m = read_message_row(*st);
    ++page.scanned;
    last = {m.enqueued_ms, m.seq};
    if (q.state && m.state_at(now) != *q.state) continue;
    if (!q.search.empty() && !contains(m.body, q.search)) continue;
    page.messages.push_back(std::move(m));
  }
  if (more) page.next = last;
  return page;
}

std::optional<StoredMessage> Store::message_at(int64_t queue_key, int64_t seq, const std::string& id) {
  Stmt st = cached("SELECT " FLAREQ_MESSAGE_COLUMNS " FROM messages WHERE seq = ? AND qkey = ? AND id = ?");
  st->bind(1, seq);
  st->bind(2, queue_key);
  st->bind(3, id);
  if (!st->executeStep()) return std::nullopt;
  return read_message_row(*st);
}

}  // namespace flareq
