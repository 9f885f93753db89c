// storage_mmap: the default storage backend. Local files like storage/posix (pread/pwrite,
// fsync, directory fsync, atomic save, flock), plus read-only or writable memory mappings with
// madvise hints, so immutable segments and graphs are searched in place.
#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "strata/sdk/manifest.hpp"
#include "strata/sdk/posix_backend.hpp"

namespace {

using strata::Result;
using strata::Status;
namespace sdk = strata::sdk;

// What unmap needs: the page-aligned region actually mapped.
struct Region {
  void* base;
  size_t len;
};

class MmapFile : public sdk::PosixFile {
 public:
  using PosixFile::PosixFile;

  // Maps [off, off+len). The kernel maps whole pages, so the region starts at the page below
  // `off`; out->data points at `off` itself.
  Status Map(uint64_t off, uint64_t len, bool writable, strata_mapping* out) {
    if (len == 0) return strata::InvalidArgument("map: length must be positive");
    STRATA_ASSIGN_OR_RETURN(uint64_t size, Size());
    if (off + len > size) {
      return strata::OutOfRange("map: range " + std::to_string(off) + "+" + std::to_string(len) +
                                " is past the end of the file (" + std::to_string(size) + ")");
    }
    const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    const uint64_t start = off - off % page;
    const size_t map_len = static_cast<size_t>(off + len - start);
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    void* base = mmap(nullptr, map_len, prot, MAP_SHARED, fd_, static_cast<off_t>(start));
    if (base == MAP_FAILED) return strata::IoError("mmap", path_, errno);
    out->struct_size = sizeof(strata_mapping);
    out->writable = writable ? 1 : 0;
    out->data = static_cast<const char*>(base) + (off - start);
    out->len = len;
    out->impl = new Region{base, map_len};
    return Status::Ok();
  }
  static void Unmap(strata_mapping* m) {
    auto* region = static_cast<Region*>(m->impl);
    if (region == nullptr) return;
    munmap(region->base, region->len);
    delete region;
    m->impl = nullptr;
    m->data = nullptr;
    m->len = 0;
  }
  static Status Advise(strata_mapping* m, int32_t advice) {
    auto* region = static_cast<Region*>(m->impl);
    if (region == nullptr) return strata::FailedPrecondition("advise: mapping is not mapped");
    int native = MADV_NORMAL;
    switch (advice) {
      case STRATA_ADVICE_NORMAL:
        native = MADV_NORMAL;
        break;
      case STRATA_ADVICE_SEQUENTIAL:
        native = MADV_SEQUENTIAL;
        break;
      case STRATA_ADVICE_RANDOM:
        native = MADV_RANDOM;
        break;
      case STRATA_ADVICE_WILLNEED:
        native = MADV_WILLNEED;
        break;
      case STRATA_ADVICE_DONTNEED:
        native = MADV_DONTNEED;
        break;
      default:
        return strata::InvalidArgument("advise: unknown advice " + std::to_string(advice));
    }
    if (madvise(region->base, region->len, native) != 0) {
      return strata::IoError("madvise", "mapping", errno);
    }
    return Status::Ok();
  }
};

using MmapFs = sdk::BasicPosixFs<MmapFile>;

}  // namespace

STRATA_PLUGIN_MANIFEST(STRATA_TIER_STABLE,
                       STRATA_STORAGE_PLUGIN("mmap", "1.0.0",
                                             "local files with memory mappings and madvise", MmapFs,
                                             MmapFile,
                                             STRATA_STORAGE_CAP_MMAP |
                                                 STRATA_STORAGE_CAP_ATOMIC_RENAME |
                                                 STRATA_STORAGE_CAP_DIR_SYNC))
