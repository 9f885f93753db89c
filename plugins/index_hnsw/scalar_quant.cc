#include "scalar_quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "strata/sdk/crc32c.hpp"

#if defined(__x86_64__)
// GCC 12's AVX-512 cast intrinsics trip -Wuninitialized on their own undefined upper lanes.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

namespace strata::hnsw {
namespace {

int32_t DotScalar(const uint8_t* a, const int8_t* b, size_t n) {
  int32_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc += static_cast<int32_t>(a[i]) * b[i];
  return acc;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) int32_t DotAvx2(const uint8_t* a, const int8_t* b, size_t n) {
  // Widen to 16 bits first: maddubs would saturate on 255 * -128 pairs.
  __m256i acc = _mm256_setzero_si256();
  for (size_t i = 0; i < n; i += 16) {
    const __m256i va =
        _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256i vb =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(va, vb));
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

__attribute__((target("avx512f,avx512bw,avx512vnni,avx2"))) int32_t DotVnni(const uint8_t* a,
                                                                            const int8_t* b,
                                                                            size_t n) {
  __m512i acc = _mm512_setzero_si512();
  for (size_t i = 0; i < n; i += 64) {
    acc = _mm512_dpbusd_epi32(acc, _mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
  }
  const __m256i half =
      _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(half), _mm256_extracti128_si256(half, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}
#endif

}  // namespace

DotU8S8Fn DotU8S8Scalar() { return DotScalar; }

DotU8S8Fn DotU8S8Best() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")) return DotVnni;
  if (__builtin_cpu_supports("avx2")) return DotAvx2;
#endif
  return DotScalar;
}

const char* DotU8S8BestName() {
  const DotU8S8Fn best = DotU8S8Best();
#if defined(__x86_64__)
  if (best == DotVnni) return "avx512-vnni";
  if (best == DotAvx2) return "avx2";
#endif
  return "scalar";
}

void ScalarQuantizer::Build(const float* base, size_t stride, uint32_t n, uint32_t dim,
                            float quantile, bool l2) {
  dim_ = dim;
  padded_ = (dim + 63) / 64 * 64;
  n_ = n;
  l2_ = l2;
  dot_ = DotU8S8Best();
  // The central `quantile` of an evenly spaced sample of the values.
  std::vector<float> sample;
  const size_t total = size_t{n} * dim;
  const size_t want = std::min<size_t>(total, 1 << 20);
  const size_t step = std::max<size_t>(1, total / std::max<size_t>(1, want));
  for (size_t i = 0; i < total; i += step) sample.push_back(base[(i / dim) * stride + i % dim]);
  float lo = 0, hi = 0;
  if (!sample.empty()) {
    const double q = std::clamp<double>(quantile, 0.5, 1.0);
    const size_t a = static_cast<size_t>((1.0 - q) / 2 * (sample.size() - 1));
    const size_t b = static_cast<size_t>((1.0 + q) / 2 * (sample.size() - 1));
    std::nth_element(sample.begin(), sample.begin() + a, sample.end());
    lo = sample[a];
    std::nth_element(sample.begin(), sample.begin() + b, sample.end());
    hi = sample[b];
  }
  offset_ = lo;
  scale_ = hi > lo ? (hi - lo) / 255.0f : 1.0f;
  codes_.clear();
  sums_.clear();
  sumsq_.clear();
  n_ = 0;
  Extend(base, stride, n);
}

void ScalarQuantizer::Extend(const float* base, size_t stride, uint32_t n) {
  if (dim_ == 0 || n <= n_) return;
  codes_.resize(size_t{n} * padded_, 0);
  sums_.resize(n, 0);
  sumsq_.resize(n, 0);
  for (uint32_t i = n_; i < n; ++i) {
    const float* v = base + size_t{i} * stride;
    uint8_t* c = codes_.data() + size_t{i} * padded_;
    int64_t sum = 0, sumsq = 0;
    for (uint32_t d = 0; d < dim_; ++d) {
      const float x = std::round((v[d] - offset_) / scale_);
      const int code = static_cast<int>(std::clamp(x, 0.0f, 255.0f));
      c[d] = static_cast<uint8_t>(code);
      sum += code;
      sumsq += code * code;
    }
    sums_[i] = sum;
    sumsq_[i] = sumsq;
  }
  n_ = n;
}

ScalarQuantizer::Query ScalarQuantizer::Encode(const float* v) const {
  Query q;
  q.codes.assign(padded_, 0);
  for (uint32_t d = 0; d < dim_; ++d) {
    const float x = std::round((v[d] - offset_) / scale_);
    const int code = static_cast<int>(std::clamp(x, 0.0f, 255.0f));
    q.codes[d] = static_cast<int8_t>(code - 128);
    q.sum += code;
    q.sumsq += code * code;
  }
  // Padding holds c = 0, i.e. -128 shifted: it must not count, and stored codes are 0 there.
  for (uint32_t d = dim_; d < padded_; ++d) q.codes[d] = 0;
  return q;
}

void BinaryQuantizer::Build(const float* base, size_t stride, uint32_t n, uint32_t dim,
                            const Options& options) {
  options_ = options;
  options_.bits = options.bits == 2 ? 2 : 1;
  dim_ = dim;
  words_ = (dim + 63) / 64;
  code_words_ = words_ * options_.bits;
  n_ = n;
  std::vector<double> sum(dim, 0.0), sumsq(dim, 0.0);
  for (uint32_t i = 0; i < n; ++i) {
    const float* v = base + size_t{i} * stride;
    for (uint32_t d = 0; d < dim; ++d) {
      sum[d] += v[d];
      sumsq[d] += double{v[d]} * v[d];
    }
  }
  lo_.assign(dim, 0.0f);
  hi_.assign(dim, 0.0f);
  for (uint32_t d = 0; d < dim; ++d) {
    const double mean = n > 0 ? sum[d] / n : 0.0;
    const double sd = n > 0 ? std::sqrt(std::max(0.0, sumsq[d] / n - mean * mean)) : 0.0;
    if (options_.bits == 1) {
      lo_[d] = static_cast<float>(mean);
    } else {
      lo_[d] = static_cast<float>(mean - 0.43 * sd);
      hi_[d] = static_cast<float>(mean + 0.43 * sd);
    }
  }
  // Reconstructions: the mean of the values that fall in each bucket.
  std::vector<double> bucket_sum(size_t{dim} * 3, 0.0);
  std::vector<uint32_t> bucket_n(size_t{dim} * 3, 0);
  codes_.assign(size_t{n} * code_words_, 0);
  for (uint32_t i = 0; i < n; ++i) {
    const float* v = base + size_t{i} * stride;
    EncodeInto(v, codes_.data() + size_t{i} * code_words_);
    for (uint32_t d = 0; d < dim; ++d) {  // (Extend encodes without updating these)
      const uint32_t b = Bucket(d, v[d]);
      bucket_sum[d * 3 + b] += v[d];
      ++bucket_n[d * 3 + b];
    }
  }
  recon_.assign(size_t{dim} * 3, 0.0f);
  for (uint32_t d = 0; d < dim; ++d) {
    for (uint32_t b = 0; b <= options_.bits; ++b) {
      const size_t at = size_t{d} * 3 + b;
      // An empty bucket (constant dimension) reconstructs at its threshold.
      const float empty = b == 0 || options_.bits == 1 ? lo_[d]
                          : b == 1                     ? 0.5f * (lo_[d] + hi_[d])
                                                       : hi_[d];
      recon_[at] = bucket_n[at] > 0 ? static_cast<float>(bucket_sum[at] / bucket_n[at]) : empty;
    }
  }
}

void BinaryQuantizer::Extend(const float* base, size_t stride, uint32_t n) {
  if (dim_ == 0 || n <= n_) return;
  codes_.resize(size_t{n} * code_words_, 0);
  for (uint32_t i = n_; i < n; ++i) {
    EncodeInto(base + size_t{i} * stride, codes_.data() + size_t{i} * code_words_);
  }
  n_ = n;
}

uint32_t BinaryQuantizer::Bucket(uint32_t d, float x) const {
  if (options_.bits == 1) return x > lo_[d] ? 1 : 0;
  return x > hi_[d] ? 2 : x > lo_[d] ? 1 : 0;
}

void BinaryQuantizer::EncodeInto(const float* v, uint64_t* code) const {
  for (uint32_t d = 0; d < dim_; ++d) {
    const uint32_t b = Bucket(d, v[d]);
    // Thermometer: bucket b sets the bits of planes 0 .. b-1.
    for (uint32_t p = 0; p < b; ++p) code[p * words_ + d / 64] |= uint64_t{1} << (d % 64);
  }
}

BinaryQuantizer::Query BinaryQuantizer::Encode(const float* v) const {
  Query q;
  if (!options_.asymmetric) {
    q.bits.assign(code_words_, 0);
    EncodeInto(v, q.bits.data());
    return q;
  }
  // Per dimension and plane, what setting that plane's bit adds to the distance; the
  // all-zero code (every dimension in bucket 0) gives the base.
  const uint32_t bytes_per_plane = words_ * 8;
  std::vector<float> weight(size_t{words_} * 64 * options_.bits, 0.0f);
  double base = options_.l2 ? 0.0 : 1.0;
  for (uint32_t d = 0; d < dim_; ++d) {
    const float r0 = Reconstruction(d, 0);
    base += options_.l2 ? (double{v[d]} - r0) * (double{v[d]} - r0) : -double{v[d]} * r0;
    for (uint32_t p = 0; p < options_.bits; ++p) {
      const float a = Reconstruction(d, p), b = Reconstruction(d, p + 1);
      weight[size_t{p} * words_ * 64 + d] =
          options_.l2 ? (b * b - a * a) - 2.0f * v[d] * (b - a) : -v[d] * (b - a);
    }
  }
  q.base = static_cast<float>(base);
  q.lut.assign(size_t{bytes_per_plane} * options_.bits * 256, 0.0f);
  for (size_t byte = 0; byte < size_t{bytes_per_plane} * options_.bits; ++byte) {
    float* t = q.lut.data() + byte * 256;
    const float* w = weight.data() + byte * 8;
    for (uint32_t k = 0; k < 8; ++k) {
      const uint32_t half = 1u << k;
      for (uint32_t b = 0; b < half; ++b) t[b | half] = t[b] + w[k];
    }
  }
  return q;
}

// Saved quantizers (hnsw_format.md, "hnsw.quant"): magic, version, kind, the fitted map, the
// codes, CRC-32C.
namespace {

constexpr char kQuantMagic[8] = {'S', 'T', 'R', 'Q', 'U', 'A', 'N', 'T'};
constexpr uint32_t kQuantVersion = 1;
constexpr uint32_t kKindScalar = 1, kKindBinary = 2;

class Writer {
 public:
  explicit Writer(uint32_t kind) : s_(kQuantMagic, 8) {
    Put(kQuantVersion);
    Put(kind);
  }
  template <class T>
  void Put(T v) {
    s_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <class T>
  void PutAll(const std::vector<T>& v) {
    s_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  std::string Finish() {
    Put<uint32_t>(sdk::Crc32c(s_.data(), s_.size()));
    return std::move(s_);
  }

 private:
  std::string s_;
};

// Bounds-checked reads over a file whose magic, version, kind and CRC were checked.
class Reader {
 public:
  Reader(const std::string& d, size_t at) : d_(d), at_(at) {}
  template <class T>
  bool Get(T* v) {
    if (at_ + sizeof(T) + 4 > d_.size()) return false;
    std::memcpy(v, d_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }
  template <class T>
  bool GetAll(std::vector<T>* v, size_t count) {
    if (count > (d_.size() - at_) / sizeof(T) || at_ + count * sizeof(T) + 4 > d_.size()) {
      return false;
    }
    v->resize(count);
    std::memcpy(v->data(), d_.data() + at_, count * sizeof(T));
    at_ += count * sizeof(T);
    return true;
  }
  bool AtEnd() const { return at_ + 4 == d_.size(); }

 private:
  const std::string& d_;
  size_t at_;
};

Status CheckQuantFile(const std::string& d, uint32_t kind, const std::string& where) {
  if (d.size() < 20 || std::memcmp(d.data(), kQuantMagic, 8) != 0) {
    return DataLoss(where + ": not a quantized-codes file");
  }
  uint32_t crc = 0, version = 0, got_kind = 0;
  std::memcpy(&crc, d.data() + d.size() - 4, 4);
  if (crc != sdk::Crc32c(d.data(), d.size() - 4)) return DataLoss(where + ": checksum mismatch");
  std::memcpy(&version, d.data() + 8, 4);
  std::memcpy(&got_kind, d.data() + 12, 4);
  if (version != kQuantVersion) {
    return FailedPrecondition(where + ": quantized-codes format version " +
                              std::to_string(version) + " is not supported");
  }
  if (got_kind != kind) return FailedPrecondition(where + ": codes of another quantization");
  return Status::Ok();
}

}  // namespace

std::string ScalarQuantizer::Serialize() const {
  Writer w(kKindScalar);
  w.Put(dim_);
  w.Put(padded_);
  w.Put(n_);
  w.Put<uint32_t>(l2_ ? 1 : 0);
  w.Put(offset_);
  w.Put(scale_);
  w.PutAll(codes_);
  w.PutAll(sums_);
  w.PutAll(sumsq_);
  return w.Finish();
}

Status ScalarQuantizer::Deserialize(const std::string& data, const std::string& where) {
  STRATA_RETURN_IF_ERROR(CheckQuantFile(data, kKindScalar, where));
  Reader r(data, 16);
  ScalarQuantizer q;
  uint32_t l2 = 0;
  if (!r.Get(&q.dim_) || !r.Get(&q.padded_) || !r.Get(&q.n_) || !r.Get(&l2) || !r.Get(&q.offset_) ||
      !r.Get(&q.scale_) || q.padded_ != (q.dim_ + 63) / 64 * 64 ||
      !r.GetAll(&q.codes_, size_t{q.n_} * q.padded_) || !r.GetAll(&q.sums_, q.n_) ||
      !r.GetAll(&q.sumsq_, q.n_) || !r.AtEnd()) {
    return DataLoss(where + ": truncated or malformed");
  }
  q.l2_ = l2 != 0;
  q.dot_ = DotU8S8Best();
  *this = std::move(q);
  return Status::Ok();
}

std::string BinaryQuantizer::Serialize() const {
  Writer w(kKindBinary);
  w.Put(dim_);
  w.Put(options_.bits);
  w.Put<uint32_t>((options_.asymmetric ? 1u : 0u) | (options_.l2 ? 2u : 0u));
  w.Put(words_);
  w.Put(code_words_);
  w.Put(n_);
  w.PutAll(lo_);
  w.PutAll(hi_);
  w.PutAll(recon_);
  w.PutAll(codes_);
  return w.Finish();
}

Status BinaryQuantizer::Deserialize(const std::string& data, const std::string& where) {
  STRATA_RETURN_IF_ERROR(CheckQuantFile(data, kKindBinary, where));
  Reader r(data, 16);
  BinaryQuantizer q;
  uint32_t flags = 0;
  if (!r.Get(&q.dim_) || !r.Get(&q.options_.bits) || !r.Get(&flags) || !r.Get(&q.words_) ||
      !r.Get(&q.code_words_) || !r.Get(&q.n_) || (q.options_.bits != 1 && q.options_.bits != 2) ||
      q.words_ != (q.dim_ + 63) / 64 || q.code_words_ != q.words_ * q.options_.bits ||
      !r.GetAll(&q.lo_, q.dim_) || !r.GetAll(&q.hi_, q.dim_) ||
      !r.GetAll(&q.recon_, size_t{q.dim_} * 3) ||
      !r.GetAll(&q.codes_, size_t{q.n_} * q.code_words_) || !r.AtEnd()) {
    return DataLoss(where + ": truncated or malformed");
  }
  q.options_.asymmetric = (flags & 1u) != 0;
  q.options_.l2 = (flags & 2u) != 0;
  *this = std::move(q);
  return Status::Ok();
}

}  // namespace strata::hnsw
