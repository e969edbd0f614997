// The records the store reads and writes: queues with their settings and counters,
// consumers with theirs, and messages with their delivery state.
#pragma once
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "emulator/core/faults.h"
#include "emulator/core/limits.h"
#include "emulator/core/message.h"

namespace flareq {

struct QueueSettings {
  int64_t delivery_delay = 0;  // seconds
  int64_t retention_secs = limits::kDefaultRetentionSecs;
  bool delivery_paused = false;
};

// What injected faults (`flareq faults`) did, so that a test can tell them from real failures:
// over a queue's life (QueueCounters), and since its faults were set (FaultRecord).
struct InjectedCounts {
  int64_t failures = 0;     // deliveries failed as if the handler threw
  int64_t crashes = 0;      // deliveries whose handler process was killed
  int64_t latency = 0;      // deliveries held back before the handler got them
  int64_t push_errors = 0;  // pushes refused
  int64_t total() const { return failures + crashes + latency + push_errors; }
};

// Lifetime counters, never reset; the test oracle for delivery behaviour.
struct QueueCounters {
  int64_t received = 0;
  int64_t delivered = 0;
  int64_t acked = 0;
  int64_t retried = 0;
  int64_t dead_lettered = 0;
  int64_t expired = 0;
  int64_t replayed = 0;
  InjectedCounts injected;
};

struct Queue {
  int64_t key = 0;
  std::string id;
  std::string name;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  QueueSettings settings;
  int64_t message_count = 0;
  int64_t message_bytes = 0;
  QueueCounters counters;
  int64_t flush_ms = 0;  // batch windows opened at or before this close at once
};

// What sends to a queue, as queue objects list it: a Worker's binding (from the config), or an
// R2 bucket whose event notification rules name the queue (bucket set).
struct Producer {
  std::string binding;
  std::string script;
  std::string bucket;
};

enum class ConsumerType { Worker, HttpPull };
const char* consumer_type_name(ConsumerType type);

struct ConsumerSettings {
  int batch_size = 10;
  int max_retries = 3;
  int64_t max_wait_time_ms = 5000;
  std::optional<int> max_concurrency;
  int64_t retry_delay = 0;
  int64_t visibility_timeout_ms = limits::kDefaultVisibilityTimeoutMs;
  std::string dead_letter_queue;  // empty: none

  // Production's defaults for each consumer type.
  static ConsumerSettings defaults_for(ConsumerType type);
};

// Throws 100127 naming the field, its range and the value when a setting is out of range.
// Production's ranges, and that a queue is not its own dead letter queue.
void check_consumer_settings(ConsumerType type, const ConsumerSettings& settings, const std::string& queue_name);

struct Consumer {
  std::string id;
  int64_t queue_key = 0;
  std::string queue_name;
  ConsumerType type = ConsumerType::Worker;
  std::string script;
  int64_t created_ms = 0;
  ConsumerSettings settings;
};

enum class MessageState { Ready, Delayed, Leased };
const char* message_state_name(MessageState state);
std::optional<MessageState> parse_message_state(std::string_view name);

struct StoredMessage {
  int64_t seq = 0;
  std::string id;
  ContentType content_type = ContentType::Json;
  std::string body;
  int64_t size = 0;
  int64_t enqueued_ms = 0;
  int64_t visible_ms = 0;
  int attempts = 0;
  bool has_lease = false;
  std::string origin_queue;  // set on dead-lettered messages
  int origin_attempts = 0;   // the deliveries it failed there (0: unknown, or not dead-lettered)
  std::string last_error;    // what its last failed delivery threw (empty: none, or unknown)

  MessageState state_at(int64_t now_ms) const {
    if (visible_ms <= now_ms) return MessageState::Ready;
    return has_lease ? MessageState::Leased : MessageState::Delayed;
  }
};

// Cloudflare's queue metrics: what a queue holds, in count and bytes, and its oldest message.
struct QueueMetrics {
  int64_t count = 0;
  int64_t bytes = 0;
  std::optional<int64_t> oldest_enqueued_ms;
};

// What a queue holds now, by state.
struct Backlog : QueueMetrics {
  int64_t ready = 0;
  int64_t delayed = 0;
  int64_t leased = 0;
};

struct SentMessage {
  std::string id;
  int64_t enqueued_ms = 0;
};

// Which dead-lettered messages a replay moves, and where.
struct ReplayFilter {
  std::string to;                        // empty: back to the queue each came from
  std::optional<int64_t> limit;
  std::optional<int64_t> older_than_ms;  // only messages whose timestamp is older than this
  std::vector<std::string> ids;          // empty: any
};

struct ReplayCandidate {
  int64_t seq = 0;
  std::string id;
  std::string target;  // empty: it has no origin and no --to was given
  int64_t enqueued_ms = 0;
};

struct SendResult {
  std::vector<SentMessage> messages;
  QueueMetrics metrics;  // after the send, as the push answer reports them
};

// A message that left its queue for good after its last delivery.
struct DeadLetterMove {
  std::string id;
  int attempts = 0;
  std::string to_queue;  // empty: deleted, no dead letter queue
};

struct LeaseResult {
  std::string token;
  std::vector<StoredMessage> messages;
  std::vector<DeadLetterMove> finished;
};

struct SettleResult {
  int64_t acked = 0;
  int64_t retried = 0;
  int64_t put_back = 0;
  std::vector<DeadLetterMove> finished;
};

// One invocation's outcome, to be applied to the messages held under its lease token.
struct Settlement {
  Queue queue;
  ConsumerSettings consumer;
  std::string token;
  std::vector<int64_t> acked;                          // seqs
  std::vector<std::pair<int64_t, int64_t>> retried;   // seq, delay in seconds
  // Messages whose delivery flareq itself cut short (dev stopped): deliverable again at once, the
  // delivery not counted as an attempt, their last error as it was.
  std::vector<int64_t> put_back;                       // seqs
  std::string error;  // what the invocation threw (empty when it returned): the retried messages' last error
};

// One send waiting for a group commit.
struct SendRequest {
  std::string queue;  // id or name
  const std::vector<OutgoingMessage>* messages;
  std::optional<int64_t> batch_delay_secs;
  SendResult result;
  std::exception_ptr error;
  bool may_fault = false;  // a push over HTTP, which injected push errors may refuse
};

// Where a listing of a queue's messages stands: the (timestamp, seq) of the last message it
// looked at. Listings are keyset-paged on it, so page 10,000 costs what page 1 does.
struct MessageCursor {
  int64_t enqueued_ms = 0;
  int64_t seq = 0;
};

// One page of a queue's messages, oldest or newest first, of one state and holding some text.
struct MessageQuery {
  bool newest_first = false;
  std::optional<MessageState> state;
  std::string search;  // bytes the body must contain; empty: any body
  std::optional<MessageCursor> after;
  int64_t limit = 50;
  // Rows looked at before the page is answered with what was found so far: a search with few
  // matches in a large queue answers in bounded time and says where to go on.
  int64_t scan_budget = 20000;
};

struct MessagePage {
  std::vector<StoredMessage> messages;
  std::optional<MessageCursor> next;  // none: the end of the queue was reached
  int64_t scanned = 0;
};

// Pull consumers' leases belong to no process: only their visibility timeout ends them.
constexpr const char* kPullLeaseOwner = "http_pull";

// What moving the virtual clock did to one queue.
struct QueueTimeChange {
  std::string queue;
  int64_t due = 0;      // messages whose delay, retry delay or visibility timeout ran out
  int64_t expired = 0;  // messages deleted by retention
};

struct ClockChange {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::vector<QueueTimeChange> queues;  // only those where something happened
};

// One queue's injected faults ('' for pushes to every queue) and what they injected so far.
struct FaultRecord {
  std::string queue;
  FaultSettings settings;
  int64_t set_ms = 0;
  int64_t deliveries_drawn = 0;
  int64_t pushes_drawn = 0;
  InjectedCounts injected;
};

}  // namespace flareq
