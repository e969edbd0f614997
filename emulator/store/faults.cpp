// Injected faults in the state file: what is set per queue, the draw of each delivery's and
// each push's fault (the draw number lives in the file, so every process continues the same
// deterministic sequence), and the counts of what was injected.
#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/store/store.h"
#include "emulator/store/write_transaction.h"

namespace flareq {
namespace {

const char* kFaultColumns =
    "queue, fail, latency_min_ms, latency_max_ms, crash, push_errors, seed, set_ms, deliveries_drawn, "
    "pushes_drawn, failed, crashed, delayed, pushes_refused";

FaultRecord read_fault(SQLite::Statement& r) {
  FaultRecord f;
  f.queue = r.getColumn(0).getString();
  f.settings.fail = r.getColumn(1).getDouble();
  f.settings.latency_min_ms = r.getColumn(2).getInt64();
  f.settings.latency_max_ms = r.getColumn(3).getInt64();
  f.settings.crash = r.getColumn(4).getDouble();
  f.settings.push_errors = r.getColumn(5).getDouble();
  f.settings.seed = static_cast<uint64_t>(r.getColumn(6).getInt64());
  f.set_ms = r.getColumn(7).getInt64();
  f.deliveries_drawn = r.getColumn(8).getInt64();
  f.pushes_drawn = r.getColumn(9).getInt64();
  f.injected.failures = r.getColumn(10).getInt64();
  f.injected.crashes = r.getColumn(11).getInt64();
  f.injected.latency = r.getColumn(12).getInt64();
  f.injected.push_errors = r.getColumn(13).getInt64();
  return f;
}

}  // namespace

void Store::set_faults(const std::string& queue, const FaultSettings& settings) {
  check_fault_settings(settings);
  if (queue.empty() && settings.affects_delivery())
    throw bad_request(code::kInvalidConsumerSettings, "consumer faults (fail, latency, crash_handler) need a queue");
  WriteTransaction tx(*db_);
  if (!queue.empty() && !find_queue(queue)) throw not_found(code::kQueueNotFound, "queue '" + printable(queue) + "' does not exist");
  Stmt st = cached(
      "INSERT OR REPLACE INTO faults (queue, fail, latency_min_ms, latency_max_ms, crash, push_errors, seed, set_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  st->bind(1, queue);
  st->bind(2, settings.fail);
  st->bind(3, settings.latency_min_ms);
  st->bind(4, settings.latency_max_ms);
  st->bind(5, settings.crash);
  st->bind(6, settings.push_errors);
  st->bind(7, static_cast<int64_t>(settings.seed));
  st->bind(8, clock_.now_ms());
  st->exec();
  tx.commit();
}

int64_t Store::clear_faults() {
  WriteTransaction tx(*db_);
  int64_t n = db_->exec("DELETE FROM faults");
  tx.commit();
  return n;
}

std::vector<FaultRecord> Store::list_faults() {
  Stmt st = cached((std::string("SELECT ") + kFaultColumns + " FROM faults ORDER BY queue").c_str());
  std::vector<FaultRecord> out;
  while (st->executeStep()) out.push_back(read_fault(*st));
  return out;
}

DeliveryFault Store::draw_delivery_fault(const Queue& queue) {
  {
    Stmt any = cached("SELECT 1 FROM faults WHERE queue = ? AND (fail > 0 OR crash > 0 OR latency_max_ms > 0)");
    any->bind(1, queue.name);
    if (!any->executeStep()) return {};
  }
  WriteTransaction tx(*db_);
  FaultRecord f;
  {
    Stmt st = cached((std::string("SELECT ") + kFaultColumns + " FROM faults WHERE queue = ?").c_str());
    st->bind(1, queue.name);
    if (!st->executeStep()) return {};  // cleared meanwhile
    f = read_fault(*st);
  }
  DeliveryFault fault = flareq::draw_delivery_fault(f.settings, static_cast<uint64_t>(f.deliveries_drawn));
  int failed = fault.fail ? 1 : 0, crashed = fault.crash ? 1 : 0, delayed = fault.latency_ms > 0 ? 1 : 0;
  Stmt count = cached(
      "UPDATE faults SET deliveries_drawn = deliveries_drawn + 1, failed = failed + ?, crashed = crashed + ?, "
      "delayed = delayed + ? WHERE queue = ?");
  count->bind(1, failed);
  count->bind(2, crashed);
  count->bind(3, delayed);
  count->bind(4, queue.name);
  count->exec();
  if (fault.any()) {
    Stmt lifetime = cached(
        "UPDATE queues SET injected_failures = injected_failures + ?, injected_crashes = injected_crashes + ?, "
        "injected_latency = injected_latency + ? WHERE qkey = ?");
    lifetime->bind(1, failed);
    lifetime->bind(2, crashed);
    lifetime->bind(3, delayed);
    lifetime->bind(4, queue.key);
    lifetime->exec();
  }
  tx.commit();
  return fault;
}

bool Store::refuse_push(const Queue& queue) {
  // The queue's own setting wins over the one for every queue.
  std::string which;
  FaultSettings settings;
  int64_t drawn = 0;
  {
    Stmt st = cached(
        "SELECT queue, push_errors, seed, pushes_drawn FROM faults WHERE push_errors > 0 AND queue IN (?, '') "
        "ORDER BY queue DESC LIMIT 1");
    st->bind(1, queue.name);
    if (!st->executeStep()) return false;
    which = st->getColumn(0).getString();
    settings.push_errors = st->getColumn(1).getDouble();
    settings.seed = static_cast<uint64_t>(st->getColumn(2).getInt64());
    drawn = st->getColumn(3).getInt64();
  }
  bool refused = draw_push_error(settings, static_cast<uint64_t>(drawn));
  Stmt count = cached("UPDATE faults SET pushes_drawn = pushes_drawn + 1, pushes_refused = pushes_refused + ? WHERE queue = ?");
  count->bind(1, refused ? 1 : 0);
  count->bind(2, which);
  count->exec();
  if (refused) {
    Stmt lifetime = cached("UPDATE queues SET injected_push_errors = injected_push_errors + 1 WHERE qkey = ?");
    lifetime->bind(1, queue.key);
    lifetime->exec();
  }
  return refused;
}

}  // namespace flareq
