#include "segment/point_id.h"

#include <cctype>
#include <cstdio>

namespace strata::kernel {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Result<ExternalId> ExternalId::ParseUuid(const std::string& raw) {
  std::string t = raw;
  if (t.rfind("urn:uuid:", 0) == 0) t = t.substr(9);
  if (t.size() == 38 && t.front() == '{' && t.back() == '}') t = t.substr(1, 36);
  std::string hex;
  if (t.size() == 36) {
    for (size_t i = 0; i < t.size(); ++i) {
      bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash_pos != (t[i] == '-')) return InvalidArgument("'" + raw + "' is not a valid UUID");
      if (!dash_pos) hex += t[i];
    }
  } else if (t.size() == 32) {
    hex = t;
  } else {
    return InvalidArgument("'" + raw + "' is not a valid UUID");
  }
  ExternalId id;
  id.is_uuid = true;
  for (size_t i = 0; i < 16; ++i) {
    int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("'" + raw + "' is not a valid UUID");
    id.uuid[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return id;
}

Result<ExternalId> ExternalId::FromProto(const qdrant::PointId& id, const std::string& field) {
  switch (id.point_id_options_case()) {
    case qdrant::PointId::kNum:
      return Num(id.num());
    case qdrant::PointId::kUuid: {
      Result<ExternalId> u = ParseUuid(id.uuid());
      if (!u.ok()) {
        return InvalidArgument(field + ": " + u.status().message() +
                               "; a point id is an unsigned integer or a UUID");
      }
      return u;
    }
    default:
      return InvalidArgument(field + ": point id is empty; use an unsigned integer or a UUID");
  }
}

void ExternalId::ToProto(qdrant::PointId* out) const {
  if (is_uuid) {
    out->set_uuid(ToString());
  } else {
    out->set_num(num);
  }
}

std::string ExternalId::ToString() const {
  if (!is_uuid) return std::to_string(num);
  char buf[40];
  const uint8_t* u = uuid.data();
  std::snprintf(buf, sizeof(buf),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                u[15]);
  return buf;
}

size_t ExternalIdHash::operator()(const ExternalId& id) const {
  if (!id.is_uuid) return std::hash<uint64_t>()(id.num * 0x9E3779B97F4A7C15ull);
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : id.uuid) h = (h ^ b) * 1099511628211ull;
  return static_cast<size_t>(h ^ 0x5bd1e995);
}

}  // namespace strata::kernel
