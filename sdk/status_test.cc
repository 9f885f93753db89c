#include "strata/sdk/status.hpp"

#include <gtest/gtest.h>

#include "strata/sdk/host.hpp"
#include "strata/sdk/params.hpp"

namespace strata {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}
Result<int> Quarter(int x) {
  STRATA_ASSIGN_OR_RETURN(int h, Half(x));
  STRATA_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, RoundTripsThroughAbiError) {
  Status s = NotFound("collection 'x' not found");
  strata_error err{};
  EXPECT_EQ(s.ExportTo(&err), STRATA_NOT_FOUND);
  EXPECT_STREQ(err.message, "collection 'x' not found");
  Status back = Status::FromAbi(err.code, &err);
  EXPECT_EQ(back, s);
  EXPECT_EQ(back.ToString(), "NOT_FOUND: collection 'x' not found");
}

TEST(StatusTest, LongMessagesAreTruncatedNotOverflowed) {
  strata_error err{};
  std::string long_msg(2000, 'x');
  SetError(&err, STRATA_INTERNAL, long_msg.c_str());
  EXPECT_EQ(std::strlen(err.message), sizeof(err.message) - 1);
}

TEST(StatusTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*Quarter(12), 3);
  Result<int> bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "odd: 3");
}

Result<std::vector<std::string>> Words() { return std::vector<std::string>{"a", "b", "c"}; }

TEST(StatusTest, RangeForOverATemporaryResultIsSafe) {
  std::string joined;
  for (const std::string& w : *Words()) joined += w;  // the vector must outlive the loop
  EXPECT_EQ(joined, "abc");
}

TEST(ParamsTest, TypedGettersNameTheBadKey) {
  sdk::OwnedParams owned{{"m", "16"}, {"ef", "abc"}, {"ratio", "0.5"}};
  sdk::Params p(owned.Get());
  EXPECT_EQ(*p.GetInt("m", 0), 16);
  EXPECT_EQ(*p.GetInt("missing", 7), 7);
  EXPECT_DOUBLE_EQ(*p.GetDouble("ratio", 0), 0.5);
  Result<int64_t> bad = p.GetInt("ef", 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'ef'"), std::string::npos);
}

TEST(ParamsTest, BooleansAsYamlSpellsThem) {
  sdk::OwnedParams owned{{"a", "true"}, {"b", "no"}, {"c", "1"}, {"d", "maybe"}};
  sdk::Params p(owned.Get());
  EXPECT_TRUE(*p.GetBool("a", false));
  EXPECT_FALSE(*p.GetBool("b", true));
  EXPECT_TRUE(*p.GetBool("c", false));
  EXPECT_TRUE(*p.GetBool("missing", true));
  Result<bool> bad = p.GetBool("d", false);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'d'"), std::string::npos);
}

TEST(CancelTest, DeadlineAndFlag) {
  EXPECT_FALSE(sdk::Cancel(nullptr).IsCancelled());
  strata_cancel c{};
  c.struct_size = sizeof(c);
  c.deadline_unix_ms = sdk::UnixMillisNow() - 1;
  EXPECT_EQ(sdk::Cancel(&c).Check("op").code(), StatusCode::kDeadlineExceeded);
  c.deadline_unix_ms = 0;
  static bool flag = false;
  c.is_cancelled = [](const void*) -> uint8_t { return flag ? 1 : 0; };
  EXPECT_TRUE(sdk::Cancel(&c).Check("op").ok());
  flag = true;
  EXPECT_EQ(sdk::Cancel(&c).Check("op").code(), StatusCode::kCancelled);
}

TEST(HostTest, HasRespectsStructSizeAndNullSlots) {
  strata_host_api api{};
  api.log = [](const strata_host_api*, int32_t, const char*, const char*) {};
  api.timer_start = [](const strata_host_api*, uint64_t, uint64_t, void (*)(void*),
                       void*) -> uint64_t { return 1; };
  // A host built against an older minor: its table ends before timer_start.
  api.struct_size = offsetof(strata_host_api, timer_start);
  sdk::Host old_host(&api);
  EXPECT_TRUE(old_host.Has<&strata_host_api::log>());
  EXPECT_FALSE(old_host.Has<&strata_host_api::timer_start>());
  api.struct_size = sizeof(api);
  sdk::Host new_host(&api);
  EXPECT_TRUE(new_host.Has<&strata_host_api::timer_start>());
  EXPECT_FALSE(new_host.Has<&strata_host_api::submit>()) << "NULL slot must read as absent";
}

}  // namespace
}  // namespace strata
