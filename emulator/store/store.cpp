// Opening, migrating and refusing state files; queues and consumers.
#include "emulator/store/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include <sqlite3.h>

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"
#include "emulator/core/ids.h"
#include "emulator/store/migrations.h"
#include "emulator/store/state_file_access.h"
#include "emulator/store/write_transaction.h"

namespace flareq {
namespace {

constexpr int kBusyTimeoutMs = 10000;
// The WAL is cut back to this size whenever a checkpoint lets it start over.
constexpr int64_t kWalSizeLimitBytes = 4 << 20;  // about one automatic checkpoint (1000 pages)
// Free pages are kept for reuse up to this many; beyond it they go back to the file system.
constexpr int64_t kKeptFreePages = 1024;

const char* kQueueColumns =
    "qkey, queue_id, name, created_ms, modified_ms, delivery_delay, retention_secs, "
    "delivery_paused, message_count, message_bytes, received, delivered, acked, retried, "
    "dead_lettered, expired, replayed, flush_ms, injected_failures, injected_crashes, injected_latency, "
    "injected_push_errors";

const char* kConsumerColumns =
    "c.consumer_id, c.qkey, q.name, c.type, c.script, c.created_ms, c.batch_size, c.max_retries, "
    "c.max_wait_time_ms, c.max_concurrency, c.retry_delay, c.visibility_timeout_ms, "
    "c.dead_letter_queue";

// Before the first connection: no global memory statistics, which take a process-wide mutex
// on every allocation SQLite makes (a hot path: every statement of every delivery).
void configure_sqlite_once() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // fails harmlessly if SQLite is already in use
    return true;
  }();
  (void)configured;
}

Error state_file_error(const std::filesystem::path& path, const std::string& why) {
  return Error(code::kInternal, 500, "cannot use state file " + path.string() + ": " + why);
}

}  // namespace

std::optional<Durability> parse_durability(std::string_view name) {
  if (name == "normal") return Durability::Normal;
  if (name == "full") return Durability::Full;
  return std::nullopt;
}

int Store::schema_version() { return migrations().empty() ? 0 : migrations().back().version; }

Store::Store(const std::filesystem::path& path, Durability durability, const Clock& clock)
    : path_(path), clock_(clock) {
  configure_sqlite_once();
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  try {
    db_ = std::make_unique<SQLite::Database>(path.string(),
                                             SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
    db_->setBusyTimeout(kBusyTimeoutMs);
    // SQLite opens a file it may not write read-only, without a word: said now, not at the first write.
    if (sqlite3_db_readonly(db_->getHandle(), "main") == 1) {
      std::string problem = state_file_access_problem(path);
      throw state_file_error(path, problem.empty() ? "it is read-only" : problem);
    }
    // Read-only checks first: nothing is written to a file we are about to refuse.
    int version = db_->execAndGet("PRAGMA user_version").getInt();
    int tables = db_->execAndGet("SELECT count(*) FROM sqlite_master").getInt();
    if (version == 0 && tables > 0)
      throw state_file_error(path, "it is an SQLite database, but not a flareq state file");
    if (version > schema_version())
      throw state_file_error(path, "it was written by a newer flareq (schema version " +
                                       std::to_string(version) + "; this flareq knows up to " +
                                       std::to_string(schema_version()) + ")");
    if (version > 0) {
      bool ours = false;
      try {
        ours = db_->execAndGet("SELECT value FROM flareq_meta WHERE key = 'application'").getString() == "flareq";
      } catch (const SQLite::Exception&) {
      }
      if (!ours) throw state_file_error(path, "it is an SQLite database, but not a flareq state file");
    }
    if (tables == 0) db_->exec("PRAGMA auto_vacuum = INCREMENTAL");  // only before the first table
    db_->exec("PRAGMA journal_mode = WAL");
    db_->exec("PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes));
    db_->exec(durability == Durability::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    db_->exec("PRAGMA foreign_keys = ON");
    db_->exec("PRAGMA temp_store = MEMORY");
    migrate();
    sync_clock();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) file_device_ = st.st_dev, file_inode_ = st.st_ino;
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_NOTADB)
      throw state_file_error(path, "it is not an SQLite database (is it the right file?)");
    int primary = e.getErrorCode() & 0xff;
    if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN)
      if (std::string problem = state_file_access_problem(path); !problem.empty()) throw state_file_error(path, problem);
    throw state_file_error(path, e.what());
  }
}

Store::~Store() = default;

bool Store::file_replaced() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return errno == ENOENT;
  return st.st_dev != file_device_ || st.st_ino != file_inode_;
}

std::optional<std::string> Store::reset_refusal(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  char header[16] = {};
  in.read(header, sizeof header);
  if (std::string(header, sizeof header) != std::string("SQLite format 3\0", 16)) return std::nullopt;  // unreadable
  std::string refusal = "refusing to delete " + path.string() +
                        ": it is an SQLite database, but not a flareq state file (--reset deletes only flareq's)";
  try {
    SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
    if (db.execAndGet("SELECT count(*) FROM sqlite_master WHERE name = 'flareq_meta'").getInt() == 0) return refusal;
    if (db.execAndGet("SELECT value FROM flareq_meta WHERE key = 'application'").getString() != "flareq") return refusal;
  } catch (const SQLite::Exception&) {
    // Damaged beyond reading: what --reset is for.
  }
  return std::nullopt;
}

bool Store::enable_space_reclaim() {
  if (db_->execAndGet("PRAGMA auto_vacuum").getInt() == 2) return false;
  db_->exec("PRAGMA auto_vacuum = INCREMENTAL");
  db_->exec("VACUUM");  // takes effect only through a rebuild of the file
  return true;
}

int64_t Store::reclaim_space(int64_t max_pages) {
  int64_t free_pages = db_->execAndGet("PRAGMA freelist_count").getInt64();
  if (free_pages <= kKeptFreePages) return 0;
  int64_t pages = std::min(free_pages - kKeptFreePages, max_pages);
  db_->exec("PRAGMA incremental_vacuum(" + std::to_string(pages) + ")");
  int64_t released = free_pages - db_->execAndGet("PRAGMA freelist_count").getInt64();
  // The last step: copy the WAL into the file now, which cuts the file to its new size,
  // rather than when the WAL next fills. PASSIVE never waits for or blocks a writer.
  if (released < max_pages) db_->exec("PRAGMA wal_checkpoint(PASSIVE)");
  return released;
}

void Store::migrate() {
  if (db_->execAndGet("PRAGMA user_version").getInt() == schema_version()) return;
  WriteTransaction tx(*db_);
  // Another process may have migrated while we waited for the write lock.
  int version = db_->execAndGet("PRAGMA user_version").getInt();
  for (const auto& m : migrations()) {
    if (m.version <= version) continue;
    db_->exec(m.sql);
    db_->exec("PRAGMA user_version = " + std::to_string(m.version));
  }
  tx.commit();
}

Stmt Store::cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) it = cache_.emplace(sql, std::make_unique<SQLite::Statement>(*db_, sql)).first;
  it->second->clearBindings();
  return Stmt(*it->second);
}

Queue Store::read_queue(SQLite::Statement& r) {
  Queue q;
  q.key = r.getColumn(0).getInt64();
  q.id = r.getColumn(1).getString();
  q.name = r.getColumn(2).getString();
  q.created_ms = r.getColumn(3).getInt64();
  q.modified_ms = r.getColumn(4).getInt64();
  q.settings.delivery_delay = r.getColumn(5).getInt64();
  q.settings.retention_secs = r.getColumn(6).getInt64();
  q.settings.delivery_paused = r.getColumn(7).getInt() != 0;
  q.message_count = r.getColumn(8).getInt64();
  q.message_bytes = r.getColumn(9).getInt64();
  q.counters.received = r.getColumn(10).getInt64();
  q.counters.delivered = r.getColumn(11).getInt64();
  q.counters.acked = r.getColumn(12).getInt64();
  q.counters.retried = r.getColumn(13).getInt64();
  q.counters.dead_lettered = r.getColumn(14).getInt64();
  q.counters.expired = r.getColumn(15).getInt64();
  q.counters.replayed = r.getColumn(16).getInt64();
  q.flush_ms = r.getColumn(17).getInt64();
  q.counters.injected.failures = r.getColumn(18).getInt64();
  q.counters.injected.crashes = r.getColumn(19).getInt64();
  q.counters.injected.latency = r.getColumn(20).getInt64();
  q.counters.injected.push_errors = r.getColumn(21).getInt64();
  return q;
}

Queue Store::create_queue(const std::string& name, const QueueSettings& settings) {
  limits::check_queue_name(name);
  limits::check_delay(settings.delivery_delay, "delivery_delay");
  limits::check_retention(settings.retention_secs);
  WriteTransaction tx(*db_);
  if (find_queue(name))
    throw conflict(code::kQueueExists, "a queue named '" + name + "' already exists");
  insert_queue(name, settings);
  tx.commit();
  return queue(name);
}

int64_t Store::insert_queue(const std::string& name, const QueueSettings& settings) {
  int64_t now = clock_.now_ms();
  Stmt st = cached(
      "INSERT INTO queues (queue_id, name, created_ms, modified_ms, delivery_delay, retention_secs, "
      "delivery_paused) VALUES (?, ?, ?, ?, ?, ?, ?)");
  st->bind(1, new_id());
  st->bind(2, name);
  st->bind(3, now);
  st->bind(4, now);
  st->bind(5, settings.delivery_delay);
  st->bind(6, settings.retention_secs);
  st->bind(7, settings.delivery_paused ? 1 : 0);
  st->exec();
  return db_->getLastInsertRowid();
}

Queue Store::ensure_queue(const std::string& name) {
  if (auto q = find_queue(name)) return *q;
  limits::check_queue_name(name);
  WriteTransaction tx(*db_);
  if (!find_queue(name)) insert_queue(name, {});  // another process may have created it first
  tx.commit();
  return queue(name);
}

std::optional<Queue> Store::find_queue(std::string_view id_or_name) {
  static const std::string sql =
      std::string("SELECT ") + kQueueColumns + " FROM queues WHERE queue_id = ?1 OR name = ?1 "
      "ORDER BY queue_id = ?1 DESC LIMIT 1";
  Stmt st = cached(sql.c_str());
  st->bind(1, std::string(id_or_name));
  if (!st->executeStep()) return std::nullopt;
  return read_queue(*st);
}

Queue Store::queue(std::string_view id_or_name) {
  if (auto q = find_queue(id_or_name)) return *q;
  throw not_found(code::kQueueNotFound, "queue '" + printable(id_or_name) + "' does not exist");
}

std::vector<Queue> Store::list_queues() {
  static const std::string sql = std::string("SELECT ") + kQueueColumns + " FROM queues ORDER BY created_ms, qkey";
  Stmt st = cached(sql.c_str());
  std::vector<Queue> out;
  while (st->executeStep()) out.push_back(read_queue(*st));
  return out;
}

std::vector<Queue> Store::list_consumed_queues() {
  std::vector<Queue> out;
  for (Queue& q : list_queues())
    if (consumer_of(q.key)) out.push_back(std::move(q));
  return out;
}

Queue Store::update_queue(int64_t queue_key, const QueueSettings& settings) {
  limits::check_delay(settings.delivery_delay, "delivery_delay");
  limits::check_retention(settings.retention_secs);
  WriteTransaction tx(*db_);
  Stmt st = cached(
      "UPDATE queues SET delivery_delay = ?, retention_secs = ?, delivery_paused = ?, modified_ms = ? "
      "WHERE qkey = ?");
  st->bind(1, settings.delivery_delay);
  st->bind(2, settings.retention_secs);
  st->bind(3, settings.delivery_paused ? 1 : 0);
  st->bind(4, clock_.now_ms());
  st->bind(5, queue_key);
  if (st->exec() == 0) throw not_found(code::kQueueNotFound, "queue does not exist");
  tx.commit();
  static const std::string sql = std::string("SELECT ") + kQueueColumns + " FROM queues WHERE qkey = ?";
  Stmt get = cached(sql.c_str());
  get->bind(1, queue_key);
  get->executeStep();
  return read_queue(*get);
}

int64_t Store::delete_queue(int64_t queue_key) {
  WriteTransaction tx(*db_);
  Stmt del_messages = cached("DELETE FROM messages WHERE qkey = ?");
  del_messages->bind(1, queue_key);
  int64_t deleted = del_messages->exec();
  Stmt del_queue = cached("DELETE FROM queues WHERE qkey = ?");
  del_queue->bind(1, queue_key);
  if (del_queue->exec() == 0) throw not_found(code::kQueueNotFound, "queue does not exist");
  tx.commit();
  return deleted;
}

int64_t Store::purge_queue(int64_t queue_key) {
  WriteTransaction tx(*db_);
  Stmt st = cached("DELETE FROM messages WHERE qkey = ?");
  st->bind(1, queue_key);
  int64_t deleted = st->exec();
  tx.commit();
  return deleted;
}

Consumer Store::read_consumer(SQLite::Statement& r) {
  Consumer c;
  c.id = r.getColumn(0).getString();
  c.queue_key = r.getColumn(1).getInt64();
  c.queue_name = r.getColumn(2).getString();
  c.type = r.getColumn(3).getString() == "http_pull" ? ConsumerType::HttpPull : ConsumerType::Worker;
  c.script = r.getColumn(4).getString();
  c.created_ms = r.getColumn(5).getInt64();
  c.settings.batch_size = r.getColumn(6).getInt();
  c.settings.max_retries = r.getColumn(7).getInt();
  c.settings.max_wait_time_ms = r.getColumn(8).getInt64();
  if (!r.getColumn(9).isNull()) c.settings.max_concurrency = r.getColumn(9).getInt();
  c.settings.retry_delay = r.getColumn(10).getInt64();
  c.settings.visibility_timeout_ms = r.getColumn(11).getInt64();
  c.settings.dead_letter_queue = r.getColumn(12).getString();
  return c;
}

Consumer Store::add_consumer(const Queue& queue, ConsumerType type, const std::string& script,
                             const ConsumerSettings& settings) {
  check_consumer_settings(type, settings, queue.name);
  WriteTransaction tx(*db_);
  if (auto existing = consumer_of(queue.key))
    throw conflict(code::kConsumerExists, "queue '" + queue.name + "' already has a " +
                                              consumer_type_name(existing->type) +
                                              " consumer; a queue has one consumer at a time");
  Stmt st = cached(
      "INSERT INTO consumers (consumer_id, qkey, type, script, created_ms, batch_size, max_retries, "
      "max_wait_time_ms, max_concurrency, retry_delay, visibility_timeout_ms, dead_letter_queue) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  std::string id = new_id();
  st->bind(1, id);
  st->bind(2, queue.key);
  st->bind(3, consumer_type_name(type));
  st->bind(4, script);
  st->bind(5, clock_.now_ms());
  st->bind(6, settings.batch_size);
  st->bind(7, settings.max_retries);
  st->bind(8, settings.max_wait_time_ms);
  if (settings.max_concurrency) st->bind(9, *settings.max_concurrency);
  st->bind(10, settings.retry_delay);
  st->bind(11, settings.visibility_timeout_ms);
  st->bind(12, settings.dead_letter_queue);
  st->exec();
  tx.commit();
  return *consumer_of(queue.key);
}

Consumer Store::update_consumer(const Consumer& c) {
  check_consumer_settings(c.type, c.settings, c.queue_name);
  WriteTransaction tx(*db_);
  Stmt st = cached(
      "UPDATE consumers SET script = ?, batch_size = ?, max_retries = ?, max_wait_time_ms = ?, "
      "max_concurrency = ?, retry_delay = ?, visibility_timeout_ms = ?, dead_letter_queue = ? "
      "WHERE consumer_id = ?");
  st->bind(1, c.script);
  st->bind(2, c.settings.batch_size);
  st->bind(3, c.settings.max_retries);
  st->bind(4, c.settings.max_wait_time_ms);
  if (c.settings.max_concurrency) st->bind(5, *c.settings.max_concurrency);
  st->bind(6, c.settings.retry_delay);
  st->bind(7, c.settings.visibility_timeout_ms);
  st->bind(8, c.settings.dead_letter_queue);
  st->bind(9, c.id);
  if (st->exec() == 0) throw not_found(code::kNotFound, "consumer '" + c.id + "' does not exist");
  tx.commit();
  return *consumer_of(c.queue_key);
}

std::optional<Consumer> Store::consumer_of(int64_t queue_key) {
  static const std::string sql = std::string("SELECT ") + kConsumerColumns +
                                 " FROM consumers c JOIN queues q ON q.qkey = c.qkey WHERE c.qkey = ?";
  Stmt st = cached(sql.c_str());
  st->bind(1, queue_key);
  if (!st->executeStep()) return std::nullopt;
  return read_consumer(*st);
}

void Store::remove_consumer(const std::string& consumer_id) {
  WriteTransaction tx(*db_);
  Stmt st = cached("DELETE FROM consumers WHERE consumer_id = ?");
  st->bind(1, consumer_id);
  if (st->exec() == 0) throw not_found(code::kNotFound, "consumer '" + consumer_id + "' does not exist");
  tx.commit();
}

void Store::request_flush(int64_t queue_key) {
  WriteTransaction tx(*db_);
  Stmt st = cached("UPDATE queues SET flush_ms = ? WHERE qkey = ?");
  st->bind(1, clock_.now_ms());
  st->bind(2, queue_key);
  st->exec();
  tx.commit();
}

}  // namespace flareq
