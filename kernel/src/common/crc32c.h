// crc32c.h: CRC-32C (Castagnoli), the checksum of every Strata on-disk format.
#ifndef STRATA_KERNEL_COMMON_CRC32C_H_
#define STRATA_KERNEL_COMMON_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace strata::kernel {

// Extends `crc` (0 to start) over data[0..n).
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_COMMON_CRC32C_H_
