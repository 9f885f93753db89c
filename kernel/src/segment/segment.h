// segment.h: an appendable, in-memory segment: id tracker (external id <-> dense offset, point
// versions, deletions), dense float32 vector storage per named vector, and payloads.
//
// Versions: every change carries the WAL sequence number of its operation; a change older than
// the point's version is ignored, so replaying the WAL over a snapshot is idempotent.
// Concurrency: not synchronised; the owning shard holds a reader/writer lock around it.
#ifndef STRATA_KERNEL_SEGMENT_SEGMENT_H_
#define STRATA_KERNEL_SEGMENT_SEGMENT_H_

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "segment/distance.h"
#include "segment/filter.h"
#include "segment/point_id.h"

namespace strata::kernel {

struct VectorSpec {
  std::string name;  // "" is the default (unnamed) vector
  uint32_t dim = 0;
  Metric metric = Metric::kCosine;
};

using NamedVectors = std::map<std::string, std::vector<float>>;

struct ScoredOffset {
  float score;  // internal score, higher is better
  uint32_t offset;
};

class Segment {
 public:
  explicit Segment(std::vector<VectorSpec> specs);

  const std::vector<VectorSpec>& specs() const { return specs_; }
  const VectorSpec* Spec(const std::string& name) const;

  // Inserts or replaces a point. Vectors are validated by the caller (dim, finite, normalised).
  void Upsert(const ExternalId& id, uint64_t version, const NamedVectors& vectors,
              const PayloadMap& payload);
  bool Delete(const ExternalId& id, uint64_t version);
  // key: "" merges at the top level, else merges into the object at that path (created).
  bool SetPayload(const ExternalId& id, uint64_t version, const PayloadMap& values,
                  const std::string& key);
  bool OverwritePayload(const ExternalId& id, uint64_t version, const PayloadMap& payload);
  bool DeletePayloadKeys(const ExternalId& id, uint64_t version,
                         const std::vector<std::string>& keys);
  bool ClearPayload(const ExternalId& id, uint64_t version);
  bool UpdateVectors(const ExternalId& id, uint64_t version, const NamedVectors& vectors);
  bool DeleteVectors(const ExternalId& id, uint64_t version, const std::vector<std::string>& names);

  std::optional<uint32_t> Find(const ExternalId& id) const;
  size_t live_count() const { return live_; }
  uint32_t offset_count() const { return static_cast<uint32_t>(ids_.size()); }
  bool IsLive(uint32_t offset) const { return !deleted_[offset]; }
  const ExternalId& IdAt(uint32_t offset) const { return ids_[offset]; }
  uint64_t VersionAt(uint32_t offset) const { return versions_[offset]; }
  const PayloadMap& PayloadAt(uint32_t offset) const { return payloads_[offset]; }
  // nullptr when the point has no vector of that name.
  const float* VectorAt(const std::string& name, uint32_t offset) const;
  bool HasVector(const std::string& name, uint32_t offset) const;
  PointView View(uint32_t offset) const;
  bool Matches(const qdrant::Filter* filter, uint32_t offset) const;

  // Exact top-k over live points with the named vector that pass the filter, best first.
  std::vector<ScoredOffset> Search(const std::string& vector_name, const float* query, size_t k,
                                   const qdrant::Filter* filter) const;
  // Live offsets sorted by external id (Qdrant's scroll order).
  std::vector<uint32_t> OffsetsById() const;

 private:
  struct Storage {
    std::vector<float> data;       // offset * dim
    std::vector<uint8_t> present;  // per offset
  };
  uint32_t Allocate(const ExternalId& id);
  bool Touch(const ExternalId& id, uint64_t version, uint32_t* offset);
  void WriteVector(size_t spec, uint32_t offset, const std::vector<float>& v);

  std::vector<VectorSpec> specs_;
  std::vector<Storage> storages_;  // parallel to specs_
  std::unordered_map<ExternalId, uint32_t, ExternalIdHash> index_;
  std::vector<ExternalId> ids_;
  std::vector<uint64_t> versions_;
  std::vector<uint8_t> deleted_;
  std::vector<PayloadMap> payloads_;
  size_t live_ = 0;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SEGMENT_SEGMENT_H_
