// flat_index.h: the kernel's built-in exact index ("index/flat"). It scans every allowed vector;
// it serves segments that have no graph yet and is the recall oracle in tests.
#ifndef STRATA_KERNEL_INDEX_FLAT_INDEX_H_
#define STRATA_KERNEL_INDEX_FLAT_INDEX_H_

#include "strata/abi/strata_index.h"

namespace strata::kernel {

const strata_index_vtable* FlatIndexVtable();
inline constexpr uint64_t kFlatIndexCaps =
    STRATA_INDEX_CAP_F32 | STRATA_INDEX_CAP_COSINE | STRATA_INDEX_CAP_DOT | STRATA_INDEX_CAP_L2 |
    STRATA_INDEX_CAP_L1 | STRATA_INDEX_CAP_FILTER_BITSET | STRATA_INDEX_CAP_FILTER_PREDICATE |
    STRATA_INDEX_CAP_INCREMENTAL_INSERT | STRATA_INDEX_CAP_DELETE | STRATA_INDEX_CAP_EXACT;

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_INDEX_FLAT_INDEX_H_
