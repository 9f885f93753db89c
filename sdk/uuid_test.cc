#include "strata/sdk/uuid.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

namespace strata::sdk {
namespace {

TEST(UuidTest, RandomUuidsAreVersion4TextAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string u = RandomUuidV4();
    ASSERT_EQ(u.size(), 36u) << u;
    for (size_t at : {8u, 13u, 18u, 23u}) ASSERT_EQ(u[at], '-') << u;
    EXPECT_EQ(u[14], '4') << u;                                          // version
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;  // variant
    for (char c : u) EXPECT_TRUE(c == '-' || (std::isxdigit(c) && !std::isupper(c))) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace strata::sdk
