#include "segment/segment.h"

#include <gtest/gtest.h>

namespace strata::kernel {
namespace {

TEST(SegmentTest, NewVersionsMoveToFreshOffsetsAndStorageNeverMoves) {
  Segment seg({{"", 4, Metric::kDot}});
  PayloadMap payload;
  payload["k"].set_integer_value(1);
  seg.Upsert(ExternalId::Num(7), 1, {{"", {1, 2, 3, 4}}}, payload);
  const float* base = seg.VectorBase("");
  ASSERT_EQ(*seg.Find(ExternalId::Num(7)), 0u);
  seg.Upsert(ExternalId::Num(7), 2, {{"", {5, 6, 7, 8}}}, payload);
  EXPECT_EQ(*seg.Find(ExternalId::Num(7)), 1u);
  EXPECT_FALSE(seg.IsLive(0));
  EXPECT_EQ(base[0], 1.0f) << "the old vector stays where an index may read it";
  EXPECT_EQ(seg.live_count(), 1u);
  EXPECT_EQ(seg.live_bits()[0], 0b10u);

  for (uint64_t i = 100; i < 20000; ++i)
    seg.Upsert(ExternalId::Num(i), 3, {{"", {1, 1, 1, 1}}}, {});
  EXPECT_EQ(seg.VectorBase(""), base) << "growing never moves the storage";

  ASSERT_TRUE(seg.UpdateVectors(ExternalId::Num(7), 4, {{"", {9, 9, 9, 9}}}));
  uint32_t moved = *seg.Find(ExternalId::Num(7));
  EXPECT_GT(moved, 1u);
  EXPECT_FALSE(seg.IsLive(1));
  EXPECT_EQ(seg.PayloadAt(moved)->at("k").integer_value(), 1) << "the payload moves with it";
  EXPECT_EQ(seg.VectorAt("", moved)[0], 9.0f);
  seg.Upsert(ExternalId::Num(7), 3, {{"", {0, 0, 0, 0}}}, {});  // stale: ignored
  EXPECT_EQ(*seg.Find(ExternalId::Num(7)), moved);
}

TEST(SegmentTest, SearchAllowedScansOnlyTheBits) {
  Segment seg({{"", 2, Metric::kDot}});
  for (uint64_t i = 0; i < 130; ++i) seg.Upsert(ExternalId::Num(i), 1, {{"", {1.f * i, 0}}}, {});
  std::vector<uint64_t> allow(3, 0);
  allow[0] = 1ull << 5;
  allow[2] = 1ull << 1;  // offset 129
  float q[2] = {1, 0};
  auto hits = seg.SearchAllowed("", q, 10, allow);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].offset, 129u);
  EXPECT_EQ(hits[1].offset, 5u);
}

}  // namespace
}  // namespace strata::kernel
