#include "segment/distance.h"

#include <cmath>

namespace strata::kernel {

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
