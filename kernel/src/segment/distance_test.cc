#include "segment/distance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace strata::kernel {
namespace {

TEST(DistanceTest, EverySimdPathAgreesWithScalar) {
  const DistanceKernels& scalar = KernelsFor(SimdLevel::kScalar);
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.f, 1.f);
  int levels_tested = 0;
  for (int l = 0; l <= static_cast<int>(DetectSimdLevel()); ++l) {
    ++levels_tested;
    const DistanceKernels& k = KernelsFor(static_cast<SimdLevel>(l));
    for (size_t dim : {1u, 3u, 7u, 8u, 15u, 16u, 17u, 31u, 32u, 33u, 100u, 128u, 768u, 1537u}) {
      std::vector<float> a(dim), b(dim);
      for (size_t i = 0; i < dim; ++i) {
        a[i] = dist(rng);
        b[i] = dist(rng);
      }
      const float tol = 1e-4f * static_cast<float>(dim);
      EXPECT_NEAR(k.dot(a.data(), b.data(), dim), scalar.dot(a.data(), b.data(), dim), tol)
          << SimdLevelName(static_cast<SimdLevel>(l)) << " dim " << dim;
      EXPECT_NEAR(k.l2sq(a.data(), b.data(), dim), scalar.l2sq(a.data(), b.data(), dim), tol)
          << SimdLevelName(static_cast<SimdLevel>(l)) << " dim " << dim;
      EXPECT_NEAR(k.l1(a.data(), b.data(), dim), scalar.l1(a.data(), b.data(), dim), tol)
          << SimdLevelName(static_cast<SimdLevel>(l)) << " dim " << dim;
    }
  }
  EXPECT_GE(levels_tested, 1);
  std::printf("SIMD level on this machine: %s\n", SimdLevelName(DetectSimdLevel()));
}

TEST(DistanceTest, KnownValuesAndApiScores) {
  float a[3] = {1, 2, 3}, b[3] = {4, 6, 3};
  EXPECT_FLOAT_EQ(Score(Metric::kDot, a, b, 3), 4 + 12 + 9);
  EXPECT_FLOAT_EQ(Score(Metric::kEuclid, a, b, 3), -25.f);
  EXPECT_FLOAT_EQ(ToApiScore(Metric::kEuclid, -25.f), 5.f) << "Qdrant reports sqrt distance";
  EXPECT_FLOAT_EQ(Score(Metric::kManhattan, a, b, 3), -7.f);
  EXPECT_FLOAT_EQ(ToApiScore(Metric::kManhattan, -7.f), 7.f);
  EXPECT_FLOAT_EQ(FromApiScore(Metric::kEuclid, 5.f), -25.f);
  EXPECT_TRUE(HigherIsBetter(Metric::kCosine));
  EXPECT_FALSE(HigherIsBetter(Metric::kEuclid));
}

TEST(DistanceTest, NormalizeMakesUnitVectorsAndRefusesZero) {
  float v[2] = {3, 4};
  ASSERT_TRUE(Normalize(v, 2));
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  float z[2] = {0, 0};
  EXPECT_FALSE(Normalize(z, 2));
}

}  // namespace
}  // namespace strata::kernel
