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

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "points.pb.h"
#include "segment/segment.h"
#include "shard/optimizations.h"
#include "strata/abi/strata_host.h"
#include "strata/abi/strata_index.h"
#include "wal/wal.h"

namespace strata::kernel {

struct ShardOptions {
  WalOptions wal;
  uint64_t snapshot_every_ops = 100000;  // WAL records between automatic snapshots
  size_t max_batch_points = 100000;      // per write request
  // The vector index plugin the optimizer builds over sealed offsets; nullptr = exact only.
  const strata_index_vtable* index = nullptr;
  const strata_host_api* host = nullptr;
  std::map<std::string, std::string> index_params;  // "m", "ef_construct", ...
  uint64_t indexing_threshold_kb = 10000;   // vectors (KiB) before indexing; 0 = never index
  uint64_t full_scan_threshold_kb = 10000;  // filtered candidates (KiB) below which: exact scan
  uint32_t optimizer_interval_ms = 200;     // 0: no optimizer thread (no indexing, no vacuum)
  // Quiet time (no writes) before the optimizer inserts an unindexed tail below the rebuild
  // point into the current index and links payload changes.
  uint32_t idle_before_insert_ms = 500;
  // Vacuum: rewrite the segment without its retired offsets once at least this many are dead
  // and they are at least this share of all offsets (optimizers_config).
  uint64_t vacuum_min_vector_number = 1000;
  double deleted_threshold = 0.2;
  // optimizers_config.max_optimization_threads = 0: no optimizations at all (no indexing, no
  // vacuum); one optimizer thread per shard otherwise.
  bool optimizations_enabled = true;
  // The collection's sparse vectors (sparse_vectors_config), searched through their inverted
  // index (exact).
  std::vector<SparseSpec> sparse;
  // Payloads on disk in a LevelDB store (params.on_disk_payload / payload.memory = cold;
  // segment/disk_payloads.md) instead of in memory.
  bool payload_on_disk = false;
  // Plugin identities ("kind/name version") recorded in the shard manifest: a saved index is
  // loaded only by an index plugin of the name that saved it. Empty: unknown (not checked).
  std::string storage_backend;
  std::string index_plugin;
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
  // A sparse query: vector_name is then a sparse vector and `query` is unused.
  std::optional<SparseVector> sparse_query;
  size_t limit = 10;
  size_t offset = 0;
  const qdrant::Filter* filter = nullptr;
  std::optional<float> score_threshold;  // in API units
  const qdrant::WithPayloadSelector* with_payload = nullptr;
  const qdrant::WithVectorsSelector* with_vectors = nullptr;
  std::vector<ExternalId> exclude;  // e.g. the points a query-by-id or recommend started from
  bool exact = false;               // params.exact: never use the index
  // params.indexed_only: leave out an unindexed tail larger than the indexing threshold
  // (Qdrant skips unindexed segments that are not small), so a delayed index cannot make a
  // search slow; points there are not found until the optimizer indexes them.
  bool indexed_only = false;
  uint64_t hnsw_ef = 0;  // params.hnsw_ef: 0 = the index's default
  // params.quantization: passed to a quantized index (unset = the index's defaults).
  std::optional<bool> quantization_ignore;
  std::optional<bool> quantization_rescore;
  std::optional<double> oversampling;
  // A custom objective (recommend best_score / sum_scores, discover, context): when set, every
  // matching point's stored vector is scored with it exactly (higher is better) and the score
  // is reported as is; `query` is unused.
  std::function<float(const float* vector)> custom_score;
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
  // exact = false: the payload indexes' estimate (evaluated on a sample of at most 256
  // candidates; exact when there are no more), as Qdrant's approximate count.
  Result<uint64_t> Count(const qdrant::Filter* filter, bool exact = true) const;
  // Distinct keyword / integer / bool values at req.key() among the points matching the filter,
  // each counted once per point; most frequent first, ties by value; req.limit() (default 10).
  Status Facet(const qdrant::FacetCounts& req, qdrant::FacetResponse* out) const;
  Result<std::vector<qdrant::ScoredPoint>> Search(const SearchSpec& spec) const;
  // The stored (normalised) vector of a point, for query-by-id.
  Result<std::vector<float>> VectorOf(const ExternalId& id, const std::string& name) const;
  // Up to n points matching the filter, drawn uniformly at random (reservoir sampling).
  Result<std::vector<ExternalId>> Sample(const qdrant::Filter* filter, size_t n) const;

  // Payload field indexes (the collection's payload_schema). Builds what is new, drops what is
  // gone; searches and writes wait while an index builds.
  void SetFieldIndexes(const std::map<std::string, FieldIndexSpec>& fields);
  // New index parameters (hnsw or quantization changed): the built indexes are dropped and the
  // optimizer rebuilds with the new ones; searches are exact meanwhile.
  void SetIndexParams(const std::map<std::string, std::string>& params);
  // Optimizer thresholds changed while the shard runs (PATCH optimizers_config / hnsw_config):
  // the next optimizer round and searches use them.
  struct Tunables {
    uint64_t indexing_threshold_kb = 0;
    uint64_t full_scan_threshold_kb = 0;
    uint64_t vacuum_min_vector_number = 0;
    double deleted_threshold = 0;
    bool optimizations_enabled = true;
  };
  void SetTunables(const Tunables& t);
  // New settings (modifier) for the sparse vectors, same names as configured.
  void SetSparseSpecs(const std::vector<SparseSpec>& specs);
  // Live points with a value in the field's index (0 when not indexed).
  uint64_t PointsIndexed(const std::string& field) const;

  Status Snapshot();
  // The file in the shard's directory that holds the segment image.
  static constexpr const char* kImageFileName = "segment.snap";
  // The directory in the shard's directory that holds payloads on disk.
  static constexpr const char* kPayloadDirName = "payloads";
  // The shard manifest (shard/manifest.h).
  static constexpr const char* kManifestFileName = "manifest";
  // Moves the payloads to disk or back to memory (writes wait meanwhile) and takes a snapshot
  // that records where they are. A no-op when they already are there.
  Status SetPayloadOnDisk(bool on_disk);
  bool payloads_on_disk() const;
  // Writes the segment's image (snapshot_format.md) at offset `at` of f: every applied write
  // is in it; writes wait for the time it takes (searches go on). Returns the bytes written.
  Result<uint64_t> WriteImage(File& f, uint64_t at, uint64_t* layout = nullptr) const;
  // The saved vector index files that belong to an image of offset layout `layout` (from
  // WriteImage), as paths relative to the shard directory, each opened for fn; saves wait
  // meanwhile, so the set is consistent. Indexes saved for another layout are left out.
  Status ForEachSavedIndexFile(
      uint64_t layout,
      const std::function<Status(const std::string& rel, const File& f)>& fn) const;
  // Checks an image written by WriteImage (magic, version, every record's CRC, footer) without
  // loading it; DATA_LOSS naming `what` otherwise.
  static Status VerifyImage(const File& f, uint64_t at, uint64_t size, const std::string& what);
  // The collection was deleted: its directory was renamed away and the path may soon belong to
  // a new collection of the same name. Stops the optimizer and refuses every later write and
  // snapshot, so nothing touches files under the old path again (no final snapshot either).
  // Readers holding the shard still read its memory.
  void Drop();
  // Rewrites the segment with only its live points (fresh offsets, payload indexes rebuilt),
  // drops the vector indexes (the optimizer rebuilds them). Writes and searches go on during
  // the copy; the writes made meanwhile are re-applied to the copy while writes wait briefly
  // for the swap. Returns the number of offsets reclaimed (0 when one is already running).
  uint64_t Vacuum();
  // Offsets in use (live + retired): what a vacuum shrinks.
  uint32_t offset_count() const;
  size_t points_count() const;
  // Vectors covered by a built index (over all vector names).
  uint64_t indexed_count() const;
  // The optimizer's state, as collection info reports it: building or due to build (yellow),
  // the last build failed (red, with the error), else idle (green).
  struct OptimizerState {
    bool busy = false;
    std::string error;
  };
  OptimizerState optimizer_state() const;
  // The optimizer's runs (running and the newest completed), for the optimizations API.
  const OptimizationLog& optimizations() const { return optimizations_; }
  // Optimizations due but not running (optimizer names: "vacuum", "indexing",
  // "payload_links").
  std::vector<std::string> QueuedOptimizations() const;
  // The shard's one segment: its identity (a new one after each index build or vacuum) and
  // its live points.
  std::string segment_uuid() const;
  uint64_t live_points() const;
  const std::vector<VectorSpec>& specs() const { return specs_; }
  // The sparse vectors' names (fixed at open; their modifier lives in the segment).
  const std::vector<SparseSpec>& sparse_specs() const { return options_.sparse; }
  // The stored sparse vector of a point, for query-by-id.
  Result<SparseVector> SparseVectorOf(const ExternalId& id, const std::string& name) const;

 private:
  using Apply = std::function<void(Segment&, uint64_t version)>;
  LocalShard(FileSystem fs, std::string dir, std::vector<VectorSpec> specs, ShardOptions options);
  // Parses and validates a logged write into the change it makes. Deterministic, so replay
  // reproduces the original effect.
  Result<Apply> Prepare(uint32_t method, std::string_view bytes) const;
  Status LoadSnapshot(uint64_t* applied_seq);
  Status SnapshotLocked();
  // data_mu_ held. inline_payloads: every point's payload goes into the image (else the image
  // says the payloads are in the shard's disk store).
  Result<uint64_t> WriteImageLocked(File& f, uint64_t at, uint64_t seq, bool inline_payloads) const;
  // write_mu_ held: the conversion of SetPayloadOnDisk.
  Status ConvertPayloadsLocked(bool on_disk);
  // write_mu_ held; payloads on disk and the request selects points by filter. The filters are
  // resolved to ids against the state each operation meets (earlier operations of a batch
  // applied), the operations applied, and the request with ids is logged: replay over a store
  // that may be ahead of the snapshot never evaluates a filter.
  Result<uint64_t> WriteResolvedLocked(uint32_t method, std::string_view request);
  // Whether the request (a single write or a batch) selects points by a filter.
  static bool SelectsByFilter(uint32_t method, std::string_view request);
  // Unavailable while the disk payload store has failed (until the shard reopens).
  Status StoreHealthy() const;
  // Reads the manifest at open (a newer format refuses the shard; saved index owners kept).
  Status ReadManifest();
  // Rewrites the manifest from the current state (failures are logged: it describes, the
  // snapshot and the index metas rule).
  void SaveManifest();
  std::mutex manifest_mu_;
  std::map<std::string, std::string> saved_index_plugins_;  // guarded by manifest_mu_
  std::string manifest_bytes_;  // what the manifest file holds; guarded by manifest_mu_
  std::atomic<bool> payloads_on_disk_{false};  // mirrors segment_->disk_payloads() != nullptr
  mutable std::mutex index_files_mu_;          // saved index files: writers vs snapshot readers
  // One built index over offsets [0, n) of one vector name; destroyed with its last user.
  struct VectorIndex {
    const strata_index_vtable* vt = nullptr;
    strata_index* idx = nullptr;
    uint32_t n = 0;
    uint32_t dim = 0;
    const float* base = nullptr;
    strata_vector_source src{};
    uint64_t generation = 0;  // index_generation_ when the build started
    uint64_t layout = 0;      // layout_id_ when the build started
    uint32_t saved_n = 0;     // offsets covered by the saved copy (0: none)
    // Payload-aware links (link_group, then link_group_add): per exact-indexed field, the
    // values (posting keys) whose groups have links. Every offset below linked_n whose point
    // was last written at or before WAL seq linked_seq is linked into the groups of the linked
    // values it holds; the others (inserted later, or written since: their payload may have
    // moved them to another group) are scored exactly until the optimizer links them.
    std::map<std::string, std::set<std::string>> linked;
    uint32_t linked_n = 0;
    uint64_t linked_seq = 0;
    std::string params;  // the index parameters, "k=v\n" sorted (saved with the index)
    ~VectorIndex() {
      if (idx != nullptr) vt->destroy(idx);
    }
  };
  void OptimizerLoop();
  // run: the optimization it belongs to (its steps are added here).
  Result<std::shared_ptr<VectorIndex>> BuildIndex(const VectorSpec& spec, uint32_t n,
                                                  OptimizationLog::Run* run);
  // Payload-aware links (the index plugin's link_group) for every indexed value shared by at
  // least full_scan_threshold of vectors; records them in index.linked.
  Status LinkPayloadGroups(const VectorSpec& spec, VectorIndex& index, const strata_cancel* cancel,
                           OptimizationLog::Step* step);
  // Brings the payload links up to date once writes pause (plugins with link_group_add):
  // inserted points join their values' groups, points written since linked_seq join the groups
  // of the values they hold now, values grown to full_scan_threshold get groups. In chunks
  // under the exclusive lock, so searches wait for one chunk at most.
  void LinkPayloadChanges(const VectorSpec& spec);
  // hnsw_config.payload_m (else m; 0 = no payload links). Requires data_mu_.
  uint32_t PayloadM() const;
  // Whether a LinkPayloadChanges round has work: payload links are on, and points were
  // inserted or written since the links were made. Requires data_mu_.
  bool LinksBehind(const VectorIndex& index) const;
  // True when the filter is exactly one match on a value whose group has links in `index`.
  static bool FilterPinsLinkedValue(const qdrant::Filter* filter, const VectorIndex& index);
  // Creates the plugin's index over offsets [0, n) without building it.
  Result<std::shared_ptr<VectorIndex>> MakeIndex(const VectorSpec& spec, uint32_t n);
  // Saved indexes (format in snapshot_format.md): written after a build when the layout is
  // durable, loaded at open when layout, parameters and size still match.
  std::string IndexDir(const VectorSpec& spec) const;
  Status SaveIndex(const VectorSpec& spec, const VectorIndex& index);
  Result<std::shared_ptr<VectorIndex>> LoadIndex(const VectorSpec& spec);
  // candidates: what the payload indexes allow (null: unbounded).
  // *graph_n: the offsets the answer covers ([0, *graph_n)); the caller scans the rest exactly.
  // A walk over a value's group links also scores the group's points not linked yet.
  std::vector<ScoredOffset> IndexedSearch(const VectorIndex& index, const VectorSpec& spec,
                                          const SearchSpec& s, size_t want,
                                          const CandidateSet* candidates, uint32_t* graph_n) const;
  Status ScrollOrdered(const qdrant::ScrollPoints& req, const qdrant::Filter* filter,
                       qdrant::ScrollResponse* out) const;
  std::vector<ExternalId> Select(const Segment& seg, const qdrant::PointsSelector& sel) const;

  FileSystem fs_;
  std::string dir_;
  std::vector<VectorSpec> specs_;
  ShardOptions options_;  // index_params guarded by data_mu_ once the optimizer runs
  std::unique_ptr<Wal> wal_;
  std::mutex write_mu_;                // WAL append + apply order
  mutable std::shared_mutex data_mu_;  // segment readers vs the apply step
  std::unique_ptr<Segment> segment_;   // replaced whole by a vacuum (under both locks)
  uint64_t applied_seq_ = 0;
  uint64_t snapshot_seq_ = 0;
  std::map<std::string, std::shared_ptr<VectorIndex>> indexes_;  // guarded by data_mu_
  uint64_t index_generation_ = 0;
  // Identity of the offset layout: 0 for a shard grown from empty (the WAL replays to the same
  // offsets), a fresh random value after a vacuum or a version-1 snapshot load. Saved indexes
  // carry it; layout_on_disk_ says recovery would reproduce it (a snapshot holds it).
  std::atomic<uint64_t> layout_id_{0};
  std::atomic<bool> layout_on_disk_{
      true};  // bumped when index parameters change; guarded by data_mu_
  mutable std::mutex optimizer_mu_;
  std::condition_variable optimizer_cv_;
  bool stopping_ = false;
  std::atomic<bool> cancel_build_{false};
  std::atomic<bool> building_{false};
  std::atomic<bool> stopping_flag_{false};
  std::atomic<int64_t> last_write_ms_{0};  // steady clock, for the idle check
  // Inserts offsets past the index's n into it (batches under the exclusive lock).
  void InsertTail(const VectorSpec& spec);
  // Saves the index again once inserts grew it by the indexing threshold or a tenth since the
  // last save (and the offset layout is durable), so a restart loads them instead of
  // re-inserting. Searches wait while it saves (save is exclusive in the ABI).
  void SaveGrownIndex(const VectorSpec& spec);
  std::string build_error_;  // the last failed build's message; guarded by optimizer_mu_
  // A payload field indexed after the vector index was built (so its values have no links
  // yet): the optimizer rebuilds the index, searches keep using the current one meanwhile.
  bool RelinkDue(const VectorSpec& spec) const;
  // Whether the optimizer builds an index over n offsets when `indexed` are covered.
  bool IndexDue(const VectorSpec& spec, uint64_t n, uint64_t indexed) const;
  OptimizationLog optimizations_;
  // The live values of ShardOptions' optimizer thresholds (SetTunables), read without locks.
  std::atomic<uint64_t> indexing_threshold_kb_{0};
  std::atomic<uint64_t> full_scan_threshold_kb_{0};
  std::atomic<uint64_t> vacuum_min_vector_number_{0};
  std::atomic<double> deleted_threshold_{0};
  std::atomic<bool> optimizations_enabled_{true};
  mutable std::mutex segment_uuid_mu_;
  std::string segment_uuid_ = RandomUuid();  // guarded by segment_uuid_mu_
  void SetSegmentUuid(const std::string& uuid);
  // Whether the vacuum rule holds for `dead` of `total` offsets.
  bool VacuumDue(uint64_t dead, uint64_t total) const;
  std::thread optimizer_;
  bool dropped_ = false;  // guarded by write_mu_
  // While a vacuum copies the segment: the writes applied meanwhile, (seq, method, request).
  using VacuumRecord = std::tuple<uint64_t, uint32_t, std::string>;
  std::optional<std::vector<VacuumRecord>> vacuum_log_;  // guarded by write_mu_
  // Hits (best first) as API points: exclusions, threshold, offset, limit, payload, vectors.
  // Requires data_mu_ (shared).
  std::vector<qdrant::ScoredPoint> ScoredPoints(const std::vector<ScoredOffset>& hits,
                                                const SearchSpec& spec,
                                                const std::function<float(float)>& api_score,
                                                bool higher_is_better) const;
  void StopOptimizer();
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SHARD_LOCAL_SHARD_H_
