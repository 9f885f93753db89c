// Strict mode checks on request messages: every nesting level is reached (prefetch, batch,
// nested filter), each limit names itself, and nothing is checked while strict mode is off.
#include "service/strict_mode.h"

#include <gtest/gtest.h>

#include "points.pb.h"

namespace strata::kernel {
namespace {

qdrant::Condition Match(const std::string& key, const std::string& value) {
  qdrant::Condition c;
  c.mutable_field()->set_key(key);
  c.mutable_field()->mutable_match()->set_keyword(value);
  return c;
}

TEST(StrictModeTest, FiltersAndLimitsAreCheckedWhereverTheRequestNestsThem) {
  qdrant::StrictModeConfig strict;
  strict.set_enabled(true);
  strict.set_unindexed_filtering_retrieve(false);
  strict.set_max_query_limit(10);
  strict.set_search_max_batchsize(2);
  strict.set_filter_max_conditions(4);
  const std::set<std::string> indexed = {"city", "tags[].name"};

  qdrant::QueryPoints q;
  q.set_limit(10);
  *q.mutable_filter()->add_must() = Match("city", "Berlin");
  EXPECT_TRUE(CheckStrictMode(strict, indexed, q, false).ok());
  // A prefetch's filter on an unindexed key.
  *q.add_prefetch()->mutable_filter()->add_should() = Match("color", "red");
  Status s = CheckStrictMode(strict, indexed, q, false);
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"color\" of one of the following types: [keyword, uuid]"),
            std::string::npos)
      << s.message();
  EXPECT_TRUE(CheckStrictMode(strict, indexed, q, true).ok())
      << "unindexed_filtering_update is not set: writes are not checked";
  q.clear_prefetch();
  // A nested condition's keys are the nested path.
  auto* nested = q.mutable_filter()->add_must()->mutable_nested();
  nested->set_key("tags");
  *nested->mutable_filter()->add_must() = Match("name", "x");
  EXPECT_TRUE(CheckStrictMode(strict, indexed, q, false).ok());
  *nested->mutable_filter()->add_must() = Match("size", "x");
  s = CheckStrictMode(strict, indexed, q, false);
  EXPECT_NE(s.message().find("\"tags[].size\""), std::string::npos) << s.message();
  // filter_max_conditions counts every condition, nested ones included: a fifth is one too many.
  strict.set_unindexed_filtering_retrieve(true);
  EXPECT_TRUE(CheckStrictMode(strict, indexed, q, false).ok());
  *q.mutable_filter()->add_must_not() = Match("city", "Paris");
  s = CheckStrictMode(strict, indexed, q, false);
  EXPECT_NE(s.message().find("filter_max_conditions"), std::string::npos) << s.message();

  qdrant::QueryBatchPoints batch;
  for (int i = 0; i < 3; ++i) batch.add_query_points()->set_limit(5);
  s = CheckStrictMode(strict, indexed, batch, false);
  EXPECT_NE(s.message().find("search_max_batchsize"), std::string::npos) << s.message();
  batch.mutable_query_points()->RemoveLast();
  EXPECT_TRUE(CheckStrictMode(strict, indexed, batch, false).ok());
  batch.mutable_query_points(1)->set_limit(11);
  s = CheckStrictMode(strict, indexed, batch, false);
  EXPECT_NE(s.message().find("limit: 11 exceeds 10"), std::string::npos) << s.message();

  strict.set_enabled(false);
  EXPECT_TRUE(CheckStrictMode(strict, indexed, batch, false).ok()) << "off: nothing checked";
}

}  // namespace
}  // namespace strata::kernel
