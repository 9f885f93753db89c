// collection.meta (little-endian): magic "STRCOLL1" (8), format version u32 = 1, CRC-32C u32 of
// the body, body = serialized qdrant.CollectionInfo holding `config` and `payload_schema`.
// Written with atomic_save; an unknown version is refused.
#include "collection/collection.h"

#include <cmath>
#include <cstring>

#include "common/crc32c.h"

namespace strata::kernel {
namespace {

constexpr char kMetaMagic[8] = {'S', 'T', 'R', 'C', 'O', 'L', 'L', '1'};
constexpr uint32_t kMetaVersion = 1;
constexpr const char* kMetaFile = "collection.meta";

Status ValidateVectorParams(const qdrant::VectorParams& p, const std::string& field) {
  if (p.size() == 0 || p.size() > 65536) {
    return InvalidArgument(field + ".size: must be between 1 and 65536, got " +
                           std::to_string(p.size()));
  }
  if (p.distance() == qdrant::UnknownDistance || !qdrant::Distance_IsValid(p.distance())) {
    return InvalidArgument(field + ".distance: must be Cosine, Euclid, Dot or Manhattan");
  }
  if (p.has_multivector_config()) {
    return InvalidArgument(field + ".multivector_config: multi-vectors are not supported yet");
  }
  if (p.has_datatype() && p.datatype() == qdrant::Turbo4) {
    return InvalidArgument(field + ".datatype: turbo4 is not supported yet");
  }
  return Status::Ok();
}

Metric MetricOf(qdrant::Distance d) {
  switch (d) {
    case qdrant::Euclid:
      return Metric::kEuclid;
    case qdrant::Dot:
      return Metric::kDot;
    case qdrant::Manhattan:
      return Metric::kManhattan;
    default:
      return Metric::kCosine;
  }
}

}  // namespace

Status ValidateCollectionName(const std::string& name, const std::string& field) {
  if (name.empty() || name.size() > 255) {
    return InvalidArgument(field + ": collection name must be 1 to 255 characters long");
  }
  if (name == "." || name == "..") return InvalidArgument(field + ": '" + name + "' is reserved");
  for (char c : name) {
    if (std::strchr("<>:\"/\\|?*", c) != nullptr || c == '\0' ||
        static_cast<unsigned char>(c) < 0x20) {
      return InvalidArgument(field + ": collection name '" + name +
                             "' must not contain < > : \" / \\ | ? * or control characters");
    }
  }
  return Status::Ok();
}

namespace {

// Qdrant's bounds on quantization settings, with the field named.
Status ValidateQuantization(const qdrant::QuantizationConfig& q, const std::string& field) {
  if (q.has_scalar()) {
    const qdrant::ScalarQuantization& sq = q.scalar();
    if (sq.type() != qdrant::Int8) {
      return InvalidArgument(field + ".scalar.type: only int8 is supported");
    }
    if (sq.has_quantile() && !(sq.quantile() >= 0.5f && sq.quantile() <= 1.0f)) {
      return InvalidArgument(field + ".scalar.quantile: must be within [0.5, 1], got " +
                             std::to_string(sq.quantile()));
    }
  }
  return Status::Ok();
}

// Where payloads live: `payload.memory` when set (cold = on disk, cached = in memory; pinned is
// refused), else the deprecated `on_disk_payload` (default true, as in Qdrant).
Status PayloadPlacement(const qdrant::PayloadStorageParams& p, bool* on_disk) {
  switch (p.memory()) {
    case qdrant::MemoryUnknown:
      return Status::Ok();
    case qdrant::Cold:
      *on_disk = true;
      return Status::Ok();
    case qdrant::Cached:
      *on_disk = false;
      return Status::Ok();
    default:
      return InvalidArgument(
          "payload.memory: pinned is not supported for payload storage; use "
          "cold (on disk) or cached (in memory)");
  }
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
// Both spellings echo the placement.
void SetPayloadPlacement(bool on_disk, qdrant::CollectionParams* params) {
  params->set_on_disk_payload(on_disk);
  params->mutable_payload()->set_memory(on_disk ? qdrant::Cold : qdrant::Cached);
}

bool DeprecatedOnDisk(const qdrant::HnswConfigDiff& hnsw) { return hnsw.on_disk(); }

bool PayloadOnDisk(const qdrant::CollectionConfig& config) {
  const qdrant::CollectionParams& p = config.params();
  if (p.has_payload() && p.payload().memory() != qdrant::MemoryUnknown) {
    return p.payload().memory() == qdrant::Cold;
  }
  return p.on_disk_payload();
}
#pragma GCC diagnostic pop

}  // namespace

Result<qdrant::CollectionConfig> ConfigFromCreate(const qdrant::CreateCollection& req) {
  STRATA_RETURN_IF_ERROR(ValidateCollectionName(req.collection_name(), "collection_name"));
  qdrant::CollectionConfig c;
  auto* params = c.mutable_params();
  if (req.has_sparse_vectors_config()) {
    const auto& dense = req.vectors_config().params_map().map();
    for (const auto& [name, p] : req.sparse_vectors_config().map()) {
      const std::string field = "sparse_vectors_config." + name;
      if (name.empty()) return InvalidArgument("sparse_vectors_config: a name must not be empty");
      if (dense.count(name) > 0) {
        return InvalidArgument(field + ": the name is also a dense vector's");
      }
      if (p.has_modifier() && p.modifier() != qdrant::None && p.modifier() != qdrant::Idf) {
        return InvalidArgument(field + ".modifier: none or idf");
      }
    }
    *params->mutable_sparse_vectors_config() = req.sparse_vectors_config();
  }
  params->set_shard_number(req.has_shard_number() ? req.shard_number() : 1);
  if (req.has_shard_number() && req.shard_number() == 0) {
    return InvalidArgument("shard_number: must be at least 1");
  }
  params->set_replication_factor(req.has_replication_factor() ? req.replication_factor() : 1);
  params->set_write_consistency_factor(
      req.has_write_consistency_factor() ? req.write_consistency_factor() : 1);
  {
    bool on_disk = req.has_on_disk_payload() ? req.on_disk_payload() : true;
    if (req.has_payload()) STRATA_RETURN_IF_ERROR(PayloadPlacement(req.payload(), &on_disk));
    SetPayloadPlacement(on_disk, params);
  }
  if (req.has_sharding_method()) params->set_sharding_method(req.sharding_method());
  if (req.has_vectors_config()) {
    const auto& vc = req.vectors_config();
    if (vc.has_params()) {
      STRATA_RETURN_IF_ERROR(ValidateVectorParams(vc.params(), "vectors_config"));
    } else if (vc.has_params_map()) {
      for (const auto& [name, p] : vc.params_map().map()) {
        if (name.empty()) return InvalidArgument("vectors_config: a vector name must not be empty");
        STRATA_RETURN_IF_ERROR(ValidateVectorParams(p, "vectors_config." + name));
      }
    }
    *params->mutable_vectors_config() = vc;
  }
  auto* hnsw = c.mutable_hnsw_config();
  hnsw->set_m(16);
  hnsw->set_ef_construct(100);
  hnsw->set_full_scan_threshold(10000);
  hnsw->set_max_indexing_threads(0);
  hnsw->set_on_disk(false);
  if (req.has_hnsw_config()) hnsw->MergeFrom(req.hnsw_config());
  if (hnsw->ef_construct() < 4) return InvalidArgument("hnsw_config.ef_construct: must be >= 4");
  auto* opt = c.mutable_optimizer_config();
  opt->set_deleted_threshold(0.2);
  opt->set_vacuum_min_vector_number(1000);
  opt->set_default_segment_number(0);
  opt->set_indexing_threshold(10000);
  opt->set_flush_interval_sec(5);
  if (req.has_optimizers_config()) opt->MergeFrom(req.optimizers_config());
  if (opt->deleted_threshold() < 0 || opt->deleted_threshold() > 1) {
    return InvalidArgument("optimizers_config.deleted_threshold: must be within [0, 1]");
  }
  auto* wal = c.mutable_wal_config();
  wal->set_wal_capacity_mb(32);
  wal->set_wal_segments_ahead(0);
  wal->set_wal_retain_closed(1);
  if (req.has_wal_config()) wal->MergeFrom(req.wal_config());
  if (wal->wal_capacity_mb() < 1)
    return InvalidArgument("wal_config.wal_capacity_mb: must be >= 1");
  if (req.has_quantization_config()) {
    STRATA_RETURN_IF_ERROR(ValidateQuantization(req.quantization_config(), "quantization_config"));
    *c.mutable_quantization_config() = req.quantization_config();
  }
  if (req.has_strict_mode_config()) *c.mutable_strict_mode_config() = req.strict_mode_config();
  *c.mutable_metadata() = req.metadata();
  return c;
}

Result<std::vector<VectorSpec>> SpecsOf(const qdrant::CollectionConfig& config) {
  std::vector<VectorSpec> specs;
  const auto& vc = config.params().vectors_config();
  if (vc.has_params()) {
    specs.push_back(
        {"", static_cast<uint32_t>(vc.params().size()), MetricOf(vc.params().distance())});
  } else if (vc.has_params_map()) {
    for (const auto& [name, p] : vc.params_map().map()) {
      specs.push_back({name, static_cast<uint32_t>(p.size()), MetricOf(p.distance())});
    }
    std::sort(specs.begin(), specs.end(),
              [](const VectorSpec& a, const VectorSpec& b) { return a.name < b.name; });
  }
  return specs;
}

namespace {

bool ParamsFitType(qdrant::PayloadSchemaType type, const qdrant::PayloadIndexParams& p) {
  switch (p.index_params_case()) {
    case qdrant::PayloadIndexParams::kKeywordIndexParams:
      return type == qdrant::Keyword;
    case qdrant::PayloadIndexParams::kIntegerIndexParams:
      return type == qdrant::Integer;
    case qdrant::PayloadIndexParams::kFloatIndexParams:
      return type == qdrant::Float;
    case qdrant::PayloadIndexParams::kGeoIndexParams:
      return type == qdrant::Geo;
    case qdrant::PayloadIndexParams::kTextIndexParams:
      return type == qdrant::Text;
    case qdrant::PayloadIndexParams::kBoolIndexParams:
      return type == qdrant::Bool;
    case qdrant::PayloadIndexParams::kDatetimeIndexParams:
      return type == qdrant::Datetime;
    case qdrant::PayloadIndexParams::kUuidIndexParams:
      return type == qdrant::Uuid;
    default:
      return false;
  }
}

// The segment's index spec of a payload schema entry.
Result<FieldIndexSpec> FieldSpecOf(qdrant::PayloadSchemaType type,
                                   const qdrant::PayloadIndexParams* params) {
  FieldIndexSpec spec;
  switch (type) {
    case qdrant::Keyword:
      spec.kind = FieldKind::kKeyword;
      break;
    case qdrant::Integer:
      spec.kind = FieldKind::kInteger;
      if (params != nullptr && params->has_integer_index_params()) {
        const auto& ip = params->integer_index_params();
        spec.lookup = !ip.has_lookup() || ip.lookup();
        spec.range = !ip.has_range() || ip.range();
        if (!spec.lookup && !spec.range) {
          return InvalidArgument(
              "field_index_params.integer_index_params: lookup and range cannot both be false");
        }
      }
      break;
    case qdrant::Float:
      spec.kind = FieldKind::kFloat;
      break;
    case qdrant::Geo:
      spec.kind = FieldKind::kGeo;
      break;
    case qdrant::Text:
      spec.kind = FieldKind::kText;
      break;
    case qdrant::Bool:
      spec.kind = FieldKind::kBool;
      break;
    case qdrant::Datetime:
      spec.kind = FieldKind::kDatetime;
      break;
    case qdrant::Uuid:
      spec.kind = FieldKind::kUuid;
      break;
    default:
      return InvalidArgument("field_type: unknown payload index type");
  }
  return spec;
}

// The index plugin's parameters: hnsw_config, and scalar (int8 codes) or binary quantization.
std::map<std::string, std::string> IndexParamsOf(const qdrant::CollectionConfig& config) {
  std::map<std::string, std::string> p;
  p["m"] = std::to_string(config.hnsw_config().m());
  p["ef_construct"] = std::to_string(config.hnsw_config().ef_construct());
  // Only when set, so indexes saved before it existed still match their parameters.
  if (config.hnsw_config().max_indexing_threads() > 0) {
    p["max_indexing_threads"] = std::to_string(config.hnsw_config().max_indexing_threads());
  }
  // The graph searched from its saved file (memory cold, or the deprecated on_disk): only when
  // set, so indexes saved before it existed still match their parameters.
  const qdrant::HnswConfigDiff& hnsw = config.hnsw_config();
  const bool graph_on_disk = hnsw.has_memory() && hnsw.memory() != qdrant::MemoryUnknown
                                 ? hnsw.memory() == qdrant::Cold
                                 : DeprecatedOnDisk(hnsw);
  if (graph_on_disk) p["on_disk"] = "1";
  // Payload-aware links per indexed value (the kernel reads it; unset = m, as in Qdrant).
  if (config.hnsw_config().has_payload_m()) {
    p["payload_m"] = std::to_string(config.hnsw_config().payload_m());
  }
  if (config.has_quantization_config() && config.quantization_config().has_scalar()) {
    const qdrant::ScalarQuantization& sq = config.quantization_config().scalar();
    p["quantization"] = "int8";
    if (sq.has_quantile()) p["quantile"] = std::to_string(sq.quantile());
  } else if (config.has_quantization_config() && config.quantization_config().has_binary()) {
    const qdrant::BinaryQuantization& bq = config.quantization_config().binary();
    p["quantization"] = "binary";
    // Only when not the default, so indexes saved before these existed still match.
    // one_and_half_bits is stored as two bits per dimension (the closest encoding we have).
    if (bq.has_encoding() && bq.encoding() != qdrant::OneBit) p["binary_bits"] = "2";
    if (bq.has_query_encoding() &&
        (bq.query_encoding().setting() == qdrant::BinaryQuantizationQueryEncoding::Scalar8Bits ||
         bq.query_encoding().setting() == qdrant::BinaryQuantizationQueryEncoding::Scalar4Bits)) {
      p["binary_query"] = "scalar";
    }
  }
  return p;
}

// The collection's sparse vectors (name, idf modifier).
std::vector<SparseSpec> SparseSpecsOf(const qdrant::CollectionConfig& config) {
  std::vector<SparseSpec> specs;
  for (const auto& [name, p] : config.params().sparse_vectors_config().map()) {
    specs.push_back({name, p.has_modifier() && p.modifier() == qdrant::Idf});
  }
  return specs;
}

// The optimizer's thresholds from the collection's configuration (also applied by PATCH).
LocalShard::Tunables TunablesOf(const qdrant::CollectionConfig& config) {
  const qdrant::OptimizersConfigDiff& o = config.optimizer_config();
  LocalShard::Tunables t;
  t.indexing_threshold_kb = config.hnsw_config().m() == 0 ? 0 : o.indexing_threshold();  // no graph
  t.full_scan_threshold_kb = config.hnsw_config().full_scan_threshold();
  t.vacuum_min_vector_number = o.vacuum_min_vector_number();
  t.deleted_threshold = o.deleted_threshold();
  // Qdrant: max_optimization_threads 0 disables optimizations; auto or any other count runs
  // them (one job at a time per shard here).
  t.optimizations_enabled =
      !(o.has_max_optimization_threads() && o.max_optimization_threads().has_value() &&
        o.max_optimization_threads().value() == 0);
  return t;
}

// The shard's index settings from the collection's configuration.
void IndexOptionsFrom(const qdrant::CollectionConfig& config, ShardOptions* options) {
  options->wal.segment_capacity = config.wal_config().wal_capacity_mb() << 20;
  options->index_params = IndexParamsOf(config);
  const LocalShard::Tunables t = TunablesOf(config);
  options->indexing_threshold_kb = t.indexing_threshold_kb;
  options->full_scan_threshold_kb = t.full_scan_threshold_kb;
  options->vacuum_min_vector_number = t.vacuum_min_vector_number;
  options->deleted_threshold = t.deleted_threshold;
  options->optimizations_enabled = t.optimizations_enabled;
  options->sparse = SparseSpecsOf(config);
  options->payload_on_disk = PayloadOnDisk(config);
}

}  // namespace

Result<std::unique_ptr<Collection>> Collection::Create(FileSystem fs, std::string dir,
                                                       std::string name,
                                                       const qdrant::CollectionConfig& config,
                                                       ShardOptions options) {
  std::unique_ptr<Collection> c(new Collection(fs, std::move(dir), std::move(name)));
  *c->meta_.mutable_config() = config;
  STRATA_RETURN_IF_ERROR(fs.MakeDirs(c->dir_));
  {
    std::lock_guard<std::mutex> lock(c->mu_);
    STRATA_RETURN_IF_ERROR(c->SaveMeta());
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<VectorSpec> specs, SpecsOf(config));
  IndexOptionsFrom(config, &options);
  STRATA_ASSIGN_OR_RETURN(c->shard_,
                          LocalShard::Open(fs, sdk::JoinPath(c->dir_, "0"), specs, options));
  return c;
}

Result<std::unique_ptr<Collection>> Collection::Open(FileSystem fs, std::string dir,
                                                     std::string name, ShardOptions options) {
  std::unique_ptr<Collection> c(new Collection(fs, std::move(dir), std::move(name)));
  STRATA_RETURN_IF_ERROR(c->LoadMeta());
  STRATA_ASSIGN_OR_RETURN(std::vector<VectorSpec> specs, SpecsOf(c->meta_.config()));
  IndexOptionsFrom(c->meta_.config(), &options);
  STRATA_ASSIGN_OR_RETURN(c->shard_,
                          LocalShard::Open(fs, sdk::JoinPath(c->dir_, "0"), specs, options));
  c->ApplyFieldIndexes();  // payload indexes are rebuilt from the recovered points
  return c;
}

void Collection::Drop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped_ = true;
  }
  shard_->Drop();
}

std::string Collection::EncodeMetaLocked() const {
  qdrant::CollectionInfo persisted;
  *persisted.mutable_config() = meta_.config();
  *persisted.mutable_payload_schema() = meta_.payload_schema();
  std::string body = persisted.SerializeAsString();
  std::string file(kMetaMagic, 8);
  uint32_t version = kMetaVersion, crc = Crc32c(body.data(), body.size());
  file.append(reinterpret_cast<const char*>(&version), 4);
  file.append(reinterpret_cast<const char*>(&crc), 4);
  file += body;
  return file;
}

std::string Collection::EncodeMeta() const {
  std::lock_guard<std::mutex> lock(mu_);
  return EncodeMetaLocked();
}

Status Collection::SaveMeta() const {
  if (dropped_) return NotFound("collection " + name_ + " was deleted");
  return fs_.AtomicSave(sdk::JoinPath(dir_, kMetaFile), EncodeMetaLocked());
}

Result<qdrant::CollectionInfo> Collection::DecodeMeta(const std::string& file,
                                                      const std::string& what) {
  if (file.size() < 16 || std::memcmp(file.data(), kMetaMagic, 8) != 0) {
    return DataLoss(what + ": not a collection metadata file");
  }
  uint32_t version = 0, crc = 0;
  std::memcpy(&version, file.data() + 8, 4);
  std::memcpy(&crc, file.data() + 12, 4);
  if (version != kMetaVersion) {
    return FailedPrecondition(what + ": format version " + std::to_string(version) +
                              " is not supported (this build reads version 1)");
  }
  qdrant::CollectionInfo meta;
  if (crc != Crc32c(file.data() + 16, file.size() - 16) ||
      !meta.ParseFromArray(file.data() + 16, static_cast<int>(file.size() - 16))) {
    return DataLoss(what + ": checksum mismatch or undecodable content");
  }
  STRATA_RETURN_IF_ERROR(SpecsOf(meta.config()).status().WithContext(what));
  return meta;
}

Status Collection::LoadMeta() {
  const std::string path = sdk::JoinPath(dir_, kMetaFile);
  STRATA_ASSIGN_OR_RETURN(std::string file, fs_.ReadAll(path));
  STRATA_ASSIGN_OR_RETURN(meta_, DecodeMeta(file, path));
  return Status::Ok();
}

void Collection::Info(qdrant::CollectionInfo* out) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    *out = meta_;
  }
  const LocalShard::OptimizerState opt = shard_->optimizer_state();
  out->set_status(!opt.error.empty() ? qdrant::Red : opt.busy ? qdrant::Yellow : qdrant::Green);
  out->mutable_optimizer_status()->set_ok(opt.error.empty());
  if (!opt.error.empty()) out->mutable_optimizer_status()->set_error(opt.error);
  out->set_segments_count(1);
  out->set_points_count(shard_->points_count());
  out->set_indexed_vectors_count(shard_->indexed_count());
  for (auto& [field, schema] : *out->mutable_payload_schema()) {
    schema.set_points(shard_->PointsIndexed(field));
  }
}

bool Collection::StrictModeEnabled() const {
  std::lock_guard<std::mutex> lock(mu_);
  const qdrant::CollectionConfig& c = meta_.config();
  return c.has_strict_mode_config() && c.strict_mode_config().enabled();
}

bool Collection::StrictMode(qdrant::StrictModeConfig* strict,
                            std::set<std::string>* indexed) const {
  std::lock_guard<std::mutex> lock(mu_);
  const qdrant::CollectionConfig& c = meta_.config();
  if (!c.has_strict_mode_config() || !c.strict_mode_config().enabled()) return false;
  *strict = c.strict_mode_config();
  for (const auto& [field, info] : meta_.payload_schema()) indexed->insert(field);
  return true;
}

Status Collection::Update(const qdrant::UpdateCollection& req) {
  std::lock_guard<std::mutex> lock(mu_);
  qdrant::CollectionInfo before = meta_;
  auto* c = meta_.mutable_config();
  if (req.has_optimizers_config())
    c->mutable_optimizer_config()->MergeFrom(req.optimizers_config());
  if (req.has_hnsw_config()) c->mutable_hnsw_config()->MergeFrom(req.hnsw_config());
  if (req.has_params()) {
    const auto& p = req.params();
    if (p.has_replication_factor())
      c->mutable_params()->set_replication_factor(p.replication_factor());
    if (p.has_write_consistency_factor()) {
      c->mutable_params()->set_write_consistency_factor(p.write_consistency_factor());
    }
    bool on_disk = PayloadOnDisk(*c);
    if (p.has_on_disk_payload()) on_disk = p.on_disk_payload();
    if (p.has_payload()) {
      Status placed = PayloadPlacement(p.payload(), &on_disk);
      if (!placed.ok()) {
        meta_ = before;
        return placed.WithContext("params");
      }
    }
    SetPayloadPlacement(on_disk, c->mutable_params());
  }
  // A diff: the limits it names change, the others stay.
  if (req.has_strict_mode_config()) {
    c->mutable_strict_mode_config()->MergeFrom(req.strict_mode_config());
  }
  for (const auto& [k, v] : req.metadata()) (*c->mutable_metadata())[k] = v;
  if (req.has_vectors_config()) {
    meta_ = before;
    return InvalidArgument("vectors_config: changing vector parameters is not supported yet");
  }
  // Sparse vectors: the parameters of existing ones (modifier, index settings) may change.
  auto* sparse = c->mutable_params()->mutable_sparse_vectors_config()->mutable_map();
  for (const auto& [name, p] : req.sparse_vectors_config().map()) {
    auto it = sparse->find(name);
    if (it == sparse->end()) {
      meta_ = before;
      return InvalidArgument("sparse_vectors_config." + name +
                             ": not a sparse vector of this collection (adding one is not "
                             "supported yet)");
    }
    if (p.has_modifier()) {
      if (p.modifier() != qdrant::None && p.modifier() != qdrant::Idf) {
        meta_ = before;
        return InvalidArgument("sparse_vectors_config." + name + ".modifier: none or idf");
      }
      it->second.set_modifier(p.modifier());
    }
    if (p.has_index()) it->second.mutable_index()->MergeFrom(p.index());
  }
  if (req.has_quantization_config()) {
    const auto& q = req.quantization_config();
    if (q.has_disabled()) {
      c->clear_quantization_config();
    } else if (q.has_scalar()) {
      qdrant::QuantizationConfig probe;
      *probe.mutable_scalar() = q.scalar();
      Status valid = ValidateQuantization(probe, "quantization_config");
      if (!valid.ok()) {
        meta_ = before;
        return valid;
      }
      *c->mutable_quantization_config()->mutable_scalar() = q.scalar();
    } else if (q.has_product()) {
      *c->mutable_quantization_config()->mutable_product() = q.product();
    } else if (q.has_binary()) {
      *c->mutable_quantization_config()->mutable_binary() = q.binary();
    }
  }
  Status s = SaveMeta();
  if (!s.ok()) {
    meta_ = before;
    return s;
  }
  // Thresholds take effect at once; a changed hnsw or quantization config rebuilds the index.
  shard_->SetTunables(TunablesOf(meta_.config()));
  shard_->SetIndexParams(IndexParamsOf(meta_.config()));
  shard_->SetSparseSpecs(SparseSpecsOf(meta_.config()));
  // Payloads move between memory and disk now (writes wait); should that fail, the next open
  // tries again, as the saved configuration asks.
  return shard_->SetPayloadOnDisk(PayloadOnDisk(meta_.config()));
}

Status Collection::CreateFieldIndex(const qdrant::CreateFieldIndexCollection& req) {
  if (req.field_name().empty()) return InvalidArgument("field_name: must not be empty");
  qdrant::PayloadSchemaType type = qdrant::Keyword;
  if (req.has_field_type()) {
    switch (req.field_type()) {
      case qdrant::FieldTypeKeyword:
        type = qdrant::Keyword;
        break;
      case qdrant::FieldTypeInteger:
        type = qdrant::Integer;
        break;
      case qdrant::FieldTypeFloat:
        type = qdrant::Float;
        break;
      case qdrant::FieldTypeGeo:
        type = qdrant::Geo;
        break;
      case qdrant::FieldTypeText:
        type = qdrant::Text;
        break;
      case qdrant::FieldTypeBool:
        type = qdrant::Bool;
        break;
      case qdrant::FieldTypeDatetime:
        type = qdrant::Datetime;
        break;
      case qdrant::FieldTypeUuid:
        type = qdrant::Uuid;
        break;
      default:
        return InvalidArgument("field_type: unknown payload index type");
    }
  } else if (req.has_field_index_params()) {
    // The type follows from the parameters' kind.
    switch (req.field_index_params().index_params_case()) {
      case qdrant::PayloadIndexParams::kKeywordIndexParams:
        type = qdrant::Keyword;
        break;
      case qdrant::PayloadIndexParams::kIntegerIndexParams:
        type = qdrant::Integer;
        break;
      case qdrant::PayloadIndexParams::kFloatIndexParams:
        type = qdrant::Float;
        break;
      case qdrant::PayloadIndexParams::kGeoIndexParams:
        type = qdrant::Geo;
        break;
      case qdrant::PayloadIndexParams::kTextIndexParams:
        type = qdrant::Text;
        break;
      case qdrant::PayloadIndexParams::kBoolIndexParams:
        type = qdrant::Bool;
        break;
      case qdrant::PayloadIndexParams::kDatetimeIndexParams:
        type = qdrant::Datetime;
        break;
      case qdrant::PayloadIndexParams::kUuidIndexParams:
        type = qdrant::Uuid;
        break;
      default:
        return InvalidArgument("field_index_params: empty; name the index kind");
    }
  } else {
    return InvalidArgument(
        "field_type: required (keyword, integer, float, geo, text, bool, "
        "datetime or uuid)");
  }
  if (req.has_field_index_params()) {
    if (!ParamsFitType(type, req.field_index_params())) {
      return InvalidArgument(
          "field_index_params: parameters of another index kind than field_type");
    }
    STRATA_RETURN_IF_ERROR(FieldSpecOf(type, &req.field_index_params()).status());
  }
  std::lock_guard<std::mutex> lock(mu_);
  qdrant::PayloadSchemaInfo info;
  info.set_data_type(type);
  if (req.has_field_index_params()) *info.mutable_params() = req.field_index_params();
  const qdrant::CollectionInfo before = meta_;
  (*meta_.mutable_payload_schema())[req.field_name()] = info;
  Status s = SaveMeta();
  if (!s.ok()) {
    meta_ = before;  // not persisted, so not applied either
    return s;
  }
  ApplyFieldIndexes();
  return Status::Ok();
}

Status Collection::DeleteFieldIndex(const std::string& field) {
  std::lock_guard<std::mutex> lock(mu_);
  const qdrant::CollectionInfo before = meta_;
  meta_.mutable_payload_schema()->erase(field);
  Status s = SaveMeta();
  if (!s.ok()) {
    meta_ = before;
    return s;
  }
  ApplyFieldIndexes();
  return Status::Ok();
}

void Collection::ApplyFieldIndexes() {
  std::map<std::string, FieldIndexSpec> fields;
  for (const auto& [field, schema] : meta_.payload_schema()) {
    Result<FieldIndexSpec> spec =
        FieldSpecOf(schema.data_type(), schema.has_params() ? &schema.params() : nullptr);
    if (spec.ok()) fields[field] = *spec;
  }
  shard_->SetFieldIndexes(fields);
}

}  // namespace strata::kernel
