// The state file's virtual clock: reading it into the process's Clock, and moving it. Every
// move is one transaction that also adjusts what the move must not disturb (leases of batches
// in flight) and runs what it makes due at once (retention), so that the CLI alone, with no
// `dev` running, leaves the file as a running clock would have.
#include <algorithm>

#include "emulator/store/store.h"
#include "emulator/store/write_transaction.h"

namespace flareq {
namespace {

int64_t virtual_now(const VirtualTime& t, int64_t real_ms) { return t.frozen_ms ? *t.frozen_ms : real_ms + t.offset_ms; }

}  // namespace

VirtualTime Store::read_clock() {
  Stmt st = cached("SELECT offset_ms, frozen_ms FROM clock WHERE id = 1");
  VirtualTime t;
  if (st->executeStep()) {
    t.offset_ms = st->getColumn(0).getInt64();
    if (!st->getColumn(1).isNull()) t.frozen_ms = st->getColumn(1).getInt64();
  }
  return t;
}

VirtualTime Store::sync_clock() {
  VirtualTime t = read_clock();
  if (t != clock_.virtual_time()) clock_.set_virtual_time(t);
  return t;
}

void Store::write_clock(const VirtualTime& t) {
  Stmt st = cached("UPDATE clock SET offset_ms = ?, frozen_ms = ? WHERE id = 1");
  st->bind(1, t.offset_ms);
  if (t.frozen_ms) st->bind(2, *t.frozen_ms);
  else st->bind(2);
  st->exec();
}

ClockChange Store::advance_clock(int64_t ms) {
  WriteTransaction tx(*db_);
  VirtualTime t = read_clock();
  ClockChange change;
  change.from_ms = virtual_now(t, clock_.real_ms());
  change.to_ms = change.from_ms + ms;
  if (t.frozen_ms) *t.frozen_ms += ms;
  else t.offset_ms += ms;
  // A push consumer's lease lasts as long as its handler runs (bounded by the handler timeout
  // in real time); moving the clock must not hand its batch to someone else meanwhile.
  Stmt hold = cached(
      "UPDATE messages SET visible_ms = visible_ms + ? "
      "WHERE lease_token IS NOT NULL AND lease_owner IS NOT NULL AND lease_owner != ? AND visible_ms > ?");
  hold->bind(1, ms);
  hold->bind(2, kPullLeaseOwner);
  hold->bind(3, change.from_ms);
  hold->exec();
  for (const Queue& q : list_queues()) {
    QueueTimeChange c{q.name, 0, 0};
    Stmt due = cached("SELECT count(*) FROM messages WHERE qkey = ? AND visible_ms > ? AND visible_ms <= ?");
    due->bind(1, q.key);
    due->bind(2, change.from_ms);
    due->bind(3, change.to_ms);
    if (due->executeStep()) c.due = due->getColumn(0).getInt64();
    c.expired = expire_before(q, change.to_ms - q.settings.retention_secs * 1000);
    if (c.due > 0 || c.expired > 0) change.queues.push_back(c);
  }
  write_clock(t);
  tx.commit();
  clock_.set_virtual_time(t);
  return change;
}

ClockChange Store::reset_clock() {
  WriteTransaction tx(*db_);
  VirtualTime t = read_clock();
  int64_t real = clock_.real_ms();
  ClockChange change;
  change.from_ms = virtual_now(t, real);
  change.to_ms = real;
  int64_t ahead = change.from_ms - real;
  if (ahead > 0) {
    // Everything still waiting keeps what is left of its wait; what was due stays due.
    Stmt shift = cached("UPDATE messages SET visible_ms = max(?, visible_ms - ?) WHERE qkey = ? AND visible_ms > ?");
    for (const Queue& q : list_queues()) {
      shift->bind(1, real);
      shift->bind(2, ahead);
      shift->bind(3, q.key);
      shift->bind(4, real);
      shift->exec();
      shift->reset();
    }
  }
  write_clock({});
  tx.commit();
  clock_.set_virtual_time({});
  return change;
}

void Store::freeze_clock() {
  WriteTransaction tx(*db_);
  VirtualTime t = read_clock();
  if (!t.frozen_ms) {
    t.frozen_ms = virtual_now(t, clock_.real_ms());
    write_clock(t);
  }
  tx.commit();
  clock_.set_virtual_time(t);
}

}  // namespace flareq
