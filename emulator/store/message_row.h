// The one way a messages row becomes a StoredMessage: select MESSAGE_COLUMNS first, then
// read them with read_message_row.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include "emulator/store/types.h"

#define FLAREQ_MESSAGE_COLUMNS \
  "seq, id, content_type, body, size, enqueued_ms, visible_ms, attempts, lease_token, origin_queue, origin_attempts, last_error"

namespace flareq {

// How many columns FLAREQ_MESSAGE_COLUMNS selects: the index of a column selected after them.
constexpr int kMessageColumnCount = 12;

inline StoredMessage read_message_row(SQLite::Statement& st) {
  StoredMessage m;
  m.seq = st.getColumn(0).getInt64();
  m.id = st.getColumn(1).getString();
  m.content_type = static_cast<ContentType>(st.getColumn(2).getInt());
  auto body = st.getColumn(3);
  m.body.assign(static_cast<const char*>(body.getBlob()), static_cast<size_t>(body.getBytes()));
  m.size = st.getColumn(4).getInt64();
  m.enqueued_ms = st.getColumn(5).getInt64();
  m.visible_ms = st.getColumn(6).getInt64();
  m.attempts = st.getColumn(7).getInt();
  m.has_lease = !st.getColumn(8).isNull();
  m.origin_queue = st.getColumn(9).isNull() ? "" : st.getColumn(9).getString();
  m.origin_attempts = st.getColumn(10).isNull() ? 0 : st.getColumn(10).getInt();
  m.last_error = st.getColumn(11).isNull() ? "" : st.getColumn(11).getString();
  return m;
}

}  // namespace flareq
