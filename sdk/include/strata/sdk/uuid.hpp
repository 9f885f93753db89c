// uuid.hpp: random (version 4, RFC 4122 variant) UUIDs as lower-case text (C++17, header-only).
#ifndef STRATA_SDK_UUID_HPP_
#define STRATA_SDK_UUID_HPP_

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>

namespace strata::sdk {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" (y in 8..b). Thread-safe.
inline std::string RandomUuidV4() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  uint64_t hi, lo;
  {
    std::lock_guard<std::mutex> lock(mu);
    hi = rng();
    lo = rng();
  }
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                  // version 4
  lo = (lo & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

}  // namespace strata::sdk

#endif  // STRATA_SDK_UUID_HPP_
