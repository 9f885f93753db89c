// fast_upsert.h: a direct JSON -> qdrant::UpsertPoints decoder for the common REST upsert body,
// {"points": [{"id": ..., "vector": [numbers], "payload": {...}}, ...]}, without building a DOM.
//
// It is only an accelerator: it either decodes the whole body into exactly what the general
// path (RapidJSON DOM + json_codec) would produce, or answers false and the caller takes the
// general path, which also words every error. Anything unusual (named or sparse vectors, the
// batch form, shard keys, unknown or repeated fields, malformed JSON) answers false.
#ifndef STRATA_PLUGINS_API_REST_FAST_UPSERT_H_
#define STRATA_PLUGINS_API_REST_FAST_UPSERT_H_

#include <string_view>

#include "points.pb.h"

namespace strata::rest {

bool FastDecodeUpsert(std::string_view body, qdrant::UpsertPoints* out);

// One JSON number at `*p` (strict JSON grammar), as the nearest double; advances `*p` past it.
// Exposed for tests.
bool ParseJsonDouble(const char** p, const char* end, double* out);
// The same number as a vector component: the float nearest to that double.
bool ParseJsonFloat(const char** p, const char* end, float* out);

}  // namespace strata::rest

#endif  // STRATA_PLUGINS_API_REST_FAST_UPSERT_H_
