// scalar_quant.h: int8 scalar quantization of dense float32 vectors for the HNSW traversal.
//
// One affine map for the whole segment, x ~= offset + scale * c with c in 0..255, fitted to the
// central `quantile` of a sample of the values (Qdrant's `quantile`; outliers clamp). The query
// is quantized the same way; products of codes are integer dot products (AVX-512 VNNI, AVX2 or
// scalar, picked at run time and tested equal), corrected with per-vector code sums:
//   dot(x, y)   ~= dim*o^2 + o*s*(sum cx + sum cy) + s^2 * sum cx*cy
//   |x - y|^2   ~= s^2 * (sum cx^2 + sum cy^2 - 2 sum cx*cy)
// Codes are 4x smaller than the floats they stand for, so a traversal touches a quarter of
// the memory; the best candidates are then rescored with the original vectors.
// Codes are derived data: rebuilt from the vectors after a build or a load (no file).
// BinaryQuantizer below is the 1-bit variant.
#ifndef STRATA_PLUGINS_INDEX_HNSW_SCALAR_QUANT_H_
#define STRATA_PLUGINS_INDEX_HNSW_SCALAR_QUANT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::hnsw {

// sum a[i] * b[i] for unsigned a and signed b; n is a multiple of 64 (zero padded).
using DotU8S8Fn = int32_t (*)(const uint8_t* a, const int8_t* b, size_t n);
DotU8S8Fn DotU8S8Scalar();
DotU8S8Fn DotU8S8Best();  // the fastest path this CPU runs
const char* DotU8S8BestName();

class ScalarQuantizer {
 public:
  struct Query {
    std::vector<int8_t> codes;  // c - 128, padded
    int64_t sum = 0;            // sum of c (unshifted)
    int64_t sumsq = 0;          // sum of c^2
  };

  // Fits the map to vectors 0..n-1 (vector i at base + i * stride floats) and encodes them.
  void Build(const float* base, size_t stride, uint32_t n, uint32_t dim, float quantile, bool l2);
  bool built() const { return n_ > 0; }
  uint32_t size() const { return n_; }
  Query Encode(const float* v) const;
  // Approximate distance, lower is better: 1 - dot for inner product, squared L2 otherwise.
  float Distance(const Query& q, uint32_t id) const {
    const int64_t cross =
        static_cast<int64_t>(dot_(Codes(id), q.codes.data(), padded_)) + 128 * sums_[id];
    if (l2_) {
      return scale_ * scale_ * static_cast<float>(sumsq_[id] + q.sumsq - 2 * cross);
    }
    const float dot = static_cast<float>(dim_) * offset_ * offset_ +
                      offset_ * scale_ * static_cast<float>(sums_[id] + q.sum) +
                      scale_ * scale_ * static_cast<float>(cross);
    return 1.0f - dot;
  }
  const uint8_t* Codes(uint32_t id) const { return codes_.data() + size_t{id} * padded_; }
  size_t CodeBytes() const { return padded_; }
  uint64_t MemoryBytes() const { return codes_.size() + sums_.size() * sizeof(int64_t) * 2; }
  float offset() const { return offset_; }
  float scale() const { return scale_; }

 private:
  uint32_t dim_ = 0;
  uint32_t padded_ = 0;
  uint32_t n_ = 0;
  bool l2_ = false;
  float offset_ = 0;
  float scale_ = 1;
  DotU8S8Fn dot_ = nullptr;
  std::vector<uint8_t> codes_;
  std::vector<int64_t> sums_;
  std::vector<int64_t> sumsq_;
};

// Binary quantization: one bit per dimension, set when the value is above that dimension's mean
// over the segment (the sign of the centred value; embeddings are rarely centred at 0),
// compared by Hamming distance (popcount of xor), 32x smaller than the floats. A coarse proxy
// meant for high-dimensional embeddings, always followed by a rescore with oversampling.
class BinaryQuantizer {
 public:
  struct Query {
    std::vector<uint64_t> bits;
  };
  void Build(const float* base, size_t stride, uint32_t n, uint32_t dim);
  bool built() const { return n_ > 0; }
  uint32_t size() const { return n_; }
  Query Encode(const float* v) const;
  float Distance(const Query& q, uint32_t id) const {
    const uint64_t* c = Codes(id);
    uint32_t d = 0;
    for (uint32_t w = 0; w < words_; ++w)
      d += static_cast<uint32_t>(__builtin_popcountll(c[w] ^ q.bits[w]));
    return static_cast<float>(d);
  }
  const uint64_t* Codes(uint32_t id) const { return codes_.data() + size_t{id} * words_; }
  size_t CodeBytes() const { return words_ * sizeof(uint64_t); }
  uint64_t MemoryBytes() const { return codes_.size() * sizeof(uint64_t); }
  // The value above which dimension d's bit is set.
  float threshold(uint32_t d) const { return mean_[d]; }

 private:
  uint32_t dim_ = 0;
  uint32_t words_ = 0;
  uint32_t n_ = 0;
  std::vector<float> mean_;
  std::vector<uint64_t> codes_;
};

}  // namespace strata::hnsw

#endif  // STRATA_PLUGINS_INDEX_HNSW_SCALAR_QUANT_H_
