// snapshot_transfer.h: moving snapshot files in and out of the REST API: the file part of a
// multipart/form-data upload, and an HTTP(S) client that fetches a snapshot from a URL for
// `PUT /collections/{name}/snapshots/recover` (streamed in pieces to a sink).
#ifndef STRATA_PLUGINS_API_REST_SNAPSHOT_TRANSFER_H_
#define STRATA_PLUGINS_API_REST_SNAPSHOT_TRANSFER_H_

#include <functional>
#include <string>
#include <string_view>

#include "strata/sdk/status.hpp"

namespace strata::rest {

// The content of the form field `field` (or, when there is none by that name, of the first part
// that carries a file) in a multipart/form-data body; errors name what is wrong.
Result<std::string_view> MultipartPart(std::string_view body, const std::string& content_type,
                                       const std::string& field);

struct FetchOptions {
  std::string api_key;       // sent as `api-key` when set
  uint64_t max_bytes = 0;    // 0 = unlimited
  int timeout_seconds = 60;  // per connect / read
  int max_redirects = 5;
};

// GETs an http:// or https:// URL (certificates checked against the system's CAs) and hands
// the body to `sink` piece by piece. Non-2xx answers are errors naming the status.
Status HttpFetch(const std::string& url, const FetchOptions& options,
                 const std::function<Status(std::string_view piece)>& sink);

}  // namespace strata::rest

#endif  // STRATA_PLUGINS_API_REST_SNAPSHOT_TRANSFER_H_
