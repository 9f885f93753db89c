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
// The map and the codes are saved beside the graph (Serialize, format in hnsw_format.md) and
// loaded instead of re-fitted; points added later are encoded with the same map (Extend).
// BinaryQuantizer below is the 1-bit variant.
#ifndef STRATA_PLUGINS_INDEX_HNSW_SCALAR_QUANT_H_
#define STRATA_PLUGINS_INDEX_HNSW_SCALAR_QUANT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "strata/sdk/status.hpp"

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
  // Encodes vectors size() .. n-1 with the fitted map (after Build or Deserialize).
  void Extend(const float* base, size_t stride, uint32_t n);
  std::string Serialize() const;
  // Replaces this quantizer with a saved one; DATA_LOSS when damaged.
  Status Deserialize(const std::string& data, const std::string& where);
  bool built() const { return n_ > 0; }
  bool l2() const { return l2_; }
  uint32_t dim() const { return dim_; }
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

// Binary quantization (Qdrant's `binary`): per dimension, one bit set when the value is above
// that dimension's mean over the segment (embeddings are rarely centred at 0), or two bits
// (`two_bits`) as a thermometer over three buckets (below mean - 0.43 sd, middle, above
// mean + 0.43 sd: thirds of a normal distribution). 32x (16x) smaller than the floats.
// Stored as bit planes: plane p of vector i holds bit p of every dimension.
// Two ways to compare a query with the codes:
//  - symmetric (query_encoding default / binary): the query is encoded the same way and the
//    distance is the Hamming distance of the codes (popcount of xor), a coarse proxy;
//  - asymmetric (query_encoding scalar8bits / scalar4bits): the query stays float and is
//    compared with each code's reconstruction, x^_d = the mean of the segment's values in the
//    code's bucket, through per-query lookup tables: one table of 256 partial sums per code
//    byte (8 dimensions), so a distance is one table read per code byte. Same units as the
//    float distance (1 - dot, or squared L2), a much closer proxy than Hamming.
// Either way the best candidates are rescored with the original vectors (oversampling).
class BinaryQuantizer {
 public:
  struct Options {
    uint32_t bits = 1;        // 1 or 2 per dimension
    bool asymmetric = false;  // float query against reconstructions (lookup tables)
    bool l2 = false;          // squared L2, else 1 - dot
  };
  struct Query {
    std::vector<uint64_t> bits;  // symmetric: the query's code
    std::vector<float> lut;      // asymmetric: 256 entries per code byte
    float base = 0;              // asymmetric: the distance of the all-zero code
  };
  void Build(const float* base, size_t stride, uint32_t n, uint32_t dim, const Options& options);
  void Build(const float* base, size_t stride, uint32_t n, uint32_t dim) {
    Build(base, stride, n, dim, Options());
  }
  // Encodes vectors size() .. n-1 with the fitted thresholds (after Build or Deserialize).
  void Extend(const float* base, size_t stride, uint32_t n);
  std::string Serialize() const;
  Status Deserialize(const std::string& data, const std::string& where);
  bool built() const { return n_ > 0; }
  uint32_t dim() const { return dim_; }
  uint32_t size() const { return n_; }
  Query Encode(const float* v) const;
  float Distance(const Query& q, uint32_t id) const {
    if (!q.lut.empty()) {
      const uint8_t* c = reinterpret_cast<const uint8_t*>(Codes(id));
      const float* t = q.lut.data();
      float s0 = q.base, s1 = 0, s2 = 0, s3 = 0;
      const size_t bytes = CodeBytes();
      for (size_t j = 0; j < bytes; j += 4, t += 1024) {
        s0 += t[c[j]];
        s1 += t[256 + c[j + 1]];
        s2 += t[512 + c[j + 2]];
        s3 += t[768 + c[j + 3]];
      }
      return (s0 + s1) + (s2 + s3);
    }
    const uint64_t* c = Codes(id);
    uint32_t d = 0;
    for (uint32_t w = 0; w < code_words_; ++w)
      d += static_cast<uint32_t>(__builtin_popcountll(c[w] ^ q.bits[w]));
    return static_cast<float>(d);
  }
  const uint64_t* Codes(uint32_t id) const { return codes_.data() + size_t{id} * code_words_; }
  size_t CodeBytes() const { return code_words_ * sizeof(uint64_t); }
  uint64_t MemoryBytes() const { return codes_.size() * sizeof(uint64_t); }
  const Options& options() const { return options_; }
  // Bucket of value x in dimension d (0 .. bits), and the reconstruction of each bucket.
  uint32_t Bucket(uint32_t d, float x) const;
  float Reconstruction(uint32_t d, uint32_t bucket) const { return recon_[d * 3 + bucket]; }

 private:
  void EncodeInto(const float* v, uint64_t* code) const;

  Options options_;
  uint32_t dim_ = 0;
  uint32_t words_ = 0;       // per plane
  uint32_t code_words_ = 0;  // all planes
  uint32_t n_ = 0;
  std::vector<float> lo_, hi_;  // thresholds per dimension (hi_ only with 2 bits)
  std::vector<float> recon_;    // 3 per dimension: bucket means
  std::vector<uint64_t> codes_;
};

}  // namespace strata::hnsw

#endif  // STRATA_PLUGINS_INDEX_HNSW_SCALAR_QUANT_H_
