// filter.h: Qdrant's filter grammar evaluated against one point (payload, id, vectors).
//
// Grammar: must / should / must_not / min_should; field conditions: match (keyword, integer,
// bool, text, phrase, text_any, prefix, any-of, except), range, datetime range (RFC 3339),
// geo bounding box / radius / polygon, values_count, is_empty, is_null; has_id; has_vector;
// nested (arrays of objects); slice. Keys are paths: "a.b", "a[].b", "a[2]"; arrays are
// flattened on the way, so "city" matches any element of ["Berlin", "London"].
#ifndef STRATA_KERNEL_SEGMENT_FILTER_H_
#define STRATA_KERNEL_SEGMENT_FILTER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "json_with_int.pb.h"
#include "qdrant_common.pb.h"
#include "segment/point_id.h"
#include "strata/sdk/status.hpp"

namespace strata::kernel {

using PayloadMap = google::protobuf::Map<std::string, qdrant::Value>;

// A point's payload as a segment hands it out: borrowed from memory, or decoded from the disk
// store and owned. Reads as an empty map when there is none.
class PayloadRef {
 public:
  PayloadRef() = default;
  explicit PayloadRef(const PayloadMap* borrowed) : p_(borrowed) {}
  explicit PayloadRef(std::shared_ptr<const PayloadMap> owned)
      : owned_(std::move(owned)), p_(owned_.get()) {}
  const PayloadMap* get() const { return p_; }
  const PayloadMap& operator*() const;
  const PayloadMap* operator->() const { return &**this; }
  operator const PayloadMap&() const { return **this; }  // NOLINT: reads like the map

 private:
  std::shared_ptr<const PayloadMap> owned_;
  const PayloadMap* p_ = nullptr;
};

struct PointView {
  const ExternalId* id = nullptr;
  const PayloadMap* payload = nullptr;                 // may be null: no payload
  std::function<bool(const std::string&)> has_vector;  // may be empty: no vectors
  PayloadRef keep;                                     // owns *payload when it was decoded
};

// INVALID_ARGUMENT naming the offending part ("filter.must[1].key: empty") for a filter that
// cannot be evaluated.
Status ValidateFilter(const qdrant::Filter& filter, const std::string& where = "filter");

bool Matches(const qdrant::Filter& filter, const PointView& point);

// Every value found at `path` in `payload` (arrays flattened). Exposed for ordering and tests.
void ValuesAt(const PayloadMap& payload, const std::string& path,
              std::vector<const qdrant::Value*>* out);

// The full-text tokens of a string: runs of letters/digits (and any non-ASCII byte), lowercased.
// Text matches (text, text_any, phrase, prefix) compare these tokens.
std::vector<std::string> TextTokens(const std::string& text);

// RFC 3339 / ISO 8601 date-time ("2024-01-02T03:04:05Z", "+02:00" offsets, fractional seconds,
// date only) to microseconds since the epoch; false when not parseable.
bool ParseDateTime(const std::string& text, int64_t* micros);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SEGMENT_FILTER_H_
