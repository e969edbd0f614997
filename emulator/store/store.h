// The state file: one SQLite database in WAL mode holding every queue, consumer and
// message. A Store is one connection; use one per thread. Every write is one IMMEDIATE
// transaction, so several flareq processes can share the file safely.
#pragma once
#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "emulator/core/clock.h"
#include "emulator/core/r2_rules.h"
#include "emulator/store/types.h"

namespace flareq {

class WriteTransaction;

// normal: survives a crash of flareq, a power cut may lose the last commits.
// full: fsync on every commit.
enum class Durability { Normal, Full };
std::optional<Durability> parse_durability(std::string_view name);

// A prepared statement borrowed from a Store's cache; reset when it goes out of scope so
// that no half-read statement keeps an old read snapshot open.
class Stmt {
 public:
  explicit Stmt(SQLite::Statement& s) : s_(s) {}
  ~Stmt() { s_.tryReset(); }
  Stmt(Stmt&& other) = delete;
  SQLite::Statement* operator->() { return &s_; }
  SQLite::Statement& operator*() { return s_; }

 private:
  SQLite::Statement& s_;
};

class Store {
 public:
  // Opens (creating it if needed) and migrates the state file. Refuses, leaving the file
  // untouched, one that is not a flareq database or that a newer flareq wrote.
  Store(const std::filesystem::path& path, Durability durability, const Clock& clock);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static int schema_version();
  // Why `path` must not be deleted to start over (`dev --reset`), or nothing: a flareq state
  // file, or one too damaged to read, may go; a readable database that is not flareq's may not.
  static std::optional<std::string> reset_refusal(const std::filesystem::path& path);
  const std::filesystem::path& path() const { return path_; }
  // Whether the file at path() is no longer the one this store opened (deleted, or another
  // put in its place): what is committed then is lost. Safe from any thread.
  bool file_replaced() const;
  const Clock& clock() const { return clock_; }

  // Queues. A queue is named by its 32-hex id or by its name.
  Queue create_queue(const std::string& name, const QueueSettings& settings);
  Queue ensure_queue(const std::string& name);  // creates it with defaults if missing
  std::optional<Queue> find_queue(std::string_view id_or_name);
  Queue queue(std::string_view id_or_name);  // throws 10104 when missing
  std::vector<Queue> list_queues();
  std::vector<Queue> list_consumed_queues();  // those with a consumer, in the same order
  Queue update_queue(int64_t queue_key, const QueueSettings& settings);
  int64_t delete_queue(int64_t queue_key);  // returns the number of messages deleted
  int64_t purge_queue(int64_t queue_key);   // returns the number of messages deleted

  // Consumers: at most one per queue.
  Consumer add_consumer(const Queue& queue, ConsumerType type, const std::string& script,
                        const ConsumerSettings& settings);  // throws 11004 when one exists
  Consumer update_consumer(const Consumer& consumer);
  std::optional<Consumer> consumer_of(int64_t queue_key);
  void remove_consumer(const std::string& consumer_id);

  // Messages.
  // Stores a batch in one transaction: all or nothing. Delays follow the precedence of
  // docs/semantics.md, "Producing". The messages come from the intake (core/intake.h), which
  // checked them against production's limits.
  SendResult send(const Queue& queue, const std::vector<OutgoingMessage>& messages,
                  std::optional<int64_t> batch_delay_secs = std::nullopt);
  // Several checked sends in one transaction (group commit); each gets its result or its
  // error (an unknown queue). A failing commit throws, and then none was stored.
  void send_all(const std::vector<SendRequest*>& group);
  // A peek in delivery order; never changes a message.
  std::vector<StoredMessage> peek(int64_t queue_key, int64_t limit,
                                  std::optional<MessageState> state = std::nullopt);
  // A page of a queue's messages for people (the dashboard): keyset-paged, filtered by state
  // and by text in the body, never changing a message.
  MessagePage list_messages(int64_t queue_key, const MessageQuery& query);
  // One message of the queue by (seq, id), as a peek or a listing named it.
  std::optional<StoredMessage> message_at(int64_t queue_key, int64_t seq, const std::string& id);
  // Deletes the messages named by (seq, id) pairs; returns how many were deleted.
  int64_t delete_messages(int64_t queue_key, const std::vector<std::pair<int64_t, std::string>>& refs);
  Backlog backlog(int64_t queue_key);

  // Delivery. Leases up to `limit` ready messages for `lease_ms`, adding one to their
  // attempts, in one transaction. Messages whose last allowed delivery already ran out
  // unsettled are dead-lettered (or deleted) instead, and reported in `finished`.
  LeaseResult lease(const Queue& queue, const ConsumerSettings& consumer, int64_t limit, int64_t lease_ms,
                    const std::string& owner);
  // Several leases in one transaction, as one pass of the dispatcher takes them (as settles
  // are grouped): each lease() sees those before it; none is durable until commit().
  class LeasePass {
   public:
    explicit LeasePass(Store& store);
    ~LeasePass();  // rolls back what was not committed
    LeaseResult lease(const Queue& queue, const ConsumerSettings& consumer, int64_t limit, int64_t lease_ms,
                      const std::string& owner);
    void commit();

   private:
    Store& store_;
    std::unique_ptr<WriteTransaction> tx_;  // begun with the first lease
  };
  // Applies one invocation's outcome to the messages still held under `token`; a message
  // whose lease was lost (expired and taken by another) is left alone.
  SettleResult settle(const Queue& queue, const ConsumerSettings& consumer, const std::string& token,
                      const std::vector<int64_t>& acked, const std::vector<std::pair<int64_t, int64_t>>& retried);
  // Several invocations' outcomes in one transaction (all the batches a dispatcher pass found
  // finished), each as settle() applies it; the results in the same order.
  std::vector<SettleResult> settle(const std::vector<Settlement>& settlements);
  // Puts the messages leased by `owner` (a process that is gone) back, deliverable now, their
  // deliveries not counted as attempts.
  int64_t release_leases(const std::string& owner);
  std::vector<std::string> lease_owners();
  // Deletes what is past the queue's retention period; returns how many.
  int64_t expire_messages(const Queue& queue);
  // When the earliest message of the queue becomes deliverable (ready, delay over or lease
  // run out), and how many are ready now, counted up to `limit`.
  std::optional<int64_t> next_visible_ms(int64_t queue_key);
  int64_t count_ready(int64_t queue_key, int64_t limit);
  // Dead-letter replay: what a filter selects (read only), then moving a batch of those back
  // in one transaction (ids, timestamps and bodies kept, attempts reset, visible at once).
  // Returns how many moved; a message no longer in the DLQ is skipped.
  std::vector<ReplayCandidate> replay_candidates(const Queue& dlq, const ReplayFilter& filter);
  int64_t replay(const Queue& dlq, const std::vector<ReplayCandidate>& batch);
  // Closes the queue's open batch windows (in every process delivering it).
  void request_flush(int64_t queue_key);
  // One message by id, in any queue (a scan: for people, not hot paths).
  std::optional<std::pair<Queue, StoredMessage>> find_message(const std::string& id);
  bool delete_message(int64_t queue_key, int64_t seq);

  // The virtual clock (docs/semantics.md, "Time"), one per state file. sync_clock reads it
  // from the file into the clock (done on open; a running dev does it when the file changes).
  VirtualTime sync_clock();
  // Moves time forward by `ms`: messages whose delay or lease ran out become deliverable,
  // and retention runs. Leases of batches in flight move with it: a running handler keeps
  // its batch. Returns what became due and what expired, per queue.
  ClockChange advance_clock(int64_t ms);
  // Back to real time. Waits still running keep what is left of them, and a message that was
  // due stays due: nothing is moved backwards in time.
  ClockChange reset_clock();
  // Time stands still at the current virtual time and moves only with advance_clock.
  void freeze_clock();

  // Injected faults (docs/semantics.md, "Faults"). `queue` is a queue name, or '' for pushes to
  // every queue. Setting replaces what the queue had and starts its counts again.
  void set_faults(const std::string& queue, const FaultSettings& settings);
  int64_t clear_faults();  // returns how many were cleared
  std::vector<FaultRecord> list_faults();
  // Draws the fault of the next delivery of `queue` and counts what it injects; nothing (and
  // no write) when the queue has no delivery fault set.
  DeliveryFault draw_delivery_fault(const Queue& queue);

  // R2 event notification rules (docs/semantics.md, "R2 event notifications"). Adding gives
  // each rule an id and the time; every rule is refused (400, or 409 for a conflict) when one
  // is invalid or overlaps the bucket's rules or another of `rules`. A queue's deletion
  // deletes its rules.
  std::vector<r2::Rule> add_r2_rules(const std::string& bucket, const Queue& queue, std::vector<r2::Rule> rules);
  std::vector<r2::Rule> r2_rules(const std::string& bucket);  // every bucket's when empty
  std::vector<r2::Rule> r2_rules_of_queue(int64_t queue_key);
  // The buckets whose rules send to the queue, as producers (once each).
  std::vector<Producer> r2_producers(int64_t queue_key);
  // Deletes the queue's rules on the bucket, or only those of `rule_ids`; returns how many.
  int64_t delete_r2_rules(const std::string& bucket, int64_t queue_key, const std::vector<std::string>& rule_ids);
  // Commits the event's message (its time now) to the queue of the rule it matches, if one
  // does: what the rule was, and the message sent.
  struct R2Notification {
    r2::Rule rule;
    SentMessage message;
    nlohmann::ordered_json body;
  };
  std::optional<R2Notification> notify_r2(r2::Event event, const std::string& account);

  // Changes when any connection commits (PRAGMA data_version): lets a process notice
  // another's writes cheaply.
  int64_t data_version();
  QueueMetrics metrics(int64_t queue_key);

  // Space. New state files give free pages back to the file system incrementally; an older
  // file is converted once (a VACUUM, done by `dev` at start). Returns whether it converted.
  bool enable_space_reclaim();
  // Gives back up to `max_pages` free pages (one short write); after the last step, a
  // checkpoint shrinks the file, and the next write cuts the WAL back. Returns the pages given back.
  int64_t reclaim_space(int64_t max_pages);

 private:
  Stmt cached(const char* sql);
  std::vector<SentMessage> insert_messages(const Queue& queue, const std::vector<OutgoingMessage>& messages,
                             std::optional<int64_t> batch_delay_secs);
  int64_t insert_queue(const std::string& name, const QueueSettings& settings);  // inside a write
  // Accounts for messages inserted into a queue (received, count, bytes); inside a write.
  // Inserts are counted here, once per statement; deletes by a trigger.
  void count_received(int64_t queue_key, int64_t count, int64_t bytes);
  // Deletes the queue's messages older than `cutoff_ms`; inside a write. Returns how many.
  int64_t expire_before(const Queue& queue, int64_t cutoff_ms);
  // Applies one settlement at `now`; inside a write.
  SettleResult settle_held(const Settlement& s, int64_t now);
  LeaseResult lease_held(const Queue& queue, const ConsumerSettings& consumer, int64_t limit, int64_t lease_ms,
                         const std::string& owner);
  // Whether an injected push error refuses this send (drawn and counted); inside a write.
  bool refuse_push(const Queue& queue);
  void write_clock(const VirtualTime& time);  // inside a write
  VirtualTime read_clock();
  // Moves a message to `dlq` (created if missing) or, with no DLQ, deletes it; inside a write.
  DeadLetterMove finish_message(const StoredMessage& message, const Queue& from, const std::string& dlq, int64_t now,
                                const std::string& error = "");
  Queue read_queue(SQLite::Statement& row);
  Consumer read_consumer(SQLite::Statement& row);
  // The rules a cached statement selects (r2_rules.cpp), with `value` bound to its one parameter.
  std::vector<r2::Rule> select_r2_rules(const char* sql, const std::optional<std::string>& value);
  std::vector<r2::Rule> rules_of_bucket(const std::string& bucket);
  void migrate();

  std::filesystem::path path_;
  uint64_t file_device_ = 0, file_inode_ = 0;  // of the file opened
  const Clock& clock_;
  std::unique_ptr<SQLite::Database> db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> cache_;
};

}  // namespace flareq
