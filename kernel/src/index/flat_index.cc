// The flat index keeps no structure besides how many offsets it covers, so its saved form is a
// 32-byte file "flat.meta" (all little-endian):
//
//   offset size field
//   0      8    magic "STRFLAT1"
//   8      4    format version (1)
//   12     4    dim
//   16     4    metric (STRATA_METRIC_*)
//   20     4    indexed count
//   24     4    reserved (0)
//   28     4    CRC-32C of bytes 0..27
//
// Load refuses a wrong magic, an unknown version, a bad CRC, or a dim/metric that differ from the
// vector source it was created with.
#include "index/flat_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <queue>
#include <vector>

#include "common/crc32c.h"
#include "strata/sdk/index_plugin.hpp"

namespace strata::kernel {
namespace {

using sdk::Cancel;
using sdk::Dir;
using sdk::Filter;
using sdk::ScoredOffset;

constexpr char kMagic[8] = {'S', 'T', 'R', 'F', 'L', 'A', 'T', '1'};
constexpr uint32_t kVersion = 1;
constexpr const char* kMetaFile = "flat.meta";

float Score(uint32_t metric, const float* a, const float* b, uint32_t dim) {
  float s = 0;
  switch (metric) {
    case STRATA_METRIC_L2:
      for (uint32_t i = 0; i < dim; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
      return -s;
    case STRATA_METRIC_L1:
      for (uint32_t i = 0; i < dim; ++i) s += std::fabs(a[i] - b[i]);
      return -s;
    default:
      for (uint32_t i = 0; i < dim; ++i) s += a[i] * b[i];
      return s;
  }
}

class FlatIndex : public sdk::IndexPlugin<FlatIndex> {
 public:
  static Result<std::unique_ptr<FlatIndex>> Create(const sdk::Host&, const sdk::Params&,
                                                   const sdk::VectorSource& src) {
    if (src.dtype() != STRATA_DTYPE_F32) return Unimplemented("flat index: only float32 vectors");
    if (src.dim() == 0) return InvalidArgument("flat index: dim must be positive");
    return std::make_unique<FlatIndex>();
  }

  Status Build(const Filter&, const Cancel& cancel) {
    STRATA_RETURN_IF_ERROR(cancel.Check("flat index build"));
    indexed_ = source().count();
    return Status::Ok();
  }
  Status Insert(uint32_t offset) {
    indexed_ = std::max(indexed_, offset + 1);
    return Status::Ok();
  }
  Status Remove(uint32_t) { return Status::Ok(); }  // deletions arrive folded into the filter

  Status Search(const sdk::SearchRequest& req, sdk::SearchOutput& out) const {
    const sdk::VectorSource& src = source();
    const uint32_t dim = src.dim();
    const uint32_t n = std::min(indexed_, src.count());
    const Filter filter = req.filter();
    std::vector<float> scratch(dim);
    auto cmp = [](const ScoredOffset& a, const ScoredOffset& b) { return a.score > b.score; };
    for (uint32_t q = 0; q < req.n_queries(); ++q) {
      const float* query = req.QueryF32(q);
      std::priority_queue<ScoredOffset, std::vector<ScoredOffset>, decltype(cmp)> top(cmp);
      for (uint32_t i = 0; i < n; ++i) {
        if ((i & 4095) == 0) STRATA_RETURN_IF_ERROR(req.cancel().Check("flat search"));
        if (!filter.Allows(i)) continue;
        const float* v = src.DenseF32(i);
        if (v == nullptr) {
          STRATA_RETURN_IF_ERROR(src.CopyF32(i, scratch.data()));
          v = scratch.data();
        }
        float s = Score(src.metric(), query, v, dim);
        if (top.size() < req.top_k()) {
          top.push({s, i});
        } else if (req.top_k() > 0 && s > top.top().score) {
          top.pop();
          top.push({s, i});
        }
      }
      std::vector<ScoredOffset> hits;
      while (!top.empty()) {
        hits.push_back(top.top());
        top.pop();
      }
      std::reverse(hits.begin(), hits.end());
      out.Set(q, hits);
    }
    return Status::Ok();
  }

  Status Save(const Dir& dir) const {
    unsigned char buf[32] = {};
    std::memcpy(buf, kMagic, 8);
    uint32_t fields[5] = {kVersion, source().dim(), source().metric(), indexed_, 0};
    std::memcpy(buf + 8, fields, sizeof(fields));
    uint32_t crc = Crc32c(buf, 28);
    std::memcpy(buf + 28, &crc, 4);
    return dir.WriteFile(kMetaFile, buf, sizeof(buf));
  }
  Status Load(const Dir& dir) {
    STRATA_ASSIGN_OR_RETURN(std::string data, dir.ReadFile(kMetaFile));
    const std::string where = dir.Path(kMetaFile);
    if (data.size() != 32 || std::memcmp(data.data(), kMagic, 8) != 0) {
      return DataLoss(where + ": not a flat index file (size or magic)");
    }
    uint32_t fields[5], crc = 0;
    std::memcpy(fields, data.data() + 8, sizeof(fields));
    std::memcpy(&crc, data.data() + 28, 4);
    if (crc != Crc32c(data.data(), 28)) return DataLoss(where + ": checksum mismatch");
    if (fields[0] != kVersion) {
      return FailedPrecondition(where + ": format version " + std::to_string(fields[0]) +
                                " is not supported (this build reads version 1)");
    }
    if (fields[1] != source().dim() || fields[2] != source().metric()) {
      return FailedPrecondition(where + ": saved for another dim or metric");
    }
    indexed_ = fields[3];
    return Status::Ok();
  }
  std::vector<std::string> Files() const { return {kMetaFile}; }
  uint64_t MemoryUsage() const { return sizeof(*this); }

 private:
  uint32_t indexed_ = 0;
};

}  // namespace

const strata_index_vtable* FlatIndexVtable() { return FlatIndex::Vtable(); }

}  // namespace strata::kernel
