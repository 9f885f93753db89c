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

#include "strata/sdk/distance.hpp"

namespace strata::kernel {

enum class Metric { kCosine, kDot, kEuclid, kManhattan };

// The kernels themselves live in the SDK (strata/sdk/distance.hpp), shared with index plugins.
using sdk::DetectSimdLevel;
using sdk::DistanceKernels;
using sdk::KernelsFor;
using sdk::SimdLevel;
using sdk::SimdLevelName;
inline const DistanceKernels& ActiveKernels() { return sdk::Kernels(); }

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
