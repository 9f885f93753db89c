// stable_floats.h: a growable float array whose addresses never move. One virtual reservation
// (PROT_NONE, so it costs no memory or commit charge) is made readable and writable as it
// grows. Index plugins borrow a pointer into it (the zero-copy vector source) while the segment
// keeps appending.
// Concurrency: not synchronised; elements below size() written before an index build are stable.
#ifndef STRATA_KERNEL_SEGMENT_STABLE_FLOATS_H_
#define STRATA_KERNEL_SEGMENT_STABLE_FLOATS_H_

#include <cstddef>

#include "strata/sdk/status.hpp"

namespace strata::kernel {

class StableFloats {
 public:
  static constexpr size_t kReserveBytes = size_t{64} << 30;  // 64 GiB of address space
  StableFloats();
  ~StableFloats();
  StableFloats(const StableFloats&) = delete;
  StableFloats& operator=(const StableFloats&) = delete;
  StableFloats(StableFloats&& o) noexcept;

  // Grows to n floats (new ones are zero); RESOURCE_EXHAUSTED past the reservation.
  Status Resize(size_t n);
  float* data() { return base_; }
  const float* data() const { return base_; }
  size_t size() const { return size_; }
  size_t capacity() const { return kReserveBytes / sizeof(float); }

 private:
  float* base_ = nullptr;
  size_t size_ = 0;
  size_t committed_bytes_ = 0;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SEGMENT_STABLE_FLOATS_H_
