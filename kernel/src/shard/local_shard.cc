#include "shard/local_shard.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/logging.h"
#include "shard/manifest.h"
#include "shard/points_convert.h"
#include "strata/abi/strata_methods.h"
#include "strata/sdk/params.hpp"

namespace strata::kernel {
namespace {

uint64_t NewLayoutId() {
  std::random_device rd;
  return (uint64_t{rd()} << 32 | rd()) | 1;  // never 0: that is the empty start's layout
}

constexpr char kSnapMagic[8] = {'S', 'T', 'R', 'S', 'N', 'A', 'P', '1'};
constexpr char kSnapEnd[8] = {'S', 'T', 'R', 'S', 'N', 'E', 'N', 'D'};
constexpr uint32_t kSnapVersion = 2;  // 1 is still read (offsets not kept)
constexpr const char* kSnapFile = LocalShard::kImageFileName;

template <class Msg>
Result<Msg> Parse(std::string_view bytes) {
  Msg m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("request body is not a valid " + m.GetTypeName() + " message");
  }
  return m;
}

Status CheckSelector(const qdrant::PointsSelector& sel, const std::string& field) {
  if (sel.has_filter()) return ValidateFilter(sel.filter(), field + ".filter");
  if (!sel.has_points()) {
    return InvalidArgument(field + ": choose points by ids or by filter");
  }
  for (int i = 0; i < sel.points().ids_size(); ++i) {
    STRATA_RETURN_IF_ERROR(
        ExternalId::FromProto(sel.points().ids(i), field + ".ids[" + std::to_string(i) + "]")
            .status());
  }
  return Status::Ok();
}

// One operation of a batch as the equivalent single request (method, serialized message).
Result<std::pair<uint32_t, std::string>> SingleOf(const qdrant::PointsUpdateOperation& op, int i) {
  uint32_t m = 0;
  std::string single;
  switch (op.operation_case()) {
    case qdrant::PointsUpdateOperation::kUpsert: {
      qdrant::UpsertPoints r;
      *r.mutable_points() = op.upsert().points();
      if (op.upsert().has_update_filter()) *r.mutable_update_filter() = op.upsert().update_filter();
      if (op.upsert().has_update_mode()) r.set_update_mode(op.upsert().update_mode());
      m = STRATA_METHOD_Points_Upsert;
      single = r.SerializeAsString();
      break;
    }
    case qdrant::PointsUpdateOperation::kDeletePoints: {
      qdrant::DeletePoints r;
      *r.mutable_points() = op.delete_points().points();
      m = STRATA_METHOD_Points_Delete;
      single = r.SerializeAsString();
      break;
    }
    case qdrant::PointsUpdateOperation::kDeleteDeprecated: {
      qdrant::DeletePoints r;
      *r.mutable_points() = op.delete_deprecated();
      m = STRATA_METHOD_Points_Delete;
      single = r.SerializeAsString();
      break;
    }
    case qdrant::PointsUpdateOperation::kSetPayload:
    case qdrant::PointsUpdateOperation::kOverwritePayload: {
      const bool overwrite = op.has_overwrite_payload();
      qdrant::SetPayloadPoints r;
      const auto& payload =
          overwrite ? op.overwrite_payload().payload() : op.set_payload().payload();
      *r.mutable_payload() = payload;
      const auto& sel =
          overwrite ? op.overwrite_payload().points_selector() : op.set_payload().points_selector();
      if (overwrite ? op.overwrite_payload().has_points_selector()
                    : op.set_payload().has_points_selector()) {
        *r.mutable_points_selector() = sel;
      }
      const bool has_key =
          overwrite ? op.overwrite_payload().has_key() : op.set_payload().has_key();
      if (has_key) r.set_key(overwrite ? op.overwrite_payload().key() : op.set_payload().key());
      m = overwrite ? STRATA_METHOD_Points_OverwritePayload : STRATA_METHOD_Points_SetPayload;
      single = r.SerializeAsString();
      break;
    }
    case qdrant::PointsUpdateOperation::kDeletePayload: {
      qdrant::DeletePayloadPoints r;
      *r.mutable_keys() = op.delete_payload().keys();
      if (op.delete_payload().has_points_selector()) {
        *r.mutable_points_selector() = op.delete_payload().points_selector();
      }
      m = STRATA_METHOD_Points_DeletePayload;
      single = r.SerializeAsString();
      break;
    }
    case qdrant::PointsUpdateOperation::kClearPayload:
    case qdrant::PointsUpdateOperation::kClearPayloadDeprecated: {
      qdrant::ClearPayloadPoints r;
      *r.mutable_points() =
          op.has_clear_payload() ? op.clear_payload().points() : op.clear_payload_deprecated();
      m = STRATA_METHOD_Points_ClearPayload;
      single = r.SerializeAsString();
      break;
    }
    case qdrant::PointsUpdateOperation::kUpdateVectors: {
      qdrant::UpdatePointVectors r;
      *r.mutable_points() = op.update_vectors().points();
      if (op.update_vectors().has_update_filter()) {
        *r.mutable_update_filter() = op.update_vectors().update_filter();
      }
      m = STRATA_METHOD_Points_UpdateVectors;
      single = r.SerializeAsString();
      break;
    }
    case qdrant::PointsUpdateOperation::kDeleteVectors: {
      qdrant::DeletePointVectors r;
      *r.mutable_points_selector() = op.delete_vectors().points_selector();
      *r.mutable_vectors() = op.delete_vectors().vectors();
      m = STRATA_METHOD_Points_DeleteVectors;
      single = r.SerializeAsString();
      break;
    }
    default:
      return InvalidArgument("operations[" + std::to_string(i) + "]: empty operation");
  }
  return std::make_pair(m, std::move(single));
}

// The points selector of a batch operation (nullptr: it has none).
qdrant::PointsSelector* SelectorOf(qdrant::PointsUpdateOperation* op) {
  switch (op->operation_case()) {
    case qdrant::PointsUpdateOperation::kDeletePoints:
      return op->mutable_delete_points()->mutable_points();
    case qdrant::PointsUpdateOperation::kDeleteDeprecated:
      return op->mutable_delete_deprecated();
    case qdrant::PointsUpdateOperation::kSetPayload:
      return op->set_payload().has_points_selector()
                 ? op->mutable_set_payload()->mutable_points_selector()
                 : nullptr;
    case qdrant::PointsUpdateOperation::kOverwritePayload:
      return op->overwrite_payload().has_points_selector()
                 ? op->mutable_overwrite_payload()->mutable_points_selector()
                 : nullptr;
    case qdrant::PointsUpdateOperation::kDeletePayload:
      return op->delete_payload().has_points_selector()
                 ? op->mutable_delete_payload()->mutable_points_selector()
                 : nullptr;
    case qdrant::PointsUpdateOperation::kClearPayload:
      return op->mutable_clear_payload()->mutable_points();
    case qdrant::PointsUpdateOperation::kClearPayloadDeprecated:
      return op->mutable_clear_payload_deprecated();
    case qdrant::PointsUpdateOperation::kDeleteVectors:
      return op->mutable_delete_vectors()->mutable_points_selector();
    default:
      return nullptr;
  }
}

// The points selector of a single write request (nullptr: it has none).
qdrant::PointsSelector* SelectorOf(uint32_t method, google::protobuf::Message* req) {
  switch (method) {
    case STRATA_METHOD_Points_Delete:
      return static_cast<qdrant::DeletePoints*>(req)->mutable_points();
    case STRATA_METHOD_Points_SetPayload:
    case STRATA_METHOD_Points_OverwritePayload:
      return static_cast<qdrant::SetPayloadPoints*>(req)->mutable_points_selector();
    case STRATA_METHOD_Points_DeletePayload:
      return static_cast<qdrant::DeletePayloadPoints*>(req)->mutable_points_selector();
    case STRATA_METHOD_Points_ClearPayload:
      return static_cast<qdrant::ClearPayloadPoints*>(req)->mutable_points();
    case STRATA_METHOD_Points_DeleteVectors:
      return static_cast<qdrant::DeletePointVectors*>(req)->mutable_points_selector();
    default:
      return nullptr;
  }
}

// A fresh message of the request type of a single write method that has a points selector.
std::unique_ptr<google::protobuf::Message> SelectingRequest(uint32_t method) {
  switch (method) {
    case STRATA_METHOD_Points_Delete:
      return std::make_unique<qdrant::DeletePoints>();
    case STRATA_METHOD_Points_SetPayload:
    case STRATA_METHOD_Points_OverwritePayload:
      return std::make_unique<qdrant::SetPayloadPoints>();
    case STRATA_METHOD_Points_DeletePayload:
      return std::make_unique<qdrant::DeletePayloadPoints>();
    case STRATA_METHOD_Points_ClearPayload:
      return std::make_unique<qdrant::ClearPayloadPoints>();
    case STRATA_METHOD_Points_DeleteVectors:
      return std::make_unique<qdrant::DeletePointVectors>();
    default:
      return nullptr;
  }
}

// Image header flag: the payloads are in the shard's disk store, not in the records.
constexpr uint32_t kImagePayloadsInStore = 1;

}  // namespace

LocalShard::LocalShard(FileSystem fs, std::string dir, std::vector<VectorSpec> specs,
                       ShardOptions options)
    : fs_(fs),
      dir_(std::move(dir)),
      specs_(specs),
      options_(options),
      segment_(std::make_unique<Segment>(std::move(specs), options.sparse)) {}

Result<std::unique_ptr<LocalShard>> LocalShard::Open(FileSystem fs, std::string dir,
                                                     std::vector<VectorSpec> specs,
                                                     ShardOptions options,
                                                     ShardRecovery* recovery) {
  std::unique_ptr<LocalShard> shard(new LocalShard(fs, std::move(dir), std::move(specs), options));
  ShardRecovery local;
  ShardRecovery* rec = recovery ? recovery : &local;
  STRATA_RETURN_IF_ERROR(fs.MakeDirs(shard->dir_));
  STRATA_RETURN_IF_ERROR(shard->ReadManifest());
  STRATA_RETURN_IF_ERROR(shard->LoadSnapshot(&shard->snapshot_seq_));
  shard->applied_seq_ = shard->snapshot_seq_;
  rec->snapshot_seq = shard->snapshot_seq_;
  STRATA_ASSIGN_OR_RETURN(shard->wal_,
                          Wal::Open(fs, sdk::JoinPath(shard->dir_, "wal"), options.wal, &rec->wal));
  if (rec->wal.dropped_tail_bytes > 0) {
    LogWarn("shard", rec->wal.tail_segment + ": dropped a torn tail of " +
                         std::to_string(rec->wal.dropped_tail_bytes) +
                         " bytes (a write cut short by a crash; it was never acknowledged)");
  }
  for (const std::string& f : rec->wal.ignored_files) {
    LogWarn("shard", f + ": not a WAL segment; ignored");
  }
  // Payloads on disk may be ahead of the snapshot: replay stages only what the store lacks.
  if (shard->segment_->disk_payloads()) {
    shard->segment_->set_payload_mode(Segment::PayloadMode::kVersioned);
  }
  Status replay = shard->wal_->Replay(
      shard->snapshot_seq_ + 1, [&](uint64_t seq, std::string_view record) -> Status {
        if (record.size() < 4) return DataLoss("WAL record " + std::to_string(seq) + " is empty");
        uint32_t method = LoadLe<uint32_t>(record.data());
        Result<Apply> apply = shard->Prepare(method, record.substr(4));
        if (!apply.ok()) {
          return DataLoss("WAL record " + std::to_string(seq) +
                          " no longer applies: " + apply.status().message());
        }
        (*apply)(*shard->segment_, seq);
        STRATA_RETURN_IF_ERROR(shard->segment_->CommitPayloads());
        shard->applied_seq_ = seq;
        ++rec->replayed;
        return Status::Ok();
      });
  STRATA_RETURN_IF_ERROR(replay.WithContext(shard->dir_));
  shard->segment_->set_payload_mode(Segment::PayloadMode::kNormal);
  if (shard->wal_->first_seq() == 0 && shard->wal_->last_seq() < shard->snapshot_seq_) {
    // An empty WAL behind the snapshot (a shard restored from a collection snapshot): new
    // records must number after the snapshot, or their versions would lose to its points'.
    STRATA_RETURN_IF_ERROR(shard->wal_->SkipTo(shard->snapshot_seq_ + 1));
  }
  if (shard->wal_->last_seq() > shard->applied_seq_) shard->applied_seq_ = shard->wal_->last_seq();
  {
    std::lock_guard<std::mutex> lock(shard->write_mu_);
    STRATA_RETURN_IF_ERROR(shard->ConvertPayloadsLocked(options.payload_on_disk));
  }
  shard->payloads_on_disk_ = shard->segment_->disk_payloads() != nullptr;
  shard->SetTunables({options.indexing_threshold_kb, options.full_scan_threshold_kb,
                      options.vacuum_min_vector_number, options.deleted_threshold,
                      options.optimizations_enabled});
  if (options.index != nullptr && options.indexing_threshold_kb > 0) {
    for (const VectorSpec& spec : shard->specs_) {
      Result<std::shared_ptr<VectorIndex>> loaded = shard->LoadIndex(spec);
      if (loaded.ok()) {
        LogInfo("shard", shard->dir_ + ": loaded the saved index over " +
                             std::to_string((*loaded)->n) + " vectors" +
                             (spec.name.empty() ? "" : " of '" + spec.name + "'"));
        (*loaded)->saved_n = (*loaded)->n;
        shard->indexes_[spec.name] = std::move(loaded).value();
      } else if (loaded.status().code() != StatusCode::kNotFound) {
        LogWarn("shard",
                shard->dir_ + ": saved index not used, rebuilding: " + loaded.status().message());
      }
    }
  }
  shard->SaveManifest();
  if (options.optimizer_interval_ms > 0) {  // indexing (when configured) and vacuum
    LocalShard* raw = shard.get();
    shard->optimizer_ = std::thread([raw] { raw->OptimizerLoop(); });
  }
  return shard;
}

void LocalShard::OptimizerLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(optimizer_mu_);
      optimizer_cv_.wait_for(lock, std::chrono::milliseconds(options_.optimizer_interval_ms),
                             [this] { return stopping_; });
      if (stopping_) return;
    }
    if (!optimizations_enabled_.load()) continue;  // max_optimization_threads: 0
    uint64_t dead = 0, total = 0;
    {
      std::shared_lock<std::shared_mutex> data(data_mu_);
      total = segment_->offset_count();
      dead = total - segment_->live_count();
    }
    if (VacuumDue(dead, total)) {
      const auto start = std::chrono::steady_clock::now();
      std::shared_ptr<OptimizationLog::Run> run =
          optimizations_.Start("vacuum", segment_uuid(), total - dead);
      optimizations_.AddStep(run.get(), "copy live points", false);
      building_ = true;
      const uint64_t reclaimed = Vacuum();
      building_ = false;
      optimizations_.Finish(run.get(), OptimizationView::Status::kDone);
      SetSegmentUuid(run->uuid());
      LogInfo(
          "optimizer",
          dir_ + ": vacuum reclaimed " + std::to_string(reclaimed) + " of " +
              std::to_string(total) + " offsets in " +
              std::to_string(
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()) +
              " s");
    }
    for (const VectorSpec& spec : specs_) {
      uint32_t n = 0, indexed = 0;
      {
        std::shared_lock<std::shared_mutex> data(data_mu_);
        n = segment_->offset_count();
        auto it = indexes_.find(spec.name);
        if (it != indexes_.end()) indexed = it->second->n;
      }
      if (!IndexDue(spec, n, indexed) && !RelinkDue(spec)) {
        // Below the rebuild point: once writes pause, insert the unindexed tail into the
        // current index (when the plugin can), so no tail stays scanned for good.
        const int64_t idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count() -
                                last_write_ms_.load();
        if (indexed > 0 && idle_ms >= options_.idle_before_insert_ms) {
          if (n > indexed && options_.index->insert != nullptr) InsertTail(spec);
          LinkPayloadChanges(spec);
          SaveGrownIndex(spec);
        }
        continue;
      }
      const auto start = std::chrono::steady_clock::now();
      LogInfo("optimizer", dir_ + ": indexing " + std::to_string(n) + " vectors" +
                               (spec.name.empty() ? "" : " of '" + spec.name + "'") + " (" +
                               std::to_string(indexed) + " indexed so far)");
      std::shared_ptr<OptimizationLog::Run> run =
          optimizations_.Start("indexing", segment_uuid(), live_points());
      building_ = true;
      Result<std::shared_ptr<VectorIndex>> built = BuildIndex(spec, n, run.get());
      building_ = false;
      if (!built.ok()) {
        if (built.status().code() != StatusCode::kCancelled) {
          LogError("optimizer", dir_ + ": index build failed (searches stay exact): " +
                                    built.status().message());
          optimizations_.Finish(run.get(), OptimizationView::Status::kError,
                                built.status().message());
          std::lock_guard<std::mutex> lock(optimizer_mu_);
          build_error_ = built.status().message();
        } else {
          optimizations_.Finish(run.get(), OptimizationView::Status::kCancelled,
                                built.status().message());
        }
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(optimizer_mu_);
        build_error_.clear();
      }
      if ((*built)->layout == layout_id_ && layout_on_disk_) {
        optimizations_.AddStep(run.get(), "save", false);
        // Saved before any search can use it (save is exclusive with search in the ABI).
        Status saved = SaveIndex(spec, **built);
        if (!saved.ok()) {
          LogWarn("optimizer",
                  dir_ + ": index not saved (rebuilt after a restart): " + saved.message());
        } else {
          (*built)->saved_n = (*built)->n;
        }
      }
      {
        std::unique_lock<std::shared_mutex> data(data_mu_);
        // Parameters changed during the build: drop it, the next round builds with the new ones.
        if ((*built)->generation != index_generation_) {
          optimizations_.Finish(run.get(), OptimizationView::Status::kCancelled,
                                "the index parameters changed during the build");
          continue;
        }
        indexes_[spec.name] = std::move(built).value();
      }
      optimizations_.Finish(run.get(), OptimizationView::Status::kDone);
      SetSegmentUuid(run->uuid());
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      LogInfo("optimizer", dir_ + ": indexed " + std::to_string(n) + " vectors" +
                               (spec.name.empty() ? "" : " of '" + spec.name + "'") + " in " +
                               std::to_string(secs) + " s");
    }
  }
}

Result<std::shared_ptr<LocalShard::VectorIndex>> LocalShard::MakeIndex(const VectorSpec& spec,
                                                                       uint32_t n) {
  auto index = std::make_shared<VectorIndex>();
  index->vt = options_.index;
  index->n = n;
  index->dim = spec.dim;
  std::map<std::string, std::string> index_params;
  {
    std::shared_lock<std::shared_mutex> data(data_mu_);
    index->base = segment_->VectorBase(spec.name);  // stable; offsets < n never change
    index_params = options_.index_params;
    index->generation = index_generation_;
    index->layout = layout_id_;
  }
  strata_vector_source& src = index->src;
  src.struct_size = sizeof(src);
  src.dtype = STRATA_DTYPE_F32;
  src.dim = spec.dim;
  src.metric = spec.metric == Metric::kEuclid      ? STRATA_METRIC_L2
               : spec.metric == Metric::kManhattan ? STRATA_METRIC_L1
               : spec.metric == Metric::kDot       ? STRATA_METRIC_DOT
                                                   : STRATA_METRIC_COSINE;
  src.count = n;
  src.dense_base = index->base;
  src.stride_bytes = uint64_t{spec.dim} * sizeof(float);
  src.ctx = index.get();
  src.get = [](void* ctx, uint32_t offset, void* out, strata_error* err) -> int32_t {
    auto* ix = static_cast<VectorIndex*>(ctx);
    if (offset >= ix->n) return SetError(err, STRATA_OUT_OF_RANGE, "offset beyond the index");
    std::memcpy(out, ix->base + size_t{offset} * ix->dim, sizeof(float) * ix->dim);
    return STRATA_OK;
  };
  sdk::OwnedParams params;
  for (const auto& [k, v] : index_params) {
    params.Set(k, v);
    index->params += k + "=" + v + "\n";
  }
  strata_error err{};
  int32_t rc = index->vt->create(options_.host, params.Get(), &src, &index->idx, &err);
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err).WithContext("index create");
  return index;
}

Result<std::shared_ptr<LocalShard::VectorIndex>> LocalShard::BuildIndex(const VectorSpec& spec,
                                                                        uint32_t n,
                                                                        OptimizationLog::Run* run) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<VectorIndex> index, MakeIndex(spec, n));
  // Counted in the units the plugin hands to the host's parallel_for (the HNSW plugin: chunks
  // of 256 points).
  OptimizationLog::Step* step = optimizations_.AddStep(run, "build", true);
  strata_error err{};
  strata_cancel cancel{};
  cancel.struct_size = sizeof(cancel);
  cancel.ctx = &cancel_build_;
  cancel.is_cancelled = [](const void* ctx) -> uint8_t {
    return static_cast<const std::atomic<bool>*>(ctx)->load() ? 1 : 0;
  };
  int32_t rc;
  {
    ScopedWorkCounter counted(step->counter());
    rc = index->vt->build(index->idx, nullptr, &cancel, &err);
  }
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err).WithContext("index build");
  STRATA_RETURN_IF_ERROR(
      LinkPayloadGroups(spec, *index, &cancel, optimizations_.AddStep(run, "payload links", true)));
  return index;
}

Status LocalShard::LinkPayloadGroups(const VectorSpec& spec, VectorIndex& index,
                                     const strata_cancel* cancel, OptimizationLog::Step* step) {
  if (!STRATA_HAS(index.vt, link_group) || index.vt->link_group == nullptr) return Status::Ok();
  // Qdrant's rule: groups the planner would not scan exactly (at least full_scan_threshold of
  // vectors) get payload_m links (hnsw_config.payload_m, else m; 0 = none).
  const uint64_t min_points = std::max<uint64_t>(
      1, full_scan_threshold_kb_.load() * 1024 / (uint64_t{spec.dim} * sizeof(float)));
  std::vector<PayloadIndex::ValueGroup> groups;
  uint64_t payload_m = 0;
  {
    std::shared_lock<std::shared_mutex> data(data_mu_);
    payload_m = PayloadM();
    // Every exact field is considered now, linked values or not (so no rebuild is due for it).
    for (const std::string& f : segment_->payload_index().ExactFields()) index.linked[f];
    if (payload_m == 0) return Status::Ok();
    groups = segment_->payload_index().ValueGroups(min_points, index.n);
    // The groups are what the payloads say now: points written later are relinked.
    index.linked_seq = applied_seq_;
  }
  index.linked_n = index.n;
  if (groups.empty()) return Status::Ok();
  const auto start = std::chrono::steady_clock::now();
  uint64_t points = 0;
  step->SetTotal(groups.size());
  for (const PayloadIndex::ValueGroup& g : groups) {
    strata_error err{};
    const int32_t rc = index.vt->link_group(index.idx, g.offsets.data(), g.offsets.size(),
                                            static_cast<uint32_t>(payload_m), cancel, &err);
    if (rc != STRATA_OK) return Status::FromAbi(rc, &err).WithContext("payload links");
    index.linked[g.field].insert(g.key);
    points += g.offsets.size();
    step->Add(1);
  }
  LogInfo("optimizer",
          dir_ + ": payload-aware links (m " + std::to_string(payload_m) + ") for " +
              std::to_string(groups.size()) + " value groups, " + std::to_string(points) +
              " points, in " +
              std::to_string(
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()) +
              " s; payload links now cover " + std::to_string(index.linked_n) + " points");
  return Status::Ok();
}

bool LocalShard::LinksBehind(const VectorIndex& index) const {
  return PayloadM() > 0 && !index.linked.empty() &&
         (index.linked_n < index.n || index.linked_seq < applied_seq_);
}

uint32_t LocalShard::PayloadM() const {
  auto it = options_.index_params.find("payload_m");
  if (it == options_.index_params.end()) it = options_.index_params.find("m");
  if (it == options_.index_params.end()) return 0;
  return static_cast<uint32_t>(std::strtoull(it->second.c_str(), nullptr, 10));
}

void LocalShard::LinkPayloadChanges(const VectorSpec& spec) {
  if (!STRATA_HAS(options_.index, link_group_add) || options_.index->link_group_add == nullptr) {
    return;  // an ABI 1.1 plugin: later points stay scored exactly
  }
  // 1. From one consistent view: per value group, the points joining it.
  struct Join {
    std::string field, key;
    bool fresh = false;           // a value that reached the threshold: its whole group
    std::vector<uint32_t> added;  // sorted
  };
  std::vector<Join> joins;
  std::shared_ptr<VectorIndex> index;
  uint32_t n = 0;
  uint64_t seq = 0, relinked = 0, inserted = 0;
  uint32_t payload_m = 0;
  {
    std::shared_lock<std::shared_mutex> data(data_mu_);
    auto it = indexes_.find(spec.name);
    if (it == indexes_.end()) return;
    index = it->second;
    n = index->n;
    seq = applied_seq_;
    payload_m = PayloadM();
    if (!LinksBehind(*index) || index->layout != layout_id_) return;
    const PayloadIndex& pi = segment_->payload_index();
    std::map<std::pair<std::string, std::string>, std::vector<uint32_t>> by_value;
    auto join = [&](uint32_t o) {
      if (!segment_->IsLive(o)) return;
      const PayloadRef p = segment_->PayloadAt(o);
      if (p.get() == nullptr) return;
      for (const auto& [field, keys] : index->linked) {
        for (std::string& key : pi.KeysOf(field, *p)) {
          if (keys.count(key) > 0) by_value[{field, std::move(key)}].push_back(o);
        }
      }
    };
    for (uint32_t o = 0; o < index->linked_n; ++o) {
      if (segment_->VersionAt(o) > index->linked_seq) {
        join(o);
        ++relinked;
      }
    }
    for (uint32_t o = index->linked_n; o < n; ++o) join(o);
    inserted = n - std::min(n, index->linked_n);
    for (auto& [value, added] : by_value) {
      joins.push_back({value.first, value.second, false, std::move(added)});
    }
    // Values that reached the threshold since: their groups are linked whole.
    const uint64_t min_points = std::max<uint64_t>(
        1, full_scan_threshold_kb_.load() * 1024 / (uint64_t{spec.dim} * sizeof(float)));
    for (PayloadIndex::ValueGroup& g : pi.ValueGroups(min_points, n)) {
      auto f = index->linked.find(g.field);
      if (f == index->linked.end() || f->second.count(g.key) > 0) continue;
      joins.push_back({g.field, g.key, true, std::move(g.offsets)});
    }
  }
  if (joins.empty()) {  // nothing joins a linked value: the links are current as they are
    std::unique_lock<std::shared_mutex> data(data_mu_);
    auto it = indexes_.find(spec.name);
    if (it == indexes_.end() || it->second != index) return;
    index->linked_n = n;
    index->linked_seq = seq;
    return;
  }
  // 2. Link them in chunks; until step 3, searches score every point of this round exactly.
  constexpr size_t kChunk = 256;
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<OptimizationLog::Run> run =
      optimizations_.Start("payload_links", segment_uuid(), live_points());
  OptimizationLog::Step* step = optimizations_.AddStep(run.get(), "link", true);
  uint64_t total = 0;
  for (const Join& j : joins) total += j.added.size();
  step->SetTotal(total);
  auto cancelled = [&](const std::string& why) {
    optimizations_.Finish(run.get(), OptimizationView::Status::kCancelled, why);
  };
  size_t fresh_groups = 0;
  for (const Join& j : joins) {
    for (size_t from = 0; from < j.added.size(); from += kChunk) {
      std::unique_lock<std::shared_mutex> data(data_mu_);
      if (stopping_flag_.load()) return cancelled("stopping");
      auto it = indexes_.find(spec.name);
      if (it == indexes_.end() || it->second != index) return cancelled("the index was rebuilt");
      // The members: for a fresh group the points of this round linked so far; otherwise the
      // group now, less this round's points not linked yet.
      std::vector<uint32_t> members;
      if (j.fresh) {
        members.assign(j.added.begin(), j.added.begin() + from);
      } else {
        const std::vector<uint32_t> group =
            segment_->payload_index().GroupOffsets(j.field, j.key, n);
        std::set_difference(group.begin(), group.end(), j.added.begin() + from, j.added.end(),
                            std::back_inserter(members));
      }
      const size_t count = std::min(kChunk, j.added.size() - from);
      strata_error err{};
      const int32_t rc =
          index->vt->link_group_add(index->idx, members.data(), members.size(),
                                    j.added.data() + from, count, payload_m, nullptr, &err);
      if (rc != STRATA_OK) {
        const std::string why = Status::FromAbi(rc, &err).message();
        LogWarn("optimizer",
                dir_ + ": payload links not extended (those points stay scored exactly): " + why);
        optimizations_.Finish(run.get(), OptimizationView::Status::kError, why);
        return;
      }
      step->Add(count);
    }
    fresh_groups += j.fresh ? 1 : 0;
  }
  // 3. The round is linked.
  {
    std::unique_lock<std::shared_mutex> data(data_mu_);
    auto it = indexes_.find(spec.name);
    if (it == indexes_.end() || it->second != index) return cancelled("the index was rebuilt");
    for (const Join& j : joins) {
      if (j.fresh) index->linked[j.field].insert(j.key);
    }
    index->linked_n = n;
    index->linked_seq = seq;
  }
  optimizations_.Finish(run.get(), OptimizationView::Status::kDone);
  LogInfo("optimizer",
          dir_ + ": payload links now cover " + std::to_string(n) + " points (" +
              std::to_string(relinked) + " relinked after payload writes, " +
              std::to_string(inserted) + " inserted, " + std::to_string(fresh_groups) +
              " new value groups) in " +
              std::to_string(
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()) +
              " s");
}

namespace {

constexpr char kIndexMagic[8] = {'S', 'T', 'R', 'I', 'D', 'X', '0', '1'};
// 3 adds linked_seq; 2 (no linked_seq: every linked point counts as written since) and 1 (no
// linked fields) are still read.
constexpr uint32_t kIndexMetaVersion = 3;
constexpr const char* kIndexMeta = "index.meta";

strata_dir DirOf(const FileSystem& fs, const std::string& prefix) {
  strata_dir d{};
  d.struct_size = sizeof(d);
  d.storage = fs.vtable();
  d.fs = fs.fs();
  d.prefix = prefix.c_str();
  return d;
}

}  // namespace

std::string LocalShard::IndexDir(const VectorSpec& spec) const {
  // Vector names are arbitrary text: hex keeps them file-name safe.
  static const char* kHex = "0123456789abcdef";
  std::string name = "v";
  for (unsigned char ch : spec.name) {
    name += kHex[ch >> 4];
    name += kHex[ch & 15];
  }
  return sdk::JoinPath(dir_, sdk::JoinPath("index", name));
}

Status LocalShard::SaveIndex(const VectorSpec& spec, const VectorIndex& index) {
  std::lock_guard<std::mutex> lock(index_files_mu_);
  const std::string dir = IndexDir(spec);
  const std::string meta = sdk::JoinPath(dir, kIndexMeta);
  STRATA_RETURN_IF_ERROR(fs_.MakeDirs(dir));
  // The meta file is the commit point: gone while the plugin's files are rewritten.
  STRATA_ASSIGN_OR_RETURN(bool had, fs_.Exists(meta));
  if (had) STRATA_RETURN_IF_ERROR(fs_.Remove(meta, false));
  const strata_dir d = DirOf(fs_, dir);
  strata_error err{};
  const int32_t rc = index.vt->save(index.idx, &d, &err);
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err).WithContext("index save");
  std::string body(kIndexMagic, 8);
  AppendLe<uint32_t>(&body, kIndexMetaVersion);
  AppendLe<uint32_t>(&body, 0);
  AppendLe<uint64_t>(&body, index.layout);
  AppendLe<uint32_t>(&body, index.n);
  AppendLe<uint32_t>(&body, index.dim);
  AppendLe<uint32_t>(&body, static_cast<uint32_t>(index.params.size()));
  body += index.params;
  auto append_text = [&body](const std::string& t) {
    AppendLe<uint32_t>(&body, static_cast<uint32_t>(t.size()));
    body += t;
  };
  AppendLe<uint32_t>(&body, static_cast<uint32_t>(index.linked.size()));
  for (const auto& [field, keys] : index.linked) {
    append_text(field);
    AppendLe<uint32_t>(&body, static_cast<uint32_t>(keys.size()));
    for (const std::string& k : keys) append_text(k);
  }
  AppendLe<uint32_t>(&body, index.linked_n);
  AppendLe<uint64_t>(&body, index.linked_seq);
  AppendLe<uint32_t>(&body, Crc32c(body.data(), body.size()));
  // The manifest names the saving plugin before the meta commits the index: a crash between
  // leaves no index for the name to be wrong about.
  {
    std::lock_guard<std::mutex> lock(manifest_mu_);
    saved_index_plugins_[spec.name] = options_.index_plugin;
  }
  SaveManifest();
  return fs_.AtomicSave(meta, body);
}

Result<std::shared_ptr<LocalShard::VectorIndex>> LocalShard::LoadIndex(const VectorSpec& spec) {
  const std::string dir = IndexDir(spec);
  const std::string meta = sdk::JoinPath(dir, kIndexMeta);
  STRATA_ASSIGN_OR_RETURN(bool exists, fs_.Exists(meta));
  if (!exists) return NotFound(meta + ": no saved index");
  STRATA_ASSIGN_OR_RETURN(std::string m, fs_.ReadAll(meta));
  if (m.size() < 40 || std::memcmp(m.data(), kIndexMagic, 8) != 0 ||
      LoadLe<uint32_t>(m.data() + m.size() - 4) != Crc32c(m.data(), m.size() - 4)) {
    return DataLoss(meta + ": not an index meta file or checksum mismatch");
  }
  const uint32_t version = LoadLe<uint32_t>(m.data() + 8);
  if (version < 1 || version > kIndexMetaVersion) {
    return FailedPrecondition(meta + ": unknown index meta version " + std::to_string(version));
  }
  const uint64_t layout = LoadLe<uint64_t>(m.data() + 16);
  const uint32_t n = LoadLe<uint32_t>(m.data() + 24);
  const uint32_t dim = LoadLe<uint32_t>(m.data() + 28);
  const uint32_t plen = LoadLe<uint32_t>(m.data() + 32);
  if (36 + size_t{plen} + 4 > m.size()) return DataLoss(meta + ": truncated");
  const std::string params = m.substr(36, plen);
  std::map<std::string, std::set<std::string>> linked;
  uint32_t linked_n = 0;
  uint64_t linked_seq = 0;
  size_t at = 36 + size_t{plen};
  // Bounds-checked readers over m (the CRC at the end is not theirs).
  auto read_u32 = [&](uint32_t* v) {
    if (at + 4 + 4 > m.size()) return false;
    *v = LoadLe<uint32_t>(m.data() + at);
    at += 4;
    return true;
  };
  auto read_text = [&](std::string* t) {
    uint32_t len = 0;
    if (!read_u32(&len) || at + len + 4 > m.size()) return false;
    t->assign(m, at, len);
    at += len;
    return true;
  };
  if (version >= 2) {
    uint32_t fields = 0;
    if (!read_u32(&fields)) return DataLoss(meta + ": truncated");
    for (uint32_t i = 0; i < fields; ++i) {
      std::string field;
      uint32_t keys = 0;
      if (!read_text(&field) || !read_u32(&keys)) return DataLoss(meta + ": truncated");
      std::set<std::string>& set = linked[field];
      for (uint32_t k = 0; k < keys; ++k) {
        std::string key;
        if (!read_text(&key)) return DataLoss(meta + ": truncated");
        set.insert(std::move(key));
      }
    }
    if (!read_u32(&linked_n)) return DataLoss(meta + ": truncated");
  }
  if (version >= 3) {
    uint32_t lo = 0, hi = 0;
    if (!read_u32(&lo) || !read_u32(&hi)) return DataLoss(meta + ": truncated");
    linked_seq = (uint64_t{hi} << 32) | lo;
  }
  if (at + 4 != m.size()) return DataLoss(meta + ": bad length");
  if (layout != layout_id_ || !layout_on_disk_) {
    return FailedPrecondition(meta + ": saved for another offset layout (a vacuum since)");
  }
  if (dim != spec.dim || n > segment_->offset_count() || n == 0) {
    return FailedPrecondition(meta + ": saved for " + std::to_string(n) + " vectors of dim " +
                              std::to_string(dim) + ", which no longer fit");
  }
  {
    std::lock_guard<std::mutex> lock(manifest_mu_);
    auto owner = saved_index_plugins_.find(spec.name);
    if (owner != saved_index_plugins_.end() && !owner->second.empty() &&
        !options_.index_plugin.empty() &&
        PluginName(owner->second) != PluginName(options_.index_plugin)) {
      return FailedPrecondition(meta + ": saved by " + owner->second +
                                ", but the configured index is " + options_.index_plugin);
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<VectorIndex> index, MakeIndex(spec, n));
  if (index->params != params) {
    return FailedPrecondition(meta + ": saved with other index parameters");
  }
  const strata_dir d = DirOf(fs_, dir);
  strata_error err{};
  const int32_t rc = index->vt->load(index->idx, &d, &err);
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err).WithContext("index load");
  index->linked = std::move(linked);
  index->linked_n = std::min(linked_n, n);
  index->linked_seq = linked_seq;
  return index;
}

namespace {

// What the index may return during one search: live, with the vector, in the candidate set (when
// the payload indexes gave one) and passing the filter. Evaluated lazily, only for the nodes
// the traversal reaches.
struct AllowContext {
  const Segment* segment;
  const std::string* vector_name;
  const qdrant::Filter* filter;
  const std::vector<uint64_t>* candidates;  // bitset, may be null
  uint32_t below;                           // offsets from here on are answered elsewhere
};

uint8_t AllowOffset(void* raw, uint32_t offset) {
  const auto* c = static_cast<const AllowContext*>(raw);
  if (offset >= c->below) return 0;
  if (c->candidates != nullptr && (offset / 64 >= c->candidates->size() ||
                                   !(((*c->candidates)[offset / 64] >> (offset & 63)) & 1u))) {
    return 0;
  }
  if (!c->segment->IsLive(offset) || !c->segment->HasVector(*c->vector_name, offset)) return 0;
  return c->filter == nullptr || c->segment->Matches(c->filter, offset) ? 1 : 0;
}

}  // namespace

bool LocalShard::FilterPinsLinkedValue(const qdrant::Filter* filter, const VectorIndex& index) {
  // Exactly one condition, so the allowed points are the group itself (minus deleted ones): a
  // narrower filter could leave a subset its links do not connect.
  if (filter == nullptr || index.linked.empty() || filter->must_size() != 1 ||
      filter->should_size() != 0 || filter->must_not_size() != 0 || filter->has_min_should()) {
    return false;
  }
  const qdrant::Condition& c = filter->must(0);
  if (!c.has_field() || !c.field().has_match()) return false;
  auto field = index.linked.find(c.field().key());
  if (field == index.linked.end()) return false;
  const qdrant::Match& m = c.field().match();
  // The posting key of the value (as PayloadIndex::Extract writes it).
  const std::string key = m.has_keyword()   ? m.keyword()
                          : m.has_integer() ? std::to_string(m.integer())
                          : m.has_boolean() ? (m.boolean() ? "1" : "0")
                                            : std::string();
  return (m.has_keyword() || m.has_integer() || m.has_boolean()) && field->second.count(key) > 0;
}

bool LocalShard::RelinkDue(const VectorSpec& spec) const {
  if (!STRATA_HAS(options_.index, link_group) || options_.index->link_group == nullptr) {
    return false;
  }
  std::shared_lock<std::shared_mutex> data(data_mu_);
  auto it = indexes_.find(spec.name);
  if (it == indexes_.end()) return false;
  const VectorIndex& index = *it->second;
  for (const std::string& f : segment_->payload_index().ExactFields()) {
    if (index.linked.count(f) == 0) return true;
  }
  return false;
}

std::vector<ScoredOffset> LocalShard::IndexedSearch(const VectorIndex& index,
                                                    const VectorSpec& spec, const SearchSpec& s,
                                                    size_t want, const CandidateSet* candidates,
                                                    uint32_t* graph_n) const {
  // The planner: from the cardinality estimate, either score the few matching points exactly
  // or traverse the graph with the filter checked on the way.
  const Cardinality est = segment_->EstimateMatches(s.filter);
  // A filter pinned to a linked value held by at most 5% of the points walks that value's own
  // links, which cover offsets below linked_n (the caller scans the rest). Above 5% the
  // ordinary filtered walk meets members often enough and explores better (hnsw_benchmark,
  // tenants of 20%: the members-only walk needed ef 64 for the recall the ordinary one had at
  // ef 16).
  const bool linked = index.linked_n > 0 && FilterPinsLinkedValue(s.filter, index) &&
                      est.exp * 20 <= index.linked_n;
  *graph_n = linked ? index.linked_n : index.n;
  const uint32_t n = *graph_n;
  if (est.max == 0) return {};
  const uint64_t full_scan_points =
      full_scan_threshold_kb_.load() * 1024 / (uint64_t{spec.dim} * sizeof(float));
  // Qdrant's rule (few matching vectors: scan them) plus a cost model: a filtered traversal
  // costs about ef * n / matches distance computations, the scan `matches`, so the scan wins
  // below sqrt(K * ef * n) matches (K = 32, measured with hnsw_benchmark: at 10% of 100k 768-d
  // points the scan ran 1.6x the graph's QPS).
  uint64_t ef = s.hnsw_ef;
  if (ef == 0) {
    auto it = options_.index_params.find("ef_construct");
    ef = it == options_.index_params.end() ? 100 : std::strtoull(it->second.c_str(), nullptr, 10);
  }
  // A filter that pins a linked payload value (a must match on a field whose groups got
  // payload-aware links) walks that value's own subgraph: about K * ef computations whatever
  // n, so only Qdrant's rule sends it to the scan.
  const double crossover =
      linked ? 0.0 : std::sqrt(32.0 * static_cast<double>(std::max<uint64_t>(ef, 1)) * n);
  if (s.filter != nullptr &&
      (est.exp < full_scan_points || static_cast<double>(est.exp) < crossover)) {
    if (candidates != nullptr) {
      return segment_->SearchOffsets(spec.name, s.query.data(), want, *candidates, s.filter, 0, n);
    }
    return segment_->Search(spec.name, s.query.data(), want, s.filter, 0, n);
  }
  std::vector<uint64_t> cand_bits;
  if (candidates != nullptr) {
    cand_bits.assign((n + 63) / 64, 0);
    for (uint32_t o : candidates->offsets) {
      if (o >= n) break;
      cand_bits[o / 64] |= uint64_t{1} << (o & 63);
    }
  }
  AllowContext ctx{segment_.get(), &spec.name, s.filter, candidates ? &cand_bits : nullptr, n};
  strata_filter filter{};
  filter.struct_size = sizeof(filter);
  filter.n_bits = n;
  filter.allow = AllowOffset;
  filter.ctx = &ctx;
  filter.estimate = {est.min, std::max<uint64_t>(est.exp, 1), est.max};
  sdk::OwnedParams params;
  if (s.hnsw_ef > 0) params.Set("ef", std::to_string(s.hnsw_ef));
  if (linked) params.Set("filter.linked_group", "1");
  if (s.quantization_ignore) params.Set("quantization.ignore", *s.quantization_ignore ? "1" : "0");
  if (s.quantization_rescore) {
    params.Set("quantization.rescore", *s.quantization_rescore ? "1" : "0");
  }
  if (s.oversampling) params.Set("quantization.oversampling", std::to_string(*s.oversampling));
  const uint32_t k = static_cast<uint32_t>(std::min<uint64_t>(want, n));
  std::vector<uint32_t> ids(k);
  std::vector<float> scores(k);
  uint32_t count = 0;
  strata_search_request req{};
  req.struct_size = sizeof(req);
  req.n_queries = 1;
  req.queries = s.query.data();
  req.top_k = k;
  req.filter = &filter;
  req.params = params.Get();
  strata_search_result res{sizeof(res), 0, ids.data(), scores.data(), &count};
  strata_error err{};
  if (index.vt->search(index.idx, &req, &res, &err) != STRATA_OK) {
    LogWarn("shard", dir_ + ": index search failed, answering exactly: " + err.message);
    return segment_->Search(spec.name, s.query.data(), want, s.filter, 0, n);
  }
  std::vector<ScoredOffset> out;
  for (uint32_t i = 0; i < count; ++i) out.push_back({scores[i], ids[i]});
  if (linked && candidates != nullptr) {
    // Points written since their links were made may have joined the group without links to
    // its members: scored exactly too (the walk may have found some of them).
    CandidateSet unlinked;
    unlinked.dirty = candidates->dirty;
    for (uint32_t o : candidates->offsets) {
      if (o >= n) break;
      if (segment_->VersionAt(o) > index.linked_seq) unlinked.offsets.push_back(o);
    }
    for (const ScoredOffset& m :
         segment_->SearchOffsets(spec.name, s.query.data(), want, unlinked, s.filter, 0, n)) {
      const bool found = std::any_of(out.begin(), out.end(),
                                     [&](const ScoredOffset& h) { return h.offset == m.offset; });
      if (!found) out.push_back(m);
    }
  }
  return out;
}

void LocalShard::InsertTail(const VectorSpec& spec) {
  // Batches under the exclusive lock (insert is exclusive with search in the ABI): searches
  // wait for one batch at most.
  constexpr uint32_t kBatch = 256;
  uint32_t done = 0;
  std::shared_ptr<OptimizationLog::Run> run;
  OptimizationLog::Step* step = nullptr;
  auto finish = [&](OptimizationView::Status status, const std::string& why) {
    if (run) optimizations_.Finish(run.get(), status, why);
  };
  for (;;) {
    std::unique_lock<std::shared_mutex> data(data_mu_);
    if (stopping_flag_.load()) return finish(OptimizationView::Status::kCancelled, "stopping");
    auto it = indexes_.find(spec.name);
    if (it == indexes_.end()) return finish(OptimizationView::Status::kCancelled, "index dropped");
    VectorIndex& ix = *it->second;
    const uint32_t n = segment_->offset_count();
    if (ix.n >= n) break;
    if (!run) {
      run = optimizations_.Start("indexing", segment_uuid(), segment_->live_count());
      step = optimizations_.AddStep(run.get(), "insert", true);
    }
    step->SetTotal(done + (n - ix.n));
    const uint32_t end = std::min(n, ix.n + kBatch);
    for (uint32_t o = ix.n; o < end; ++o) {
      ix.n = o + 1;
      ix.src.count = o + 1;
      strata_error err{};
      if (ix.vt->insert(ix.idx, o, &err) != STRATA_OK) {
        // The index stays valid over [0, o): searches scan the rest exactly.
        ix.n = o;
        ix.src.count = o;
        LogWarn("optimizer",
                dir_ + ": incremental insert failed, the tail stays exact: " + err.message);
        return finish(OptimizationView::Status::kError, err.message);
      }
      ++done;
      step->Add(1);
    }
  }
  finish(OptimizationView::Status::kDone, "");
  if (done > 0) {
    LogInfo("optimizer", dir_ + ": inserted " + std::to_string(done) + " vectors" +
                             (spec.name.empty() ? "" : " of '" + spec.name + "'") +
                             " into the index");
  }
}

void LocalShard::SaveGrownIndex(const VectorSpec& spec) {
  std::unique_lock<std::shared_mutex> data(data_mu_);
  if (stopping_flag_.load()) return;
  auto it = indexes_.find(spec.name);
  if (it == indexes_.end()) return;
  VectorIndex& ix = *it->second;
  // The saved offsets must be what recovery reproduces: the same layout, durable.
  if (ix.layout != layout_id_ || !layout_on_disk_) return;
  const uint64_t threshold =
      std::max<uint64_t>(1, indexing_threshold_kb_.load() * 1024 / (uint64_t{spec.dim} * 4));
  if (ix.n <= ix.saved_n || ix.n - ix.saved_n < std::max<uint64_t>(threshold, ix.saved_n / 10)) {
    return;
  }
  Status saved = SaveIndex(spec, ix);
  if (!saved.ok()) {
    LogWarn("optimizer", dir_ + ": grown index not saved: " + saved.message());
    return;
  }
  LogInfo("optimizer", dir_ + ": saved the index over " + std::to_string(ix.n) + " vectors" +
                           (spec.name.empty() ? "" : " of '" + spec.name + "'") + " (" +
                           std::to_string(ix.n - ix.saved_n) + " inserted since the last save)");
  ix.saved_n = ix.n;
}

bool LocalShard::IndexDue(const VectorSpec& spec, uint64_t n, uint64_t indexed) const {
  if (options_.index == nullptr || indexing_threshold_kb_.load() == 0) return false;
  const uint64_t threshold =
      std::max<uint64_t>(1, indexing_threshold_kb_.load() * 1024 / (uint64_t{spec.dim} * 4));
  // Build when the unindexed tail reaches the threshold and at least doubles the data, so the
  // total build work stays O(n log n) during a bulk load.
  return n >= threshold && n - indexed >= std::max<uint64_t>(threshold, indexed);
}

LocalShard::OptimizerState LocalShard::optimizer_state() const {
  OptimizerState state;
  {
    std::lock_guard<std::mutex> lock(optimizer_mu_);
    state.error = build_error_;
  }
  state.busy = building_.load();
  std::shared_lock<std::shared_mutex> data(data_mu_);
  for (const VectorSpec& spec : specs_) {
    auto it = indexes_.find(spec.name);
    const uint64_t indexed = it == indexes_.end() ? 0 : it->second->n;
    if (IndexDue(spec, segment_->offset_count(), indexed)) state.busy = true;
  }
  return state;
}

void LocalShard::SetTunables(const Tunables& t) {
  indexing_threshold_kb_ = t.indexing_threshold_kb;
  full_scan_threshold_kb_ = t.full_scan_threshold_kb;
  vacuum_min_vector_number_ = t.vacuum_min_vector_number;
  deleted_threshold_ = t.deleted_threshold;
  optimizations_enabled_ = t.optimizations_enabled;
}

bool LocalShard::VacuumDue(uint64_t dead, uint64_t total) const {
  return dead > 0 && dead >= vacuum_min_vector_number_.load() &&
         static_cast<double>(dead) >= deleted_threshold_.load() * static_cast<double>(total);
}

std::vector<std::string> LocalShard::QueuedOptimizations() const {
  std::set<std::string> running;
  for (const OptimizationView& r : optimizations_.Running()) running.insert(r.optimizer);
  std::vector<std::string> out;
  auto queue = [&](const char* name) {
    if (running.count(name) == 0 && std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(name);
    }
  };
  std::shared_lock<std::shared_mutex> data(data_mu_);
  const uint64_t total = segment_->offset_count();
  if (VacuumDue(total - segment_->live_count(), total)) queue("vacuum");
  const bool can_add =
      STRATA_HAS(options_.index, link_group_add) && options_.index->link_group_add != nullptr;
  for (const VectorSpec& spec : specs_) {
    auto it = indexes_.find(spec.name);
    const VectorIndex* ix = it == indexes_.end() ? nullptr : it->second.get();
    const uint64_t indexed = ix == nullptr ? 0 : ix->n;
    if (IndexDue(spec, total, indexed) || (ix != nullptr && options_.index != nullptr &&
                                           options_.index->insert != nullptr && indexed < total)) {
      queue("indexing");
    } else if (ix != nullptr && can_add && LinksBehind(*ix)) {
      queue("payload_links");
    }
  }
  return out;
}

std::string LocalShard::segment_uuid() const {
  std::lock_guard<std::mutex> lock(segment_uuid_mu_);
  return segment_uuid_;
}

void LocalShard::SetSegmentUuid(const std::string& uuid) {
  std::lock_guard<std::mutex> lock(segment_uuid_mu_);
  segment_uuid_ = uuid;
}

uint64_t LocalShard::live_points() const {
  std::shared_lock<std::shared_mutex> data(data_mu_);
  return segment_->live_count();
}

uint64_t LocalShard::indexed_count() const {
  std::shared_lock<std::shared_mutex> data(data_mu_);
  uint64_t n = 0;
  for (const auto& [name, index] : indexes_) n += index->n;
  return n;
}

void LocalShard::StopOptimizer() {
  if (!optimizer_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(optimizer_mu_);
    stopping_ = true;
  }
  cancel_build_ = true;
  stopping_flag_ = true;
  optimizer_cv_.notify_all();
  optimizer_.join();
}

void LocalShard::Drop() {
  StopOptimizer();
  std::lock_guard<std::mutex> lock(write_mu_);  // waits for a write in progress
  dropped_ = true;
}

LocalShard::~LocalShard() {
  StopOptimizer();
  if (wal_ == nullptr) return;
  std::lock_guard<std::mutex> lock(write_mu_);
  if (!dropped_ && applied_seq_ > snapshot_seq_) {
    Status s = SnapshotLocked();
    if (!s.ok())
      LogWarn("shard", dir_ + ": final snapshot failed (the WAL still has it): " + s.message());
  }
}

Result<LocalShard::Apply> LocalShard::Prepare(uint32_t method, std::string_view bytes) const {
  switch (method) {
    case STRATA_METHOD_Points_Upsert: {
      STRATA_ASSIGN_OR_RETURN(qdrant::UpsertPoints req, Parse<qdrant::UpsertPoints>(bytes));
      if (req.has_update_filter() || req.has_update_mode()) {
        return Unimplemented("update_filter and update_mode are not supported yet");
      }
      if (static_cast<size_t>(req.points_size()) > options_.max_batch_points) {
        return InvalidArgument("points: " + std::to_string(req.points_size()) +
                               " points in one request, the limit is " +
                               std::to_string(options_.max_batch_points) +
                               "; split the upload into smaller batches");
      }
      struct Point {
        ExternalId id;
        NamedVectors vectors;
        PayloadMap payload;
        NamedSparse sparse;
      };
      auto points = std::make_shared<std::vector<Point>>();
      points->reserve(req.points_size());
      for (int i = 0; i < req.points_size(); ++i) {
        const std::string field = "points[" + std::to_string(i) + "]";
        qdrant::PointStruct* p = req.mutable_points(i);
        STRATA_ASSIGN_OR_RETURN(ExternalId id, ExternalId::FromProto(p->id(), field + ".id"));
        NamedVectors vectors;
        NamedSparse sparse;
        if (p->has_vectors()) {
          STRATA_RETURN_IF_ERROR(VectorsFromProto(p->vectors(), specs_, options_.sparse,
                                                  field + ".vector", &vectors, &sparse));
        }
        points->push_back(
            {id, std::move(vectors), std::move(*p->mutable_payload()), std::move(sparse)});
      }
      return Apply([points](Segment& seg, uint64_t version) {
        for (const Point& p : *points) seg.Upsert(p.id, version, p.vectors, p.payload, p.sparse);
      });
    }
    case STRATA_METHOD_Points_Delete: {
      STRATA_ASSIGN_OR_RETURN(auto req, Parse<qdrant::DeletePoints>(bytes));
      STRATA_RETURN_IF_ERROR(CheckSelector(req.points(), "points"));
      auto sel = std::make_shared<qdrant::PointsSelector>(req.points());
      return Apply([this, sel](Segment& seg, uint64_t version) {
        for (const ExternalId& id : Select(seg, *sel)) seg.Delete(id, version);
      });
    }
    case STRATA_METHOD_Points_SetPayload:
    case STRATA_METHOD_Points_OverwritePayload: {
      STRATA_ASSIGN_OR_RETURN(auto req, Parse<qdrant::SetPayloadPoints>(bytes));
      if (!req.has_points_selector()) {
        return InvalidArgument("points_selector: choose the points by ids or by filter");
      }
      STRATA_RETURN_IF_ERROR(CheckSelector(req.points_selector(), "points_selector"));
      auto r = std::make_shared<qdrant::SetPayloadPoints>(std::move(req));
      const bool overwrite = method == STRATA_METHOD_Points_OverwritePayload;
      return Apply([this, r, overwrite](Segment& seg, uint64_t version) {
        for (const ExternalId& id : Select(seg, r->points_selector())) {
          if (overwrite && r->key().empty()) {
            seg.OverwritePayload(id, version, r->payload());
          } else {
            seg.SetPayload(id, version, r->payload(), r->key());
          }
        }
      });
    }
    case STRATA_METHOD_Points_DeletePayload: {
      STRATA_ASSIGN_OR_RETURN(auto req, Parse<qdrant::DeletePayloadPoints>(bytes));
      if (!req.has_points_selector()) {
        return InvalidArgument("points_selector: choose the points by ids or by filter");
      }
      STRATA_RETURN_IF_ERROR(CheckSelector(req.points_selector(), "points_selector"));
      auto r = std::make_shared<qdrant::DeletePayloadPoints>(std::move(req));
      return Apply([this, r](Segment& seg, uint64_t version) {
        std::vector<std::string> keys(r->keys().begin(), r->keys().end());
        for (const ExternalId& id : Select(seg, r->points_selector())) {
          seg.DeletePayloadKeys(id, version, keys);
        }
      });
    }
    case STRATA_METHOD_Points_ClearPayload: {
      STRATA_ASSIGN_OR_RETURN(auto req, Parse<qdrant::ClearPayloadPoints>(bytes));
      STRATA_RETURN_IF_ERROR(CheckSelector(req.points(), "points"));
      auto sel = std::make_shared<qdrant::PointsSelector>(req.points());
      return Apply([this, sel](Segment& seg, uint64_t version) {
        for (const ExternalId& id : Select(seg, *sel)) seg.ClearPayload(id, version);
      });
    }
    case STRATA_METHOD_Points_UpdateVectors: {
      STRATA_ASSIGN_OR_RETURN(auto req, Parse<qdrant::UpdatePointVectors>(bytes));
      if (req.has_update_filter()) return Unimplemented("update_filter is not supported yet");
      struct Update {
        ExternalId id;
        NamedVectors dense;
        NamedSparse sparse;
      };
      auto updates = std::make_shared<std::vector<Update>>();
      for (int i = 0; i < req.points_size(); ++i) {
        const std::string field = "points[" + std::to_string(i) + "]";
        Update u;
        STRATA_ASSIGN_OR_RETURN(u.id, ExternalId::FromProto(req.points(i).id(), field + ".id"));
        STRATA_RETURN_IF_ERROR(VectorsFromProto(req.points(i).vectors(), specs_, options_.sparse,
                                                field + ".vectors", &u.dense, &u.sparse));
        updates->push_back(std::move(u));
      }
      return Apply([updates](Segment& seg, uint64_t version) {
        for (const Update& u : *updates) seg.UpdateVectors(u.id, version, u.dense, u.sparse);
      });
    }
    case STRATA_METHOD_Points_DeleteVectors: {
      STRATA_ASSIGN_OR_RETURN(auto req, Parse<qdrant::DeletePointVectors>(bytes));
      STRATA_RETURN_IF_ERROR(CheckSelector(req.points_selector(), "points_selector"));
      for (int i = 0; i < req.vectors().names_size(); ++i) {
        const std::string& name = req.vectors().names(i);
        if (FindSparseSpec(options_.sparse, name) != nullptr) continue;
        STRATA_RETURN_IF_ERROR(
            FindSpec(specs_, name, "vectors.names[" + std::to_string(i) + "]").status());
      }
      auto r = std::make_shared<qdrant::DeletePointVectors>(std::move(req));
      return Apply([this, r](Segment& seg, uint64_t version) {
        std::vector<std::string> names(r->vectors().names().begin(), r->vectors().names().end());
        for (const ExternalId& id : Select(seg, r->points_selector())) {
          seg.DeleteVectors(id, version, names);
        }
      });
    }
    case STRATA_METHOD_Points_UpdateBatch: {
      // Every operation becomes the equivalent single request and is prepared like one; the
      // batch is one WAL record, so it applies all-or-nothing with one version.
      STRATA_ASSIGN_OR_RETURN(auto req, Parse<qdrant::UpdateBatchPoints>(bytes));
      auto applies = std::make_shared<std::vector<Apply>>();
      for (int i = 0; i < req.operations_size(); ++i) {
        const auto& op = req.operations(i);
        STRATA_ASSIGN_OR_RETURN(auto single, SingleOf(op, i));
        Result<Apply> one = Prepare(single.first, single.second);
        if (!one.ok()) return one.status().WithContext("operations[" + std::to_string(i) + "]");
        applies->push_back(std::move(one).value());
      }
      return Apply([applies](Segment& seg, uint64_t version) {
        for (const Apply& a : *applies) a(seg, version);
      });
    }
    default:
      return Unimplemented("write method " + std::to_string(method) + " is not a shard write");
  }
}

std::vector<ExternalId> LocalShard::Select(const Segment& seg,
                                           const qdrant::PointsSelector& sel) const {
  std::vector<ExternalId> out;
  if (sel.has_points()) {
    for (const auto& raw : sel.points().ids()) {
      Result<ExternalId> id = ExternalId::FromProto(raw, "ids");
      if (id.ok()) out.push_back(*id);
    }
    return out;
  }
  seg.ForEachMatch(&sel.filter(), [&](uint32_t i) { out.push_back(seg.IdAt(i)); });
  return out;
}

Status LocalShard::StoreHealthy() const {
  const std::shared_ptr<DiskPayloads>& store = segment_->disk_payloads();
  if (store == nullptr) return Status::Ok();
  Status failed = store->failure();
  if (failed.ok()) return failed;
  return Unavailable(dir_ + ": the payload store failed (" + failed.message() +
                     "); writes resume once the collection reopens and replays its WAL");
}

bool LocalShard::SelectsByFilter(uint32_t method, std::string_view request) {
  if (method == STRATA_METHOD_Points_UpdateBatch) {
    Result<qdrant::UpdateBatchPoints> req = Parse<qdrant::UpdateBatchPoints>(request);
    if (!req.ok()) return false;
    for (auto& op : *req->mutable_operations()) {
      const qdrant::PointsSelector* sel = SelectorOf(&op);
      if (sel != nullptr && sel->has_filter()) return true;
    }
    return false;
  }
  std::unique_ptr<google::protobuf::Message> req = SelectingRequest(method);
  if (req == nullptr || !req->ParseFromArray(request.data(), static_cast<int>(request.size()))) {
    return false;
  }
  const qdrant::PointsSelector* sel = SelectorOf(method, req.get());
  return sel != nullptr && sel->has_filter();
}

Result<uint64_t> LocalShard::WriteResolvedLocked(uint32_t method, std::string_view request) {
  const uint64_t seq = wal_->last_seq() + 1;
  // The filter of a selector becomes the ids it matches now.
  auto resolve = [this](qdrant::PointsSelector* sel) {
    if (sel == nullptr || !sel->has_filter()) return;
    const std::vector<ExternalId> ids = Select(*segment_, *sel);
    qdrant::PointsIdsList* list = sel->mutable_points();  // clears the filter (one of)
    for (const ExternalId& id : ids) id.ToProto(list->add_ids());
  };
  // Resolves and applies operation by operation; returns the request to log.
  auto apply_all = [&]() -> Result<std::string> {
    if (method == STRATA_METHOD_Points_UpdateBatch) {
      STRATA_ASSIGN_OR_RETURN(auto batch, Parse<qdrant::UpdateBatchPoints>(request));
      for (int i = 0; i < batch.operations_size(); ++i) {
        resolve(SelectorOf(batch.mutable_operations(i)));
        STRATA_ASSIGN_OR_RETURN(auto single, SingleOf(batch.operations(i), i));
        STRATA_ASSIGN_OR_RETURN(Apply one, Prepare(single.first, single.second));
        one(*segment_, seq);
      }
      return batch.SerializeAsString();
    }
    std::unique_ptr<google::protobuf::Message> req = SelectingRequest(method);
    if (!req->ParseFromArray(request.data(), static_cast<int>(request.size()))) {
      return InvalidArgument("request body is not a valid " + req->GetTypeName() + " message");
    }
    resolve(SelectorOf(method, req.get()));
    std::string bytes = req->SerializeAsString();
    STRATA_ASSIGN_OR_RETURN(Apply one, Prepare(method, bytes));
    one(*segment_, seq);
    return bytes;
  };
  std::string logged;
  {
    std::unique_lock<std::shared_mutex> data(data_mu_);
    // The changes are applied in memory and staged for the store; the WAL comes next. Should
    // anything fail from here (it was all validated before, so only the WAL append can), the
    // staged payloads are never committed and the shard refuses writes until it reopens
    // (memory may be ahead of the WAL).
    Result<std::string> applied = apply_all();
    Status failed = applied.status();
    if (failed.ok()) {
      logged = std::move(applied).value();
      std::string method_le;
      AppendLe<uint32_t>(&method_le, method);
      Result<uint64_t> appended = wal_->Append(method_le, logged);
      if (!appended.ok()) {
        failed = appended.status();
      } else if (*appended != seq) {
        failed = Internal("WAL numbered the write " + std::to_string(*appended) + ", expected " +
                          std::to_string(seq));
      }
    }
    if (!failed.ok()) {
      segment_->disk_payloads()->DiscardStaged();
      segment_->disk_payloads()->Fail(failed);
      return failed;
    }
    STRATA_RETURN_IF_ERROR(segment_->CommitPayloads());
    applied_seq_ = seq;
  }
  if (vacuum_log_) vacuum_log_->emplace_back(seq, method, logged);
  return seq;
}

Result<uint64_t> LocalShard::Write(uint32_t method, std::string_view request) {
  STRATA_ASSIGN_OR_RETURN(Apply apply, Prepare(method, request));
  // The WAL record is the method id (4 bytes, little-endian) then the request bytes.
  std::string method_le;
  AppendLe<uint32_t>(&method_le, method);
  uint64_t seq = 0;
  last_write_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (dropped_) return NotFound("the collection was deleted while this write waited");
    if (segment_->free_offsets() < options_.max_batch_points) {
      return ResourceExhausted(dir_ + ": the segment's vector storage is nearly full");
    }
    STRATA_RETURN_IF_ERROR(StoreHealthy());
    if (segment_->disk_payloads() != nullptr && SelectsByFilter(method, request)) {
      STRATA_ASSIGN_OR_RETURN(seq, WriteResolvedLocked(method, request));
    } else {
      STRATA_ASSIGN_OR_RETURN(seq, wal_->Append(method_le, request));
      std::unique_lock<std::shared_mutex> data(data_mu_);
      apply(*segment_, seq);
      applied_seq_ = seq;
      // Not committed: the write is in the WAL, applied again when the shard reopens.
      STRATA_RETURN_IF_ERROR(segment_->CommitPayloads());
      // A vacuum copying the segment re-applies this to its copy before the swap.
      if (vacuum_log_) vacuum_log_->emplace_back(seq, method, std::string(request));
    }
    if (applied_seq_ - snapshot_seq_ >= options_.snapshot_every_ops) {
      Status s = SnapshotLocked();
      if (!s.ok()) LogWarn("shard", dir_ + ": snapshot failed, WAL keeps growing: " + s.message());
    }
  }
  STRATA_RETURN_IF_ERROR(wal_->Sync(seq));
  return seq;
}

bool LocalShard::payloads_on_disk() const { return payloads_on_disk_.load(); }

Status LocalShard::ReadManifest() {
  const std::string path = sdk::JoinPath(dir_, kManifestFileName);
  STRATA_ASSIGN_OR_RETURN(bool exists, fs_.Exists(path));
  if (!exists) return Status::Ok();  // a new shard, or one from before manifests
  STRATA_ASSIGN_OR_RETURN(std::string bytes, fs_.ReadAll(path));
  STRATA_ASSIGN_OR_RETURN(ShardManifest m, ShardManifest::Decode(bytes, path));
  if (!m.storage.empty() && !options_.storage_backend.empty() &&
      m.storage != options_.storage_backend) {
    LogInfo("shard", dir_ + ": written through " + m.storage + ", now opened through " +
                         options_.storage_backend);
  }
  std::lock_guard<std::mutex> lock(manifest_mu_);
  saved_index_plugins_ = std::move(m.saved_indexes);
  manifest_bytes_ = std::move(bytes);
  return Status::Ok();
}

void LocalShard::SaveManifest() {
  std::lock_guard<std::mutex> lock(manifest_mu_);
  ShardManifest m;
  m.storage = options_.storage_backend;
  m.index_plugin = options_.index != nullptr ? options_.index_plugin : "";
  m.segments.push_back({"appendable", kImageFileName,
                        payloads_on_disk_.load() ? kPayloadDirName : "", layout_id_.load()});
  m.saved_indexes = saved_index_plugins_;
  std::string bytes = m.Encode();
  if (bytes == manifest_bytes_) return;  // unchanged (most opens): no synced rewrite
  Status s = fs_.AtomicSave(sdk::JoinPath(dir_, kManifestFileName), bytes);
  if (!s.ok()) {
    LogWarn("shard", dir_ + ": manifest not written: " + s.message());
    return;
  }
  manifest_bytes_ = std::move(bytes);
}

Status LocalShard::SetPayloadOnDisk(bool on_disk) {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (dropped_) return FailedPrecondition("the collection was deleted");
  return ConvertPayloadsLocked(on_disk);
}

Status LocalShard::ConvertPayloadsLocked(bool on_disk) {
  if ((segment_->disk_payloads() != nullptr) == on_disk) return Status::Ok();
  const std::string store_dir = sdk::JoinPath(dir_, kPayloadDirName);
  if (on_disk) {
    // No snapshot names a store here yet, so anything in the directory is left from an attempt
    // cut short.
    STRATA_ASSIGN_OR_RETURN(bool stale, fs_.Exists(store_dir));
    if (stale) STRATA_RETURN_IF_ERROR(fs_.Remove(store_dir, true));
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<DiskPayloads> store,
                            DiskPayloads::Open(fs_, store_dir));
    std::unique_lock<std::shared_mutex> data(data_mu_);
    size_t staged = 0;
    for (uint32_t o = 0; o < segment_->offset_count(); ++o) {
      if (!segment_->IsLive(o)) continue;
      store->StagePut(segment_->IdAt(o), segment_->VersionAt(o), *segment_->PayloadAt(o));
      if (++staged % 4096 == 0) STRATA_RETURN_IF_ERROR(store->Commit());
    }
    STRATA_RETURN_IF_ERROR(store->Commit());
    STRATA_RETURN_IF_ERROR(store->Sync());
    segment_->UseDiskPayloads(std::move(store));
  } else {
    std::unique_lock<std::shared_mutex> data(data_mu_);
    STRATA_RETURN_IF_ERROR(segment_->UseMemoryPayloads());
  }
  payloads_on_disk_ = on_disk;  // where they are now, whether or not the snapshot lands
  // Until this snapshot lands, the previous one (and the WAL after it) still rules at a restart:
  // an unflagged one drops the new store, a flagged one still finds the old store.
  STRATA_RETURN_IF_ERROR(SnapshotLocked().WithContext(dir_ + ": payload conversion"));
  if (!on_disk) {
    Status removed = fs_.Remove(store_dir, true);
    if (!removed.ok()) LogWarn("shard", store_dir + ": not removed: " + removed.message());
  }
  SaveManifest();
  LogInfo("shard", dir_ + ": payloads now " + (on_disk ? "on disk" : "in memory"));
  return Status::Ok();
}

Status LocalShard::Snapshot() {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (dropped_) return FailedPrecondition("the collection was deleted");
  return SnapshotLocked();
}

Result<uint64_t> LocalShard::WriteImageLocked(File& f, uint64_t at, uint64_t seq,
                                              bool inline_payloads) const {
  std::string buf(kSnapMagic, 8);
  AppendLe<uint32_t>(&buf, kSnapVersion);
  AppendLe<uint32_t>(&buf, inline_payloads ? 0 : kImagePayloadsInStore);
  AppendLe<uint64_t>(&buf, seq);
  AppendLe<uint64_t>(&buf, segment_->live_count());
  AppendLe<uint64_t>(&buf, segment_->offset_count());
  AppendLe<uint64_t>(&buf, layout_id_);
  uint64_t written = 0;
  for (uint32_t i = 0; i < segment_->offset_count(); ++i) {
    if (!segment_->IsLive(i)) continue;
    qdrant::RetrievedPoint p;
    segment_->IdAt(i).ToProto(p.mutable_id());
    if (inline_payloads) *p.mutable_payload() = segment_->PayloadAt(i);
    for (const VectorSpec& spec : specs_) {
      const float* v = segment_->VectorAt(spec.name, i);
      if (v == nullptr) continue;
      auto& out = (*p.mutable_vectors()->mutable_vectors()->mutable_vectors())[spec.name];
      out.mutable_dense()->mutable_data()->Add(v, v + spec.dim);
    }
    for (const SparseSpec& spec : options_.sparse) {
      const SparseVector* v = segment_->SparseAt(spec.name, i);
      if (v == nullptr) continue;
      auto* out =
          (*p.mutable_vectors()->mutable_vectors()->mutable_vectors())[spec.name].mutable_sparse();
      out->mutable_indices()->Add(v->indices.begin(), v->indices.end());
      out->mutable_values()->Add(v->values.begin(), v->values.end());
    }
    std::string body;
    AppendLe<uint32_t>(&body, i);
    AppendLe<uint64_t>(&body, segment_->VersionAt(i));
    p.AppendToString(&body);
    AppendLe<uint32_t>(&buf, static_cast<uint32_t>(body.size()));
    AppendLe<uint32_t>(&buf, Crc32c(body.data(), body.size()));
    buf += body;
    if (buf.size() > (4u << 20)) {
      STRATA_RETURN_IF_ERROR(f.WriteAt(at + written, buf.data(), buf.size()));
      written += buf.size();
      buf.clear();
    }
  }
  buf.append(kSnapEnd, 8);
  AppendLe<uint64_t>(&buf, segment_->live_count());
  STRATA_RETURN_IF_ERROR(f.WriteAt(at + written, buf.data(), buf.size()));
  return written + buf.size();
}

Result<uint64_t> LocalShard::WriteImage(File& f, uint64_t at, uint64_t* layout) const {
  std::shared_lock<std::shared_mutex> data(data_mu_);
  if (layout != nullptr) *layout = layout_id_;
  STRATA_RETURN_IF_ERROR(StoreHealthy());
  return WriteImageLocked(f, at, applied_seq_, /*inline_payloads=*/true);
}

Status LocalShard::ForEachSavedIndexFile(
    uint64_t layout, const std::function<Status(const std::string& rel, const File& f)>& fn) const {
  std::lock_guard<std::mutex> lock(index_files_mu_);
  const std::string root = sdk::JoinPath(dir_, "index");
  STRATA_ASSIGN_OR_RETURN(bool exists, fs_.Exists(root));
  if (!exists) return Status::Ok();
  STRATA_ASSIGN_OR_RETURN(std::vector<DirEntry> dirs, fs_.List(root));
  for (const DirEntry& d : dirs) {
    if (!d.is_dir) continue;
    const std::string dir = sdk::JoinPath(root, d.name);
    const std::string meta = sdk::JoinPath(dir, kIndexMeta);
    STRATA_ASSIGN_OR_RETURN(bool has_meta, fs_.Exists(meta));
    if (!has_meta) continue;  // not committed
    std::string m;
    STRATA_ASSIGN_OR_RETURN(m, fs_.ReadAll(meta));
    if (m.size() < 24 || LoadLe<uint64_t>(m.data() + 16) != layout) continue;
    STRATA_ASSIGN_OR_RETURN(std::vector<DirEntry> files, fs_.List(dir));
    // The plugin's files first, the meta (the commit point) last.
    std::sort(files.begin(), files.end(), [](const DirEntry& a, const DirEntry& b) {
      return (a.name == kIndexMeta) < (b.name == kIndexMeta) ||
             ((a.name == kIndexMeta) == (b.name == kIndexMeta) && a.name < b.name);
    });
    for (const DirEntry& f : files) {
      if (f.is_dir || f.name.find(sdk::kAtomicTempSuffix) != std::string::npos) continue;
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> in,
                              fs_.Open(sdk::JoinPath(dir, f.name), STRATA_OPEN_READ));
      STRATA_RETURN_IF_ERROR(fn(sdk::JoinPath(sdk::JoinPath("index", d.name), f.name), *in));
    }
  }
  return Status::Ok();
}

Status LocalShard::SnapshotLocked() {
  const std::string path = sdk::JoinPath(dir_, kSnapFile);
  const std::string tmp = path + sdk::kAtomicTempSuffix;
  uint64_t seq = 0;
  {
    std::shared_lock<std::shared_mutex> data(data_mu_);
    seq = applied_seq_;
    const std::shared_ptr<DiskPayloads>& store = segment_->disk_payloads();
    if (store != nullptr) {
      // The image leaves the payloads to the store, which must hold every write up to seq
      // durably before the WAL lets them go.
      STRATA_RETURN_IF_ERROR(StoreHealthy());
      STRATA_RETURN_IF_ERROR(store->Sync());
    }
    STRATA_ASSIGN_OR_RETURN(
        std::unique_ptr<File> f,
        fs_.Open(tmp, STRATA_OPEN_WRITE | STRATA_OPEN_CREATE | STRATA_OPEN_TRUNCATE));
    STRATA_RETURN_IF_ERROR(WriteImageLocked(*f, 0, seq, store == nullptr).status());
    STRATA_RETURN_IF_ERROR(f->Sync(false));
  }
  STRATA_RETURN_IF_ERROR(fs_.Rename(tmp, path));
  STRATA_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  snapshot_seq_ = seq;
  layout_on_disk_ = true;  // recovery now reproduces these offsets
  return wal_->TruncatePrefix(seq + 1);
}

namespace {

// Sequential reads of a byte range of a file, a megabyte at a time.
class RangeReader {
 public:
  RangeReader(const File& f, uint64_t at, uint64_t size) : f_(f), pos_(at), end_(at + size) {}
  // Points *out at the next n bytes (valid until the next call); false past the range's end.
  Result<bool> Next(size_t n, const char** out) {
    if (n > end_ - pos_) return false;
    if (buf_.size() - used_ < n) {
      buf_.erase(0, used_);
      used_ = 0;
      const uint64_t want =
          std::min<uint64_t>(end_ - pos_ - buf_.size(), std::max<uint64_t>(n, 1u << 20));
      const size_t have = buf_.size();
      buf_.resize(have + want);
      STRATA_RETURN_IF_ERROR(f_.ReadExact(pos_ + have, &buf_[have], want));
    }
    *out = buf_.data() + used_;
    used_ += n;
    pos_ += n;
    return true;
  }

 private:
  const File& f_;
  uint64_t pos_, end_;
  std::string buf_;  // bytes [pos_ - used_, pos_ - used_ + buf_.size()) of the file
  size_t used_ = 0;
};

}  // namespace

Status LocalShard::VerifyImage(const File& f, uint64_t at, uint64_t size, const std::string& what) {
  RangeReader in(f, at, size);
  const char* p = nullptr;
  STRATA_ASSIGN_OR_RETURN(bool ok, in.Next(48, &p));
  if (!ok || std::memcmp(p, kSnapMagic, 8) != 0) {
    return DataLoss(what + ": not a segment image (bad magic or too short)");
  }
  const uint32_t version = LoadLe<uint32_t>(p + 8);
  if (version != kSnapVersion) {
    return FailedPrecondition(what + ": segment image version " + std::to_string(version) +
                              " is not supported here (this build restores version 2)");
  }
  if (LoadLe<uint32_t>(p + 12) != 0) {
    return DataLoss(what + ": the segment image does not carry its payloads");
  }
  const uint64_t count = LoadLe<uint64_t>(p + 24);
  for (uint64_t n = 0; n < count; ++n) {
    STRATA_ASSIGN_OR_RETURN(ok, in.Next(8, &p));
    if (!ok) return DataLoss(what + ": truncated at point " + std::to_string(n));
    const uint32_t len = LoadLe<uint32_t>(p);
    const uint32_t crc = LoadLe<uint32_t>(p + 4);
    STRATA_ASSIGN_OR_RETURN(ok, in.Next(len, &p));
    if (!ok || len < 12 || crc != Crc32c(p, len)) {
      return DataLoss(what + ": corrupt point record " + std::to_string(n));
    }
  }
  STRATA_ASSIGN_OR_RETURN(ok, in.Next(16, &p));
  if (!ok || std::memcmp(p, kSnapEnd, 8) != 0 || LoadLe<uint64_t>(p + 8) != count) {
    return DataLoss(what + ": bad segment image footer");
  }
  return Status::Ok();
}

Status LocalShard::LoadSnapshot(uint64_t* applied_seq) {
  const std::string path = sdk::JoinPath(dir_, kSnapFile);
  *applied_seq = 0;
  // A temporary left by a crash mid-snapshot is garbage: the old snapshot and the WAL rule.
  const std::string tmp = path + sdk::kAtomicTempSuffix;
  STRATA_ASSIGN_OR_RETURN(bool has_tmp, fs_.Exists(tmp));
  if (has_tmp) STRATA_RETURN_IF_ERROR(fs_.Remove(tmp, false));
  STRATA_ASSIGN_OR_RETURN(bool exists, fs_.Exists(path));
  const std::string store_dir = sdk::JoinPath(dir_, kPayloadDirName);
  // A payload store no snapshot names is garbage: a conversion or a first start cut short.
  // The WAL from the snapshot on (or from the start) holds every payload.
  auto drop_store = [&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(bool has_store, fs_.Exists(store_dir));
    if (has_store) return fs_.Remove(store_dir, true);
    return Status::Ok();
  };
  if (!exists) return drop_store();
  STRATA_ASSIGN_OR_RETURN(std::string data, fs_.ReadAll(path));
  if (data.size() < 48 || std::memcmp(data.data(), kSnapMagic, 8) != 0) {
    return DataLoss(path + ": not a segment snapshot (bad magic or too short)");
  }
  uint32_t version = LoadLe<uint32_t>(data.data() + 8);
  if (version != 1 && version != 2) {
    return FailedPrecondition(path + ": snapshot format version " + std::to_string(version) +
                              " is not supported (this build reads versions 1 and 2)");
  }
  const bool v2 = version == 2;
  uint64_t seq = LoadLe<uint64_t>(data.data() + 16);
  uint64_t count = LoadLe<uint64_t>(data.data() + 24);
  uint64_t offsets = 0;
  size_t off = 32;
  const uint32_t flags = v2 ? LoadLe<uint32_t>(data.data() + 12) : 0;
  if ((flags & ~kImagePayloadsInStore) != 0) {
    return FailedPrecondition(path + ": unknown snapshot flags " + std::to_string(flags));
  }
  if (v2) {
    if (data.size() < 64) return DataLoss(path + ": truncated snapshot header");
    offsets = LoadLe<uint64_t>(data.data() + 32);
    layout_id_ = LoadLe<uint64_t>(data.data() + 40);
    off = 48;
  }
  if (flags & kImagePayloadsInStore) {
    STRATA_ASSIGN_OR_RETURN(bool has_store, fs_.Exists(store_dir));
    if (!has_store) {
      return DataLoss(path + ": its payloads are kept in " + store_dir + ", which is missing");
    }
    STRATA_ASSIGN_OR_RETURN(std::shared_ptr<DiskPayloads> store,
                            DiskPayloads::Open(fs_, store_dir));
    segment_->UseDiskPayloads(std::move(store));
    segment_->set_payload_mode(Segment::PayloadMode::kUntouched);  // it holds these already
  } else {
    STRATA_RETURN_IF_ERROR(drop_store());
  }
  const size_t head = v2 ? 12 : 8;  // [offset u32] + version u64
  for (uint64_t n = 0; n < count; ++n) {
    if (off + 8 > data.size()) return DataLoss(path + ": truncated at point " + std::to_string(n));
    uint32_t len = LoadLe<uint32_t>(data.data() + off);
    uint32_t crc = LoadLe<uint32_t>(data.data() + off + 4);
    if (len < head || off + 8 + len > data.size() || crc != Crc32c(data.data() + off + 8, len)) {
      return DataLoss(path + ": corrupt point record at offset " + std::to_string(off));
    }
    const char* body = data.data() + off + 8;
    if (v2) {
      const uint32_t at = LoadLe<uint32_t>(body);
      if (at < segment_->offset_count() || at >= offsets) {
        return DataLoss(path + ": point record at offset " + std::to_string(off) +
                        " names segment offset " + std::to_string(at) + " out of order");
      }
      segment_->PadRetired(at - segment_->offset_count());
    }
    uint64_t point_version = LoadLe<uint64_t>(body + head - 8);
    qdrant::RetrievedPoint p;
    if (!p.ParseFromArray(body + head, static_cast<int>(len - head))) {
      return DataLoss(path + ": undecodable point record at offset " + std::to_string(off));
    }
    STRATA_ASSIGN_OR_RETURN(ExternalId id, ExternalId::FromProto(p.id(), path));
    NamedVectors vectors;
    NamedSparse sparse;
    for (const auto& [name, v] : p.vectors().vectors().vectors()) {
      if (v.has_sparse()) {
        SparseVector& row = sparse[name];
        row.indices.assign(v.sparse().indices().begin(), v.sparse().indices().end());
        row.values.assign(v.sparse().values().begin(), v.sparse().values().end());
      } else {
        vectors[name].assign(v.dense().data().begin(), v.dense().data().end());
      }
    }
    segment_->Upsert(id, point_version, vectors, p.payload(), sparse);
    off += 8 + len;
  }
  if (off + 16 != data.size() || std::memcmp(data.data() + off, kSnapEnd, 8) != 0 ||
      LoadLe<uint64_t>(data.data() + off + 8) != count) {
    return DataLoss(path + ": bad snapshot footer");
  }
  if (v2) {
    segment_->PadRetired(static_cast<uint32_t>(offsets - segment_->offset_count()));
  } else {
    // A version 1 snapshot compacted the offsets: a new layout, not on disk until the next
    // snapshot, so no saved index matches it.
    layout_id_ = NewLayoutId();
    layout_on_disk_ = false;
  }
  *applied_seq = seq;
  return Status::Ok();
}

size_t LocalShard::points_count() const {
  std::shared_lock<std::shared_mutex> data(data_mu_);
  return segment_->live_count();
}

Status LocalShard::Get(const qdrant::GetPoints& req, qdrant::GetResponse* out) const {
  std::vector<ExternalId> ids;
  for (int i = 0; i < req.ids_size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(ExternalId id,
                            ExternalId::FromProto(req.ids(i), "ids[" + std::to_string(i) + "]"));
    ids.push_back(id);
  }
  std::shared_lock<std::shared_mutex> data(data_mu_);
  for (const ExternalId& id : ids) {
    std::optional<uint32_t> off = segment_->Find(id);
    if (!off) continue;
    qdrant::RetrievedPoint* p = out->add_result();
    id.ToProto(p->mutable_id());
    SelectPayload(segment_->PayloadAt(*off), &req.with_payload(), false, p->mutable_payload());
    bool any = false;
    SelectVectors(*segment_, *off, req.has_with_vectors() ? &req.with_vectors() : nullptr,
                  p->mutable_vectors(), &any);
    if (!any) p->clear_vectors();
  }
  return Status::Ok();
}

namespace {

// A point's sort keys for order_by: every numeric value at the key (datetimes as epoch
// seconds), so a multi-valued point appears once per value, as in Qdrant.
void OrderValues(const PayloadMap& payload, const std::string& key, std::vector<double>* out) {
  std::vector<const qdrant::Value*> values;
  ValuesAt(payload, key, &values);
  for (const qdrant::Value* v : values) {
    int64_t micros = 0;
    if (v->has_integer_value()) {
      out->push_back(static_cast<double>(v->integer_value()));
    } else if (v->has_double_value()) {
      out->push_back(v->double_value());
    } else if (v->has_string_value() && ParseDateTime(v->string_value(), &micros)) {
      out->push_back(static_cast<double>(micros) / 1e6);
    }
  }
}

}  // namespace

Status LocalShard::ScrollOrdered(const qdrant::ScrollPoints& req, const qdrant::Filter* filter,
                                 qdrant::ScrollResponse* out) const {
  const qdrant::OrderBy& ob = req.order_by();
  if (ob.key().empty()) return InvalidArgument("order_by.key: must not be empty");
  const bool desc = ob.has_direction() && ob.direction() == qdrant::Desc;
  std::optional<double> start;
  if (ob.has_start_from()) {
    const auto& sf = ob.start_from();
    int64_t micros = 0;
    if (sf.has_integer()) {
      start = static_cast<double>(sf.integer());
    } else if (sf.has_float_()) {
      start = sf.float_();
    } else if (sf.has_timestamp()) {
      start = static_cast<double>(sf.timestamp().seconds()) + sf.timestamp().nanos() / 1e9;
    } else if (sf.has_datetime()) {
      if (!ParseDateTime(sf.datetime(), &micros)) {
        return InvalidArgument("order_by.start_from: '" + sf.datetime() + "' is not a date-time");
      }
      start = static_cast<double>(micros) / 1e6;
    }
  }
  const size_t limit = req.has_limit() ? req.limit() : 10;
  std::shared_lock<std::shared_mutex> data(data_mu_);
  std::vector<std::pair<double, uint32_t>> keyed;
  std::vector<double> values;
  segment_->ForEachMatch(filter, [&](uint32_t off) {
    values.clear();
    OrderValues(segment_->PayloadAt(off), ob.key(), &values);
    for (double v : values) {
      if (start && (desc ? v > *start : v < *start)) continue;
      keyed.push_back({v, off});
    }
  });
  auto by_value = [&](const std::pair<double, uint32_t>& a, const std::pair<double, uint32_t>& b) {
    if (a.first != b.first) return desc ? a.first > b.first : a.first < b.first;
    return segment_->IdAt(a.second) < segment_->IdAt(b.second);
  };
  const size_t n = std::min(limit, keyed.size());
  std::partial_sort(keyed.begin(), keyed.begin() + n, keyed.end(), by_value);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t off = keyed[i].second;
    qdrant::RetrievedPoint* p = out->add_result();
    segment_->IdAt(off).ToProto(p->mutable_id());
    SelectPayload(segment_->PayloadAt(off), &req.with_payload(), true, p->mutable_payload());
    bool any = false;
    SelectVectors(*segment_, off, req.has_with_vectors() ? &req.with_vectors() : nullptr,
                  p->mutable_vectors(), &any);
    if (!any) p->clear_vectors();
    const double v = keyed[i].first;
    if (v == std::floor(v) && std::fabs(v) < 9.0e15) {
      p->mutable_order_value()->set_int_(static_cast<int64_t>(v));
    } else {
      p->mutable_order_value()->set_float_(v);
    }
  }
  return Status::Ok();
}

Status LocalShard::Scroll(const qdrant::ScrollPoints& req, qdrant::ScrollResponse* out) const {
  if (req.has_order_by()) {
    const qdrant::Filter* f = req.has_filter() ? &req.filter() : nullptr;
    if (f) STRATA_RETURN_IF_ERROR(ValidateFilter(*f));
    if (req.has_offset()) {
      return InvalidArgument("offset: cannot be combined with order_by; use order_by.start_from");
    }
    return ScrollOrdered(req, f, out);
  }
  const qdrant::Filter* filter = req.has_filter() ? &req.filter() : nullptr;
  if (filter) STRATA_RETURN_IF_ERROR(ValidateFilter(*filter));
  std::optional<ExternalId> start;
  if (req.has_offset()) {
    STRATA_ASSIGN_OR_RETURN(start, ExternalId::FromProto(req.offset(), "offset"));
  }
  const size_t limit = req.has_limit() ? req.limit() : 10;
  std::shared_lock<std::shared_mutex> data(data_mu_);
  size_t taken = 0;
  std::vector<uint32_t> own;
  std::shared_ptr<const std::vector<uint32_t>> sorted;
  std::optional<CandidateSet> cand;
  if (filter != nullptr) cand = segment_->Candidates(*filter);
  if (cand) {
    // Few candidates: only they need ordering by id.
    own = std::move(cand->offsets);
    std::sort(own.begin(), own.end(),
              [this](uint32_t a, uint32_t b) { return segment_->IdAt(a) < segment_->IdAt(b); });
  } else {
    sorted = segment_->SortedById();  // cached: a page costs a binary search, not a sort
  }
  const std::vector<uint32_t>& order = cand ? own : *sorted;
  auto from = order.begin();
  if (start) {
    from = std::lower_bound(
        order.begin(), order.end(), *start,
        [this](uint32_t o, const ExternalId& id) { return segment_->IdAt(o) < id; });
  }
  for (auto it = from; it != order.end(); ++it) {
    const uint32_t off = *it;
    if (!segment_->Matches(filter, off)) continue;
    if (taken == limit) {
      segment_->IdAt(off).ToProto(out->mutable_next_page_offset());
      break;
    }
    qdrant::RetrievedPoint* p = out->add_result();
    segment_->IdAt(off).ToProto(p->mutable_id());
    SelectPayload(segment_->PayloadAt(off), &req.with_payload(), true, p->mutable_payload());
    bool any = false;
    SelectVectors(*segment_, off, req.has_with_vectors() ? &req.with_vectors() : nullptr,
                  p->mutable_vectors(), &any);
    if (!any) p->clear_vectors();
    ++taken;
  }
  return Status::Ok();
}

Result<uint64_t> LocalShard::Count(const qdrant::Filter* filter, bool exact) const {
  if (filter) STRATA_RETURN_IF_ERROR(ValidateFilter(*filter));
  std::shared_lock<std::shared_mutex> data(data_mu_);
  if (filter == nullptr) return static_cast<uint64_t>(segment_->live_count());
  if (!exact) return segment_->EstimateMatches(filter).exp;
  uint64_t n = 0;
  segment_->ForEachMatch(filter, [&](uint32_t) { ++n; });
  return n;
}

namespace {

// A facet value as a sortable key: kind (0 bool, 1 integer, 2 string) then the value.
struct FacetKey {
  int kind = 0;
  int64_t number = 0;
  std::string text;
  bool operator<(const FacetKey& o) const {
    if (kind != o.kind) return kind < o.kind;
    return kind == 2 ? text < o.text : number < o.number;
  }
  bool operator==(const FacetKey& o) const {
    return kind == o.kind && number == o.number && text == o.text;
  }
};

bool ToFacetKey(const qdrant::Value& v, FacetKey* key) {
  switch (v.kind_case()) {
    case qdrant::Value::kStringValue:
      *key = FacetKey{2, 0, v.string_value()};
      return true;
    case qdrant::Value::kIntegerValue:
      *key = FacetKey{1, v.integer_value(), {}};
      return true;
    case qdrant::Value::kBoolValue:
      *key = FacetKey{0, v.bool_value() ? 1 : 0, {}};
      return true;
    default:
      return false;  // floats, objects and nulls are not facet values
  }
}

}  // namespace

Status LocalShard::Facet(const qdrant::FacetCounts& req, qdrant::FacetResponse* out) const {
  if (req.key().empty()) return InvalidArgument("key: must not be empty");
  if (req.has_limit() && req.limit() == 0) return InvalidArgument("limit: must be at least 1");
  const qdrant::Filter* filter = req.has_filter() ? &req.filter() : nullptr;
  if (filter) STRATA_RETURN_IF_ERROR(ValidateFilter(*filter));
  const size_t limit = req.has_limit() ? static_cast<size_t>(req.limit()) : 10;
  std::map<FacetKey, uint64_t> counts;
  {
    std::shared_lock<std::shared_mutex> data(data_mu_);
    std::vector<const qdrant::Value*> values;
    std::vector<FacetKey> keys;
    segment_->ForEachPayload(filter, [&](uint32_t, const PayloadMap& payload) {
      values.clear();
      ValuesAt(payload, req.key(), &values);
      keys.clear();
      for (const qdrant::Value* v : values) {
        FacetKey k;
        if (ToFacetKey(*v, &k)) keys.push_back(std::move(k));
      }
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      for (auto& k : keys) ++counts[k];
    });
  }
  std::vector<std::pair<FacetKey, uint64_t>> hits(counts.begin(), counts.end());
  std::stable_sort(hits.begin(), hits.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (hits.size() > limit) hits.resize(limit);
  for (const auto& [key, count] : hits) {
    qdrant::FacetHit* h = out->add_hits();
    h->set_count(count);
    if (key.kind == 2) {
      h->mutable_value()->set_string_value(key.text);
    } else if (key.kind == 1) {
      h->mutable_value()->set_integer_value(key.number);
    } else {
      h->mutable_value()->set_bool_value(key.number != 0);
    }
  }
  return Status::Ok();
}

Result<std::vector<float>> LocalShard::VectorOf(const ExternalId& id,
                                                const std::string& name) const {
  std::shared_lock<std::shared_mutex> data(data_mu_);
  std::optional<uint32_t> off = segment_->Find(id);
  if (!off) return NotFound("point " + id.ToString() + " not found");
  const float* v = segment_->VectorAt(name, *off);
  if (v == nullptr) {
    return InvalidArgument("point " + id.ToString() + " has no vector " +
                           (name.empty() ? std::string("(default)") : "'" + name + "'"));
  }
  const VectorSpec* spec = segment_->Spec(name);
  return std::vector<float>(v, v + spec->dim);
}

Result<SparseVector> LocalShard::SparseVectorOf(const ExternalId& id,
                                                const std::string& name) const {
  std::shared_lock<std::shared_mutex> data(data_mu_);
  std::optional<uint32_t> off = segment_->Find(id);
  if (!off) return NotFound("point " + id.ToString() + " not found");
  const SparseVector* v = segment_->SparseAt(name, *off);
  if (v == nullptr) {
    return InvalidArgument("point " + id.ToString() + " has no sparse vector '" + name + "'");
  }
  return *v;
}

Result<std::vector<qdrant::ScoredPoint>> LocalShard::Search(const SearchSpec& spec) const {
  if (spec.sparse_query) {
    if (FindSparseSpec(options_.sparse, spec.vector_name) == nullptr) {
      return InvalidArgument("using: '" + spec.vector_name +
                             "' is not a sparse vector of this collection");
    }
    if (spec.filter) STRATA_RETURN_IF_ERROR(ValidateFilter(*spec.filter));
    std::shared_lock<std::shared_mutex> data(data_mu_);
    const size_t want = spec.limit + spec.offset + spec.exclude.size();
    std::vector<ScoredOffset> hits =
        segment_->SearchSparse(spec.vector_name, *spec.sparse_query, want, spec.filter);
    return ScoredPoints(
        hits, spec, [](float s) { return s; }, true);
  }
  STRATA_ASSIGN_OR_RETURN(const VectorSpec* vs, FindSpec(specs_, spec.vector_name, "using"));
  if (!spec.custom_score && spec.query.size() != vs->dim) {
    return InvalidArgument("query: wrong vector dimension: expected " + std::to_string(vs->dim) +
                           ", got " + std::to_string(spec.query.size()));
  }
  if (spec.filter) STRATA_RETURN_IF_ERROR(ValidateFilter(*spec.filter));
  std::shared_lock<std::shared_mutex> data(data_mu_);
  const size_t want = spec.limit + spec.offset + spec.exclude.size();
  std::vector<ScoredOffset> hits;
  auto indexed = indexes_.find(spec.vector_name);
  const bool use_index = !spec.exact && indexed != indexes_.end();
  // indexed_only: offsets past the index (all of them without one) are searched only while
  // they are few (below the indexing threshold), as Qdrant searches small unindexed segments.
  uint32_t end = UINT32_MAX;
  if (spec.indexed_only && !spec.exact && indexing_threshold_kb_.load() > 0) {
    const uint32_t covered = indexed == indexes_.end() ? 0 : indexed->second->n;
    const uint64_t tail = segment_->offset_count() - std::min(segment_->offset_count(), covered);
    if (tail > indexing_threshold_kb_.load() * 1024 / (uint64_t{vs->dim} * sizeof(float))) {
      end = covered;
    }
  }
  // Payload indexes (and has_id) bound the points a filter can match.
  std::optional<CandidateSet> cand;
  if (spec.filter != nullptr) cand = segment_->Candidates(*spec.filter);
  const uint64_t full_scan_points =
      full_scan_threshold_kb_.load() * 1024 / (uint64_t{vs->dim} * sizeof(float));
  if (spec.custom_score) {
    hits = segment_->SearchCustom(spec.vector_name, want, spec.filter, spec.custom_score);
  } else if (cand && (!use_index || cand->size() < full_scan_points)) {
    hits = segment_->SearchOffsets(spec.vector_name, spec.query.data(), want, *cand, spec.filter, 0,
                                   end);
  } else if (use_index) {
    // Indexed offsets through the planner, the rest exactly; one merged top list.
    const VectorIndex& index = *indexed->second;
    uint32_t graph_n = index.n;
    hits = IndexedSearch(index, *vs, spec, want, cand ? &*cand : nullptr, &graph_n);
    std::vector<ScoredOffset> tail;
    if (end <= graph_n) {
      // indexed_only: the large unindexed tail is left out.
    } else if (cand) {
      tail = segment_->SearchOffsets(spec.vector_name, spec.query.data(), want, *cand, spec.filter,
                                     graph_n, end);
    } else {
      tail = segment_->Search(spec.vector_name, spec.query.data(), want, spec.filter, graph_n, end);
    }
    hits.insert(hits.end(), tail.begin(), tail.end());
    std::sort(hits.begin(), hits.end(),
              [](const ScoredOffset& a, const ScoredOffset& b) { return a.score > b.score; });
    if (hits.size() > want) hits.resize(want);
  } else {
    hits = segment_->Search(spec.vector_name, spec.query.data(), want, spec.filter, 0, end);
  }
  const bool custom = static_cast<bool>(spec.custom_score);
  const Metric metric = vs->metric;
  return ScoredPoints(
      hits, spec, [custom, metric](float s) { return custom ? s : ToApiScore(metric, s); },
      custom || HigherIsBetter(metric));
}

std::vector<qdrant::ScoredPoint> LocalShard::ScoredPoints(
    const std::vector<ScoredOffset>& hits, const SearchSpec& spec,
    const std::function<float(float)>& api_score, bool higher_is_better) const {
  std::vector<qdrant::ScoredPoint> out;
  size_t skipped = 0;
  for (const ScoredOffset& h : hits) {
    if (std::find(spec.exclude.begin(), spec.exclude.end(), segment_->IdAt(h.offset)) !=
        spec.exclude.end()) {
      continue;
    }
    const float api = api_score(h.score);
    if (spec.score_threshold) {
      const bool pass =
          higher_is_better ? api >= *spec.score_threshold : api <= *spec.score_threshold;
      if (!pass) break;  // hits are sorted, the rest are worse
    }
    if (skipped < spec.offset) {
      ++skipped;
      continue;
    }
    if (out.size() == spec.limit) break;
    qdrant::ScoredPoint p;
    segment_->IdAt(h.offset).ToProto(p.mutable_id());
    p.set_score(api);
    p.set_version(segment_->VersionAt(h.offset));
    SelectPayload(segment_->PayloadAt(h.offset), spec.with_payload, false, p.mutable_payload());
    bool any = false;
    SelectVectors(*segment_, h.offset, spec.with_vectors, p.mutable_vectors(), &any);
    if (!any) p.clear_vectors();
    out.push_back(std::move(p));
  }
  return out;
}

void LocalShard::SetFieldIndexes(const std::map<std::string, FieldIndexSpec>& fields) {
  std::unique_lock<std::shared_mutex> data(data_mu_);
  for (const auto& [path, spec] : segment_->field_indexes()) {
    if (fields.count(path) == 0) segment_->DropFieldIndex(path);
  }
  for (const auto& [path, spec] : fields) segment_->SetFieldIndex(path, spec);
}

void LocalShard::SetIndexParams(const std::map<std::string, std::string>& params) {
  std::unique_lock<std::shared_mutex> data(data_mu_);
  if (options_.index_params == params) return;
  options_.index_params = params;
  ++index_generation_;
  indexes_.clear();
}

void LocalShard::SetSparseSpecs(const std::vector<SparseSpec>& specs) {
  // The segment holds the modifier (a vacuum's copy takes it from there); options_.sparse only
  // names the sparse vectors and never changes, so readers need no lock for it.
  std::unique_lock<std::shared_mutex> data(data_mu_);
  for (const SparseSpec& spec : specs) segment_->SetSparseIdf(spec.name, spec.idf);
}

uint64_t LocalShard::Vacuum() {
  // Phase 1, writes and searches going on: copy the live points chunk by chunk, each chunk under
  // the shared lock; every write from the start on is also recorded for phase 2.
  {
    std::lock_guard<std::mutex> writes(write_mu_);
    if (dropped_ || vacuum_log_) return 0;
    vacuum_log_.emplace();
  }
  std::unique_ptr<Segment> fresh;
  {
    std::shared_lock<std::shared_mutex> data(data_mu_);
    fresh = std::make_unique<Segment>(specs_, segment_->sparse_specs());
    if (segment_->disk_payloads() != nullptr) {
      // The copy shares the store, which already holds every payload and every write the
      // copy replays; its payload index is rebuilt at the swap.
      fresh->UseDiskPayloads(segment_->disk_payloads());
      fresh->set_payload_mode(Segment::PayloadMode::kUntouched);
    }
    for (const auto& [path, spec] : segment_->field_indexes()) fresh->SetFieldIndex(path, spec);
  }
  NamedVectors vectors;
  NamedSparse sparse;
  constexpr uint32_t kChunk = 4096;
  for (uint32_t begin = 0;; begin += kChunk) {
    std::shared_lock<std::shared_mutex> data(data_mu_);
    const Segment& old = *segment_;
    const uint32_t end = std::min(old.offset_count(), begin + kChunk);
    if (begin >= end) break;
    for (uint32_t o = begin; o < end; ++o) {
      if (!old.IsLive(o)) continue;
      vectors.clear();
      sparse.clear();
      for (const VectorSpec& spec : specs_) {
        const float* v = old.VectorAt(spec.name, o);
        if (v != nullptr) vectors[spec.name].assign(v, v + spec.dim);
      }
      for (const SparseSpec& spec : options_.sparse) {
        const SparseVector* v = old.SparseAt(spec.name, o);
        if (v != nullptr) sparse[spec.name] = *v;
      }
      // On disk the copy leaves payloads where they are (it shares the store).
      const PayloadRef payload = fresh->disk_payloads() ? PayloadRef() : old.PayloadAt(o);
      fresh->Upsert(old.IdAt(o), old.VersionAt(o), vectors, *payload, sparse);
    }
  }
  // Phase 2, writes waiting: the writes made during the copy are applied to it in order (the
  // point versions make a change the copy already holds a no-op), then the copy replaces the
  // segment. No acknowledged write is lost, and searches saw the old segment until now.
  std::lock_guard<std::mutex> writes(write_mu_);
  std::vector<VacuumRecord> log = std::move(*vacuum_log_);
  vacuum_log_.reset();
  if (dropped_) return 0;
  if (fresh->disk_payloads() != segment_->disk_payloads()) {
    return 0;  // the payloads moved (SetPayloadOnDisk) during the copy: it is stale
  }
  for (const auto& [seq, method, request] : log) {
    Result<Apply> apply = Prepare(method, request);
    if (!apply.ok()) {  // it was accepted once against the same configuration
      LogWarn("shard", dir_ + ": vacuum: write " + std::to_string(seq) +
                           " no longer prepares: " + apply.status().message());
      continue;
    }
    (*apply)(*fresh, seq);
  }
  std::unique_lock<std::shared_mutex> data(data_mu_);
  const Segment& old = *segment_;
  if (fresh->disk_payloads() != nullptr) {
    fresh->set_payload_mode(Segment::PayloadMode::kNormal);
    fresh->RebuildPayloadIndex();
  }
  // Payload indexes declared or dropped meanwhile.
  const auto wanted = old.field_indexes();
  for (const auto& [path, spec] : fresh->field_indexes()) {
    if (wanted.count(path) == 0) fresh->DropFieldIndex(path);
  }
  for (const auto& [path, spec] : wanted) fresh->SetFieldIndex(path, spec);
  const uint64_t reclaimed =
      old.offset_count() > fresh->offset_count() ? old.offset_count() - fresh->offset_count() : 0;
  // The indexes point into the old segment's vectors: drop them before it goes.
  indexes_.clear();
  ++index_generation_;
  segment_ = std::move(fresh);
  // New offsets: a new layout, made durable by a snapshot before any index is saved for it.
  layout_id_ = NewLayoutId();
  layout_on_disk_ = false;
  data.unlock();
  Status s = SnapshotLocked();
  if (!s.ok()) {
    LogWarn("shard", dir_ + ": snapshot after vacuum failed (indexes are not saved until one " +
                         "succeeds): " + s.message());
  }
  // Saved indexes describe the old offsets: no longer loadable, so free their space.
  const std::string saved = sdk::JoinPath(dir_, "index");
  std::lock_guard<std::mutex> files_lock(index_files_mu_);
  Result<bool> has_saved = fs_.Exists(saved);
  if (has_saved.ok() && *has_saved) {
    Status removed = fs_.Remove(saved, true);
    if (!removed.ok()) LogWarn("shard", saved + ": not removed: " + removed.message());
  }
  {
    std::lock_guard<std::mutex> lock(manifest_mu_);
    saved_index_plugins_.clear();
  }
  SaveManifest();
  return reclaimed;
}

uint32_t LocalShard::offset_count() const {
  std::shared_lock<std::shared_mutex> data(data_mu_);
  return segment_->offset_count();
}

uint64_t LocalShard::PointsIndexed(const std::string& field) const {
  std::shared_lock<std::shared_mutex> data(data_mu_);
  return segment_->PointsIndexed(field);
}

Result<std::vector<ExternalId>> LocalShard::Sample(const qdrant::Filter* filter, size_t n) const {
  if (filter) STRATA_RETURN_IF_ERROR(ValidateFilter(*filter));
  std::vector<ExternalId> picked;
  std::mt19937_64 rng(std::random_device{}());
  uint64_t seen = 0;
  std::shared_lock<std::shared_mutex> data(data_mu_);
  segment_->ForEachMatch(filter, [&](uint32_t o) {
    ++seen;
    if (picked.size() < n) {
      picked.push_back(segment_->IdAt(o));
    } else {
      const uint64_t slot = std::uniform_int_distribution<uint64_t>(0, seen - 1)(rng);
      if (slot < n) picked[slot] = segment_->IdAt(o);
    }
  });
  std::shuffle(picked.begin(), picked.end(), rng);
  return picked;
}

}  // namespace strata::kernel
