#include "plugin/builtin.h"

#include "index/flat_index.h"
#include "storage/posix_fs.h"

#define STRATA_PLUGIN_ID builtin
#include "strata/sdk/manifest.hpp"

namespace {
strata_plugin_info PosixInfo() {
  return {sizeof(strata_plugin_info),
          STRATA_KIND_STORAGE,
          "posix",
          "1.0.0",
          "built-in local files: pread/pwrite/fsync, flock",
          strata::kernel::kPosixStorageCaps,
          strata::kernel::PosixStorageVtable()};
}
strata_plugin_info FlatInfo() {
  return {sizeof(strata_plugin_info),
          STRATA_KIND_INDEX,
          "flat",
          "1.0.0",
          "built-in exact (brute-force) index",
          strata::kernel::kFlatIndexCaps,
          strata::kernel::FlatIndexVtable()};
}
}  // namespace

STRATA_PLUGIN_MANIFEST(STRATA_TIER_STABLE, PosixInfo(), FlatInfo())
