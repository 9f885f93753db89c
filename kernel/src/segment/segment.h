// segment.h: an appendable, in-memory segment: id tracker (external id <-> dense offset, point
// versions, deletions), dense float32 vector storage per named vector, and payloads.
//
// Versions: every change carries the WAL sequence number of its operation; a change older than
// the point's version is ignored, so replaying the WAL over a snapshot is idempotent.
// Vectors never change in place: replacing a point's vectors writes them at a new offset and
// retires the old one, so an index built over offsets [0, n) stays valid while writes go on.
// Vector storage has stable addresses (StableFloats), which index plugins borrow.
// Payloads live in memory, or on disk in a DiskPayloads store (UseDiskPayloads): then every
// change is staged there and the shard commits it with the write (CommitPayloads).
// Concurrency: not synchronised; the owning shard holds a reader/writer lock around it.
#ifndef STRATA_KERNEL_SEGMENT_SEGMENT_H_
#define STRATA_KERNEL_SEGMENT_SEGMENT_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "segment/disk_payloads.h"
#include "segment/distance.h"
#include "segment/filter.h"
#include "segment/payload_index.h"
#include "segment/point_id.h"
#include "segment/sparse_column.h"
#include "segment/stable_floats.h"

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
  explicit Segment(std::vector<VectorSpec> specs, std::vector<SparseSpec> sparse = {});
  Segment(const Segment&) = delete;  // the payload index refers back to this segment
  Segment& operator=(const Segment&) = delete;

  const std::vector<VectorSpec>& specs() const { return specs_; }
  const VectorSpec* Spec(const std::string& name) const;
  const std::vector<SparseSpec>& sparse_specs() const { return sparse_specs_; }
  const SparseSpec* SparseSpecOf(const std::string& name) const;
  // The idf modifier of a sparse vector was switched (no data changes: it applies at query time).
  void SetSparseIdf(const std::string& name, bool idf);

  // Inserts or replaces a point. Vectors are validated by the caller (dim, finite, normalised).
  void Upsert(const ExternalId& id, uint64_t version, const NamedVectors& vectors,
              const PayloadMap& payload, const NamedSparse& sparse = {});
  bool Delete(const ExternalId& id, uint64_t version);
  // key: "" merges at the top level, else merges into the object at that path (created).
  bool SetPayload(const ExternalId& id, uint64_t version, const PayloadMap& values,
                  const std::string& key);
  bool OverwritePayload(const ExternalId& id, uint64_t version, const PayloadMap& payload);
  bool DeletePayloadKeys(const ExternalId& id, uint64_t version,
                         const std::vector<std::string>& keys);
  bool ClearPayload(const ExternalId& id, uint64_t version);
  bool UpdateVectors(const ExternalId& id, uint64_t version, const NamedVectors& vectors,
                     const NamedSparse& sparse = {});
  bool DeleteVectors(const ExternalId& id, uint64_t version, const std::vector<std::string>& names);

  // Appends `count` retired offsets (no point, no vectors): a snapshot restores the offsets of
  // the segment it was taken from, so indexes saved over them stay valid.
  void PadRetired(uint32_t count);

  // Payloads on disk from now on (the in-memory ones are dropped: the caller has put them in
  // the store). The store may be shared with a vacuum's copy of this segment.
  void UseDiskPayloads(std::shared_ptr<DiskPayloads> store);
  // Payloads back in memory, read from the store for every live point.
  Status UseMemoryPayloads();
  const std::shared_ptr<DiskPayloads>& disk_payloads() const { return disk_; }
  // How changes reach a disk store (no effect on in-memory payloads):
  //  kNormal    - staged, and the payload index follows them;
  //  kVersioned - replay over a store that may be ahead: a change is staged only when the
  //               store's record of the point is older than it; the payload index does not
  //               follow (RebuildPayloadIndex afterwards);
  //  kUntouched - the store already holds every change (loading a snapshot taken with it, a
  //               vacuum's copy): nothing is read or staged; the payload index does not follow.
  enum class PayloadMode { kNormal, kVersioned, kUntouched };
  void set_payload_mode(PayloadMode mode) { payload_mode_ = mode; }
  // Refills the payload index from the payloads of the live points.
  void RebuildPayloadIndex();
  // Commits the changes staged in a disk store (one batch per write); OK in memory.
  Status CommitPayloads();

  std::optional<uint32_t> Find(const ExternalId& id) const;
  size_t live_count() const { return live_; }
  uint32_t offset_count() const { return static_cast<uint32_t>(ids_.size()); }
  bool IsLive(uint32_t offset) const { return !deleted_[offset]; }
  const ExternalId& IdAt(uint32_t offset) const { return ids_[offset]; }
  uint64_t VersionAt(uint32_t offset) const { return versions_[offset]; }
  // A retired offset reads as an empty payload.
  PayloadRef PayloadAt(uint32_t offset) const;
  // nullptr when the point has no vector of that name.
  const float* VectorAt(const std::string& name, uint32_t offset) const;
  // nullptr when the point has no sparse vector of that name.
  const SparseVector* SparseAt(const std::string& name, uint32_t offset) const;
  // Start of a vector name's storage (vector i at base + i * dim), stable for the segment's life.
  const float* VectorBase(const std::string& name) const;
  // Bit i set when offset i is live; covers offset_count() bits.
  const std::vector<uint64_t>& live_bits() const { return live_bits_; }
  // How many more offsets fit in the vector storage.
  size_t free_offsets() const;
  bool HasVector(const std::string& name, uint32_t offset) const;
  PointView View(uint32_t offset) const;
  bool Matches(const qdrant::Filter* filter, uint32_t offset) const;

  // Exact top-k over live points with the named vector that pass the filter, best first.
  std::vector<ScoredOffset> Search(const std::string& vector_name, const float* query, size_t k,
                                   const qdrant::Filter* filter, uint32_t begin = 0,
                                   uint32_t end = UINT32_MAX) const;
  // Exact top-k over the offsets whose bit is set in `allow` (n_bits bits).
  std::vector<ScoredOffset> SearchAllowed(const std::string& vector_name, const float* query,
                                          size_t k, const std::vector<uint64_t>& allow) const;
  // Exact top-k by sparse dot product (IDF-weighted with that modifier) over live points whose
  // sparse vector shares a dimension with the query and that pass the filter, best first.
  std::vector<ScoredOffset> SearchSparse(const std::string& name, const SparseVector& query,
                                         size_t k, const qdrant::Filter* filter) const;
  // Live offsets sorted by external id (Qdrant's scroll order), cached until the next change of
  // which offsets are live, so scroll pages and payload scans do not sort every time. Safe for
  // concurrent readers.
  std::shared_ptr<const std::vector<uint32_t>> SortedById() const;

  // Payload field indexes. SetFieldIndex builds the index over the live points (no-op when the
  // field already has this spec); the payload index then follows every change.
  void SetFieldIndex(const std::string& path, FieldIndexSpec spec);
  void DropFieldIndex(const std::string& path);
  std::map<std::string, FieldIndexSpec> field_indexes() const { return payload_index_.fields(); }
  uint64_t PointsIndexed(const std::string& path) const;
  const PayloadIndex& payload_index() const { return payload_index_; }
  // A sorted superset of the offsets matching `filter` from the payload indexes (and has_id),
  // or nullopt when they cannot bound it (then every offset is a candidate).
  std::optional<CandidateSet> Candidates(const qdrant::Filter& filter) const;
  // Calls fn(offset, payload) for every live offset matching `filter` (nullptr: all of them),
  // in no particular order: with payloads on disk in one sequential pass over the store unless
  // the payload indexes bound the filter.
  void ForEachPayload(const qdrant::Filter* filter,
                      const std::function<void(uint32_t, const PayloadMap&)>& fn) const;
  // Payloads on disk, a filter the payload indexes cannot bound: its exact matches from one
  // sequential pass over the store (every offset certain), far cheaper than a point read per
  // offset (use it when Candidates cannot bound the filter). nullopt with payloads in memory.
  std::optional<CandidateSet> ScanCandidates(const qdrant::Filter& filter) const;
  // Matches of the filter (nullptr: every live point): min/max from the indexes, exp from
  // evaluating the filter on an evenly spaced sample of the candidates.
  Cardinality EstimateMatches(const qdrant::Filter* filter) const;
  // Calls fn(offset) for every live offset matching `filter`, in increasing offset order.
  template <class Fn>
  void ForEachMatch(const qdrant::Filter* filter, Fn&& fn) const {
    std::optional<CandidateSet> cand;
    if (filter != nullptr) cand = Candidates(*filter);
    if (!cand && filter != nullptr) cand = ScanCandidates(*filter);
    if (cand) {
      for (uint32_t o : cand->offsets) {
        if (cand->Certain(o) || Matches(filter, o)) fn(o);
      }
      return;
    }
    for (uint32_t o = 0; o < offset_count(); ++o) {
      if (Matches(filter, o)) fn(o);
    }
  }
  // Exact top-k by a custom objective over live points with the vector passing the filter.
  std::vector<ScoredOffset> SearchCustom(const std::string& vector_name, size_t k,
                                         const qdrant::Filter* filter,
                                         const std::function<float(const float*)>& score) const;
  // Exact top-k over the candidates in [begin, end) (live, with the vector, passing the
  // filter), best first.
  std::vector<ScoredOffset> SearchOffsets(const std::string& vector_name, const float* query,
                                          size_t k, const CandidateSet& candidates,
                                          const qdrant::Filter* filter, uint32_t begin = 0,
                                          uint32_t end = UINT32_MAX) const;

 private:
  struct Storage {
    StableFloats data;             // offset * dim
    std::vector<uint8_t> present;  // per offset
  };
  uint32_t Allocate(const ExternalId& id);
  // Moves a live point to a fresh offset (payload and present vectors copied); returns it.
  uint32_t Relocate(uint32_t old_offset);
  void SetLive(uint32_t offset, bool live);
  bool Touch(const ExternalId& id, uint64_t version, uint32_t* offset);
  void WriteVector(size_t spec, uint32_t offset, const std::vector<float>& v);
  static void MergePayload(PayloadMap* target, const PayloadMap& values, const std::string& key);
  static void RemovePayloadKeys(PayloadMap* payload, const std::vector<std::string>& keys);
  // Runs change(PayloadMap*) on the payload of a live offset (fresh: a new offset whose payload
  // is being set whole) and keeps the payload index in step.
  template <class Fn>
  void ChangePayload(uint32_t offset, uint64_t version, bool fresh, Fn&& change);
  // Disk store: fn(offset, payload) for every live point, in one sequential pass (committed
  // records merge-joined with the live offsets in id order, then the write's staged ones).
  Status ScanStore(const std::function<void(uint32_t, const PayloadMap&)>& fn) const;
  // Whether the payload index follows changes now (see PayloadMode).
  bool IndexFollows() const {
    return !payload_index_.empty() && (disk_ == nullptr || payload_mode_ == PayloadMode::kNormal);
  }
  // With a disk store in kVersioned mode: true when the store already holds the point's change
  // of this version (or a later one), so it must not be staged again.
  bool StoreIsAhead(const ExternalId& id, uint64_t version) const;
  // The view of an offset with a payload the caller holds (a store scan's record).
  PointView ViewWith(uint32_t offset, const PayloadMap* payload) const;
  // The payload of an offset, retired or not (on disk: the record of its id).
  PayloadRef PayloadOf(uint32_t offset) const;
  // The payload index forgets a point that just died (its payload still in place).
  void Unindex(uint32_t offset);

  std::vector<VectorSpec> specs_;
  std::vector<Storage> storages_;  // parallel to specs_
  std::vector<SparseSpec> sparse_specs_;
  std::vector<SparseColumn> sparse_;  // parallel to sparse_specs_
  std::unordered_map<ExternalId, uint32_t, ExternalIdHash> index_;
  std::vector<ExternalId> ids_;
  std::vector<uint64_t> versions_;
  std::vector<uint8_t> deleted_;
  std::vector<PayloadMap> payloads_;    // in memory (empty when disk_ is set)
  std::shared_ptr<DiskPayloads> disk_;  // on disk
  PayloadMode payload_mode_ = PayloadMode::kNormal;
  std::vector<uint64_t> live_bits_;
  size_t live_ = 0;
  uint64_t liveness_gen_ = 0;  // bumped by every SetLive
  mutable std::mutex sorted_mu_;
  mutable std::shared_ptr<const std::vector<uint32_t>> sorted_;  // SortedById's cache
  mutable uint64_t sorted_gen_ = UINT64_MAX;
  mutable std::atomic<uint64_t> scanned_gen_{UINT64_MAX};  // liveness_gen_ at the last ScanStore
  PayloadIndex payload_index_;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SEGMENT_SEGMENT_H_
