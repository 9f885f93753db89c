// local_shard.h: one shard on this node: WAL -> segment, snapshots, recovery, reads.
//
// Write path: the request is parsed and validated (nothing is written when it is rejected),
// appended to the WAL, applied to the segment with the WAL sequence number as version, then
// made durable (group commit) before the call returns. Recovery loads the snapshot and replays
// the WAL after it.
// Concurrency: thread-safe. Writers serialise on a mutex (WAL order = apply order); readers
// share a reader/writer lock with the apply step.
#ifndef STRATA_KERNEL_SHARD_LOCAL_SHARD_H_
#define STRATA_KERNEL_SHARD_LOCAL_SHARD_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "points.pb.h"
#include "segment/segment.h"
#include "wal/wal.h"

namespace strata::kernel {

struct ShardOptions {
  WalOptions wal;
  uint64_t snapshot_every_ops = 100000;  // WAL records between automatic snapshots
  size_t max_batch_points = 100000;      // per write request
};

struct ShardRecovery {
  uint64_t snapshot_seq = 0;
  uint64_t replayed = 0;
  WalRecovery wal;
};

// A search over one shard.
struct SearchSpec {
  std::string vector_name;
  std::vector<float> query;  // validated and normalised
  size_t limit = 10;
  size_t offset = 0;
  const qdrant::Filter* filter = nullptr;
  std::optional<float> score_threshold;  // in API units
  const qdrant::WithPayloadSelector* with_payload = nullptr;
  const qdrant::WithVectorsSelector* with_vectors = nullptr;
  std::vector<ExternalId> exclude;  // e.g. the points a query-by-id or recommend started from
};

class LocalShard {
 public:
  static Result<std::unique_ptr<LocalShard>> Open(FileSystem fs, std::string dir,
                                                  std::vector<VectorSpec> specs,
                                                  ShardOptions options,
                                                  ShardRecovery* recovery = nullptr);
  ~LocalShard();  // writes a final snapshot when anything changed (errors are logged)

  // Validates, logs and applies one write (method: STRATA_METHOD_Points_*; request: its proto
  // serialized message). Returns the operation id (WAL sequence number).
  Result<uint64_t> Write(uint32_t method, std::string_view request);

  Status Get(const qdrant::GetPoints& req, qdrant::GetResponse* out) const;
  Status Scroll(const qdrant::ScrollPoints& req, qdrant::ScrollResponse* out) const;
  Result<uint64_t> Count(const qdrant::Filter* filter) const;
  Result<std::vector<qdrant::ScoredPoint>> Search(const SearchSpec& spec) const;
  // The stored (normalised) vector of a point, for query-by-id.
  Result<std::vector<float>> VectorOf(const ExternalId& id, const std::string& name) const;

  Status Snapshot();
  size_t points_count() const;
  const std::vector<VectorSpec>& specs() const { return specs_; }

 private:
  using Apply = std::function<void(Segment&, uint64_t version)>;
  LocalShard(FileSystem fs, std::string dir, std::vector<VectorSpec> specs, ShardOptions options);
  // Parses and validates a logged write into the change it makes. Deterministic, so replay
  // reproduces the original effect.
  Result<Apply> Prepare(uint32_t method, std::string_view bytes) const;
  Status LoadSnapshot(uint64_t* applied_seq);
  Status SnapshotLocked();
  Status ScrollOrdered(const qdrant::ScrollPoints& req, const qdrant::Filter* filter,
                       qdrant::ScrollResponse* out) const;
  std::vector<ExternalId> Select(const Segment& seg, const qdrant::PointsSelector& sel) const;

  FileSystem fs_;
  std::string dir_;
  std::vector<VectorSpec> specs_;
  ShardOptions options_;
  std::unique_ptr<Wal> wal_;
  std::mutex write_mu_;                // WAL append + apply order
  mutable std::shared_mutex data_mu_;  // segment readers vs the apply step
  Segment segment_;
  uint64_t applied_seq_ = 0;
  uint64_t snapshot_seq_ = 0;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SHARD_LOCAL_SHARD_H_
