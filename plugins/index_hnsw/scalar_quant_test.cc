// The int8 paths agree with the scalar reference, and quantized distances track the exact ones
// closely enough that rescoring a few candidates recovers exact answers.
#include "scalar_quant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "hnsw_graph.h"

namespace strata::hnsw {
namespace {

TEST(ScalarQuantTest, EverySimdPathEqualsTheScalarDot) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  for (size_t n : {64u, 128u, 768u, 1024u}) {
    std::vector<uint8_t> a(n);
    std::vector<int8_t> b(n);
    for (auto& x : a) x = static_cast<uint8_t>(u8(rng));
    for (auto& x : b) x = static_cast<int8_t>(s8(rng));
    // The extremes too: 255 * -128 everywhere overflows 16-bit pair sums.
    std::vector<uint8_t> amax(n, 255);
    std::vector<int8_t> bmin(n, -128);
    EXPECT_EQ(DotU8S8Best()(a.data(), b.data(), n), DotU8S8Scalar()(a.data(), b.data(), n))
        << DotU8S8BestName() << " n=" << n;
    EXPECT_EQ(DotU8S8Best()(amax.data(), bmin.data(), n),
              DotU8S8Scalar()(amax.data(), bmin.data(), n));
    EXPECT_EQ(DotU8S8Scalar()(amax.data(), bmin.data(), n), -32640 * static_cast<int32_t>(n));
  }
}

class QuantFixture : public ::testing::TestWithParam<bool> {};

TEST_P(QuantFixture, DistancesTrackTheFloatOnes) {
  const bool l2 = GetParam();
  constexpr uint32_t kDim = 100, kN = 2000;  // 100: not a multiple of 64 (padding)
  std::mt19937 rng(2);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> base(size_t{kN} * kDim);
  for (float& x : base) x = g(rng) * 0.3f + 0.1f;
  const sdk::DistanceKernels& k = sdk::Kernels();
  // quantile 1.0 keeps the whole range (only rounding error); 0.99 clamps the tails, which
  // shifts single distances more but keeps the typical error as small.
  for (float quantile : {1.0f, 0.99f}) {
    ScalarQuantizer sq;
    sq.Build(base.data(), kDim, kN, kDim, quantile, l2);
    ASSERT_EQ(sq.size(), kN);
    double worst = 0, sum_err = 0, sum_abs = 0, spread = 0;
    for (int t = 0; t < 50; ++t) {
      std::vector<float> q(kDim);
      for (float& x : q) x = g(rng) * 0.3f + 0.1f;
      ScalarQuantizer::Query qq = sq.Encode(q.data());
      for (uint32_t i = 0; i < kN; i += 7) {
        const float* v = base.data() + size_t{i} * kDim;
        const float exact = l2 ? k.l2sq(q.data(), v, kDim) : 1.0f - k.dot(q.data(), v, kDim);
        const double err = std::fabs(exact - sq.Distance(qq, i));
        worst = std::max(worst, err);
        sum_err += err;
        sum_abs += std::fabs(exact);
        spread = std::max<double>(spread, std::fabs(exact));
      }
    }
    EXPECT_LT(sum_err / sum_abs, quantile == 1.0f ? 0.02 : 0.05) << "quantile " << quantile;
    if (quantile == 1.0f) {
      EXPECT_LT(worst, 0.02 * spread) << worst << " of " << spread;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Spaces, QuantFixture, ::testing::Values(false, true));

TEST(ScalarQuantTest, QuantizedGraphSearchWithRescoreFindsTheTrueNeighbours) {
  constexpr uint32_t kDim = 32, kN = 3000;
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> base(size_t{kN} * kDim);
  for (float& x : base) x = g(rng);
  Graph graph(kDim, Space::kL2, Params{16, 100, 7});
  graph.SetVectors(base.data(), kDim);
  graph.Reserve(kN);
  for (uint32_t i = 0; i < kN; ++i) graph.Insert(i);
  ScalarQuantizer sq;
  sq.Build(base.data(), kDim, kN, kDim, 0.99f, true);
  const sdk::DistanceKernels& k = sdk::Kernels();
  size_t hits = 0, total = 0;
  std::vector<std::pair<float, uint32_t>> found;
  for (int t = 0; t < 100; ++t) {
    std::vector<float> q(kDim);
    for (float& x : q) x = g(rng);
    std::vector<std::pair<float, uint32_t>> all;
    for (uint32_t i = 0; i < kN; ++i)
      all.push_back({k.l2sq(q.data(), &base[size_t{i} * kDim], kDim), i});
    std::partial_sort(all.begin(), all.begin() + 10, all.end());
    graph.SearchQuantized(sq, q.data(), 10, 64, AllowFn{}, 30, &found);
    ASSERT_EQ(found.size(), 10u);
    for (size_t j = 0; j + 1 < found.size(); ++j) ASSERT_LE(found[j].first, found[j + 1].first);
    // Rescored: reported distances are the exact ones.
    EXPECT_FLOAT_EQ(found[0].first, k.l2sq(q.data(), &base[size_t{found[0].second} * kDim], kDim));
    for (int j = 0; j < 10; ++j) {
      ++total;
      for (auto& f : found) hits += f.second == all[j].second ? 1 : 0;
    }
  }
  EXPECT_GT(static_cast<double>(hits) / total, 0.95);
}

TEST(BinaryQuantTest, HammingDistancesAndARescoredGraphSearch) {
  constexpr uint32_t kDim = 514, kN = 3000;  // 514: nine 64-bit words, the last partial
  std::mt19937 rng(4);
  std::normal_distribution<float> g(0, 1);
  // Clustered unit vectors (binary codes suit embeddings with structure, not pure noise).
  std::vector<std::vector<float>> centers(30, std::vector<float>(kDim));
  for (auto& c : centers) {
    for (float& x : c) x = g(rng);
  }
  std::vector<float> base(size_t{kN} * kDim);
  auto make = [&](float* v) {
    const auto& c = centers[rng() % centers.size()];
    float norm = 0;
    for (uint32_t d = 0; d < kDim; ++d) {
      v[d] = c[d] + 0.4f * g(rng);
      norm += v[d] * v[d];
    }
    for (uint32_t d = 0; d < kDim; ++d) v[d] /= std::sqrt(norm);
  };
  for (uint32_t i = 0; i < kN; ++i) make(&base[size_t{i} * kDim]);
  BinaryQuantizer bq;
  bq.Build(base.data(), kDim, kN, kDim);
  ASSERT_EQ(bq.size(), kN);
  std::vector<float> q(kDim);
  make(q.data());
  BinaryQuantizer::Query qq = bq.Encode(q.data());
  for (uint32_t i = 0; i < kN; i += 97) {
    int differ = 0;
    for (uint32_t d = 0; d < kDim; ++d) {
      differ += bq.Bucket(d, q[d]) != bq.Bucket(d, base[size_t{i} * kDim + d]);
    }
    EXPECT_EQ(bq.Distance(qq, i), static_cast<float>(differ));
  }

  // Bits are taken around each dimension's mean: data shifted far from 0 still splits about
  // half and half (plain sign bits would all be 1).
  {
    std::vector<float> shifted(base);
    for (float& x : shifted) x += 3.0f;
    BinaryQuantizer sq;
    sq.Build(shifted.data(), kDim, kN, kDim);
    uint64_t ones = 0;
    for (uint32_t i = 0; i < kN; ++i) {
      for (uint32_t w = 0; w < (kDim + 63) / 64; ++w) ones += __builtin_popcountll(sq.Codes(i)[w]);
    }
    const double share = static_cast<double>(ones) / (double{kN} * kDim);
    EXPECT_GT(share, 0.3);
    EXPECT_LT(share, 0.7);
  }

  Graph graph(kDim, Space::kInnerProduct, Params{16, 100, 7});
  graph.SetVectors(base.data(), kDim);
  graph.Reserve(kN);
  for (uint32_t i = 0; i < kN; ++i) graph.Insert(i);
  const sdk::DistanceKernels& k = sdk::Kernels();
  size_t hits = 0, total = 0;
  std::vector<std::pair<float, uint32_t>> found;
  for (int t = 0; t < 100; ++t) {
    make(q.data());
    std::vector<std::pair<float, uint32_t>> all;
    for (uint32_t i = 0; i < kN; ++i) {
      all.push_back({1.0f - k.dot(q.data(), &base[size_t{i} * kDim], kDim), i});
    }
    std::partial_sort(all.begin(), all.begin() + 10, all.end());
    // Within a cluster the similarities differ by ~1%, below what sign bits resolve, so a wide
    // rescore (200 candidates) is what recovers the order; the benchmark reports the quality
    // on the shared datasets.
    graph.SearchQuantized(bq, q.data(), 10, 200, AllowFn{}, 200, &found);
    ASSERT_EQ(found.size(), 10u);
    EXPECT_FLOAT_EQ(found[0].first,
                    1.0f - k.dot(q.data(), &base[size_t{found[0].second} * kDim], kDim));
    for (int j = 0; j < 10; ++j) {
      ++total;
      for (auto& f : found) hits += f.second == all[j].second ? 1 : 0;
    }
  }
  EXPECT_GT(static_cast<double>(hits) / total, 0.9);
}

// Clustered unit vectors: 30 centres, noise 0.4 per dimension.
std::vector<float> ClusteredUnitVectors(uint32_t n, uint32_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<std::vector<float>> centers(30, std::vector<float>(dim));
  for (auto& c : centers) {
    for (float& x : c) x = g(rng);
  }
  std::vector<float> out(size_t{n} * dim);
  for (uint32_t i = 0; i < n; ++i) {
    const auto& c = centers[rng() % centers.size()];
    float* v = &out[size_t{i} * dim];
    float norm = 0;
    for (uint32_t d = 0; d < dim; ++d) {
      v[d] = c[d] + 0.4f * g(rng);
      norm += v[d] * v[d];
    }
    for (uint32_t d = 0; d < dim; ++d) v[d] /= std::sqrt(norm);
  }
  return out;
}

// The lookup tables give exactly the distance to each code's reconstruction (bucket means),
// for one and two bits, inner product and L2; the two-bit Hamming distance is the sum of bucket
// differences (a thermometer code).
TEST(BinaryQuantTest, AsymmetricTablesEqualTheDistanceToTheReconstruction) {
  constexpr uint32_t kDim = 100, kN = 500;  // 100: the second 64-bit word is partial
  const std::vector<float> base = ClusteredUnitVectors(kN, kDim, 11);
  const std::vector<float> queries = ClusteredUnitVectors(20, kDim, 12);
  for (uint32_t bits : {1u, 2u}) {
    for (bool l2 : {false, true}) {
      BinaryQuantizer::Options o;
      o.bits = bits;
      o.asymmetric = true;
      o.l2 = l2;
      BinaryQuantizer bq;
      bq.Build(base.data(), kDim, kN, kDim, o);
      BinaryQuantizer::Options sym = o;
      sym.asymmetric = false;
      BinaryQuantizer hq;
      hq.Build(base.data(), kDim, kN, kDim, sym);
      for (uint32_t t = 0; t < 20; ++t) {
        const float* q = &queries[size_t{t} * kDim];
        const BinaryQuantizer::Query qa = bq.Encode(q);
        const BinaryQuantizer::Query qh = hq.Encode(q);
        for (uint32_t i = 0; i < kN; i += 7) {
          const float* v = &base[size_t{i} * kDim];
          double want = l2 ? 0.0 : 1.0;
          uint32_t hamming = 0;
          for (uint32_t d = 0; d < kDim; ++d) {
            const uint32_t b = bq.Bucket(d, v[d]);
            const double r = bq.Reconstruction(d, b);
            want += l2 ? (q[d] - r) * (q[d] - r) : -q[d] * r;
            hamming += static_cast<uint32_t>(
                std::abs(static_cast<int>(b) - static_cast<int>(bq.Bucket(d, q[d]))));
          }
          EXPECT_NEAR(bq.Distance(qa, i), want, 1e-4 * (1 + std::fabs(want)))
              << "bits " << bits << " l2 " << l2 << " point " << i;
          EXPECT_EQ(hq.Distance(qh, i), static_cast<float>(hamming));
        }
      }
      // Every bucket's reconstruction lies in its bucket.
      for (uint32_t d = 0; d < kDim; ++d) {
        for (uint32_t b = 0; b <= bits; ++b) EXPECT_EQ(bq.Bucket(d, bq.Reconstruction(d, b)), b);
      }
    }
  }
}

// On clustered data, a rescored graph search with few candidates (oversampling 2): the float
// query against the reconstructions finds more of the true top 10 than Hamming, and two bits
// more than one.
TEST(BinaryQuantTest, AsymmetricAndTwoBitCodesRecallMoreThanHamming) {
  constexpr uint32_t kDim = 256, kN = 4000;
  const std::vector<float> base = ClusteredUnitVectors(kN, kDim, 21);
  const std::vector<float> queries = ClusteredUnitVectors(100, kDim, 22);
  Graph graph(kDim, Space::kInnerProduct, Params{16, 100, 7});
  graph.SetVectors(base.data(), kDim);
  graph.Reserve(kN);
  for (uint32_t i = 0; i < kN; ++i) graph.Insert(i);
  const sdk::DistanceKernels& k = sdk::Kernels();
  auto recall = [&](uint32_t bits, bool asymmetric) {
    BinaryQuantizer::Options o;
    o.bits = bits;
    o.asymmetric = asymmetric;
    BinaryQuantizer bq;
    bq.Build(base.data(), kDim, kN, kDim, o);
    size_t hits = 0;
    std::vector<std::pair<float, uint32_t>> found;
    for (uint32_t t = 0; t < 100; ++t) {
      const float* q = &queries[size_t{t} * kDim];
      std::vector<std::pair<float, uint32_t>> all;
      for (uint32_t i = 0; i < kN; ++i) {
        all.push_back({1.0f - k.dot(q, &base[size_t{i} * kDim], kDim), i});
      }
      std::partial_sort(all.begin(), all.begin() + 10, all.end());
      graph.SearchQuantized(bq, q, 10, 64, AllowFn{}, 20, &found);  // oversampling 2
      for (int j = 0; j < 10; ++j) {
        for (auto& f : found) hits += f.second == all[j].second ? 1 : 0;
      }
    }
    return static_cast<double>(hits) / 1000.0;
  };
  const double one_ham = recall(1, false), one_asym = recall(1, true);
  const double two_ham = recall(2, false), two_asym = recall(2, true);
  std::printf(
      "recall@10, oversampling 2: one bit %.3f (Hamming) %.3f (asymmetric); two bits "
      "%.3f / %.3f\n",
      one_ham, one_asym, two_ham, two_asym);
  // Isotropic noise around 30 centres is the hard case for binary codes (the benchmark shows the
  // levels on the shared datasets); here only the order of the four is asserted, with margins.
  EXPECT_GT(one_asym, 1.5 * one_ham);
  EXPECT_GT(two_ham, 1.2 * one_ham);
  EXPECT_GT(two_asym, 1.2 * one_asym);
}

// Saved quantizers come back exactly; Extend encodes later vectors with the same map as a
// build over all of them would have (when the map is the same); damage is refused.
TEST(QuantizerFileTest, RoundTripsExtendsAndRefusesDamage) {
  constexpr uint32_t kDim = 70, kN = 500;
  std::mt19937 rng(4);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> base(size_t{kN} * kDim);
  for (float& x : base) x = g(rng);
  std::vector<float> q(kDim);
  for (float& x : q) x = g(rng);

  ScalarQuantizer sq;
  sq.Build(base.data(), kDim, kN / 2, kDim, 1.0f, true);
  ScalarQuantizer copy;
  ASSERT_TRUE(copy.Deserialize(sq.Serialize(), "sq").ok());
  EXPECT_EQ(copy.size(), kN / 2);
  EXPECT_EQ(copy.Serialize(), sq.Serialize());
  copy.Extend(base.data(), kDim, kN);
  ASSERT_EQ(copy.size(), kN);
  const ScalarQuantizer::Query qq = copy.Encode(q.data());
  for (uint32_t i = kN / 2; i < kN; ++i) {  // the later vectors are encoded, not scored 0
    std::vector<uint8_t> want(kDim);
    for (uint32_t d = 0; d < kDim; ++d) {
      const float x = std::round((base[size_t{i} * kDim + d] - copy.offset()) / copy.scale());
      want[d] = static_cast<uint8_t>(std::clamp(x, 0.0f, 255.0f));
    }
    ASSERT_TRUE(std::equal(want.begin(), want.end(), copy.Codes(i))) << i;
  }
  EXPECT_GT(copy.Distance(qq, kN - 1), 0.0f);

  BinaryQuantizer bq;
  BinaryQuantizer::Options o;
  o.bits = 2;
  o.asymmetric = true;
  bq.Build(base.data(), kDim, kN, kDim, o);
  BinaryQuantizer bcopy;
  ASSERT_TRUE(bcopy.Deserialize(bq.Serialize(), "bq").ok());
  EXPECT_EQ(bcopy.Serialize(), bq.Serialize());
  const BinaryQuantizer::Query bqq = bq.Encode(q.data()), bcq = bcopy.Encode(q.data());
  for (uint32_t i = 0; i < kN; i += 17) EXPECT_EQ(bq.Distance(bqq, i), bcopy.Distance(bcq, i));

  std::string bytes = sq.Serialize();
  bytes[20] ^= 1;
  EXPECT_EQ(copy.Deserialize(bytes, "sq").code(), StatusCode::kDataLoss);
  EXPECT_EQ(copy.Deserialize(sq.Serialize().substr(0, 30), "sq").code(), StatusCode::kDataLoss);
  EXPECT_EQ(copy.Deserialize(bq.Serialize(), "bq").code(), StatusCode::kFailedPrecondition)
      << "binary codes are not scalar ones";
}

}  // namespace
}  // namespace strata::hnsw
