// The kernel's built-in plugins pass the SDK's conformance suites, like any plugin.
#include <stdlib.h>

#include "index/flat_index.h"
#include "storage/posix_fs.h"
#include "strata/sdk/testing/index_conformance.hpp"
#include "strata/sdk/testing/storage_conformance.hpp"

namespace strata::sdk::testing {
namespace {

std::string TempRoot() {
  char tmpl[] = "/tmp/strata-posix-XXXXXX";
  return mkdtemp(tmpl) ? tmpl : "/nonexistent";
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Posix, StorageConformance,
                         ::testing::Values(StorageTarget{"posix", kernel::PosixStorageVtable(),
                                                         kernel::kPosixStorageCaps, &TempRoot}));
INSTANTIATE_TEST_SUITE_P(Flat, IndexConformance,
                         ::testing::Values(IndexTarget{
                             "flat", kernel::FlatIndexVtable(), kernel::kFlatIndexCaps, {}, 1.0}));

}  // namespace strata::sdk::testing
