// crc32c.h: CRC-32C for the kernel; the implementation is the SDK's (shared with plugins).
#ifndef STRATA_KERNEL_COMMON_CRC32C_H_
#define STRATA_KERNEL_COMMON_CRC32C_H_

#include "strata/sdk/crc32c.hpp"

namespace strata::kernel {

using sdk::Crc32c;

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_COMMON_CRC32C_H_
