// Payload-aware links (Graph::LinkGroup): a search filtered to one linked group keeps its recall
// while computing far fewer distances, and the unfiltered graph stays as good.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "hnsw_graph.h"

namespace strata::hnsw {
namespace {

constexpr uint32_t kDim = 32, kN = 20000, kQueries = 100, kK = 10;

struct Data {
  std::vector<float> base, queries;
  explicit Data(std::mt19937& rng) : base(size_t{kN} * kDim), queries(size_t{kQueries} * kDim) {
    std::normal_distribution<float> g(0, 1);
    for (float& x : base) x = g(rng);
    for (float& x : queries) x = g(rng);
  }
};

// Recall@10 of 100 searches filtered to `bits` (null: unfiltered), and the distances computed.
double Recall(const Graph& graph, const Data& data, const std::vector<uint64_t>* bits, uint32_t ef,
              bool linked, uint64_t* distances) {
  AllowFn allow;
  if (bits != nullptr) {
    allow.bits = bits->data();
    allow.n_bits = kN;
    allow.linked_group = linked;
  }
  const sdk::DistanceKernels& k = sdk::Kernels();
  size_t hits = 0;
  const uint64_t before = graph.distance_count();
  std::vector<std::pair<float, uint32_t>> found;
  for (uint32_t q = 0; q < kQueries; ++q) {
    const float* qv = &data.queries[size_t{q} * kDim];
    std::vector<std::pair<float, uint32_t>> all;
    for (uint32_t id = 0; id < kN; ++id) {
      if (allow.Allows(id)) all.push_back({k.l2sq(qv, &data.base[size_t{id} * kDim], kDim), id});
    }
    std::partial_sort(all.begin(), all.begin() + kK, all.end());
    std::set<uint32_t> truth;
    for (uint32_t j = 0; j < kK; ++j) truth.insert(all[j].second);
    graph.Search(qv, kK, ef, allow, &found);
    for (const auto& f : found) hits += truth.count(f.second);
  }
  *distances = graph.distance_count() - before;
  return static_cast<double>(hits) / (kQueries * kK);
}

std::vector<uint64_t> BitsOf(const std::vector<uint32_t>& ids) {
  std::vector<uint64_t> bits((kN + 63) / 64, 0);
  for (uint32_t id : ids) bits[id / 64] |= uint64_t{1} << (id % 64);
  return bits;
}

TEST(HnswGraphTest, LinkedGroupsAreSearchedWithFewerDistancesAndTheSameRecall) {
  std::mt19937 rng(5);
  const Data data(rng);
  // A tenant: 1% of the points, unrelated to where their vectors are.
  std::vector<uint32_t> group;
  for (uint32_t i = 0; i < kN; ++i) {
    if (rng() % 100 == 0) group.push_back(i);
  }
  const std::vector<uint64_t> bits = BitsOf(group);
  Graph graph(kDim, Space::kL2, Params{8, 64, 3});
  graph.SetVectors(data.base.data(), kDim);
  graph.Reserve(kN);
  for (uint32_t i = 0; i < kN; ++i) graph.Insert(i);

  auto measure = [&](bool filtered, uint32_t ef, uint64_t* distances, bool linked = false) {
    return Recall(graph, data, filtered ? &bits : nullptr, ef, linked, distances);
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

  // A cancelled linking stops early and says so (the token is polled every 256 members, so
  // the group must be larger than that).
  std::vector<uint32_t> everyone(kN);
  for (uint32_t i = 0; i < kN; ++i) everyone[i] = i;
  int polls = 0;
  EXPECT_FALSE(graph.LinkGroup(everyone.data(), everyone.size(), 8, [&] { return ++polls > 0; }));
  EXPECT_EQ(polls, 1) << "stopped at the first poll";
}

// A group linked in two steps (LinkGroupAdd: points inserted after the group was linked, and
// points moved into it) is walked as well as one linked at once.
TEST(HnswGraphTest, PointsAddedToALinkedGroupAreWalkedAsWellAsTheFirstMembers) {
  std::mt19937 rng(7);
  const Data data(rng);
  std::vector<uint32_t> group;
  for (uint32_t i = 0; i < kN; ++i) {
    if (rng() % 100 == 0) group.push_back(i);
  }
  const std::vector<uint64_t> bits = BitsOf(group);
  auto make = [&](Graph* g) {
    g->SetVectors(data.base.data(), kDim);
    g->Reserve(kN);
  };
  Graph at_once(kDim, Space::kL2, Params{8, 64, 3});
  make(&at_once);
  for (uint32_t i = 0; i < kN; ++i) at_once.Insert(i);
  ASSERT_TRUE(at_once.LinkGroup(group.data(), group.size(), 8, nullptr));

  // The grown graph: the first half of the points is inserted and its members linked, then the
  // rest is inserted and its members added; the group's first 10 members were never linked
  // (they joined the group later, by a payload write) and are added last.
  Graph grown(kDim, Space::kL2, Params{8, 64, 3});
  make(&grown);
  for (uint32_t i = 0; i < kN / 2; ++i) grown.Insert(i);
  std::vector<uint32_t> first, later;
  for (size_t j = 10; j < group.size(); ++j)
    (group[j] < kN / 2 ? first : later).push_back(group[j]);
  ASSERT_TRUE(grown.LinkGroup(first.data(), first.size(), 8, nullptr));
  for (uint32_t i = kN / 2; i < kN; ++i) grown.Insert(i);
  ASSERT_TRUE(
      grown.LinkGroupAdd(first.data(), first.size(), later.data(), later.size(), 8, nullptr));
  std::vector<uint32_t> linked = first;
  linked.insert(linked.end(), later.begin(), later.end());
  std::sort(linked.begin(), linked.end());
  const std::vector<uint32_t> moved(group.begin(), group.begin() + 10);

  // Before the moved points are added, a members-only walk rarely meets them: their vectors as
  // queries find them less often than after.
  auto finds_moved = [&]() {
    AllowFn allow;
    allow.bits = bits.data();
    allow.n_bits = kN;
    allow.linked_group = true;
    int n = 0;
    std::vector<std::pair<float, uint32_t>> found;
    for (uint32_t id : moved) {
      grown.Search(&data.base[size_t{id} * kDim], 1, 16, allow, &found);
      n += !found.empty() && found[0].second == id;
    }
    return n;
  };
  const int found_before = finds_moved();
  ASSERT_TRUE(
      grown.LinkGroupAdd(linked.data(), linked.size(), moved.data(), moved.size(), 8, nullptr));
  EXPECT_EQ(finds_moved(), 10);
  EXPECT_LT(found_before, 10);

  uint64_t d_once = 0, d_grown = 0;
  const double r_once = Recall(at_once, data, &bits, 32, true, &d_once);
  const double r_grown = Recall(grown, data, &bits, 32, true, &d_grown);
  std::printf(
      "members-only walk of a 1%% group: linked at once recall %.3f (%llu distances), "
      "linked in steps %.3f (%llu); moved points found %d/10 before being added\n",
      r_once, static_cast<unsigned long long>(d_once), r_grown,
      static_cast<unsigned long long>(d_grown), found_before);
  EXPECT_GE(r_grown, 0.9);
  EXPECT_GE(r_grown, r_once - 0.03);
}

// Past its first 256 members a group is linked in batches whose searches run in parallel: as
// good as linking one member at a time.
TEST(HnswGraphTest, AGroupLinkedInParallelBatchesIsWalkedAsWell) {
  std::mt19937 rng(9);
  const Data data(rng);
  std::vector<uint32_t> group;  // 10%: 2000 members, mostly linked in batches
  for (uint32_t i = 0; i < kN; ++i) {
    if (rng() % 10 == 0) group.push_back(i);
  }
  const std::vector<uint64_t> bits = BitsOf(group);
  Graph one(kDim, Space::kL2, Params{8, 64, 3}), two(kDim, Space::kL2, Params{8, 64, 3});
  for (Graph* g : {&one, &two}) {
    g->SetVectors(data.base.data(), kDim);
    g->Reserve(kN);
    for (uint32_t i = 0; i < kN; ++i) g->Insert(i);
  }
  ASSERT_TRUE(one.LinkGroup(group.data(), group.size(), 8, nullptr));
  std::atomic<uint32_t> calls{0}, items{0};
  const Graph::ParallelFn parallel = [&](uint32_t n, const std::function<void(uint32_t)>& fn) {
    ++calls;
    items += n;
    std::atomic<uint32_t> next{0};
    auto work = [&] {
      for (uint32_t j = next++; j < n; j = next++) fn(j);
    };
    std::thread helper(work);
    work();
    helper.join();
  };
  ASSERT_TRUE(two.LinkGroup(group.data(), group.size(), 8, nullptr, parallel));
  EXPECT_GT(calls.load(), 0u);
  EXPECT_GT(items.load(), group.size() / 2) << "most members were searched in batches";
  uint64_t d_one = 0, d_two = 0;
  const double r_one = Recall(one, data, &bits, 32, true, &d_one);
  const double r_two = Recall(two, data, &bits, 32, true, &d_two);
  std::printf("10%% group, members-only walk: linked one by one %.3f, in parallel batches %.3f\n",
              r_one, r_two);
  EXPECT_GE(r_two, r_one - 0.02);
}

}  // namespace
}  // namespace strata::hnsw
