#include "segment/filter.h"

#include "strata/sdk/datetime.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>

namespace strata::kernel {

const PayloadMap& PayloadRef::operator*() const {
  static const PayloadMap kNone;
  return p_ != nullptr ? *p_ : kNone;
}

namespace {

using qdrant::Value;

struct PathPart {
  std::string key;  // empty for a pure index/flatten step
  bool flatten = false;
  int index = -1;  // >= 0 for [N]
};

bool ParsePath(const std::string& path, std::vector<PathPart>* parts) {
  if (path.empty()) return false;
  size_t i = 0;
  while (i < path.size()) {
    PathPart p;
    size_t start = i;
    while (i < path.size() && path[i] != '.' && path[i] != '[') ++i;
    p.key = path.substr(start, i - start);
    if (p.key.empty() && (i == path.size() || path[i] == '.')) return false;
    parts->push_back(p);
    while (i < path.size() && path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) return false;
      PathPart idx;
      std::string inside = path.substr(i + 1, close - i - 1);
      if (inside.empty()) {
        idx.flatten = true;
      } else {
        for (char c : inside) {
          if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        }
        idx.index = std::atoi(inside.c_str());
      }
      parts->push_back(idx);
      i = close + 1;
    }
    if (i < path.size()) {
      if (path[i] != '.') return false;
      ++i;
      if (i == path.size()) return false;
    }
  }
  return true;
}

void Walk(const Value& v, const std::vector<PathPart>& parts, size_t at,
          std::vector<const Value*>* out) {
  if (at == parts.size()) {
    if (v.has_list_value()) {
      for (const Value& e : v.list_value().values()) out->push_back(&e);
    } else {
      out->push_back(&v);
    }
    return;
  }
  const PathPart& p = parts[at];
  if (!p.key.empty()) {
    if (v.has_struct_value()) {
      auto it = v.struct_value().fields().find(p.key);
      if (it != v.struct_value().fields().end()) Walk(it->second, parts, at + 1, out);
    } else if (v.has_list_value()) {  // implicit flatten of arrays of objects
      for (const Value& e : v.list_value().values()) Walk(e, parts, at, out);
    }
    return;
  }
  if (!v.has_list_value()) return;
  const auto& items = v.list_value().values();
  if (p.flatten) {
    for (const Value& e : items) Walk(e, parts, at + 1, out);
  } else if (p.index >= 0 && p.index < items.size()) {
    Walk(items[p.index], parts, at + 1, out);
  }
}

bool IsNumber(const Value& v, double* d) {
  if (v.has_integer_value()) {
    *d = static_cast<double>(v.integer_value());
    return true;
  }
  if (v.has_double_value()) {
    *d = v.double_value();
    return true;
  }
  return false;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c >= 0x80) {
      cur += static_cast<char>(std::tolower(c));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool TextMatch(const qdrant::Match& m, const std::string& text) {
  switch (m.match_value_case()) {
    case qdrant::Match::kText: {
      // Every word of the query appears in the text (Qdrant's full-text semantics).
      std::vector<std::string> have = Words(text);
      for (const std::string& w : Words(m.text())) {
        if (std::find(have.begin(), have.end(), w) == have.end()) return false;
      }
      return true;
    }
    case qdrant::Match::kTextAny: {
      std::vector<std::string> have = Words(text);
      for (const std::string& w : Words(m.text_any())) {
        if (std::find(have.begin(), have.end(), w) != have.end()) return true;
      }
      return false;
    }
    case qdrant::Match::kPhrase: {
      std::vector<std::string> have = Words(text), want = Words(m.phrase());
      if (want.empty()) return true;
      return std::search(have.begin(), have.end(), want.begin(), want.end()) != have.end();
    }
    case qdrant::Match::kPrefix: {
      std::string prefix = Lower(m.prefix());
      for (const std::string& w : Words(text)) {
        if (w.rfind(prefix, 0) == 0) return true;
      }
      return false;
    }
    default:
      return false;
  }
}

bool MatchValue(const qdrant::Match& m, const std::vector<const Value*>& values) {
  switch (m.match_value_case()) {
    case qdrant::Match::kKeyword:
      for (const Value* v : values) {
        if (v->has_string_value() && v->string_value() == m.keyword()) return true;
      }
      return false;
    case qdrant::Match::kInteger:
      for (const Value* v : values) {
        if (v->has_integer_value() && v->integer_value() == m.integer()) return true;
      }
      return false;
    case qdrant::Match::kBoolean:
      for (const Value* v : values) {
        if (v->has_bool_value() && v->bool_value() == m.boolean()) return true;
      }
      return false;
    case qdrant::Match::kKeywords:
      for (const Value* v : values) {
        if (!v->has_string_value()) continue;
        for (const std::string& k : m.keywords().strings()) {
          if (k == v->string_value()) return true;
        }
      }
      return false;
    case qdrant::Match::kIntegers:
      for (const Value* v : values) {
        if (!v->has_integer_value()) continue;
        for (int64_t k : m.integers().integers()) {
          if (k == v->integer_value()) return true;
        }
      }
      return false;
    case qdrant::Match::kExceptKeywords:
    case qdrant::Match::kExceptIntegers: {
      // NOT IN: no value at all matches; otherwise some value must be outside the set.
      if (values.empty()) return true;
      for (const Value* v : values) {
        bool in = false;
        if (m.has_except_keywords() && v->has_string_value()) {
          for (const std::string& k : m.except_keywords().strings()) in |= k == v->string_value();
        } else if (m.has_except_integers() && v->has_integer_value()) {
          for (int64_t k : m.except_integers().integers()) in |= k == v->integer_value();
        }
        if (!in) return true;
      }
      return false;
    }
    case qdrant::Match::kText:
    case qdrant::Match::kTextAny:
    case qdrant::Match::kPhrase:
    case qdrant::Match::kPrefix:
      for (const Value* v : values) {
        if (v->has_string_value() && TextMatch(m, v->string_value())) return true;
      }
      return false;
    default:
      return false;
  }
}

bool InRange(const qdrant::Range& r, double x) {
  if (r.has_lt() && !(x < r.lt())) return false;
  if (r.has_gt() && !(x > r.gt())) return false;
  if (r.has_lte() && !(x <= r.lte())) return false;
  if (r.has_gte() && !(x >= r.gte())) return false;
  return true;
}

int64_t TimestampMicros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

bool InDatetimeRange(const qdrant::DatetimeRange& r, int64_t x) {
  if (r.has_lt() && !(x < TimestampMicros(r.lt()))) return false;
  if (r.has_gt() && !(x > TimestampMicros(r.gt()))) return false;
  if (r.has_lte() && !(x <= TimestampMicros(r.lte()))) return false;
  if (r.has_gte() && !(x >= TimestampMicros(r.gte()))) return false;
  return true;
}

bool AsGeo(const Value& v, double* lon, double* lat) {
  if (!v.has_struct_value()) return false;
  const auto& f = v.struct_value().fields();
  auto lo = f.find("lon"), la = f.find("lat");
  if (lo == f.end() || la == f.end()) return false;
  return IsNumber(lo->second, lon) && IsNumber(la->second, lat);
}

double HaversineMeters(double lon1, double lat1, double lon2, double lat2) {
  constexpr double kEarthRadius = 6371008.8;
  constexpr double kRad = M_PI / 180.0;
  double dlat = (lat2 - lat1) * kRad, dlon = (lon2 - lon1) * kRad;
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(lat1 * kRad) *
                                                           std::cos(lat2 * kRad) *
                                                           std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadius * std::asin(std::min(1.0, std::sqrt(a)));
}

bool InRing(const qdrant::GeoLineString& ring, double lon, double lat) {
  bool inside = false;
  const auto& pts = ring.points();
  for (int i = 0, j = pts.size() - 1; i < pts.size(); j = i++) {
    double xi = pts[i].lon(), yi = pts[i].lat(), xj = pts[j].lon(), yj = pts[j].lat();
    if (((yi > lat) != (yj > lat)) && (lon < (xj - xi) * (lat - yi) / (yj - yi) + xi)) {
      inside = !inside;
    }
  }
  return inside;
}

bool GeoMatch(const qdrant::FieldCondition& c, const std::vector<const Value*>& values) {
  for (const Value* v : values) {
    double lon = 0, lat = 0;
    if (!AsGeo(*v, &lon, &lat)) continue;
    if (c.has_geo_bounding_box()) {
      const auto& b = c.geo_bounding_box();
      bool lat_ok = lat <= b.top_left().lat() && lat >= b.bottom_right().lat();
      bool lon_ok = b.top_left().lon() <= b.bottom_right().lon()
                        ? lon >= b.top_left().lon() && lon <= b.bottom_right().lon()
                        : lon >= b.top_left().lon() || lon <= b.bottom_right().lon();
      if (lat_ok && lon_ok) return true;
    } else if (c.has_geo_radius()) {
      const auto& r = c.geo_radius();
      if (HaversineMeters(lon, lat, r.center().lon(), r.center().lat()) <= r.radius()) {
        return true;
      }
    } else if (c.has_geo_polygon()) {
      const auto& p = c.geo_polygon();
      if (!InRing(p.exterior(), lon, lat)) continue;
      bool in_hole = false;
      for (const auto& hole : p.interiors()) in_hole |= InRing(hole, lon, lat);
      if (!in_hole) return true;
    }
  }
  return false;
}

bool IsEmptyValues(const std::vector<const Value*>& values) {
  for (const Value* v : values) {
    if (!v->has_null_value() && v->kind_case() != Value::KIND_NOT_SET) return false;
  }
  return true;
}

bool AnyNull(const PayloadMap& payload, const std::string& path) {
  // is_null: the value at the path is an explicit null (or a list holding a null).
  std::vector<const Value*> values;
  ValuesAt(payload, path, &values);
  for (const Value* v : values) {
    if (v->has_null_value()) return true;
  }
  return false;
}

bool FieldMatches(const qdrant::FieldCondition& c, const PointView& p) {
  static const PayloadMap kEmpty;
  const PayloadMap& payload = p.payload ? *p.payload : kEmpty;
  std::vector<const Value*> values;
  ValuesAt(payload, c.key(), &values);
  if (c.has_match()) return MatchValue(c.match(), values);
  if (c.has_range()) {
    for (const Value* v : values) {
      double d = 0;
      if (IsNumber(*v, &d) && InRange(c.range(), d)) return true;
    }
    return false;
  }
  if (c.has_datetime_range()) {
    for (const Value* v : values) {
      int64_t t = 0;
      if (v->has_string_value() && ParseDateTime(v->string_value(), &t) &&
          InDatetimeRange(c.datetime_range(), t)) {
        return true;
      }
    }
    return false;
  }
  if (c.has_geo_bounding_box() || c.has_geo_radius() || c.has_geo_polygon()) {
    return GeoMatch(c, values);
  }
  if (c.has_values_count()) {
    const auto& vc = c.values_count();
    uint64_t n = 0;
    for (const Value* v : values) n += v->has_null_value() ? 0 : 1;
    if (vc.has_lt() && !(n < vc.lt())) return false;
    if (vc.has_gt() && !(n > vc.gt())) return false;
    if (vc.has_lte() && !(n <= vc.lte())) return false;
    if (vc.has_gte() && !(n >= vc.gte())) return false;
    return true;
  }
  if (c.has_is_empty()) return IsEmptyValues(values) == c.is_empty();
  if (c.has_is_null()) return AnyNull(payload, c.key()) == c.is_null();
  return false;
}

uint64_t SliceHash(const ExternalId& id) {
  uint64_t h = ExternalIdHash()(id);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

bool ConditionMatches(const qdrant::Condition& c, const PointView& p);

bool FilterMatches(const qdrant::Filter& f, const PointView& p) {
  for (const auto& c : f.must()) {
    if (!ConditionMatches(c, p)) return false;
  }
  for (const auto& c : f.must_not()) {
    if (ConditionMatches(c, p)) return false;
  }
  if (f.should_size() > 0) {
    bool any = false;
    for (const auto& c : f.should()) {
      if (ConditionMatches(c, p)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (f.has_min_should()) {
    uint64_t hits = 0;
    for (const auto& c : f.min_should().conditions()) hits += ConditionMatches(c, p) ? 1 : 0;
    if (hits < f.min_should().min_count()) return false;
  }
  return true;
}

bool ConditionMatches(const qdrant::Condition& c, const PointView& p) {
  switch (c.condition_one_of_case()) {
    case qdrant::Condition::kField:
      return FieldMatches(c.field(), p);
    case qdrant::Condition::kIsEmpty: {
      std::vector<const Value*> values;
      if (p.payload) ValuesAt(*p.payload, c.is_empty().key(), &values);
      return IsEmptyValues(values);
    }
    case qdrant::Condition::kIsNull:
      return p.payload != nullptr && AnyNull(*p.payload, c.is_null().key());
    case qdrant::Condition::kHasId: {
      if (p.id == nullptr) return false;
      for (const auto& raw : c.has_id().has_id()) {
        Result<ExternalId> id = ExternalId::FromProto(raw, "has_id");
        if (id.ok() && *id == *p.id) return true;
      }
      return false;
    }
    case qdrant::Condition::kFilter:
      return FilterMatches(c.filter(), p);
    case qdrant::Condition::kHasVector:
      return p.has_vector && p.has_vector(c.has_vector().has_vector());
    case qdrant::Condition::kNested: {
      if (p.payload == nullptr) return false;
      std::vector<const Value*> elems;
      ValuesAt(*p.payload, c.nested().key(), &elems);
      for (const Value* e : elems) {
        if (!e->has_struct_value()) continue;
        PointView inner{p.id, &e->struct_value().fields(), p.has_vector, PayloadRef()};
        if (FilterMatches(c.nested().filter(), inner)) return true;
      }
      return false;
    }
    case qdrant::Condition::kSlice: {
      if (p.id == nullptr || c.slice().total() == 0) return false;
      return SliceHash(*p.id) % c.slice().total() == c.slice().index();
    }
    default:
      return false;
  }
}

Status ValidateCondition(const qdrant::Condition& c, const std::string& where) {
  switch (c.condition_one_of_case()) {
    case qdrant::Condition::kField: {
      const auto& f = c.field();
      std::vector<PathPart> parts;
      if (!ParsePath(f.key(), &parts)) {
        return InvalidArgument(where + ".key: '" + f.key() + "' is not a valid payload key path");
      }
      int kinds = f.has_match() + f.has_range() + f.has_geo_bounding_box() + f.has_geo_radius() +
                  f.has_values_count() + f.has_geo_polygon() + f.has_datetime_range() +
                  f.has_is_empty() + f.has_is_null();
      if (kinds == 0) {
        return InvalidArgument(where + ": field condition on '" + f.key() +
                               "' has no condition (match, range, geo_*, values_count, ...)");
      }
      if (kinds > 1) {
        return InvalidArgument(where + ": field condition on '" + f.key() +
                               "' sets more than one condition; use one per FieldCondition");
      }
      if (f.has_match() && f.match().match_value_case() == qdrant::Match::MATCH_VALUE_NOT_SET) {
        return InvalidArgument(where + ".match: empty match on '" + f.key() + "'");
      }
      if (f.has_geo_radius() && !(f.geo_radius().radius() >= 0)) {
        return InvalidArgument(where + ".geo_radius.radius: must be >= 0");
      }
      if (f.has_geo_polygon() && f.geo_polygon().exterior().points_size() < 4) {
        return InvalidArgument(where + ".geo_polygon.exterior: a closed ring needs 4+ points");
      }
      return Status::Ok();
    }
    case qdrant::Condition::kIsEmpty:
    case qdrant::Condition::kIsNull: {
      const std::string& key = c.has_is_empty() ? c.is_empty().key() : c.is_null().key();
      std::vector<PathPart> parts;
      if (!ParsePath(key, &parts)) {
        return InvalidArgument(where + ".key: '" + key + "' is not a valid payload key path");
      }
      return Status::Ok();
    }
    case qdrant::Condition::kHasId:
      for (int i = 0; i < c.has_id().has_id_size(); ++i) {
        STRATA_RETURN_IF_ERROR(ExternalId::FromProto(c.has_id().has_id(i),
                                                     where + ".has_id[" + std::to_string(i) + "]")
                                   .status());
      }
      return Status::Ok();
    case qdrant::Condition::kFilter:
      return ValidateFilter(c.filter(), where + ".filter");
    case qdrant::Condition::kNested: {
      std::vector<PathPart> parts;
      if (!ParsePath(c.nested().key(), &parts)) {
        return InvalidArgument(where + ".nested.key: '" + c.nested().key() + "' is not valid");
      }
      return ValidateFilter(c.nested().filter(), where + ".nested.filter");
    }
    case qdrant::Condition::kHasVector:
      return Status::Ok();
    case qdrant::Condition::kSlice:
      if (c.slice().total() == 0 || c.slice().index() >= c.slice().total()) {
        return InvalidArgument(where + ".slice: index must be < total and total > 0");
      }
      return Status::Ok();
    default:
      return InvalidArgument(where + ": empty condition");
  }
}

}  // namespace

std::vector<std::string> TextTokens(const std::string& text) { return Words(text); }

void ValuesAt(const PayloadMap& payload, const std::string& path,
              std::vector<const qdrant::Value*>* out) {
  if (!path.empty() && path.find_first_of(".[") == std::string::npos) {
    // A plain top-level key (the common case): no path to parse.
    auto it = payload.find(path);
    if (it == payload.end()) return;
    if (it->second.has_list_value()) {
      for (const Value& e : it->second.list_value().values()) out->push_back(&e);
    } else {
      out->push_back(&it->second);
    }
    return;
  }
  std::vector<PathPart> parts;
  if (!ParsePath(path, &parts) || parts.empty() || parts[0].key.empty()) return;
  auto it = payload.find(parts[0].key);
  if (it == payload.end()) return;
  Walk(it->second, parts, 1, out);
}

Status ValidateFilter(const qdrant::Filter& f, const std::string& where) {
  for (int i = 0; i < f.must_size(); ++i) {
    STRATA_RETURN_IF_ERROR(
        ValidateCondition(f.must(i), where + ".must[" + std::to_string(i) + "]"));
  }
  for (int i = 0; i < f.should_size(); ++i) {
    STRATA_RETURN_IF_ERROR(
        ValidateCondition(f.should(i), where + ".should[" + std::to_string(i) + "]"));
  }
  for (int i = 0; i < f.must_not_size(); ++i) {
    STRATA_RETURN_IF_ERROR(
        ValidateCondition(f.must_not(i), where + ".must_not[" + std::to_string(i) + "]"));
  }
  if (f.has_min_should()) {
    for (int i = 0; i < f.min_should().conditions_size(); ++i) {
      STRATA_RETURN_IF_ERROR(
          ValidateCondition(f.min_should().conditions(i),
                            where + ".min_should.conditions[" + std::to_string(i) + "]"));
    }
  }
  return Status::Ok();
}

bool Matches(const qdrant::Filter& filter, const PointView& point) {
  return FilterMatches(filter, point);
}

bool ParseDateTime(const std::string& s, int64_t* micros) {
  return sdk::ParseRfc3339Micros(s, micros);
}

}  // namespace strata::kernel
