// Shared by the crash writer and the crash tests: what batch b contains.
#ifndef STRATA_TESTS_INTEGRATION_CRASH_COMMON_H_
#define STRATA_TESTS_INTEGRATION_CRASH_COMMON_H_

#include <string>

#include "collections.pb.h"
#include "points.pb.h"

namespace crash {

constexpr const char* kCollection = "crash";
constexpr uint64_t kBatch = 20;
constexpr uint64_t kDim = 16;

inline float Component(uint64_t id, uint64_t d) {
  return static_cast<float>((id * 31 + d * 7) % 97) - 48.0f;
}

// payload_on_disk: the payloads' placement (Qdrant's default is on disk).
inline qdrant::CreateCollection CreateRequest(bool payload_on_disk = true) {
  qdrant::CreateCollection req;
  req.mutable_payload()->set_memory(payload_on_disk ? qdrant::Cold : qdrant::Cached);
  req.set_collection_name(kCollection);
  req.mutable_vectors_config()->mutable_params()->set_size(kDim);
  req.mutable_vectors_config()->mutable_params()->set_distance(qdrant::Euclid);
  req.mutable_wal_config()->set_wal_capacity_mb(1);  // rotate often
  return req;
}

inline qdrant::UpsertPoints BatchRequest(uint64_t b) {
  qdrant::UpsertPoints req;
  req.set_collection_name(kCollection);
  req.set_wait(true);
  for (uint64_t id = b * kBatch; id < (b + 1) * kBatch; ++id) {
    qdrant::PointStruct* p = req.add_points();
    p->mutable_id()->set_num(id);
    auto* v = p->mutable_vectors()->mutable_vector()->mutable_dense();
    for (uint64_t d = 0; d < kDim; ++d) v->add_data(Component(id, d));
    (*p->mutable_payload())["batch"].set_integer_value(static_cast<int64_t>(b));
    (*p->mutable_payload())["tag"].set_string_value("point-" + std::to_string(id));
  }
  return req;
}

// What the writer sends for batch b: one UpdateBatch that upserts batch b and marks the points
// of batch b - 1 with "next": b through a filter on their payload (on disk, resolved to ids
// when written), so the verifier can check a filtered payload update of every acknowledged
// batch as well.
inline qdrant::UpdateBatchPoints WriterRequest(uint64_t b) {
  qdrant::UpdateBatchPoints req;
  req.set_collection_name(kCollection);
  req.set_wait(true);
  *req.add_operations()->mutable_upsert()->mutable_points() = BatchRequest(b).points();
  if (b > 0) {
    auto* set = req.add_operations()->mutable_set_payload();
    (*set->mutable_payload())["next"].set_integer_value(static_cast<int64_t>(b));
    auto* c = set->mutable_points_selector()->mutable_filter()->add_must()->mutable_field();
    c->set_key("batch");
    c->mutable_match()->set_integer(static_cast<int64_t>(b - 1));
  }
  return req;
}

// Snapshots every this many writes, so kills land between snapshots with the payload store
// ahead of the last one.
constexpr uint64_t kSnapshotEveryOps = 16;

}  // namespace crash

#endif  // STRATA_TESTS_INTEGRATION_CRASH_COMMON_H_
