#include "segment/distance.h"

#include <cmath>

namespace strata::kernel {

// Defined in distance_avx2.cc / distance_avx512.cc, compiled with those instruction sets.
extern const DistanceKernels kAvx2Kernels;
extern const DistanceKernels kAvx512Kernels;

namespace {

float DotScalar(const float* a, const float* b, size_t n) {
  float s = 0;
  for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
float L2Scalar(const float* a, const float* b, size_t n) {
  float s = 0;
  for (size_t i = 0; i < n; ++i) {
    float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}
float L1Scalar(const float* a, const float* b, size_t n) {
  float s = 0;
  for (size_t i = 0; i < n; ++i) s += std::fabs(a[i] - b[i]);
  return s;
}
const DistanceKernels kScalarKernels = {&DotScalar, &L2Scalar, &L1Scalar};

}  // namespace

SimdLevel DetectSimdLevel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return SimdLevel::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::kAvx2;
  return SimdLevel::kScalar;
}

const char* SimdLevelName(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return "avx512";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kScalar:
      return "scalar";
  }
  return "scalar";
}

const DistanceKernels& KernelsFor(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return kAvx512Kernels;
    case SimdLevel::kAvx2:
      return kAvx2Kernels;
    case SimdLevel::kScalar:
      return kScalarKernels;
  }
  return kScalarKernels;
}

const DistanceKernels& ActiveKernels() {
  static const DistanceKernels& active = KernelsFor(DetectSimdLevel());
  return active;
}

float Score(const DistanceKernels& k, Metric metric, const float* a, const float* b, size_t dim) {
  switch (metric) {
    case Metric::kEuclid:
      return -k.l2sq(a, b, dim);
    case Metric::kManhattan:
      return -k.l1(a, b, dim);
    case Metric::kCosine:
    case Metric::kDot:
      return k.dot(a, b, dim);
  }
  return 0;
}

float Score(Metric metric, const float* a, const float* b, size_t dim) {
  return Score(ActiveKernels(), metric, a, b, dim);
}

float ToApiScore(Metric metric, float internal) {
  switch (metric) {
    case Metric::kEuclid:
      return std::sqrt(std::max(0.0f, -internal));
    case Metric::kManhattan:
      return -internal;
    default:
      return internal;
  }
}

float FromApiScore(Metric metric, float api) {
  switch (metric) {
    case Metric::kEuclid:
      return -(api * api);
    case Metric::kManhattan:
      return -api;
    default:
      return api;
  }
}

bool HigherIsBetter(Metric metric) { return metric == Metric::kCosine || metric == Metric::kDot; }

bool Normalize(float* v, size_t dim) {
  double norm = 0;
  for (size_t i = 0; i < dim; ++i) norm += static_cast<double>(v[i]) * v[i];
  if (norm <= 0) return false;
  float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (size_t i = 0; i < dim; ++i) v[i] *= inv;
  return true;
}

}  // namespace strata::kernel
