// distance.h: vector similarity kernels with runtime CPU dispatch (AVX-512, AVX2+FMA, scalar).
//
// Internally every metric is a score where higher is better:
//   cosine    dot product of unit vectors (vectors are normalised at insert),
//   dot       dot product,
//   euclid    -squared L2 distance,
//   manhattan -L1 distance.
// ToApiScore() turns that into what Qdrant reports: euclid = sqrt distance, manhattan = L1
// distance (both: lower is better), cosine and dot unchanged.
#ifndef STRATA_KERNEL_SEGMENT_DISTANCE_H_
#define STRATA_KERNEL_SEGMENT_DISTANCE_H_

#include <cstddef>
#include <string>

namespace strata::kernel {

enum class Metric { kCosine, kDot, kEuclid, kManhattan };
enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

struct DistanceKernels {
  float (*dot)(const float* a, const float* b, size_t n);
  float (*l2sq)(const float* a, const float* b, size_t n);
  float (*l1)(const float* a, const float* b, size_t n);
};

// The best level this CPU supports (and the build compiled in).
SimdLevel DetectSimdLevel();
const char* SimdLevelName(SimdLevel level);
// Kernels of one level; levels above DetectSimdLevel() must not be called.
const DistanceKernels& KernelsFor(SimdLevel level);
// The kernels chosen once at startup for this CPU.
const DistanceKernels& ActiveKernels();

float Score(Metric metric, const float* a, const float* b, size_t dim);
float Score(const DistanceKernels& k, Metric metric, const float* a, const float* b, size_t dim);
float ToApiScore(Metric metric, float internal);
// The internal score threshold equivalent to an API score_threshold.
float FromApiScore(Metric metric, float api);
// True when a larger API score is better (cosine, dot).
bool HigherIsBetter(Metric metric);
// In place; returns false (and leaves v unchanged) for a zero vector.
bool Normalize(float* v, size_t dim);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SEGMENT_DISTANCE_H_
