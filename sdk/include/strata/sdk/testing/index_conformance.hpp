// index_conformance.hpp: the GoogleTest battery every index plugin must pass (C++17).
//
// Include in exactly one test source, then instantiate:
//   INSTANTIATE_TEST_SUITE_P(MyIndex, IndexConformance,
//       ::testing::Values(strata::sdk::testing::IndexTarget{"mine", vtable, caps, params, 0.9}));
//
// Checks: recall@10 against brute force per supported metric, bitset and predicate filters are
// respected (and recall holds under them), concurrent searches agree with sequential ones,
// save/load round trip reproduces results, cancellation is honoured, batch queries, top_k larger
// than the data.
#ifndef STRATA_SDK_TESTING_INDEX_CONFORMANCE_HPP_
#define STRATA_SDK_TESTING_INDEX_CONFORMANCE_HPP_

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "strata/abi/strata_index.h"
#include "strata/sdk/params.hpp"
#include "strata/sdk/testing/fake_host.hpp"

namespace strata::sdk::testing {

struct IndexTarget {
  std::string name;
  const strata_index_vtable* vt = nullptr;
  uint64_t capabilities = 0;
  OwnedParams params;       // passed to create()
  double min_recall = 0.9;  // recall@10 the index must reach on the generated data
};

inline void PrintTo(const IndexTarget& t, std::ostream* os) { *os << t.name; }

// Host-side dense float32 vectors for one segment.
class TestVectors {
 public:
  TestVectors(uint32_t dim, uint32_t metric) : dim_(dim), metric_(metric) {}

  // Clustered data: `clusters` Gaussian blobs, a realistic shape for ANN indexes.
  void Generate(uint32_t n, uint32_t clusters, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> centre(0.f, 1.f), noise(0.f, 0.25f);
    std::vector<float> centres(static_cast<size_t>(clusters) * dim_);
    for (float& c : centres) c = centre(rng);
    data_.resize(static_cast<size_t>(n) * dim_);
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t c = rng() % clusters;
      for (uint32_t d = 0; d < dim_; ++d) data_[i * dim_ + d] = centres[c * dim_ + d] + noise(rng);
      if (metric_ == STRATA_METRIC_COSINE) Normalize(&data_[i * dim_]);
    }
    Refresh();
  }
  std::vector<float> Query(std::mt19937& rng) const {
    // A perturbed data point: queries land near the data, as in real workloads.
    std::normal_distribution<float> noise(0.f, 0.2f);
    uint32_t base = rng() % count();
    std::vector<float> q(dim_);
    for (uint32_t d = 0; d < dim_; ++d) q[d] = data_[base * dim_ + d] + noise(rng);
    if (metric_ == STRATA_METRIC_COSINE) Normalize(q.data());
    return q;
  }
  float Score(const float* q, uint32_t i) const {
    const float* v = &data_[static_cast<size_t>(i) * dim_];
    float s = 0;
    for (uint32_t d = 0; d < dim_; ++d) {
      switch (metric_) {
        case STRATA_METRIC_L2:
          s -= (q[d] - v[d]) * (q[d] - v[d]);
          break;
        case STRATA_METRIC_L1:
          s -= std::fabs(q[d] - v[d]);
          break;
        default:
          s += q[d] * v[d];
          break;
      }
    }
    return s;
  }
  // Exact top-k among allowed offsets.
  std::vector<uint32_t> BruteForce(const float* q, uint32_t k,
                                   const std::function<bool(uint32_t)>& allow) const {
    std::vector<std::pair<float, uint32_t>> all;
    for (uint32_t i = 0; i < count(); ++i) {
      if (allow(i)) all.push_back({Score(q, i), i});
    }
    size_t kk = std::min<size_t>(k, all.size());
    std::partial_sort(all.begin(), all.begin() + kk, all.end(),
                      [](auto& a, auto& b) { return a.first > b.first; });
    std::vector<uint32_t> ids;
    for (size_t i = 0; i < kk; ++i) ids.push_back(all[i].second);
    return ids;
  }
  const strata_vector_source* source() const { return &src_; }
  uint32_t count() const { return static_cast<uint32_t>(data_.size() / dim_); }
  uint32_t dim() const { return dim_; }

 private:
  void Normalize(float* v) const {
    float n = 0;
    for (uint32_t d = 0; d < dim_; ++d) n += v[d] * v[d];
    n = std::sqrt(n);
    if (n > 0) {
      for (uint32_t d = 0; d < dim_; ++d) v[d] /= n;
    }
  }
  void Refresh() {
    src_ = {};
    src_.struct_size = sizeof(src_);
    src_.dtype = STRATA_DTYPE_F32;
    src_.dim = dim_;
    src_.metric = metric_;
    src_.count = count();
    src_.dense_base = data_.data();
    src_.stride_bytes = sizeof(float) * dim_;
    src_.get = [](void* ctx, uint32_t off, void* out, strata_error* err) -> int32_t {
      auto* self = static_cast<TestVectors*>(ctx);
      if (off >= self->count()) return SetError(err, STRATA_OUT_OF_RANGE, "offset out of range");
      std::memcpy(out, &self->data_[static_cast<size_t>(off) * self->dim_],
                  sizeof(float) * self->dim_);
      return STRATA_OK;
    };
    src_.ctx = this;
  }

  uint32_t dim_;
  uint32_t metric_;
  std::vector<float> data_;
  strata_vector_source src_{};
};

class IndexConformance : public ::testing::TestWithParam<IndexTarget> {
 protected:
  static constexpr uint32_t kDim = 24;
  static constexpr uint32_t kCount = 3000;
  static constexpr uint32_t kK = 10;

  struct Built {
    std::unique_ptr<TestVectors> vectors;
    strata_index* index = nullptr;
  };

  void TearDown() override {
    for (strata_index* idx : created_) vt()->destroy(idx);
  }
  const strata_index_vtable* vt() const { return GetParam().vt; }
  bool Has(uint64_t cap) const { return (GetParam().capabilities & cap) != 0; }

  strata_index* Create(const TestVectors& v) {
    strata_index* idx = nullptr;
    strata_error err{};
    int32_t rc = vt()->create(host_.api(), GetParam().params.Get(), v.source(), &idx, &err);
    EXPECT_EQ(rc, STRATA_OK) << err.message;
    if (idx != nullptr) created_.push_back(idx);
    return idx;
  }
  Built Build(uint32_t metric, uint32_t count = kCount) {
    Built b;
    b.vectors = std::make_unique<TestVectors>(kDim, metric);
    b.vectors->Generate(count, 20, 42 + metric);
    b.index = Create(*b.vectors);
    if (b.index != nullptr) {
      strata_error err{};
      EXPECT_EQ(vt()->build(b.index, nullptr, nullptr, &err), STRATA_OK) << err.message;
    }
    return b;
  }
  // Runs one search; returns ids (and scores through *scores when given).
  std::vector<uint32_t> Search(const strata_index* idx, const float* q, uint32_t k,
                               const strata_filter* filter = nullptr,
                               std::vector<float>* scores = nullptr, int32_t* rc_out = nullptr,
                               const strata_cancel* cancel = nullptr) const {
    std::vector<uint32_t> ids(k);
    std::vector<float> sc(k);
    uint32_t count = 0;
    strata_search_request req{};
    req.struct_size = sizeof(req);
    req.n_queries = 1;
    req.queries = q;
    req.top_k = k;
    req.filter = filter;
    req.cancel = cancel;
    strata_search_result res{sizeof(res), 0, ids.data(), sc.data(), &count};
    strata_error err{};
    int32_t rc = vt()->search(idx, &req, &res, &err);
    if (rc_out != nullptr) {
      *rc_out = rc;
    } else {
      EXPECT_EQ(rc, STRATA_OK) << err.message;
    }
    if (rc != STRATA_OK) return {};
    EXPECT_LE(count, k);
    ids.resize(count);
    sc.resize(count);
    for (size_t i = 1; i < sc.size(); ++i) {
      EXPECT_GE(sc[i - 1], sc[i]) << "results must be sorted best first";
    }
    if (scores != nullptr) *scores = sc;
    return ids;
  }
  double Recall(const Built& b, const strata_filter* filter,
                const std::function<bool(uint32_t)>& allow, int queries = 60) {
    std::mt19937 rng(1234);
    double hit = 0, total = 0;
    for (int i = 0; i < queries; ++i) {
      std::vector<float> q = b.vectors->Query(rng);
      std::vector<uint32_t> truth = b.vectors->BruteForce(q.data(), kK, allow);
      std::vector<uint32_t> got = Search(b.index, q.data(), kK, filter);
      for (uint32_t id : got) {
        EXPECT_TRUE(allow(id)) << "offset " << id << " violates the filter";
      }
      std::set<uint32_t> truth_set(truth.begin(), truth.end());
      for (uint32_t id : got) hit += truth_set.count(id);
      total += truth.size();
    }
    return total == 0 ? 1.0 : hit / total;
  }

  FakeHost host_;
  std::vector<strata_index*> created_;
};

TEST_P(IndexConformance, VtableIsComplete) {
  ASSERT_NE(vt(), nullptr);
  EXPECT_GE(vt()->struct_size, sizeof(strata_index_vtable));
  EXPECT_NE(vt()->create, nullptr);
  EXPECT_NE(vt()->destroy, nullptr);
  EXPECT_NE(vt()->build, nullptr);
  EXPECT_NE(vt()->search, nullptr);
  EXPECT_NE(vt()->save, nullptr);
  EXPECT_NE(vt()->load, nullptr);
  EXPECT_EQ(vt()->insert != nullptr, Has(STRATA_INDEX_CAP_INCREMENTAL_INSERT));
  EXPECT_EQ(vt()->remove != nullptr, Has(STRATA_INDEX_CAP_DELETE));
}

TEST_P(IndexConformance, RecallAgainstBruteForcePerMetric) {
  const std::pair<uint64_t, uint32_t> metrics[] = {{STRATA_INDEX_CAP_L2, STRATA_METRIC_L2},
                                                   {STRATA_INDEX_CAP_COSINE, STRATA_METRIC_COSINE},
                                                   {STRATA_INDEX_CAP_DOT, STRATA_METRIC_DOT},
                                                   {STRATA_INDEX_CAP_L1, STRATA_METRIC_L1}};
  int tested = 0;
  for (auto [cap, metric] : metrics) {
    if (!Has(cap)) continue;
    ++tested;
    Built b = Build(metric);
    ASSERT_NE(b.index, nullptr);
    double r = Recall(b, nullptr, [](uint32_t) { return true; });
    EXPECT_GE(r, GetParam().min_recall) << "metric " << metric;
  }
  EXPECT_GT(tested, 0) << "the plugin advertises no metric";
}

TEST_P(IndexConformance, BitsetFilterIsRespected) {
  if (!Has(STRATA_INDEX_CAP_FILTER_BITSET)) GTEST_SKIP() << "no FILTER_BITSET";
  Built b = Build(Has(STRATA_INDEX_CAP_L2) ? STRATA_METRIC_L2 : STRATA_METRIC_COSINE);
  ASSERT_NE(b.index, nullptr);
  for (uint32_t every : {2u, 10u, 50u}) {
    std::vector<uint64_t> bits((kCount + 63) / 64, 0);
    uint64_t allowed = 0;
    for (uint32_t i = 0; i < kCount; i += every) {
      bits[i >> 6] |= 1ull << (i & 63);
      ++allowed;
    }
    strata_filter f{};
    f.struct_size = sizeof(f);
    f.n_bits = kCount;
    f.allow_bits = bits.data();
    f.estimate = {allowed, allowed, allowed};
    double r = Recall(b, &f, [every](uint32_t i) { return i % every == 0; });
    EXPECT_GE(r, GetParam().min_recall) << "1 in " << every << " allowed";
  }
}

TEST_P(IndexConformance, PredicateFilterIsRespected) {
  if (!Has(STRATA_INDEX_CAP_FILTER_PREDICATE)) GTEST_SKIP() << "no FILTER_PREDICATE";
  Built b = Build(Has(STRATA_INDEX_CAP_L2) ? STRATA_METRIC_L2 : STRATA_METRIC_COSINE);
  ASSERT_NE(b.index, nullptr);
  strata_filter f{};
  f.struct_size = sizeof(f);
  f.n_bits = kCount;
  f.allow = [](void*, uint32_t offset) -> uint8_t { return offset % 7 == 3 ? 1 : 0; };
  f.estimate = {kCount / 7, kCount / 7, kCount / 7 + 1};
  double r = Recall(b, &f, [](uint32_t i) { return i % 7 == 3; });
  EXPECT_GE(r, GetParam().min_recall);
}

TEST_P(IndexConformance, FilterAllowingNothingReturnsNothing) {
  if (!Has(STRATA_INDEX_CAP_FILTER_BITSET)) GTEST_SKIP() << "no FILTER_BITSET";
  Built b = Build(Has(STRATA_INDEX_CAP_L2) ? STRATA_METRIC_L2 : STRATA_METRIC_COSINE, 500);
  ASSERT_NE(b.index, nullptr);
  std::vector<uint64_t> bits((500 + 63) / 64, 0);
  strata_filter f{};
  f.struct_size = sizeof(f);
  f.n_bits = 500;
  f.allow_bits = bits.data();
  std::mt19937 rng(5);
  std::vector<float> q = b.vectors->Query(rng);
  EXPECT_TRUE(Search(b.index, q.data(), kK, &f).empty());
}

TEST_P(IndexConformance, TopKLargerThanDataReturnsEverything) {
  Built b = Build(Has(STRATA_INDEX_CAP_L2) ? STRATA_METRIC_L2 : STRATA_METRIC_COSINE, 25);
  ASSERT_NE(b.index, nullptr);
  std::mt19937 rng(9);
  std::vector<float> q = b.vectors->Query(rng);
  std::vector<uint32_t> got = Search(b.index, q.data(), 100);
  std::set<uint32_t> unique(got.begin(), got.end());
  EXPECT_EQ(unique.size(), got.size()) << "duplicate offsets in results";
  EXPECT_GE(got.size(), 23u) << "an index over 25 points must return (nearly) all of them";
}

TEST_P(IndexConformance, BatchQueriesMatchSingleQueries) {
  Built b = Build(Has(STRATA_INDEX_CAP_L2) ? STRATA_METRIC_L2 : STRATA_METRIC_COSINE);
  ASSERT_NE(b.index, nullptr);
  std::mt19937 rng(77);
  const uint32_t nq = 5;
  std::vector<float> queries;
  for (uint32_t i = 0; i < nq; ++i) {
    auto q = b.vectors->Query(rng);
    queries.insert(queries.end(), q.begin(), q.end());
  }
  std::vector<uint32_t> ids(nq * kK), counts(nq);
  std::vector<float> scores(nq * kK);
  strata_search_request req{sizeof(req), nq, queries.data(), kK, 0, nullptr, nullptr, nullptr};
  strata_search_result res{sizeof(res), 0, ids.data(), scores.data(), counts.data()};
  strata_error err{};
  ASSERT_EQ(vt()->search(b.index, &req, &res, &err), STRATA_OK) << err.message;
  for (uint32_t i = 0; i < nq; ++i) {
    std::vector<uint32_t> single = Search(b.index, &queries[i * kDim], kK);
    std::vector<uint32_t> batched(ids.begin() + i * kK, ids.begin() + i * kK + counts[i]);
    EXPECT_EQ(single, batched) << "query " << i;
  }
}

TEST_P(IndexConformance, ConcurrentSearchesAgreeWithSequential) {
  Built b = Build(Has(STRATA_INDEX_CAP_L2) ? STRATA_METRIC_L2 : STRATA_METRIC_COSINE);
  ASSERT_NE(b.index, nullptr);
  std::mt19937 rng(3);
  std::vector<std::vector<float>> queries;
  std::vector<std::vector<uint32_t>> expected;
  for (int i = 0; i < 40; ++i) {
    queries.push_back(b.vectors->Query(rng));
    expected.push_back(Search(b.index, queries.back().data(), kK));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (size_t i = t; i < queries.size(); i += 2) {
          if (Search(b.index, queries[i].data(), kK) != expected[i]) ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_P(IndexConformance, SaveLoadRoundTripReproducesResults) {
  Built b = Build(Has(STRATA_INDEX_CAP_L2) ? STRATA_METRIC_L2 : STRATA_METRIC_COSINE);
  ASSERT_NE(b.index, nullptr);
  strata_error err{};
  ASSERT_EQ(host_.storage()->mkdir(host_.fs(), "seg0/index", &err), STRATA_OK);
  strata_dir dir{sizeof(strata_dir), 0, host_.storage(), host_.fs(), "seg0/index"};
  ASSERT_EQ(vt()->save(b.index, &dir, &err), STRATA_OK) << err.message;

  std::vector<std::string> files;
  auto emit = [](void* ctx, const char* name, uint8_t) {
    static_cast<std::vector<std::string>*>(ctx)->push_back(name);
  };
  if (vt()->list_files != nullptr) {
    ASSERT_EQ(vt()->list_files(b.index, emit, &files, &err), STRATA_OK);
    for (const std::string& f : files) {
      std::string path = std::string("seg0/index/") + f;
      EXPECT_EQ(host_.storage()->stat(host_.fs(), path.c_str(), nullptr, nullptr, &err), STRATA_OK)
          << "list_files names " << f << " but save() did not write it";
    }
  }

  strata_index* loaded = Create(*b.vectors);
  ASSERT_NE(loaded, nullptr);
  ASSERT_EQ(vt()->load(loaded, &dir, &err), STRATA_OK) << err.message;
  std::mt19937 rng(11);
  for (int i = 0; i < 20; ++i) {
    std::vector<float> q = b.vectors->Query(rng);
    EXPECT_EQ(Search(b.index, q.data(), kK), Search(loaded, q.data(), kK)) << "query " << i;
  }
}

TEST_P(IndexConformance, LoadFromEmptyDirectoryFails) {
  TestVectors v(kDim, STRATA_METRIC_L2);
  v.Generate(100, 4, 1);
  strata_index* idx = Create(v);
  ASSERT_NE(idx, nullptr);
  strata_error err{};
  ASSERT_EQ(host_.storage()->mkdir(host_.fs(), "empty", &err), STRATA_OK);
  strata_dir dir{sizeof(strata_dir), 0, host_.storage(), host_.fs(), "empty"};
  EXPECT_NE(vt()->load(idx, &dir, &err), STRATA_OK);
  EXPECT_NE(err.message[0], '\0') << "a failed load must say why";
}

TEST_P(IndexConformance, CancellationIsHonoured) {
  TestVectors v(kDim, Has(STRATA_INDEX_CAP_L2) ? STRATA_METRIC_L2 : STRATA_METRIC_COSINE);
  v.Generate(kCount, 20, 8);
  strata_index* idx = Create(v);
  ASSERT_NE(idx, nullptr);
  strata_cancel cancelled{};
  cancelled.struct_size = sizeof(cancelled);
  cancelled.is_cancelled = [](const void*) -> uint8_t { return 1; };
  strata_error err{};
  EXPECT_EQ(vt()->build(idx, nullptr, &cancelled, &err), STRATA_CANCELLED)
      << "build must stop when its token is already cancelled";
  ASSERT_EQ(vt()->build(idx, nullptr, nullptr, &err), STRATA_OK) << err.message;
  std::mt19937 rng(2);
  std::vector<float> q = v.Query(rng);
  int32_t rc = STRATA_OK;
  Search(idx, q.data(), kK, nullptr, nullptr, &rc, &cancelled);
  EXPECT_EQ(rc, STRATA_CANCELLED);
}

}  // namespace strata::sdk::testing

#endif  // STRATA_SDK_TESTING_INDEX_CONFORMANCE_HPP_
