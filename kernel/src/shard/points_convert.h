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
// qdrant::Vectors (unnamed or named) of a point, split into the dense vectors (validated for
// `specs`) and the sparse ones (names in `sparse_specs`; see SparseFromProto).
Status VectorsFromProto(const qdrant::Vectors& v, const std::vector<VectorSpec>& specs,
                        const std::vector<SparseSpec>& sparse_specs, const std::string& field,
                        NamedVectors* dense, NamedSparse* sparse);
// A sparse vector from its indices and values: as many of each, indices unique, values finite;
// stored sorted by index.
Result<SparseVector> SparseFromProto(const google::protobuf::RepeatedField<uint32_t>& indices,
                                     const google::protobuf::RepeatedField<float>& values,
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
