// crc32c.hpp: CRC-32C (Castagnoli), the checksum of every Strata on-disk format; header-only so
// plugins that persist (index files) use the same function as the kernel.
#ifndef STRATA_SDK_CRC32C_HPP_
#define STRATA_SDK_CRC32C_HPP_

#include <array>
#include <cstddef>
#include <cstdint>

namespace strata::sdk {

namespace crc32c_detail {
constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial
constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
inline constexpr std::array<uint32_t, 256> kTable = MakeTable();
}  // namespace crc32c_detail

// Extends `crc` (0 to start) over data[0..n).
inline uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0) {
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = crc32c_detail::kTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

}  // namespace strata::sdk

#endif  // STRATA_SDK_CRC32C_HPP_
