// The error every layer raises for bad input or a missing thing: a sentence for the user,
// with the Cloudflare error code and HTTP status the API answers it with.
#pragma once
#include <stdexcept>
#include <string>

namespace flareq {

namespace code {
constexpr int kUnauthorized = 10000;
constexpr int kQueueNotFound = 10104;
constexpr int kMalformedQueueId = 10107;
constexpr int kInvalidDelay = 10202;
constexpr int kInvalidMetadata = 10203;
constexpr int kMessageTooLarge = 10204;
constexpr int kBatchTooLarge = 10205;
constexpr int kBatchTooManyMessages = 10206;
constexpr int kInvalidBody = 10207;
constexpr int kMalformedBody = 10208;
constexpr int kQueueOverloaded = 10250;
constexpr int kQueueDeliveryPaused = 10252;
constexpr int kConsumerExists = 11004;
constexpr int kQueueExists = 11009;
constexpr int kInvalidConsumerSettings = 100127;
constexpr int kInvalidQueueSettings = 100128;
constexpr int kInvalidQueueName = 11003;
constexpr int kNotFound = 7003;
constexpr int kInternal = 10001;
// R2 event notification rules: flareq's codes (production's are not documented).
constexpr int kInvalidNotificationRule = 10060;
constexpr int kConflictingNotificationRule = 10061;
}  // namespace code

class Error : public std::runtime_error {
 public:
  Error(int code, int http_status, const std::string& message)
      : std::runtime_error(message), code_(code), http_status_(http_status) {}
  int code() const { return code_; }
  int http_status() const { return http_status_; }

 private:
  int code_;
  int http_status_;
};

// A command given wrongly (a malformed flag value, a combination that cannot work, a
// confirmation that was not given): the CLI prints the sentence and exits non-zero. It has
// no API code or HTTP status, since no request carries it.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline Error bad_request(int code, const std::string& message) { return Error(code, 400, message); }
inline Error not_found(int code, const std::string& message) { return Error(code, 404, message); }
inline Error conflict(int code, const std::string& message) { return Error(code, 409, message); }

}  // namespace flareq
