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

// The file of a multipart/form-data body, taken as the body streams in: the content of the
// part named `field`, or else of the first part that carries a file. Other parts are skipped.
// Holds only a boundary's worth of bytes between pieces.
class MultipartFile {
 public:
  // INVALID_ARGUMENT naming Content-Type when it is not multipart/form-data with a boundary.
  static Result<MultipartFile> Start(const std::string& content_type, std::string field);
  // The next bytes of the body; the file's bytes among them go to `out`.
  Status Feed(std::string_view data, const std::function<Status(std::string_view)>& out);
  // The body ended: INVALID_ARGUMENT unless the file part was complete.
  Status Finish() const;

 private:
  enum class State { kSkip, kAfterDelimiter, kHeaders, kFile, kDone };
  std::string field_;
  std::string delimiter_;  // CRLF "--" boundary
  std::string buf_;
  State state_ = State::kSkip;
  bool have_file_ = false;
};

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
