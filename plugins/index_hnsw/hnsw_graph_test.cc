// Payload-aware links (Graph::LinkGroup): a search filtered to one linked group keeps its recall
// while computing far fewer distances, and the unfiltered graph stays as good.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "hnsw_graph.h"

namespace strata::hnsw {
namespace {

TEST(HnswGraphTest, LinkedGroupsAreSearchedWithFewerDistancesAndTheSameRecall) {
  constexpr uint32_t kDim = 32, kN = 20000, kQueries = 100, kK = 10;
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> base(size_t{kN} * kDim), queries(size_t{kQueries} * kDim);
  for (float& x : base) x = g(rng);
  for (float& x : queries) x = g(rng);
  // A tenant: 1% of the points, unrelated to where their vectors are.
  std::vector<uint32_t> group;
  for (uint32_t i = 0; i < kN; ++i) {
    if (rng() % 100 == 0) group.push_back(i);
  }
  std::vector<uint64_t> bits((kN + 63) / 64, 0);
  for (uint32_t id : group) bits[id / 64] |= uint64_t{1} << (id % 64);
  Graph graph(kDim, Space::kL2, Params{8, 64, 3});
  graph.SetVectors(base.data(), kDim);
  graph.Reserve(kN);
  for (uint32_t i = 0; i < kN; ++i) graph.Insert(i);
  const sdk::DistanceKernels& k = sdk::Kernels();

  // Recall@10 and distance computations of 100 searches (filtered to the group or not).
  auto measure = [&](bool filtered, uint32_t ef, uint64_t* distances, bool linked = false) {
    AllowFn allow;
    if (filtered) {
      allow.bits = bits.data();
      allow.n_bits = kN;
      allow.linked_group = linked;
    }
    size_t hits = 0;
    const uint64_t before = graph.distance_count();
    std::vector<std::pair<float, uint32_t>> found;
    for (uint32_t q = 0; q < kQueries; ++q) {
      const float* qv = &queries[size_t{q} * kDim];
      std::vector<std::pair<float, uint32_t>> all;
      for (uint32_t id = 0; id < kN; ++id) {
        if (!filtered || allow.Allows(id))
          all.push_back({k.l2sq(qv, &base[size_t{id} * kDim], kDim), id});
      }
      std::partial_sort(all.begin(), all.begin() + kK, all.end());
      std::set<uint32_t> truth;
      for (uint32_t j = 0; j < kK; ++j) truth.insert(all[j].second);
      graph.Search(qv, kK, ef, allow, &found);
      for (const auto& f : found) hits += truth.count(f.second);
    }
    *distances = graph.distance_count() - before;
    return static_cast<double>(hits) / (kQueries * kK);
  };
  uint64_t filtered_before = 0, filtered_after = 0, plain_before = 0, plain_after = 0;
  const double recall_before = measure(true, 32, &filtered_before);
  const double plain_recall_before = measure(false, 32, &plain_before);
  // Walking only the group's points before it has links of its own loses most of it.
  uint64_t unlinked_walk = 0;
  const double recall_unlinked_walk = measure(true, 32, &unlinked_walk, true);

  ASSERT_TRUE(graph.LinkGroup(group.data(), group.size(), 8, [] { return false; }));
  uint64_t still_wide = 0;
  const double recall_wide = measure(true, 32, &still_wide);
  const double recall_after = measure(true, 32, &filtered_after, true);
  const double plain_recall_after = measure(false, 32, &plain_after);
  std::printf(
      "1%% group: recall %.3f -> %.3f, distances %llu -> %llu (members-only walk before the "
      "links: recall %.3f; wide walk after: %.3f); unfiltered recall %.3f -> %.3f\n",
      recall_before, recall_after, static_cast<unsigned long long>(filtered_before),
      static_cast<unsigned long long>(filtered_after), recall_unlinked_walk, recall_wide,
      plain_recall_before, plain_recall_after);
  EXPECT_LT(recall_unlinked_walk, recall_after - 0.2) << "the links are what connects the group";
  EXPECT_GE(recall_wide, recall_before - 0.01);
  EXPECT_GE(recall_after, recall_before - 0.01);
  EXPECT_GE(recall_after, 0.9);
  EXPECT_LT(filtered_after * 3, filtered_before) << "the group's own links lead to its members";
  EXPECT_GE(plain_recall_after, plain_recall_before - 0.03);

  // A cancelled linking stops early and says so (the token is polled every 1024 members, so
  // the group must be larger than that).
  std::vector<uint32_t> everyone(kN);
  for (uint32_t i = 0; i < kN; ++i) everyone[i] = i;
  int polls = 0;
  EXPECT_FALSE(graph.LinkGroup(everyone.data(), everyone.size(), 8, [&] { return ++polls > 0; }));
  EXPECT_EQ(polls, 1) << "stopped at the first poll";
}

}  // namespace
}  // namespace strata::hnsw
