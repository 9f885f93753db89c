// The SDK's in-memory backend passes the storage conformance suite.
#include "strata/sdk/testing/mem_fs.hpp"
#include "strata/sdk/testing/storage_conformance.hpp"

namespace strata::sdk::testing {
INSTANTIATE_TEST_SUITE_P(MemFs, StorageConformance,
                         ::testing::Values(StorageTarget{"memfs", MemFsVtable(), 0, nullptr}));
}  // namespace strata::sdk::testing
