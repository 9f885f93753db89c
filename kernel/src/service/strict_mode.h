// strict_mode.h: a collection's strict mode (strict_mode_config with enabled = true), checked on
// a request before it runs. Enforced: unindexed_filtering_retrieve / unindexed_filtering_update
// (when false: every field condition of a filter needs a payload index on its key), max_query_limit
// (every `limit`), search_max_hnsw_ef, search_allow_exact, search_max_oversampling,
// upsert_max_batchsize (points in one upsert), search_max_batchsize (searches in one batch),
// filter_max_conditions (conditions in one filter). The kernel service adds max_points_count and
// max_payload_index_count, which need the collection; the other limits are stored and echoed.
#ifndef STRATA_KERNEL_SERVICE_STRICT_MODE_H_
#define STRATA_KERNEL_SERVICE_STRICT_MODE_H_

#include <set>
#include <string>

#include <google/protobuf/message.h>

#include "collections.pb.h"
#include "strata/sdk/status.hpp"

namespace strata::kernel {

// INVALID_ARGUMENT naming the limit the request breaks (Qdrant's wording for a missing index).
// `indexed`: the payload fields with an index; `write`: the request changes points.
Status CheckStrictMode(const qdrant::StrictModeConfig& strict, const std::set<std::string>& indexed,
                       const google::protobuf::Message& request, bool write);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SERVICE_STRICT_MODE_H_
