// The checks of limits.h. Texts follow production where it has one.
#include "emulator/core/limits.h"

#include "emulator/core/encoding.h"
#include "emulator/core/error.h"

namespace flareq::limits {

void check_message_size(size_t bytes) {
  if (bytes > kMaxMessageBytes)
    throw Error(code::kMessageTooLarge, 413,
                "message length of " + std::to_string(bytes) + " bytes exceeds limit of " +
                    std::to_string(kMaxMessageBytes));
}

void check_batch(size_t count, size_t bytes) {
  if (count > kMaxBatchMessages)
    throw Error(code::kBatchTooManyMessages, 413,
                "batch message count of " + std::to_string(count) + " exceeds limit of " +
                    std::to_string(kMaxBatchMessages));
  if (bytes > kMaxBatchBytes)
    throw Error(code::kBatchTooLarge, 413,
                "batch size of " + std::to_string(bytes) + " bytes exceeds limit of " +
                    std::to_string(kMaxBatchBytes));
}

void check_delay(int64_t secs, std::string_view field) {
  if (secs < 0 || secs > kMaxDelaySecs)
    throw bad_request(code::kInvalidDelay, std::string(field) + " must be an integer from 0 to " +
                                               std::to_string(kMaxDelaySecs) + ", got " +
                                               std::to_string(secs));
}

void check_retention(int64_t secs) {
  if (secs < kMinRetentionSecs || secs > kMaxRetentionSecs)
    throw bad_request(code::kInvalidQueueSettings,
                      "message_retention_period must be from " + std::to_string(kMinRetentionSecs) +
                          " to " + std::to_string(kMaxRetentionSecs) + " seconds, got " +
                          std::to_string(secs));
}

static bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_valid_queue_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxQueueNameLength) return false;
  if (!is_alnum(name.front()) || !is_alnum(name.back())) return false;
  for (char c : name)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

std::string invalid_queue_name_message(std::string_view name) {
  return "queue name \"" + printable(name) +
         "\" is invalid: use 1 to 63 letters, digits and '-', starting and ending with a letter or digit";
}

std::string self_dead_letter_message(std::string_view queue) {
  return "Dead letter queue for queue \"" + std::string(queue) + "\" cannot be itself";
}

void check_queue_name(std::string_view name) {
  if (!is_valid_queue_name(name)) throw bad_request(code::kInvalidQueueName, invalid_queue_name_message(name));
}

}  // namespace flareq::limits
