#include "storage/posix_fs.h"

#include "strata/sdk/posix_backend.hpp"

namespace strata::kernel {

const strata_storage_vtable* PosixStorageVtable() {
  using Backend = sdk::BasicPosixFs<sdk::PosixFile>;
  return sdk::StoragePlugin<Backend, sdk::PosixFile>::Vtable();
}

}  // namespace strata::kernel
