// coding.h: little-endian fixed-width encoding for the on-disk formats (x86-64 and arm64 are
// little-endian; a big-endian build would byte-swap here).
#ifndef STRATA_KERNEL_COMMON_CODING_H_
#define STRATA_KERNEL_COMMON_CODING_H_

#include <cstring>
#include <string>

namespace strata::kernel {

template <class T>
void AppendLe(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <class T>
void StoreLe(char* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

template <class T>
T LoadLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_COMMON_CODING_H_
