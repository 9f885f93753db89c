// points_convert.h: request validation and conversion between the Qdrant proto shapes and the
// segment's (vectors, payload selectors, vector selectors). Every error names the field.
#ifndef STRATA_KERNEL_SHARD_POINTS_CONVERT_H_
#define STRATA_KERNEL_SHARD_POINTS_CONVERT_H_

#include <string>
#include <vector>

#include "points.pb.h"
#include "segment/segment.h"

namespace strata::kernel {

// One qdrant::Vector (legacy `data` or `dense`) as a validated float32 vector for `spec`:
// dimension checked, finite values only, normalised for cosine.
Result<std::vector<float>> DenseFromProto(const qdrant::Vector& v, const VectorSpec& spec,
                                          const std::string& field);
// qdrant::Vectors (unnamed or named) for a point of a segment with these specs.
Result<NamedVectors> VectorsFromProto(const qdrant::Vectors& v,
                                      const std::vector<VectorSpec>& specs,
                                      const std::string& field);
// A query vector (dense only) for `spec`.
Result<std::vector<float>> QueryVector(const std::vector<float>& raw, const VectorSpec& spec,
                                       const std::string& field);
// The spec for a vector name ("" = default); INVALID_ARGUMENT listing the configured names.
Result<const VectorSpec*> FindSpec(const std::vector<VectorSpec>& specs, const std::string& name,
                                   const std::string& field);

// Payload filtered by a WithPayloadSelector (nullptr or unset: `default_enabled`).
void SelectPayload(const PayloadMap& payload, const qdrant::WithPayloadSelector* sel,
                   bool default_enabled, PayloadMap* out);
// Vectors of `offset` per a WithVectorsSelector (nullptr or unset: none).
void SelectVectors(const Segment& seg, uint32_t offset, const qdrant::WithVectorsSelector* sel,
                   qdrant::VectorsOutput* out, bool* any);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SHARD_POINTS_CONVERT_H_
