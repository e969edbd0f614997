// Random identifiers from the kernel's CSPRNG (getrandom), read in blocks so that an id
// costs no system call on the hot path.
#include "emulator/core/ids.h"

#include <sys/random.h>

#include <cstdint>
#include <stdexcept>

namespace flareq {
namespace {

void random_bytes(uint8_t* out, size_t n) {
  thread_local uint8_t pool[4096];
  thread_local size_t used = sizeof pool;
  while (n > 0) {
    if (used == sizeof pool) {
      size_t got = 0;
      while (got < sizeof pool) {
        ssize_t r = getrandom(pool + got, sizeof pool - got, 0);
        if (r < 0) throw std::runtime_error("getrandom failed");
        got += static_cast<size_t>(r);
      }
      used = 0;
    }
    size_t take = std::min(n, sizeof pool - used);
    for (size_t i = 0; i < take; ++i) out[i] = pool[used + i];
    used += take;
    out += take;
    n -= take;
  }
}

std::string random_hex(size_t bytes) {
  static const char* digits = "0123456789abcdef";
  uint8_t buf[32];
  random_bytes(buf, bytes);
  std::string out(bytes * 2, '0');
  for (size_t i = 0; i < bytes; ++i) {
    out[2 * i] = digits[buf[i] >> 4];
    out[2 * i + 1] = digits[buf[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string new_id() { return random_hex(16); }
std::string new_secret_token() { return random_hex(24); }

uint32_t new_seed() {
  uint8_t b[4];
  random_bytes(b, sizeof b);
  return (uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3]) & 0x7fffffff;
}

bool is_id(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace flareq

// The static libstdc++ that the portable binary links (cmake/portable_deps.cmake) seeds
// std::random_device, which cpp-httplib uses, with glibc 2.36's arc4random. Defining it here,
// in a file every binary links, keeps the binary runnable on glibc 2.34 (Ubuntu 22.04's 2.35).
extern "C" uint32_t arc4random(void) {
  uint32_t value;
  flareq::random_bytes(reinterpret_cast<uint8_t*>(&value), sizeof value);
  return value;
}
