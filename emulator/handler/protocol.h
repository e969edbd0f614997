// The handler protocol (README, "Consumer handlers"): the result object a handler may print
// (schema/handler-result.schema.json). The batch document it reads is built by
// dispatch/batch_document.h.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "emulator/core/outcome.h"

namespace flareq::handler {

// A result object: {"acks":[id], "retries":[{id, delaySeconds}], "ackAll":bool,
// "retryAll":{delaySeconds}}, every field optional. Where the same message is named in both
// lists, or both ackAll and retryAll are set, the one earlier in the document wins (first
// call wins).
struct ParsedResult {
  bool is_result = false;      // the text was a result object (not just a log line)
  std::string error;           // set when it claimed to be a result but is malformed
  InvocationReport report;     // threw stays false; the caller sets it from the exit
  std::string invocation;      // persistent mode
  std::optional<bool> outcome_ok;  // persistent mode: "outcome":"ok"|"exception"
  std::string reason;              // "error": why it threw, in the handler's words
};

ParsedResult parse_result(const std::string& text);

// A persistent handler's input line: the batch document with "invocation": id as its first member.
std::string with_invocation(const std::string& document, const std::string& id);

}  // namespace flareq::handler
