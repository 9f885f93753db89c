// flat_example: an exact vector index written against the Strata SDK only.
//
// It shows the whole plugin surface: parameters, the host's vectors, filters, cancellation, a
// thread-safe const search, and persistence through whatever storage backend the server uses.
// At build() it copies the vectors it indexes into its own buffer; save() writes that buffer.
//
// Saved form, one file "vectors.flx" (little-endian):
//   0  8 bytes  magic "FLATEX01"
//   8  4 bytes  dim
//   12 4 bytes  count
//   16 count*dim float32 vectors
//   .. 8 bytes  FNV-1a 64 checksum of everything before it
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "strata/sdk/index_plugin.hpp"
#include "strata/sdk/manifest.hpp"

namespace {

using strata::Result;
using strata::Status;
namespace sdk = strata::sdk;

constexpr char kMagic[8] = {'F', 'L', 'A', 'T', 'E', 'X', '0', '1'};
constexpr const char* kFile = "vectors.flx";

uint64_t Fnv1a(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
  return h;
}

class FlatExample : public sdk::IndexPlugin<FlatExample> {
 public:
  static Result<std::unique_ptr<FlatExample>> Create(const sdk::Host&, const sdk::Params&,
                                                     const sdk::VectorSource& src) {
    if (src.dtype() != STRATA_DTYPE_F32) return strata::Unimplemented("flat_example: f32 only");
    return std::make_unique<FlatExample>(src.dim(), src.metric());
  }
  FlatExample(uint32_t dim, uint32_t metric) : dim_(dim), metric_(metric) {}

  Status Build(const sdk::Filter&, const sdk::Cancel& cancel) {
    const uint32_t n = source().count();
    std::vector<float> copy(static_cast<size_t>(n) * dim_);
    for (uint32_t i = 0; i < n; ++i) {
      if ((i & 1023) == 0) STRATA_RETURN_IF_ERROR(cancel.Check("flat_example build"));
      STRATA_RETURN_IF_ERROR(source().CopyF32(i, &copy[static_cast<size_t>(i) * dim_]));
    }
    vectors_ = std::move(copy);
    return Status::Ok();
  }

  Status Search(const sdk::SearchRequest& req, sdk::SearchOutput& out) const {
    const uint32_t n = static_cast<uint32_t>(vectors_.size() / dim_);
    for (uint32_t q = 0; q < req.n_queries(); ++q) {
      const float* query = req.QueryF32(q);
      std::vector<sdk::ScoredOffset> hits;
      for (uint32_t i = 0; i < n; ++i) {
        if (req.filter().Allows(i)) hits.push_back({Score(query, &vectors_[size_t{i} * dim_]), i});
      }
      size_t k = std::min<size_t>(req.top_k(), hits.size());
      std::partial_sort(hits.begin(), hits.begin() + k, hits.end(),
                        [](const auto& a, const auto& b) { return a.score > b.score; });
      hits.resize(k);
      out.Set(q, hits);
    }
    return Status::Ok();
  }

  Status Save(const sdk::Dir& dir) const {
    uint32_t count = static_cast<uint32_t>(vectors_.size() / dim_);
    std::string blob(kMagic, sizeof(kMagic));
    blob.append(reinterpret_cast<const char*>(&dim_), 4);
    blob.append(reinterpret_cast<const char*>(&count), 4);
    blob.append(reinterpret_cast<const char*>(vectors_.data()), vectors_.size() * sizeof(float));
    uint64_t sum = Fnv1a(blob.data(), blob.size());
    blob.append(reinterpret_cast<const char*>(&sum), 8);
    return dir.WriteFile(kFile, blob);
  }

  Status Load(const sdk::Dir& dir) {
    STRATA_ASSIGN_OR_RETURN(std::string blob, dir.ReadFile(kFile));
    const std::string where = dir.Path(kFile);
    if (blob.size() < 24 || std::memcmp(blob.data(), kMagic, 8) != 0) {
      return strata::DataLoss(where + ": not a flat_example file");
    }
    uint64_t sum = 0;
    std::memcpy(&sum, blob.data() + blob.size() - 8, 8);
    if (sum != Fnv1a(blob.data(), blob.size() - 8))
      return strata::DataLoss(where + ": bad checksum");
    uint32_t dim = 0, count = 0;
    std::memcpy(&dim, blob.data() + 8, 4);
    std::memcpy(&count, blob.data() + 12, 4);
    if (dim != dim_) return strata::FailedPrecondition(where + ": saved with another dim");
    if (blob.size() != 24 + size_t{count} * dim * sizeof(float)) {
      return strata::DataLoss(where + ": size does not match its header");
    }
    vectors_.resize(size_t{count} * dim);
    std::memcpy(vectors_.data(), blob.data() + 16, vectors_.size() * sizeof(float));
    return Status::Ok();
  }

  std::vector<std::string> Files() const { return {kFile}; }
  uint64_t MemoryUsage() const { return vectors_.capacity() * sizeof(float); }

 private:
  float Score(const float* a, const float* b) const {
    float s = 0;
    for (uint32_t d = 0; d < dim_; ++d) {
      switch (metric_) {
        case STRATA_METRIC_L2:
          s -= (a[d] - b[d]) * (a[d] - b[d]);
          break;
        case STRATA_METRIC_L1:
          s -= a[d] > b[d] ? a[d] - b[d] : b[d] - a[d];
          break;
        default:
          s += a[d] * b[d];
          break;  // cosine (unit vectors) and dot
      }
    }
    return s;
  }

  uint32_t dim_;
  uint32_t metric_;
  std::vector<float> vectors_;
};

}  // namespace

STRATA_PLUGIN_MANIFEST(
    STRATA_TIER_STABLE,
    STRATA_INDEX_PLUGIN("flat_example", "1.0.0", "example out-of-tree exact index", FlatExample,
                        STRATA_INDEX_CAP_F32 | STRATA_INDEX_CAP_COSINE | STRATA_INDEX_CAP_DOT |
                            STRATA_INDEX_CAP_L2 | STRATA_INDEX_CAP_L1 |
                            STRATA_INDEX_CAP_FILTER_BITSET | STRATA_INDEX_CAP_FILTER_PREDICATE |
                            STRATA_INDEX_CAP_EXACT))
