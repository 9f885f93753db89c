// posix_fs.h: the kernel's built-in storage backend ("storage/posix"): pread/pwrite/fsync on
// local files, directory fsync, flock-based locks. No mmap. The kernel boots and runs its tests
// with it when no storage plugin is enabled; it is also the reference for the conformance suite.
#ifndef STRATA_KERNEL_STORAGE_POSIX_FS_H_
#define STRATA_KERNEL_STORAGE_POSIX_FS_H_

#include "strata/abi/strata_storage.h"

namespace strata::kernel {

const strata_storage_vtable* PosixStorageVtable();
inline constexpr uint64_t kPosixStorageCaps =
    STRATA_STORAGE_CAP_ATOMIC_RENAME | STRATA_STORAGE_CAP_DIR_SYNC;

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_STORAGE_POSIX_FS_H_
