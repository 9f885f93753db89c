#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::kernel {
namespace {

TEST(Crc32cTest, KnownVectors) {
  // Standard check value of CRC-32C and the iSCSI test vector of 32 zero bytes.
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string s = "hello strata write-ahead log";
  EXPECT_EQ(Crc32c(s.data() + 5, s.size() - 5, Crc32c(s.data(), 5)), Crc32c(s.data(), s.size()));
}

}  // namespace
}  // namespace strata::kernel
