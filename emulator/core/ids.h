// Identifiers: message, queue and consumer ids are 32 lowercase hex characters, as in
// production; lease tokens are longer random strings nobody can guess.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace flareq {

std::string new_id();            // 128 random bits as 32 lowercase hex characters
std::string new_secret_token();  // 192 random bits as 48 lowercase hex characters
bool is_id(std::string_view s);  // 32 lowercase hex characters
uint32_t new_seed();             // a random seed for injected faults, short enough to read back

}  // namespace flareq
