// point_id.h: external point ids (unsigned integers or UUIDs), as clients send them.
#ifndef STRATA_KERNEL_SEGMENT_POINT_ID_H_
#define STRATA_KERNEL_SEGMENT_POINT_ID_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "qdrant_common.pb.h"
#include "strata/sdk/status.hpp"

namespace strata::kernel {

struct ExternalId {
  bool is_uuid = false;
  uint64_t num = 0;                // when !is_uuid
  std::array<uint8_t, 16> uuid{};  // when is_uuid

  static ExternalId Num(uint64_t n) { return ExternalId{false, n, {}}; }
  // Accepts the hyphenated, simple (32 hex), braced and urn:uuid: forms, any case.
  static Result<ExternalId> ParseUuid(const std::string& text);
  // INVALID_ARGUMENT naming `field` when the id is neither set nor a valid UUID.
  static Result<ExternalId> FromProto(const qdrant::PointId& id, const std::string& field);
  void ToProto(qdrant::PointId* out) const;
  std::string ToString() const;  // "42" or lowercase hyphenated UUID

  bool operator==(const ExternalId& o) const {
    return is_uuid == o.is_uuid && (is_uuid ? uuid == o.uuid : num == o.num);
  }
  bool operator!=(const ExternalId& o) const { return !(*this == o); }
  // Qdrant's order: all integer ids before all UUIDs; integers numerically, UUIDs bytewise.
  bool operator<(const ExternalId& o) const {
    if (is_uuid != o.is_uuid) return !is_uuid;
    return is_uuid ? uuid < o.uuid : num < o.num;
  }
};

struct ExternalIdHash {
  size_t operator()(const ExternalId& id) const;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SEGMENT_POINT_ID_H_
