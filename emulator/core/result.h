// What an operation that may fail in an expected way returns: its value, or why not, as a
// sentence for the log or the user (a program that does not exist, a malformed request head).
// flareq's one shape for fallible I/O; refusals of a request or a command are exceptions
// (Error, UsageError), as ARCHITECTURE.md, "Errors", says.
#pragma once
#include <optional>
#include <string>
#include <utility>

namespace flareq {

// The value of a Result<Done>: success that carries nothing.
struct Done {};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: a value converts to its success
  static Result failure(std::string why) {
    Result r;
    r.why_ = std::move(why);
    return r;
  }
  explicit operator bool() const { return value_.has_value(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  // Why it failed; empty on success.
  const std::string& why() const { return why_; }

 private:
  Result() = default;
  std::optional<T> value_;
  std::string why_;
};

}  // namespace flareq
