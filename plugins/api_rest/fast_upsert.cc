#include "fast_upsert.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace strata::rest {
namespace {

// Powers of ten exactly representable as doubles (Clinger's fast path).
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

inline bool IsDigit(char c) { return static_cast<unsigned>(c - '0') < 10; }

// A JSON number's pieces: sign, decimal mantissa (at most 19 digits), decimal exponent.
struct Number {
  bool negative = false;
  bool integral = true;    // no fraction, no exponent
  bool truncated = false;  // digits beyond the mantissa's 19 were dropped
  uint64_t mantissa = 0;
  int64_t exponent = 0;
};

constexpr uint64_t kMantissaLimit = 1000000000000000000ULL;  // 10^18: one more digit fits

inline uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian: p[0] is the lowest byte
}

// How many of the 8 bytes in `v` (from p[0]) are ASCII digits before the first other byte.
inline int LeadingDigits(uint64_t v) {
  const uint64_t x = v ^ 0x3030303030303030ULL;  // digits become 0..9
  // A byte's high bit is set when it is not a digit (x >= 10). A carry out of a non-digit byte
  // can only disturb later bytes, never the first non-digit one.
  const uint64_t not_digit = ((x + 0x7676767676767676ULL) | x) & 0x8080808080808080ULL;
  return not_digit == 0 ? 8 : __builtin_ctzll(not_digit) / 8;
}

// The value of 8 ASCII digits, p[0] most significant (SWAR: pairs, quads, then the halves).
inline uint64_t Parse8(uint64_t v) {
  v -= 0x3030303030303030ULL;
  v = v * 10 + (v >> 8);  // each even byte: two digits
  v = (((v & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((v >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
      32;
  return v;
}

constexpr uint64_t kPow10Int[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// Scans one number by the JSON grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
__attribute__((always_inline)) inline bool ScanNumber(const char** pp, const char* end, Number* n) {
  const char* p = *pp;
  if (p < end && *p == '-') {
    n->negative = true;
    ++p;
  }
  if (p >= end || !IsDigit(*p)) return false;
  if (*p == '0') {
    ++p;
  } else {
    while (p < end && IsDigit(*p)) {
      if (n->mantissa < kMantissaLimit) {
        n->mantissa = n->mantissa * 10 + static_cast<uint64_t>(*p - '0');
      } else {
        ++n->exponent;
        n->truncated = true;
      }
      ++p;
    }
  }
  if (p < end && *p == '.') {
    n->integral = false;
    ++p;
    if (p >= end || !IsDigit(*p)) return false;
    // Eight digits at a time while the mantissa has room for them.
    while (end - p >= 8 && n->mantissa < 100000000000ULL) {
      uint64_t v = Load8(p);
      const int k = LeadingDigits(v);
      if (k == 0) break;
      if (k < 8) v = (v << (8 * (8 - k))) | (0x3030303030303030ULL >> (8 * k));  // '0'-padded
      n->mantissa = n->mantissa * kPow10Int[k] + Parse8(v);
      n->exponent -= k;
      p += k;
      if (k < 8) break;
    }
    while (p < end && IsDigit(*p)) {
      if (n->mantissa < kMantissaLimit) {
        n->mantissa = n->mantissa * 10 + static_cast<uint64_t>(*p - '0');
        --n->exponent;
      } else if (*p != '0') {
        n->truncated = true;
      }
      ++p;
    }
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    n->integral = false;
    ++p;
    bool negative = false;
    if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
    if (p >= end || !IsDigit(*p)) return false;
    int64_t e = 0;
    while (p < end && IsDigit(*p)) {
      if (e < 100000) e = e * 10 + (*p - '0');
      ++p;
    }
    n->exponent += negative ? -e : e;
  }
  *pp = p;
  return true;
}

// The nearest double; false when the number is beyond the double range (the general path
// refuses it as "number too big").
inline bool ToDouble(const Number& n, const char* text, const char* text_end, double* out) {
  if (!n.truncated && n.mantissa <= (uint64_t{1} << 53) && n.exponent >= -22 && n.exponent <= 22) {
    double d = static_cast<double>(n.mantissa);  // exact, and so is the power of ten
    d = n.exponent < 0 ? d / kPow10[-n.exponent] : d * kPow10[n.exponent];
    *out = n.negative ? -d : d;
    return true;
  }
  if (n.mantissa == 0) {
    *out = n.negative ? -0.0 : 0.0;
    return true;
  }
  auto r = std::from_chars(text, text_end, *out);  // correctly rounded
  if (r.ec == std::errc::result_out_of_range) {
    if (n.exponent > 0) return false;
    *out = n.negative ? -0.0 : 0.0;  // underflow
    return true;
  }
  return r.ec == std::errc() && r.ptr == text_end;
}

// Negative powers of ten, each the double nearest to it.
constexpr double kPow10Neg[] = {1e-0,  1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,
                                1e-8,  1e-9,  1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15,
                                1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22};

// The float a vector component gets: (float) of the nearest double, as the general path does.
// For the usual short decimal fraction the product m * 10^-k (within 2 units in the last place
// of the nearest double) is rounded to float instead of dividing: it rounds the same way unless
// it lies within those 2 units of a point halfway between two floats, and then we divide.
__attribute__((always_inline)) inline bool ToFloat(const Number& n, const char* text,
                                                   const char* text_end, float* out) {
  if (!n.truncated && n.mantissa <= (uint64_t{1} << 53) && n.exponent < 0 && n.exponent >= -22 &&
      n.mantissa != 0) {
    const double approx = static_cast<double>(n.mantissa) * kPow10Neg[-n.exponent];
    uint64_t bits;
    std::memcpy(&bits, &approx, sizeof(bits));
    const uint64_t below_float = bits & ((uint64_t{1} << 29) - 1);  // bits a float drops
    const uint64_t half = uint64_t{1} << 28;
    if (below_float > half + 2 || below_float + 2 < half) {
      *out = static_cast<float>(n.negative ? -approx : approx);
      return true;
    }
  }
  double d = 0;
  if (!ToDouble(n, text, text_end, &d)) return false;
  *out = static_cast<float>(d);
  return true;
}

// The value of the first k ASCII digits of `v` (1 <= k <= 8): they are shifted to the top and
// the bytes below filled with '0' (the fill is built with two shifts so k = 8 shifts by 64 never).
inline uint64_t DigitsValue(uint64_t v, int k) {
  const uint64_t fill = (0x3030303030303030ULL >> (8 * k - 1)) >> 1;
  return Parse8((v << (8 * (8 - k))) | fill);
}

// mantissa * 10^-frac (frac <= 22, at most 19 significant digits) as the float of the nearest
// double, or false when it is too close to call. The conversion, the power and the product
// each round once, so the product is within 3 units in the last place of the nearest double;
// it rounds to the same float unless it lies within 4 units of a point halfway between two
// floats (then the caller takes the exact path).
__attribute__((always_inline)) inline bool DecimalToFloat(uint64_t mantissa, int frac,
                                                          bool negative, float* out) {
  const double approx = static_cast<double>(mantissa) * kPow10Neg[frac];
  uint64_t bits;
  std::memcpy(&bits, &approx, sizeof(bits));
  const uint64_t below_float = bits & ((uint64_t{1} << 29) - 1);  // bits a float drops
  const uint64_t half = uint64_t{1} << 28;
  if (below_float <= half + 4 && below_float + 4 >= half) return false;
  bits |= static_cast<uint64_t>(negative) << 63;
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  *out = static_cast<float>(value);
  return true;
}

// Bytes FastComponent may read from where a number starts.
constexpr ptrdiff_t kFastComponentBytes = 40;

// The usual vector component, [-]D{1,7}.D{1,22} not followed by an exponent, with at most 19
// significant digits, as a float, with few branches: the digit runs are measured and converted
// eight bytes at a time (a mispredicted branch per number, on the digit counts, was most of what
// the scalar scan cost). Anything else (integers, exponents, longer runs, a float too close to a
// rounding boundary) answers false with `*pp` untouched, and the caller scans it the general
// way. Needs kFastComponentBytes readable bytes at `*pp`.
__attribute__((always_inline)) inline bool FastComponent(const char** pp, float* out) {
  const char* p = *pp;
  const bool negative = *p == '-';
  const char* q = p + negative;
  const uint64_t a = Load8(q);
  const int int_digits = LeadingDigits(a);
  // 1 to 7 integer digits then '.'; JSON allows no leading zero ("0.5", never "00.5").
  if (int_digits == 0 || int_digits == 8 || q[int_digits] != '.' ||
      (q[0] == '0' && int_digits > 1)) {
    return false;
  }
  const char* const f = q + int_digits + 1;
  uint64_t mantissa = DigitsValue(a, int_digits);
  int frac = 0;
  // The fraction, eight digits at a time (a Python client's 17 significant digits take three).
  for (int chunk = 0;; ++chunk) {
    const uint64_t b = Load8(f + frac);
    const int k = LeadingDigits(b);
    if (k == 0) {
      if (frac == 0) return false;  // "1." is not JSON
      break;
    }
    uint64_t scaled;
    if (__builtin_mul_overflow(mantissa, kPow10Int[k], &scaled) ||
        __builtin_add_overflow(scaled, DigitsValue(b, k), &mantissa)) {
      return false;  // more than 19 significant digits
    }
    frac += k;
    if (k < 8) break;
    if (chunk == 2) return false;  // longer than kPow10Neg reaches
  }
  const char* e = f + frac;
  if (frac > 22 || (*e | 0x20) == 'e' || !DecimalToFloat(mantissa, frac, negative, out)) {
    return false;
  }
  *pp = e;
  return true;
}

#if defined(__x86_64__)
#define STRATA_SSE41_COMPONENTS 1
// pshufb masks that drop the '.' and right-align the digits of D{i}.D{f} (i + f <= 16) in
// 16 lanes, zeros in front: [i][f][lane]. With f = 0: the first i bytes, no '.'.
struct DigitShuffles {
  alignas(16) uint8_t mask[16][16][16];
};
constexpr DigitShuffles MakeDigitShuffles() {
  DigitShuffles t{};
  for (int i = 0; i < 16; ++i) {
    for (int f = 0; f < 16; ++f) {
      const int n = i + f;
      for (int lane = 0; lane < 16; ++lane) {
        const int digit = lane - (16 - n);  // which of the n digits this lane holds
        t.mask[i][f][lane] =
            digit < 0 || n > 16 ? 0x80 : static_cast<uint8_t>(digit < i ? digit : digit + 1);
      }
    }
  }
  return t;
}
constexpr DigitShuffles kDigitShuffles = MakeDigitShuffles();

constexpr uint64_t kPow10U64[] = {1,
                                  10,
                                  100,
                                  1000,
                                  10000,
                                  100000,
                                  1000000,
                                  10000000,
                                  100000000,
                                  1000000000,
                                  10000000000,
                                  100000000000,
                                  1000000000000,
                                  10000000000000,
                                  100000000000000,
                                  1000000000000000};

// The value of 16 right-aligned digits (0-9 per byte, lane 0 the most significant): three
// multiply-adds, then the two 8-digit halves.
__attribute__((target("ssse3,sse4.1"), always_inline)) inline uint64_t Sse41Value(__m128i digits) {
  const __m128i pairs = _mm_maddubs_epi16(digits, _mm_set1_epi16(0x010A));  // 10a + b
  const __m128i quads = _mm_madd_epi16(pairs, _mm_set1_epi32(0x00010064));  // 100a + b
  const __m128i packed = _mm_packus_epi32(quads, quads);
  const __m128i eights = _mm_madd_epi16(packed, _mm_set1_epi32(0x00012710));  // 10000a + b
  return uint64_t{static_cast<uint32_t>(_mm_cvtsi128_si32(eights))} * 100000000 +
         static_cast<uint32_t>(_mm_extract_epi32(eights, 1));
}

// The digit bytes of `bytes` as 0-9 and the mask of its bytes that are not digits (bits 16 and
// up set, so a count of leading digits stays inside the 16 bytes).
__attribute__((target("ssse3,sse4.1"), always_inline)) inline unsigned Sse41Digits(
    __m128i bytes, __m128i* digits) {
  *digits = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));
  const __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(*digits, _mm_set1_epi8(9)), *digits);
  return ~static_cast<unsigned>(_mm_movemask_epi8(is_digit));
}

// FastComponent with SSE4.1: one load finds the digit runs, one shuffle lines the digits up
// and three multiply-adds make their value. A number that fits in 16 bytes after the sign (a
// JavaScript client's 7-digit floats) takes one such step; one whose fraction runs on (a Python
// client's 17 significant digits) takes a second over the next 16 bytes.
__attribute__((target("ssse3,sse4.1"), always_inline)) inline bool Sse41Component(const char** pp,
                                                                                  float* out) {
  const char* p = *pp;
  const bool negative = *p == '-';
  const char* q = p + negative;
  __m128i d;
  const unsigned non_digits = Sse41Digits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)), &d);
  const int int_digits = __builtin_ctz(non_digits);
  if (int_digits == 0 || int_digits > 7 || q[int_digits] != '.' ||
      (q[0] == '0' && int_digits > 1)) {
    return FastComponent(pp, out);
  }
  const int frac1 = __builtin_ctz(non_digits >> (int_digits + 1));  // in the first 16 bytes
  if (frac1 == 0) return FastComponent(pp, out);
  const auto shuffle = [](int i, int f) {
    return _mm_load_si128(reinterpret_cast<const __m128i*>(kDigitShuffles.mask[i][f]));
  };
  uint64_t mantissa = Sse41Value(_mm_shuffle_epi8(d, shuffle(int_digits, frac1)));
  int frac = frac1;
  int end = int_digits + 1 + frac1;
  if (end == 16) {  // the fraction runs on
    __m128i d2;
    const int frac2 =
        __builtin_ctz(Sse41Digits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16)), &d2));
    if (frac2 == 16 || frac1 + frac2 > 22) return FastComponent(pp, out);
    uint64_t scaled;
    if (__builtin_mul_overflow(mantissa, kPow10U64[frac2], &scaled) ||
        __builtin_add_overflow(scaled, Sse41Value(_mm_shuffle_epi8(d2, shuffle(frac2, 0))),
                               &mantissa)) {
      return false;  // more than 19 significant digits
    }
    frac += frac2;
    end += frac2;
  }
  if ((q[end] | 0x20) == 'e' || !DecimalToFloat(mantissa, frac, negative, out)) return false;
  *pp = q + end;
  return true;
}

__attribute__((target("ssse3,sse4.1"))) bool Sse41ComponentEntry(const char** pp, float* out) {
  return Sse41Component(pp, out);
}

bool HaveSse41() {
  static const bool have = __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1");
  return have;
}
#endif

class Decoder {
 public:
  // Reads `s` from offset `from`.
  explicit Decoder(std::string_view s, size_t from = 0)
      : base_(s.data()), p_(s.data() + from), end_(s.data() + s.size()) {}

  size_t offset() const { return static_cast<size_t>(p_ - base_); }

  // The body's opening, `{"points":[`; false for any other shape (the general path reads it).
  bool Open() {
    std::string_view key;
    if (!Expect('{') || Peek() == '}') return false;  // no points: the general path words it
    return Key(&key) && key == "points" && Expect('[');
  }
  // After Open: the array is empty (its ']' read).
  bool EmptyArray() {
    if (Peek() != ']') return false;
    ++p_;
    return true;
  }
  // The body's end after the array: '}' and nothing but space.
  bool Close() {
    if (!Expect('}')) return false;
    SkipSpace();
    return p_ == end_;
  }

  enum class Step { kMore, kEnd, kError };
  // One point of the array and what follows it: ',' (kMore) or the array's ']' (kEnd).
  Step NextPoint(qdrant::PointStruct* out) {
    if (!Point(out)) return Step::kError;
    const char c = Peek();
    if (c != ',' && c != ']') return Step::kError;
    ++p_;
    return c == ',' ? Step::kMore : Step::kEnd;
  }

  // Points from here (the start of one) to the array's end. With `stop_at` (the start of a
  // point object, guessed by the caller), stops there when it turns out to be where a point of
  // the array starts, and says so in *stopped: the rest is the tail another decoder read.
  bool Points(qdrant::UpsertPoints* out, const char* stop_at, bool* stopped) {
    for (;;) {
      const Step step = NextPoint(out->add_points());
      if (step != Step::kMore) return step == Step::kEnd;
      if (stop_at != nullptr) {
        SkipSpace();
        if (p_ == stop_at) {
          *stopped = true;
          return true;
        }
        if (p_ > stop_at) stop_at = nullptr;  // the guess was inside a point: read on
      }
    }
  }

  // The rest of the body from a point object: points up to the array's end, then the end of
  // the top-level object. Each point is created on `arena`.
  bool Tail(google::protobuf::Arena* arena, std::vector<qdrant::PointStruct*>* points) {
    for (;;) {
      auto* p = google::protobuf::Arena::CreateMessage<qdrant::PointStruct>(arena);
      points->push_back(p);
      const Step step = NextPoint(p);
      if (step == Step::kError) return false;
      if (step == Step::kEnd) return Close();
    }
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  char Peek() {
    SkipSpace();
    return p_ < end_ ? *p_ : '\0';
  }
  bool Expect(char c) {
    if (Peek() != c) return false;
    ++p_;
    return true;
  }

  // A string without escapes, as a view into the body (keys).
  bool PlainString(std::string_view* out) {
    if (!Expect('"')) return false;
    const char* start = p_;
    while (p_ < end_ && *p_ != '"') {
      if (*p_ == '\\' || static_cast<unsigned char>(*p_) < 0x20) return false;
      ++p_;
    }
    if (p_ >= end_) return false;
    *out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  bool Key(std::string_view* key) { return PlainString(key) && Expect(':'); }

  static void PutUtf8(uint32_t c, std::string* out) {
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (c >> 6)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (c >> 12)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (c >> 18)));
      out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  bool Hex4(uint32_t* out) {
    if (end_ - p_ < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *out = v;
    return true;
  }
  // Any JSON string, unescaped.
  bool String(std::string* out) {
    if (!Expect('"')) return false;
    out->clear();
    for (;;) {
      const char* run = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20)
        ++p_;
      out->append(run, static_cast<size_t>(p_ - run));
      if (p_ >= end_ || static_cast<unsigned char>(*p_) < 0x20) return false;
      if (*p_ == '"') {
        ++p_;
        return true;
      }
      ++p_;  // backslash
      if (p_ >= end_) return false;
      const char e = *p_++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t c = 0;
          if (!Hex4(&c)) return false;
          if (c >= 0xD800 && c <= 0xDBFF) {  // a surrogate pair
            uint32_t low = 0;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
            p_ += 2;
            if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
            c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
          } else if (c >= 0xDC00 && c <= 0xDFFF) {
            return false;
          }
          PutUtf8(c, out);
          break;
        }
        default:
          return false;
      }
    }
  }

  bool Literal(const char* word) {
    const size_t n = std::strlen(word);
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }

 private:
  bool Point(qdrant::PointStruct* out) {
    if (!Expect('{')) return false;
    bool id = false, vector = false, payload = false;
    if (Peek() == '}') return false;  // no id
    for (;;) {
      std::string_view key;
      if (!Key(&key)) return false;
      if (key == "id" && !id) {
        id = true;
        if (!PointId(out->mutable_id())) return false;
      } else if ((key == "vector" || key == "vectors") && !vector) {
        vector = true;
        if (!Dense(out->mutable_vectors()->mutable_vector()->mutable_dense())) return false;
      } else if (key == "payload" && !payload) {
        payload = true;
        if (Peek() == 'n') {
          if (!Literal("null")) return false;
        } else if (!Object(out->mutable_payload())) {
          return false;
        }
      } else {
        return false;  // unknown or repeated field
      }
      const char c = Peek();
      ++p_;
      if (c == '}') return id;
      if (c != ',') return false;
    }
  }

  bool PointId(qdrant::PointId* out) {
    if (Peek() == '"') {
      std::string s;
      if (!String(&s)) return false;
      out->set_uuid(std::move(s));
      return true;
    }
    Number n;
    if (!ScanNumber(&p_, end_, &n) || n.negative || !n.integral || n.truncated) return false;
    out->set_num(n.mantissa);
    return true;
  }

  bool Dense(qdrant::DenseVector* out) {
    if (!Expect('[')) return false;
    google::protobuf::RepeatedField<float>* data = out->mutable_data();
    if (Peek() == ']') {
      ++p_;
      return true;
    }
    data->Reserve(last_dim_);  // the vectors of one batch have one size
#ifdef STRATA_SSE41_COMPONENTS
    if (HaveSse41()) return Sse41Components(data);
#endif
    return Components(data);
  }

  // The components after '[' up to and with the ']'. The loop is written twice, as a template
  // instantiated for a target cannot inline the SSE4.1 reader.
  bool Components(google::protobuf::RepeatedField<float>* data) {
    for (;;) {
      float f = 0;
      if ((end_ - p_ < kFastComponentBytes || !FastComponent(&p_, &f)) && !ScanComponent(&f)) {
        return false;
      }
      data->Add(f);
      if (const Next next = AfterComponent(data); next != Next::kMore) return next == Next::kEnd;
    }
  }
#ifdef STRATA_SSE41_COMPONENTS
  __attribute__((target("ssse3,sse4.1"))) bool Sse41Components(
      google::protobuf::RepeatedField<float>* data) {
    for (;;) {
      float f = 0;
      if ((end_ - p_ < kFastComponentBytes || !Sse41Component(&p_, &f)) && !ScanComponent(&f)) {
        return false;
      }
      data->Add(f);
      if (const Next next = AfterComponent(data); next != Next::kMore) return next == Next::kEnd;
    }
  }
#endif

  // A component by the full grammar (what the fast readers decline).
  __attribute__((always_inline)) bool ScanComponent(float* f) {
    SkipSpace();
    const char* start = p_;
    Number n;
    return ScanNumber(&p_, end_, &n) && ToFloat(n, start, p_, f);
  }

  enum class Next { kMore, kEnd, kError };
  // The separator after a component: the common "," (JavaScript) and ", " (Python) first.
  __attribute__((always_inline)) Next AfterComponent(google::protobuf::RepeatedField<float>* data) {
    if (p_ < end_ && *p_ == ',') {
      ++p_;
      if (p_ < end_ && *p_ == ' ') ++p_;
      return Next::kMore;
    }
    const char c = Peek();
    ++p_;
    if (c == ']') {
      last_dim_ = data->size();
      return Next::kEnd;
    }
    return c == ',' ? Next::kMore : Next::kError;
  }

  bool Value(qdrant::Value* out, int depth) {
    if (depth > 64) return false;
    switch (Peek()) {
      case 'n':
        if (!Literal("null")) return false;
        out->set_null_value(qdrant::NULL_VALUE);
        return true;
      case 't':
        if (!Literal("true")) return false;
        out->set_bool_value(true);
        return true;
      case 'f':
        if (!Literal("false")) return false;
        out->set_bool_value(false);
        return true;
      case '"': {
        std::string s;
        if (!String(&s)) return false;
        out->set_string_value(std::move(s));
        return true;
      }
      case '[': {
        ++p_;
        auto* list = out->mutable_list_value();
        if (Peek() == ']') {
          ++p_;
          return true;
        }
        for (;;) {
          if (!Value(list->add_values(), depth + 1)) return false;
          const char c = Peek();
          ++p_;
          if (c == ']') return true;
          if (c != ',') return false;
        }
      }
      case '{':
        return Object(out->mutable_struct_value()->mutable_fields(), depth + 1);
      default: {
        const char* start = p_;
        Number n;
        if (!ScanNumber(&p_, end_, &n)) return false;
        if (n.integral) {
          // int64 range, as RapidJSON's IsInt64; larger integers take the general path.
          if (n.truncated) return false;
          if (!n.negative && n.mantissa <= uint64_t{INT64_MAX}) {
            out->set_integer_value(static_cast<int64_t>(n.mantissa));
            return true;
          }
          if (n.negative && n.mantissa <= uint64_t{INT64_MAX} + 1) {
            out->set_integer_value(static_cast<int64_t>(0 - n.mantissa));
            return true;
          }
          return false;
        }
        double d = 0;
        if (!ToDouble(n, start, p_, &d)) return false;
        out->set_double_value(d);
        return true;
      }
    }
  }

  bool Object(google::protobuf::Map<std::string, qdrant::Value>* out, int depth = 0) {
    if (!Expect('{')) return false;
    if (Peek() == '}') {
      ++p_;
      return true;
    }
    std::string key;
    for (;;) {
      SkipSpace();
      if (!String(&key) || !Expect(':')) return false;
      if (key.find('\0') != std::string::npos) return false;  // the general path cuts it there
      // Same operation as the general path: a repeated key parses into the same entry.
      if (!Value(&(*out)[key], depth)) return false;
      const char c = Peek();
      ++p_;
      if (c == '}') return true;
      if (c != ',') return false;
    }
  }

  const char* base_;
  const char* p_;
  const char* end_;
  int last_dim_ = 4;
};

}  // namespace

bool ParseJsonDouble(const char** p, const char* end, double* out) {
  const char* start = *p;
  Number n;
  if (!ScanNumber(p, end, &n)) return false;
  return ToDouble(n, start, *p, out);
}

bool ParseJsonFloat(const char** p, const char* end, float* out, bool portable) {
  if (end - *p >= kFastComponentBytes) {
#ifdef STRATA_SSE41_COMPONENTS
    if (!portable && HaveSse41() && Sse41ComponentEntry(p, out)) return true;
#endif
    if (FastComponent(p, out)) return true;
  }
  const char* start = *p;
  Number n;
  if (!ScanNumber(p, end, &n)) return false;
  return ToFloat(n, start, *p, out);
}

namespace {

// Where a second decoder may start: the first `{"id"` (or `{ "id"`) at or after `from`,
// preceded by a comma. Only a guess (it could sit inside a string): the first decoder confirms
// it by arriving there exactly between two points.
const char* SplitGuess(std::string_view body, size_t from) {
  const char* const begin = body.data();
  const char* const end = begin + body.size();
  for (const char* p = begin + from; p + 6 < end; ++p) {
    p = static_cast<const char*>(std::memchr(p, '{', static_cast<size_t>(end - p)));
    if (p == nullptr) return nullptr;
    const char* k = p + 1;
    while (k < end && *k == ' ') ++k;
    if (end - k < 5 || std::memcmp(k, "\"id\"", 4) != 0) continue;
    const char* b = p - 1;
    while (b > begin && (*b == ' ' || *b == '\n' || *b == '\r' || *b == '\t')) --b;
    if (*b == ',') return p;
  }
  return nullptr;
}

}  // namespace

SplitWorker::SplitWorker() : thread_([this] { Loop(); }) {}

SplitWorker::~SplitWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool SplitWorker::TryStart(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (busy_ || stopping_) return false;
    busy_ = true;
    job_ = std::move(job);
  }
  cv_.notify_all();
  return true;
}

void SplitWorker::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !busy_; });
}

void SplitWorker::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || job_ != nullptr; });
    if (job_ == nullptr) return;  // stopping, nothing pending
    std::function<void()> job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

size_t SplitWorker::TailBytes(size_t body_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  // Both parts take equally long when the tail is shorter by what the head decodes while the
  // worker wakes up; a tenth less again, so that the worker is usually done first (a caller
  // that has to sleep until it is done wakes up late, as the worker does).
  const double head_start = wake_ns_ * bytes_per_ns_;
  const double tail = 0.9 * (static_cast<double>(body_bytes) - head_start) / 2;
  return static_cast<size_t>(std::clamp(tail, body_bytes * 0.3, body_bytes * 0.5));
}

void SplitWorker::Record(int64_t wake_ns, size_t head_bytes, int64_t head_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  constexpr double kWeight = 0.2;  // moving averages over the last few large bodies
  wake_ns_ += kWeight * (static_cast<double>(std::max<int64_t>(wake_ns, 0)) - wake_ns_);
  if (head_ns > 0) {
    bytes_per_ns_ +=
        kWeight * (static_cast<double>(head_bytes) / static_cast<double>(head_ns) - bytes_per_ns_);
  }
}

namespace {

// Decodes the points from where `d` stands (the start of one) to the end of `body`, the last
// part of them on the worker when the rest is large; on failure clears all of out's points.
bool DecodeRest(std::string_view body, Decoder& d, qdrant::UpsertPoints* out, SplitWorker* worker) {
  using Clock = std::chrono::steady_clock;
  google::protobuf::Arena* arena = out->GetArena();
  const size_t from = d.offset();
  const size_t rest = body.size() - from;
  const char* split = worker != nullptr && arena != nullptr && rest >= kParallelDecodeBytes
                          ? SplitGuess(body, body.size() - worker->TailBytes(rest))
                          : nullptr;
  // Two parts at once: the tail on the worker, the head here. The tail counts only if the
  // head confirms the split; either way the head alone decides what is valid.
  std::vector<qdrant::PointStruct*> tail;
  bool tail_ok = false;
  const Clock::time_point started = Clock::now();
  Clock::time_point tail_started;
  if (split != nullptr && !worker->TryStart([&] {
        tail_started = Clock::now();
        Decoder t(std::string_view(split, static_cast<size_t>(body.data() + body.size() - split)));
        tail_ok = t.Tail(arena, &tail);
      })) {
    split = nullptr;  // the worker is busy with another request: read it all here
  }
  bool stopped = false;
  const bool head_ok = d.Points(out, split, &stopped) && (stopped || d.Close());
  if (split != nullptr) {
    const Clock::time_point head_done = Clock::now();
    worker->Wait();
    if (head_ok && stopped) {
      worker->Record((tail_started - started).count(),
                     static_cast<size_t>(split - body.data()) - from,
                     (head_done - started).count());
    }
  }
  if (head_ok && stopped && tail_ok) {
    for (qdrant::PointStruct* p : tail) out->mutable_points()->UnsafeArenaAddAllocated(p);
    return true;
  }
  if (head_ok && !stopped) return true;  // read to the end (no split, or a wrong guess)
  out->clear_points();
  return false;
}

}  // namespace

bool FastDecodeUpsert(std::string_view body, qdrant::UpsertPoints* out, SplitWorker* worker) {
  Decoder d(body);
  if (!d.Open()) return false;
  if (d.EmptyArray()) return d.Close();
  return DecodeRest(body, d, out, worker);
}

UpsertStream::UpsertStream(size_t first_margin) : arena_(ArenaOptions()), margin_(first_margin) {
  request_ = google::protobuf::Arena::CreateMessage<qdrant::UpsertPoints>(&arena_);
}

google::protobuf::ArenaOptions UpsertStream::ArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 << 10;
  options.max_block_size = 1 << 20;
  return options;
}

void UpsertStream::Feed(std::string_view so_far, const std::function<bool()>& stop) {
  Decoder d(so_far, pos_);
  if (state_ == State::kStart) {
    if (so_far.size() < 64) return;  // wait for more than a key's worth
    if (!d.Open() || d.EmptyArray()) {
      state_ = State::kWhole;  // an unusual or tiny body: Finish reads it whole
      return;
    }
    pos_ = d.offset();
    state_ = State::kPoints;
  }
  if (state_ != State::kPoints) return;
  // Once the rest has arrived the caller takes it and Finish splits what is left between two
  // threads: asked every few points (it costs a system call).
  for (unsigned n = 1; so_far.size() - pos_ >= margin_; ++n) {
    if (stop && n % 4 == 0 && stop()) return;
    auto* point = google::protobuf::Arena::CreateMessage<qdrant::PointStruct>(&arena_);
    const Decoder::Step step = d.NextPoint(point);
    if (step == Decoder::Step::kError) {
      // Most likely cut off by the end of what came so far (or not valid: Finish will tell).
      // Try again when twice as much is in.
      margin_ = 2 * (so_far.size() - pos_);
      return;
    }
    request_->mutable_points()->UnsafeArenaAddAllocated(point);
    const size_t next = d.offset();
    margin_ = std::max<size_t>(margin_, 2 * (next - pos_) + 64);  // room for a point like it
    pos_ = next;
    ++streamed_;
    if (step == Decoder::Step::kEnd) {
      state_ = State::kEnded;
      return;
    }
  }
}

bool UpsertStream::Finish(std::string_view body, SplitWorker* worker) {
  Decoder d(body, pos_);
  switch (state_) {
    case State::kStart:
    case State::kWhole:
      return FastDecodeUpsert(body, request_, worker);
    case State::kEnded:
      if (d.Close()) return true;
      break;
    case State::kPoints:
      return DecodeRest(body, d, request_, worker);
  }
  request_->clear_points();
  return false;
}

}  // namespace strata::rest
