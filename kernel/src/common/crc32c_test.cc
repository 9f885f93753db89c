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

TEST(Crc32cTest, HardwareAndPortablePathsAgree) {
#if defined(__x86_64__)
  if (!sdk::Crc32cHasSse42()) GTEST_SKIP() << "this CPU has no SSE4.2";
  std::string data;
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245u + 12345u;
    data.push_back(static_cast<char>(x >> 16));
  }
  // Every length and misalignment up to a few words, then long runs, chained and not.
  for (size_t start = 0; start < 9; ++start) {
    for (size_t n = 0; n + start <= 80; ++n) {
      ASSERT_EQ(sdk::Crc32cSse42(data.data() + start, n, 7u),
                sdk::Crc32cPortable(data.data() + start, n, 7u))
          << start << "+" << n;
    }
  }
  EXPECT_EQ(sdk::Crc32cSse42(data.data(), data.size()),
            sdk::Crc32cPortable(data.data(), data.size()));
  EXPECT_EQ(sdk::Crc32cSse42("123456789", 9), 0xE3069283u);
#else
  GTEST_SKIP() << "no hardware path on this architecture";
#endif
}

}  // namespace
}  // namespace strata::kernel
