#include "segment/stable_floats.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace strata::kernel {

namespace {
constexpr size_t kCommitStep = size_t{2} << 20;  // make 2 MiB readable at a time
}

StableFloats::StableFloats() {
  void* p =
      mmap(nullptr, kReserveBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  base_ = p == MAP_FAILED ? nullptr : static_cast<float*>(p);
}

StableFloats::~StableFloats() {
  if (base_ != nullptr) munmap(base_, kReserveBytes);
}

StableFloats::StableFloats(StableFloats&& o) noexcept
    : base_(o.base_), size_(o.size_), committed_bytes_(o.committed_bytes_) {
  o.base_ = nullptr;
  o.size_ = 0;
  o.committed_bytes_ = 0;
}

Status StableFloats::Resize(size_t n) {
  if (base_ == nullptr) return ResourceExhausted("cannot reserve address space for vectors");
  const size_t bytes = n * sizeof(float);
  if (bytes > kReserveBytes) {
    return ResourceExhausted("the segment's vector storage is full (" +
                             std::to_string(kReserveBytes >> 30) + " GiB per vector name)");
  }
  if (bytes > committed_bytes_) {
    size_t want = (bytes + kCommitStep - 1) / kCommitStep * kCommitStep;
    if (want > kReserveBytes) want = kReserveBytes;
    if (mprotect(reinterpret_cast<char*>(base_) + committed_bytes_, want - committed_bytes_,
                 PROT_READ | PROT_WRITE) != 0) {
      return ResourceExhausted(std::string("cannot grow vector storage: ") + std::strerror(errno));
    }
    committed_bytes_ = want;
  }
  if (n < size_) {
    std::memset(base_ + n, 0, (size_ - n) * sizeof(float));
  }
  size_ = n;
  return Status::Ok();
}

}  // namespace strata::kernel
