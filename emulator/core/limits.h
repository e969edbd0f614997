// Cloudflare's limits and ranges, each checked in one place with production's wording.
// Every check throws flareq::Error with the API's error code and HTTP status.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace flareq::limits {

constexpr size_t kMaxMessageBytes = 128000;
constexpr size_t kMaxBatchMessages = 100;
constexpr size_t kMaxBatchBytes = 256000;
constexpr int64_t kMaxDelaySecs = 86400;
constexpr int64_t kMinRetentionSecs = 60;
constexpr int64_t kMaxRetentionSecs = 1209600;
constexpr int64_t kDefaultRetentionSecs = 345600;
constexpr size_t kMaxQueueNameLength = 63;

constexpr int kMaxBatchSize = 100;
constexpr int kMaxBatchTimeoutSecs = 60;
constexpr int kMaxRetries = 100;
constexpr int kMaxConcurrency = 250;
constexpr int64_t kMaxRetryDelaySecs = 86400;
constexpr int64_t kMaxVisibilityTimeoutMs = 12 * 3600 * 1000;
constexpr int kDefaultPullBatchSize = 5;
constexpr int64_t kDefaultVisibilityTimeoutMs = 30000;

void check_message_size(size_t bytes);
void check_batch(size_t count, size_t bytes);
void check_delay(int64_t secs, std::string_view field = "delay_seconds");
void check_retention(int64_t secs);
void check_queue_name(std::string_view name);
bool is_valid_queue_name(std::string_view name);
// The refusals that the config loader and the store both give, worded once.
std::string invalid_queue_name_message(std::string_view name);
std::string self_dead_letter_message(std::string_view queue);

}  // namespace flareq::limits
