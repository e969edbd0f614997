// Names and defaults of the store's records.
#include "emulator/store/types.h"

#include "emulator/core/error.h"

namespace flareq {

const char* consumer_type_name(ConsumerType type) {
  return type == ConsumerType::HttpPull ? "http_pull" : "worker";
}

ConsumerSettings ConsumerSettings::defaults_for(ConsumerType type) {
  ConsumerSettings s;
  if (type == ConsumerType::HttpPull) s.batch_size = limits::kDefaultPullBatchSize;
  return s;
}

const char* message_state_name(MessageState state) {
  switch (state) {
    case MessageState::Ready: return "ready";
    case MessageState::Delayed: return "delayed";
    case MessageState::Leased: return "leased";
  }
  return "ready";
}

std::optional<MessageState> parse_message_state(std::string_view name) {
  if (name == "ready") return MessageState::Ready;
  if (name == "delayed") return MessageState::Delayed;
  if (name == "leased") return MessageState::Leased;
  return std::nullopt;
}

}  // namespace flareq

namespace flareq {

void check_consumer_settings(ConsumerType type, const ConsumerSettings& s, const std::string& queue_name) {
  if (s.dead_letter_queue == queue_name)
    throw bad_request(code::kInvalidConsumerSettings, limits::self_dead_letter_message(queue_name));
  auto out_of_range = [](const std::string& field, int64_t lo, int64_t hi, int64_t got) {
    return bad_request(code::kInvalidConsumerSettings, field + " must be from " + std::to_string(lo) + " to " +
                                                          std::to_string(hi) + ", got " + std::to_string(got));
  };
  if (s.batch_size < 1 || s.batch_size > limits::kMaxBatchSize)
    throw out_of_range("batch_size", 1, limits::kMaxBatchSize, s.batch_size);
  if (s.max_retries < 0 || s.max_retries > limits::kMaxRetries)
    throw out_of_range("max_retries", 0, limits::kMaxRetries, s.max_retries);
  if (s.retry_delay < 0 || s.retry_delay > limits::kMaxRetryDelaySecs)
    throw out_of_range("retry_delay", 0, limits::kMaxRetryDelaySecs, s.retry_delay);
  if (type == ConsumerType::Worker) {
    if (s.max_wait_time_ms < 0 || s.max_wait_time_ms > limits::kMaxBatchTimeoutSecs * 1000)
      throw out_of_range("max_wait_time_ms", 0, limits::kMaxBatchTimeoutSecs * 1000, s.max_wait_time_ms);
    if (s.max_concurrency && (*s.max_concurrency < 1 || *s.max_concurrency > limits::kMaxConcurrency))
      throw out_of_range("max_concurrency", 1, limits::kMaxConcurrency, *s.max_concurrency);
  } else if (s.visibility_timeout_ms < 1 || s.visibility_timeout_ms > limits::kMaxVisibilityTimeoutMs) {
    throw out_of_range("visibility_timeout_ms", 1, limits::kMaxVisibilityTimeoutMs, s.visibility_timeout_ms);
  }
  if (!s.dead_letter_queue.empty() && !limits::is_valid_queue_name(s.dead_letter_queue))
    throw bad_request(code::kInvalidConsumerSettings,
                      "dead_letter_queue '" + s.dead_letter_queue + "' is not a valid queue name");
}

}  // namespace flareq
