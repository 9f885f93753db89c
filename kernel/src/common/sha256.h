// sha256.h: SHA-256 digests (snapshot checksums, as Qdrant reports them: lower-case hex), on
// OpenSSL's libcrypto.
#ifndef STRATA_KERNEL_COMMON_SHA256_H_
#define STRATA_KERNEL_COMMON_SHA256_H_

#include <cstddef>
#include <string>

namespace strata::kernel {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t len);
  // 64 lower-case hex digits; the object is spent afterwards.
  std::string HexDigest();

 private:
  void* ctx_;  // EVP_MD_CTX
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_COMMON_SHA256_H_
