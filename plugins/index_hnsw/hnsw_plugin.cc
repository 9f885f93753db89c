// index_hnsw: the HNSW vector index plugin, built only through the SDK (STABLE tier).
//
// Create parameters: m (16), ef_construct (100), seed, max_indexing_threads (0: as many as the
// host's parallel_for gives; else at most that many build threads). Search parameters: ef / hnsw_ef
// (default ef_construct). Builds in parallel through host->parallel_for (the optimizer's CPU
// budget), honours cancellation, filters by bitset or predicate during the traversal. Saved as
// hnsw.graph (format: hnsw_format.md). Quantization (create parameters "quantization" =
// "int8" with "quantile" in [0.5, 1], default 1, or "binary" with "binary_bits" 1 or 2 per
// dimension and "binary_query" = "binary" (Hamming) or "scalar" (float query against the codes'
// reconstructions through lookup tables): after
// a build or load the vectors are also kept as codes (scalar_quant.h) and searches traverse the
// graph on those; search parameters
// "quantization.ignore" (0/1), "quantization.rescore" (default 1) and "quantization.oversampling"
// (default 1; the rescored candidates are top_k * oversampling). L1 spaces are never quantized.
// Filter search parameter "filter.linked_group" (1: the allowed points are one linked payload
// group, walked through its own links). The codes are saved beside the graph as hnsw.quant.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <vector>

#include "hnsw_graph.h"
#include "scalar_quant.h"
#include "strata/sdk/index_plugin.hpp"
#include "strata/sdk/manifest.hpp"

namespace {

using strata::Result;
using strata::Status;
namespace sdk = strata::sdk;
namespace hnsw = strata::hnsw;

constexpr const char* kGraphFile = "hnsw.graph";
constexpr const char* kQuantFile = "hnsw.quant";  // the quantizer and its codes

class HnswIndex : public sdk::IndexPlugin<HnswIndex> {
 public:
  static Result<std::unique_ptr<HnswIndex>> Create(const sdk::Host&, const sdk::Params& p,
                                                   const sdk::VectorSource& src) {
    if (src.dtype() != STRATA_DTYPE_F32) return strata::Unimplemented("hnsw: float32 vectors only");
    hnsw::Params params;
    STRATA_ASSIGN_OR_RETURN(int64_t m, p.GetInt("m", 16));
    STRATA_ASSIGN_OR_RETURN(int64_t efc, p.GetInt("ef_construct", 100));
    STRATA_ASSIGN_OR_RETURN(int64_t seed, p.GetInt("seed", 100));
    STRATA_ASSIGN_OR_RETURN(int64_t threads, p.GetInt("max_indexing_threads", 0));
    if (threads < 0) {
      return strata::InvalidArgument("hnsw parameter 'max_indexing_threads' must be >= 0");
    }
    if (m < 2 || m > 128)
      return strata::InvalidArgument("hnsw parameter 'm' must be within [2, 128]");
    if (efc < 4) return strata::InvalidArgument("hnsw parameter 'ef_construct' must be >= 4");
    params.m = static_cast<uint32_t>(m);
    params.ef_construct = static_cast<uint32_t>(efc);
    params.seed = static_cast<uint64_t>(seed);
    hnsw::Space space = src.metric() == STRATA_METRIC_L2   ? hnsw::Space::kL2
                        : src.metric() == STRATA_METRIC_L1 ? hnsw::Space::kL1
                                                           : hnsw::Space::kInnerProduct;
    const std::string quant = p.GetString("quantization", "none");
    if (quant != "none" && quant != "int8" && quant != "binary") {
      return strata::InvalidArgument(
          "hnsw parameter 'quantization' must be none, int8 or binary, not '" + quant + "'");
    }
    STRATA_ASSIGN_OR_RETURN(double quantile, p.GetDouble("quantile", 1.0));
    if (!(quantile >= 0.5 && quantile <= 1.0)) {
      return strata::InvalidArgument("hnsw parameter 'quantile' must be within [0.5, 1]");
    }
    STRATA_ASSIGN_OR_RETURN(int64_t binary_bits, p.GetInt("binary_bits", 1));
    if (binary_bits != 1 && binary_bits != 2) {
      return strata::InvalidArgument("hnsw parameter 'binary_bits' must be 1 or 2");
    }
    const std::string binary_query = p.GetString("binary_query", "binary");
    if (binary_query != "binary" && binary_query != "scalar") {
      return strata::InvalidArgument(
          "hnsw parameter 'binary_query' must be binary or scalar, not '" + binary_query + "'");
    }
    auto index = std::make_unique<HnswIndex>(src.dim(), space, params);
    index->binary_options_.bits = static_cast<uint32_t>(binary_bits);
    index->binary_options_.asymmetric = binary_query == "scalar";
    index->binary_options_.l2 = space == hnsw::Space::kL2;
    index->quantize_ = quant == "int8" && space != hnsw::Space::kL1;
    index->binary_ = quant == "binary" && space != hnsw::Space::kL1;
    index->quantile_ = static_cast<float>(quantile);
    index->max_threads_ = static_cast<uint32_t>(std::min<int64_t>(threads, 4096));
    STRATA_ASSIGN_OR_RETURN(int64_t on_disk, p.GetInt("on_disk", 0));
    index->on_disk_ = on_disk != 0;
    return index;
  }
  HnswIndex(uint32_t dim, hnsw::Space space, hnsw::Params params)
      : graph_(dim, space, params), space_(space), ef_construct_(params.ef_construct) {}

  Status Build(const sdk::Filter& live, const sdk::Cancel& cancel) {
    STRATA_RETURN_IF_ERROR(cancel.Check("hnsw build"));
    const uint32_t n = source().count();
    STRATA_RETURN_IF_ERROR(BindVectors(n));
    graph_.Reserve(n);
    constexpr uint32_t kChunk = 256;
    const uint32_t chunks = (n + kChunk - 1) / kChunk;
    std::atomic<bool> stopped{false};
    // The first point alone, so the parallel inserts have an entry point to start from.
    if (n > 0 && live.Allows(0)) graph_.Insert(0);
    STRATA_RETURN_IF_ERROR(host().ParallelFor(
        chunks,
        [&](uint32_t c) {
          if (stopped.load(std::memory_order_relaxed)) return;
          if (cancel.IsCancelled()) {
            stopped = true;
            return;
          }
          const uint32_t end = std::min(n, (c + 1) * kChunk);
          for (uint32_t id = std::max(1u, c * kChunk); id < end; ++id) {
            if (live.Allows(id)) graph_.Insert(id);
          }
        },
        max_threads_));
    if (stopped) return strata::Cancelled("hnsw build cancelled");
    Quantize(n);
    return Status::Ok();
  }

  Status Insert(uint32_t offset) {
    graph_.OwnLevel0();  // inserts change links: a mapped graph is copied first
    const uint32_t needed = offset + 1;
    STRATA_RETURN_IF_ERROR(BindVectors(std::max(needed, source().count())));
    if (needed > graph_.capacity()) graph_.Reserve(std::max(needed, graph_.capacity() * 2));
    graph_.Insert(offset);
    ExtendCodes(needed);  // encoded with the fitted map, so the traversal scores it on codes
    return Status::Ok();
  }

  Status Search(const sdk::SearchRequest& req, sdk::SearchOutput& out) const {
    STRATA_ASSIGN_OR_RETURN(int64_t ef_param, req.params().GetInt("ef", 0));
    if (ef_param == 0) {
      STRATA_ASSIGN_OR_RETURN(ef_param, req.params().GetInt("hnsw_ef", ef_construct_));
    }
    uint32_t ef = static_cast<uint32_t>(std::max<int64_t>(ef_param, req.top_k()));
    hnsw::AllowFn allow;
    const sdk::Filter filter = req.filter();
    if (!filter.is_null()) {
      const strata_filter* f = filter.raw();
      if (f->allow_bits != nullptr) {
        allow.bits = f->allow_bits;
        allow.n_bits = f->n_bits;
      } else if (f->allow != nullptr) {
        allow.pred = [f](uint32_t id) { return f->allow(f->ctx, id) != 0; };
      }
      // No widening of ef for restrictive filters: only admissible nodes count towards ef,
      // so the traversal already explores further when few pass (measured: widening by
      // sqrt(n / matches) cost 3-8x the QPS at 10% for +0.6% recall; hnsw_benchmark).
    }
    STRATA_ASSIGN_OR_RETURN(int64_t linked, req.params().GetInt("filter.linked_group", 0));
    allow.linked_group = linked != 0 && !allow.everything();
    STRATA_ASSIGN_OR_RETURN(int64_t ignore, req.params().GetInt("quantization.ignore", 0));
    STRATA_ASSIGN_OR_RETURN(int64_t rescore, req.params().GetInt("quantization.rescore", 1));
    STRATA_ASSIGN_OR_RETURN(double oversampling,
                            req.params().GetDouble("quantization.oversampling", 1.0));
    if (!(oversampling >= 1.0)) {
      return strata::InvalidArgument("quantization.oversampling must be at least 1");
    }
    const bool quantized = quantizer_.built() && ignore == 0;
    const bool binary = binary_codes_.built() && ignore == 0;
    const uint32_t rescore_n =
        rescore != 0 ? static_cast<uint32_t>(std::ceil(req.top_k() * oversampling)) : 0;
    std::vector<std::pair<float, uint32_t>> found;
    std::vector<sdk::ScoredOffset> hits;
    for (uint32_t q = 0; q < req.n_queries(); ++q) {
      STRATA_RETURN_IF_ERROR(req.cancel().Check("hnsw search"));
      if (quantized) {
        graph_.SearchQuantized(quantizer_, req.QueryF32(q), req.top_k(), ef, allow, rescore_n,
                               &found);
      } else if (binary) {
        graph_.SearchQuantized(binary_codes_, req.QueryF32(q), req.top_k(), ef, allow, rescore_n,
                               &found);
      } else {
        graph_.Search(req.QueryF32(q), req.top_k(), ef, allow, &found);
      }
      hits.clear();
      for (const auto& [d, id] : found) hits.push_back({ScoreOf(d), id});
      out.Set(q, hits);
    }
    return Status::Ok();
  }

  // Payload-aware links for one value group (strata_index.h: link_group).
  Status LinkGroup(const uint32_t* offsets, size_t n, uint32_t m, const sdk::Cancel& cancel) {
    if (m > 128) return strata::InvalidArgument("link_group: m must be at most 128");
    const bool done = graph_.LinkGroup(
        offsets, n, m, [&] { return cancel.IsCancelled(); }, Parallel());
    return done ? Status::Ok() : cancel.Check("hnsw link_group");
  }

  // Points joining a linked group (strata_index.h: link_group_add).
  Status LinkGroupAdd(const uint32_t* members, size_t n_members, const uint32_t* added,
                      size_t n_added, uint32_t m, const sdk::Cancel& cancel) {
    if (m > 128) return strata::InvalidArgument("link_group_add: m must be at most 128");
    const bool done = graph_.LinkGroupAdd(
        members, n_members, added, n_added, m, [&] { return cancel.IsCancelled(); }, Parallel());
    return done ? Status::Ok() : cancel.Check("hnsw link_group_add");
  }

  // With on_disk, the saved file is then mapped and the level-0 links (most of the graph) are
  // searched from the mapping: the page cache holds them, not the heap. save() is exclusive in
  // the ABI (no search runs), so the switch is safe although this method is const.
  Status Save(const sdk::Dir& dir) const {
    STRATA_RETURN_IF_ERROR(dir.WriteFile(kGraphFile, graph_.Serialize()));
    if (binary_ && binary_codes_.built()) {
      STRATA_RETURN_IF_ERROR(dir.WriteFile(kQuantFile, binary_codes_.Serialize()));
    } else if (quantize_ && quantizer_.built()) {
      STRATA_RETURN_IF_ERROR(dir.WriteFile(kQuantFile, quantizer_.Serialize()));
    }
    if (!on_disk_) return Status::Ok();
    return const_cast<HnswIndex*>(this)->MapSaved(dir, /*whole=*/false);
  }
  Status Load(const sdk::Dir& dir) {
    Status mapped = on_disk_ ? MapSaved(dir, /*whole=*/true) : strata::Unimplemented("in memory");
    if (!mapped.ok()) {
      STRATA_ASSIGN_OR_RETURN(std::string data, dir.ReadFile(kGraphFile));
      STRATA_RETURN_IF_ERROR(graph_.Deserialize(data, dir.Path(kGraphFile)));
    }
    STRATA_RETURN_IF_ERROR(BindVectors(std::max(graph_.capacity(), source().count())));
    if (quantize_ || binary_) {
      // The saved codes, else (none saved, or damaged: they are derived data) fitted anew.
      Status loaded = LoadCodes(dir);
      if (loaded.ok()) {
        ExtendCodes(graph_.size());
      } else {
        if (loaded.code() != strata::StatusCode::kNotFound) {
          host().Log(STRATA_LOG_WARN, "hnsw",
                     "quantized codes re-encoded from the vectors: " + loaded.message());
        }
        Quantize(graph_.size());
      }
    }
    return Status::Ok();
  }
  std::vector<std::string> Files() const {
    if (quantize_ || binary_) return {kGraphFile, kQuantFile};
    return {kGraphFile};
  }
  bool level0_mapped() const { return graph_.level0_borrowed(); }
  uint64_t MemoryUsage() const {
    return graph_.MemoryBytes() + copy_.capacity() * sizeof(float) + quantizer_.MemoryBytes() +
           binary_codes_.MemoryBytes();
  }

 private:
  // The host's workers (at most max_indexing_threads) for the graph's parallel steps.
  hnsw::Graph::ParallelFn Parallel() const {
    return [this](uint32_t n, const std::function<void(uint32_t)>& fn) {
      Status s = host().ParallelFor(n, fn, max_threads_);
      if (!s.ok()) {
        for (uint32_t i = 0; i < n; ++i) fn(i);  // no workers: in this thread
      }
    };
  }
  // Where vector i is: base + i * stride floats (the host's vectors, else the private copy).
  std::pair<const float*, size_t> VectorRows() const {
    const float* base = source().DenseF32(0);
    if (base != nullptr) return {base, source().raw()->stride_bytes / sizeof(float)};
    return {copy_.data(), source().dim()};
  }
  // The saved quantizer, checked to fit these vectors and settings.
  Status LoadCodes(const sdk::Dir& dir) {
    // A missing file reads as NOT_FOUND (storage conformance): no saved codes.
    STRATA_ASSIGN_OR_RETURN(std::string data, dir.ReadFile(kQuantFile));
    const std::string where = dir.Path(kQuantFile);
    if (binary_) {
      hnsw::BinaryQuantizer q;
      STRATA_RETURN_IF_ERROR(q.Deserialize(data, where));
      const auto& o = q.options();
      if (q.dim() != source().dim() || o.bits != binary_options_.bits ||
          o.asymmetric != binary_options_.asymmetric || o.l2 != binary_options_.l2) {
        return strata::FailedPrecondition(where + ": saved for other settings");
      }
      binary_codes_ = std::move(q);
    } else {
      hnsw::ScalarQuantizer q;
      STRATA_RETURN_IF_ERROR(q.Deserialize(data, where));
      if (q.dim() != source().dim() || q.l2() != (space_ == hnsw::Space::kL2)) {
        return strata::FailedPrecondition(where + ": saved for other settings");
      }
      quantizer_ = std::move(q);
    }
    return Status::Ok();
  }
  // Codes for offsets below n that have none yet, with the map fitted before.
  void ExtendCodes(uint32_t n) {
    const auto [base, stride] = VectorRows();
    if (binary_) {
      if (binary_codes_.built()) binary_codes_.Extend(base, stride, n);
    } else if (quantize_ && quantizer_.built()) {
      quantizer_.Extend(base, stride, n);
    }
  }
  // Fits the quantizer to offsets [0, n) and encodes them.
  void Quantize(uint32_t n) {
    if ((!quantize_ && !binary_) || n == 0) return;
    const auto [base, stride] = VectorRows();
    if (binary_) {
      binary_codes_.Build(base, stride, n, source().dim(), binary_options_);
    } else {
      quantizer_.Build(base, stride, n, source().dim(), quantile_, space_ == hnsw::Space::kL2);
    }
  }
  float ScoreOf(float d) const { return space_ == hnsw::Space::kInnerProduct ? 1.0f - d : -d; }
  // Maps the saved graph and serves level 0 from it: the whole graph loaded from the file
  // (whole) or only level 0 switched over (the file was just written from this graph).
  // UNIMPLEMENTED when the backend cannot map: the caller keeps or reads the graph in memory.
  Status MapSaved(const sdk::Dir& dir, bool whole) {
    Result<std::unique_ptr<sdk::MappedFile>> m = dir.MapFile(kGraphFile);
    if (!m.ok()) return m.status();
    const sdk::MappedFile& f = **m;
    const std::string where = dir.Path(kGraphFile);
    STRATA_RETURN_IF_ERROR(whole ? graph_.Deserialize(f.data(), f.size(), where, true)
                                 : graph_.BorrowLevel0(f.data(), f.size(), where));
    if (!graph_.level0_borrowed()) return Status::Ok();  // an old (version 1) file: copied
    mapping_ = std::move(m).value();  // after the graph let go of the previous one
    return Status::Ok();
  }
  // Points the graph at the host's vectors (zero-copy when dense), else at a private copy.
  Status BindVectors(uint32_t n) {
    const float* dense = source().DenseF32(0);
    if (dense != nullptr) {
      graph_.SetVectors(dense, source().raw()->stride_bytes / sizeof(float));
      return Status::Ok();
    }
    const uint32_t dim = source().dim();
    const size_t have = copy_.size() / dim;
    copy_.resize(static_cast<size_t>(n) * dim);
    for (uint32_t i = static_cast<uint32_t>(have); i < n; ++i) {
      STRATA_RETURN_IF_ERROR(source().CopyF32(i, &copy_[static_cast<size_t>(i) * dim]));
    }
    graph_.SetVectors(copy_.data(), dim);
    return Status::Ok();
  }

  hnsw::Graph graph_;
  bool on_disk_ = false;  // hnsw_config.on_disk / memory cold: level 0 served from the file
  std::unique_ptr<sdk::MappedFile> mapping_;  // the file level 0 is borrowed from
  hnsw::Space space_;
  uint32_t ef_construct_;
  std::vector<float> copy_;
  bool quantize_ = false;
  float quantile_ = 1.0f;
  uint32_t max_threads_ = 0;  // max_indexing_threads: 0 = what the host's budget allows
  hnsw::ScalarQuantizer quantizer_;
  bool binary_ = false;
  hnsw::BinaryQuantizer binary_codes_;
  hnsw::BinaryQuantizer::Options binary_options_;
};

}  // namespace

STRATA_PLUGIN_MANIFEST(
    STRATA_TIER_STABLE,
    STRATA_INDEX_PLUGIN("hnsw", "0.1.0", "HNSW graph index with filter-aware search", HnswIndex,
                        STRATA_INDEX_CAP_F32 | STRATA_INDEX_CAP_COSINE | STRATA_INDEX_CAP_DOT |
                            STRATA_INDEX_CAP_L2 | STRATA_INDEX_CAP_L1 |
                            STRATA_INDEX_CAP_FILTER_BITSET | STRATA_INDEX_CAP_FILTER_PREDICATE |
                            STRATA_INDEX_CAP_INCREMENTAL_INSERT))
