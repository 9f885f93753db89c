#include "json_codec.h"

#include "strata/sdk/datetime.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>

namespace strata::rest {
namespace {

Status Bad(const std::string& at, const std::string& what) {
  return InvalidArgument("Format error in JSON body: " + at + ": " + what);
}

const Json* Member(const Json& j, const char* name) {
  if (!j.IsObject()) return nullptr;
  auto it = j.FindMember(name);
  if (it == j.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string Join(const std::string& at, const std::string& name) {
  return at.empty() ? name : at + "." + name;
}

Status GetUint(const Json& j, const std::string& at, uint64_t* out) {
  if (!j.IsUint64()) return Bad(at, "expected a non-negative integer");
  *out = j.GetUint64();
  return Status::Ok();
}

Status GetDouble(const Json& j, const std::string& at, double* out) {
  if (!j.IsNumber()) return Bad(at, "expected a number");
  *out = j.GetDouble();
  return Status::Ok();
}

Status GetBool(const Json& j, const std::string& at, bool* out) {
  if (!j.IsBool()) return Bad(at, "expected true or false");
  *out = j.GetBool();
  return Status::Ok();
}

Status GetString(const Json& j, const std::string& at, std::string* out) {
  if (!j.IsString()) return Bad(at, "expected a string");
  out->assign(j.GetString(), j.GetStringLength());
  return Status::Ok();
}

// A string naming one of `variants` (Qdrant's snake_case enum spellings) into its value.
template <class E>
Status ParseVariant(const Json& j, const std::string& at,
                    std::initializer_list<std::pair<const char*, E>> variants, E* out) {
  std::string v;
  STRATA_RETURN_IF_ERROR(GetString(j, at, &v));
  std::string names;
  size_t i = 0;
  for (const auto& [name, value] : variants) {
    if (v == name) {
      *out = value;
      return Status::Ok();
    }
    names += (i == 0 ? "" : i + 1 == variants.size() ? " or " : ", ") + std::string(name);
    ++i;
  }
  return Bad(at, "unknown variant `" + v + "`, expected " + names);
}

// Optional members: each helper sets the proto field only when the member is present.
#define OPT_UINT(obj, name, setter)                          \
  if (const Json* m = Member(obj, name)) {                   \
    uint64_t v = 0;                                          \
    STRATA_RETURN_IF_ERROR(GetUint(*m, Join(at, name), &v)); \
    setter(v);                                               \
  }
#define OPT_DOUBLE(obj, name, setter)                          \
  if (const Json* m = Member(obj, name)) {                     \
    double v = 0;                                              \
    STRATA_RETURN_IF_ERROR(GetDouble(*m, Join(at, name), &v)); \
    setter(v);                                                 \
  }
#define OPT_BOOL(obj, name, setter)                          \
  if (const Json* m = Member(obj, name)) {                   \
    bool v = false;                                          \
    STRATA_RETURN_IF_ERROR(GetBool(*m, Join(at, name), &v)); \
    setter(v);                                               \
  }

bool ParseRfc3339(const std::string& s, google::protobuf::Timestamp* out) {
  int64_t micros = 0;
  if (!sdk::ParseRfc3339Micros(s, &micros)) return false;
  int64_t secs = micros / 1000000, rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --secs;
  }
  out->set_seconds(secs);
  out->set_nanos(static_cast<int32_t>(rem * 1000));
  return true;
}

Status ParseGeoPoint(const Json& j, const std::string& at, qdrant::GeoPoint* out) {
  const Json* lon = Member(j, "lon");
  const Json* lat = Member(j, "lat");
  if (lon == nullptr || lat == nullptr) return Bad(at, "a geo point needs lon and lat");
  double v = 0;
  STRATA_RETURN_IF_ERROR(GetDouble(*lon, Join(at, "lon"), &v));
  out->set_lon(v);
  STRATA_RETURN_IF_ERROR(GetDouble(*lat, Join(at, "lat"), &v));
  out->set_lat(v);
  return Status::Ok();
}

Status ParseLineString(const Json& j, const std::string& at, qdrant::GeoLineString* out) {
  const Json* pts = Member(j, "points");
  if (pts == nullptr || !pts->IsArray()) return Bad(at, "expected {\"points\": [...]}");
  for (rapidjson::SizeType i = 0; i < pts->Size(); ++i) {
    STRATA_RETURN_IF_ERROR(
        ParseGeoPoint((*pts)[i], at + ".points[" + std::to_string(i) + "]", out->add_points()));
  }
  return Status::Ok();
}

Status ParseMatch(const Json& j, const std::string& at, qdrant::Match* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  if (const Json* v = Member(j, "value")) {
    if (v->IsString()) {
      out->set_keyword(v->GetString());
    } else if (v->IsBool()) {
      out->set_boolean(v->GetBool());
    } else if (v->IsInt64()) {
      out->set_integer(v->GetInt64());
    } else {
      return Bad(Join(at, "value"), "expected a string, integer or boolean");
    }
    return Status::Ok();
  }
  // match any / except: strings or integers, decided by the first element. Only one oneof
  // member is touched (mutable_* on another member would switch the oneof).
  for (const char* name : {"any", "except"}) {
    const Json* arr = Member(j, name);
    if (arr == nullptr) continue;
    if (!arr->IsArray()) return Bad(Join(at, name), "expected an array");
    const bool except = std::string(name) == "except";
    const bool strings = arr->Size() == 0 || (*arr)[0].IsString();
    qdrant::RepeatedStrings* strs = nullptr;
    qdrant::RepeatedIntegers* ints = nullptr;
    if (strings) {
      strs = except ? out->mutable_except_keywords() : out->mutable_keywords();
    } else {
      ints = except ? out->mutable_except_integers() : out->mutable_integers();
    }
    for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
      const std::string where = Join(at, name) + "[" + std::to_string(i) + "]";
      if (strings) {
        if (!(*arr)[i].IsString()) return Bad(where, "mixed strings and integers");
        strs->add_strings((*arr)[i].GetString());
      } else {
        if (!(*arr)[i].IsInt64()) return Bad(where, "expected an integer");
        ints->add_integers((*arr)[i].GetInt64());
      }
    }
    return Status::Ok();
  }
  std::string s;
  if (const Json* t = Member(j, "text")) {
    STRATA_RETURN_IF_ERROR(GetString(*t, Join(at, "text"), &s));
    out->set_text(s);
  } else if (const Json* t = Member(j, "phrase")) {
    STRATA_RETURN_IF_ERROR(GetString(*t, Join(at, "phrase"), &s));
    out->set_phrase(s);
  } else if (const Json* t = Member(j, "text_any")) {
    STRATA_RETURN_IF_ERROR(GetString(*t, Join(at, "text_any"), &s));
    out->set_text_any(s);
  } else if (const Json* t = Member(j, "prefix")) {
    STRATA_RETURN_IF_ERROR(GetString(*t, Join(at, "prefix"), &s));
    out->set_prefix(s);
  } else {
    return Bad(at, "expected one of value, any, except, text, phrase, text_any, prefix");
  }
  return Status::Ok();
}

Status ParseRange(const Json& j, const std::string& at, qdrant::FieldCondition* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  bool datetime = false;
  for (const char* k : {"lt", "gt", "gte", "lte"}) {
    if (const Json* m = Member(j, k)) datetime |= m->IsString();
  }
  if (datetime) {
    auto* r = out->mutable_datetime_range();
    auto set = [&](const char* k, google::protobuf::Timestamp* ts) -> Status {
      const Json* m = Member(j, k);
      std::string s;
      STRATA_RETURN_IF_ERROR(GetString(*m, Join(at, k), &s));
      if (!ParseRfc3339(s, ts)) return Bad(Join(at, k), "'" + s + "' is not an RFC 3339 date-time");
      return Status::Ok();
    };
    if (Member(j, "lt")) STRATA_RETURN_IF_ERROR(set("lt", r->mutable_lt()));
    if (Member(j, "gt")) STRATA_RETURN_IF_ERROR(set("gt", r->mutable_gt()));
    if (Member(j, "gte")) STRATA_RETURN_IF_ERROR(set("gte", r->mutable_gte()));
    if (Member(j, "lte")) STRATA_RETURN_IF_ERROR(set("lte", r->mutable_lte()));
    return Status::Ok();
  }
  auto* r = out->mutable_range();
  OPT_DOUBLE(j, "lt", r->set_lt);
  OPT_DOUBLE(j, "gt", r->set_gt);
  OPT_DOUBLE(j, "gte", r->set_gte);
  OPT_DOUBLE(j, "lte", r->set_lte);
  return Status::Ok();
}

Status ParseCondition(const Json& j, const std::string& at, qdrant::Condition* out);

Status ParseConditions(const Json& j, const std::string& at,
                       google::protobuf::RepeatedPtrField<qdrant::Condition>* out) {
  if (j.IsArray()) {
    for (rapidjson::SizeType i = 0; i < j.Size(); ++i) {
      STRATA_RETURN_IF_ERROR(ParseCondition(j[i], at + "[" + std::to_string(i) + "]", out->Add()));
    }
    return Status::Ok();
  }
  return ParseCondition(j, at, out->Add());  // a single condition is accepted too
}

Status ParseCondition(const Json& j, const std::string& at, qdrant::Condition* out) {
  if (!j.IsObject()) return Bad(at, "expected a condition object");
  if (Member(j, "must") || Member(j, "should") || Member(j, "must_not") ||
      Member(j, "min_should")) {
    return ParseFilter(j, at, out->mutable_filter());
  }
  if (const Json* e = Member(j, "is_empty")) {
    std::string key;
    const Json* k = Member(*e, "key");
    if (k == nullptr) return Bad(Join(at, "is_empty"), "needs a key");
    STRATA_RETURN_IF_ERROR(GetString(*k, Join(at, "is_empty.key"), &key));
    out->mutable_is_empty()->set_key(key);
    return Status::Ok();
  }
  if (const Json* e = Member(j, "is_null")) {
    std::string key;
    const Json* k = Member(*e, "key");
    if (k == nullptr) return Bad(Join(at, "is_null"), "needs a key");
    STRATA_RETURN_IF_ERROR(GetString(*k, Join(at, "is_null.key"), &key));
    out->mutable_is_null()->set_key(key);
    return Status::Ok();
  }
  if (const Json* ids = Member(j, "has_id")) {
    if (!ids->IsArray()) return Bad(Join(at, "has_id"), "expected an array of ids");
    for (rapidjson::SizeType i = 0; i < ids->Size(); ++i) {
      STRATA_RETURN_IF_ERROR(ParsePointId((*ids)[i], at + ".has_id[" + std::to_string(i) + "]",
                                          out->mutable_has_id()->add_has_id()));
    }
    return Status::Ok();
  }
  if (const Json* hv = Member(j, "has_vector")) {
    std::string name;
    STRATA_RETURN_IF_ERROR(GetString(*hv, Join(at, "has_vector"), &name));
    out->mutable_has_vector()->set_has_vector(name);
    return Status::Ok();
  }
  if (const Json* n = Member(j, "nested")) {
    const Json* k = Member(*n, "key");
    const Json* f = Member(*n, "filter");
    if (k == nullptr || f == nullptr) return Bad(Join(at, "nested"), "needs key and filter");
    std::string key;
    STRATA_RETURN_IF_ERROR(GetString(*k, Join(at, "nested.key"), &key));
    out->mutable_nested()->set_key(key);
    return ParseFilter(*f, Join(at, "nested.filter"), out->mutable_nested()->mutable_filter());
  }
  const Json* key = Member(j, "key");
  if (key == nullptr) {
    return Bad(at,
               "unknown condition (expected key, has_id, is_empty, is_null, has_vector, "
               "nested, or a nested filter)");
  }
  auto* f = out->mutable_field();
  std::string k;
  STRATA_RETURN_IF_ERROR(GetString(*key, Join(at, "key"), &k));
  f->set_key(k);
  if (const Json* m = Member(j, "match"))
    STRATA_RETURN_IF_ERROR(ParseMatch(*m, Join(at, "match"), f->mutable_match()));
  if (const Json* r = Member(j, "range"))
    STRATA_RETURN_IF_ERROR(ParseRange(*r, Join(at, "range"), f));
  if (const Json* b = Member(j, "geo_bounding_box")) {
    const Json* tl = Member(*b, "top_left");
    const Json* br = Member(*b, "bottom_right");
    if (!tl || !br) return Bad(Join(at, "geo_bounding_box"), "needs top_left and bottom_right");
    STRATA_RETURN_IF_ERROR(ParseGeoPoint(*tl, Join(at, "geo_bounding_box.top_left"),
                                         f->mutable_geo_bounding_box()->mutable_top_left()));
    STRATA_RETURN_IF_ERROR(ParseGeoPoint(*br, Join(at, "geo_bounding_box.bottom_right"),
                                         f->mutable_geo_bounding_box()->mutable_bottom_right()));
  }
  if (const Json* r = Member(j, "geo_radius")) {
    const Json* c = Member(*r, "center");
    const Json* rad = Member(*r, "radius");
    if (!c || !rad) return Bad(Join(at, "geo_radius"), "needs center and radius");
    STRATA_RETURN_IF_ERROR(ParseGeoPoint(*c, Join(at, "geo_radius.center"),
                                         f->mutable_geo_radius()->mutable_center()));
    double radius = 0;
    STRATA_RETURN_IF_ERROR(GetDouble(*rad, Join(at, "geo_radius.radius"), &radius));
    f->mutable_geo_radius()->set_radius(static_cast<float>(radius));
  }
  if (const Json* p = Member(j, "geo_polygon")) {
    const Json* ext = Member(*p, "exterior");
    if (!ext) return Bad(Join(at, "geo_polygon"), "needs exterior");
    STRATA_RETURN_IF_ERROR(ParseLineString(*ext, Join(at, "geo_polygon.exterior"),
                                           f->mutable_geo_polygon()->mutable_exterior()));
    if (const Json* ints = Member(*p, "interiors")) {
      if (!ints->IsArray()) return Bad(Join(at, "geo_polygon.interiors"), "expected an array");
      for (rapidjson::SizeType i = 0; i < ints->Size(); ++i) {
        STRATA_RETURN_IF_ERROR(
            ParseLineString((*ints)[i], at + ".geo_polygon.interiors[" + std::to_string(i) + "]",
                            f->mutable_geo_polygon()->add_interiors()));
      }
    }
  }
  if (const Json* vc = Member(j, "values_count")) {
    auto* c = f->mutable_values_count();
    const std::string base = Join(at, "values_count");
    for (const char* name : {"lt", "gt", "gte", "lte"}) {
      if (const Json* m = Member(*vc, name)) {
        uint64_t v = 0;
        STRATA_RETURN_IF_ERROR(GetUint(*m, Join(base, name), &v));
        if (std::string(name) == "lt") c->set_lt(v);
        if (std::string(name) == "gt") c->set_gt(v);
        if (std::string(name) == "gte") c->set_gte(v);
        if (std::string(name) == "lte") c->set_lte(v);
      }
    }
  }
  OPT_BOOL(j, "is_empty", f->set_is_empty);
  OPT_BOOL(j, "is_null", f->set_is_null);
  return Status::Ok();
}

qdrant::Distance DistanceOf(const std::string& s) {
  if (s == "Cosine") return qdrant::Cosine;
  if (s == "Euclid") return qdrant::Euclid;
  if (s == "Dot") return qdrant::Dot;
  if (s == "Manhattan") return qdrant::Manhattan;
  return qdrant::UnknownDistance;
}

const char* DistanceName(qdrant::Distance d) {
  switch (d) {
    case qdrant::Cosine:
      return "Cosine";
    case qdrant::Euclid:
      return "Euclid";
    case qdrant::Dot:
      return "Dot";
    case qdrant::Manhattan:
      return "Manhattan";
    default:
      return "Cosine";
  }
}

Status ParseDatatype(const Json& j, const std::string& at, qdrant::Datatype* out) {
  std::string t;
  STRATA_RETURN_IF_ERROR(GetString(j, at, &t));
  if (t == "float32") {
    *out = qdrant::Float32;
  } else if (t == "uint8") {
    *out = qdrant::Uint8;
  } else if (t == "float16") {
    *out = qdrant::Float16;
  } else {
    return Bad(at, "unknown variant `" + t + "`, expected one of `float32`, `uint8`, `float16`");
  }
  return Status::Ok();
}

const char* DatatypeName(qdrant::Datatype d) {
  return d == qdrant::Uint8 ? "uint8" : d == qdrant::Float16 ? "float16" : "float32";
}

// {"index": {"full_scan_threshold", "on_disk", "datatype"}, "modifier": "none" | "idf"}
Status ParseSparseVectorParams(const Json& j, const std::string& at,
                               qdrant::SparseVectorParams* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  for (const auto& m : j.GetObject()) {
    const std::string name = m.name.GetString();
    if (name != "index" && name != "modifier") {
      return Bad(at, "unknown field `" + name + "`, expected `index` or `modifier`");
    }
  }
  if (const Json* idx = Member(j, "index")) {
    const std::string where = Join(at, "index");
    if (!idx->IsObject()) return Bad(where, "expected an object");
    qdrant::SparseIndexConfig* ic = out->mutable_index();
    {
      const std::string& at = where;  // the OPT_* macros name fields under `at`
      OPT_UINT(*idx, "full_scan_threshold", ic->set_full_scan_threshold);
      OPT_BOOL(*idx, "on_disk", ic->set_on_disk);
    }
    if (const Json* dt = Member(*idx, "datatype")) {
      qdrant::Datatype t = qdrant::Default;
      STRATA_RETURN_IF_ERROR(ParseDatatype(*dt, Join(where, "datatype"), &t));
      ic->set_datatype(t);
    }
  }
  if (const Json* mod = Member(j, "modifier")) {
    std::string m;
    STRATA_RETURN_IF_ERROR(GetString(*mod, Join(at, "modifier"), &m));
    if (m == "idf") {
      out->set_modifier(qdrant::Idf);
    } else if (m == "none") {
      out->set_modifier(qdrant::None);
    } else {
      return Bad(Join(at, "modifier"), "unknown variant `" + m + "`, expected `none` or `idf`");
    }
  }
  return Status::Ok();
}

// `sparse_vectors` of create and update: {name: {index, modifier}}.
Status ParseSparseVectorsConfig(const Json& j, qdrant::SparseVectorConfig* out) {
  if (!j.IsObject()) return Bad("sparse_vectors", "expected an object of named sparse vectors");
  auto* map = out->mutable_map();
  for (const auto& m : j.GetObject()) {
    const std::string name = m.name.GetString();
    STRATA_RETURN_IF_ERROR(
        ParseSparseVectorParams(m.value, "sparse_vectors." + name, &(*map)[name]));
  }
  return Status::Ok();
}

Status ParseVectorParams(const Json& j, const std::string& at, qdrant::VectorParams* out) {
  if (!j.IsObject()) return Bad(at, "expected {\"size\": ..., \"distance\": ...}");
  const Json* size = Member(j, "size");
  const Json* dist = Member(j, "distance");
  if (!size) return Bad(at, "missing field `size`");
  if (!dist) return Bad(at, "missing field `distance`");
  uint64_t n = 0;
  STRATA_RETURN_IF_ERROR(GetUint(*size, Join(at, "size"), &n));
  out->set_size(n);
  std::string d;
  STRATA_RETURN_IF_ERROR(GetString(*dist, Join(at, "distance"), &d));
  if (DistanceOf(d) == qdrant::UnknownDistance) {
    return Bad(
        Join(at, "distance"),
        "unknown variant `" + d + "`, expected one of `Cosine`, `Euclid`, `Dot`, `Manhattan`");
  }
  out->set_distance(DistanceOf(d));
  OPT_BOOL(j, "on_disk", out->set_on_disk);
  if (const Json* dt = Member(j, "datatype")) {
    qdrant::Datatype t = qdrant::Default;
    STRATA_RETURN_IF_ERROR(ParseDatatype(*dt, Join(at, "datatype"), &t));
    out->set_datatype(t);
  }
  if (Member(j, "multivector_config")) out->mutable_multivector_config();
  return Status::Ok();
}

// Memory placement: "cold" | "cached" | "pinned" (what a component may refuse is the kernel's).
Status ParseMemory(const Json& j, const std::string& at, qdrant::Memory* out) {
  return ParseVariant(
      j, at, {{"cold", qdrant::Cold}, {"cached", qdrant::Cached}, {"pinned", qdrant::Pinned}}, out);
}

const char* MemoryName(qdrant::Memory m) {
  return m == qdrant::Cold ? "cold" : m == qdrant::Pinned ? "pinned" : "cached";
}

Status ParseHnswDiff(const Json& j, const std::string& at, qdrant::HnswConfigDiff* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  if (const Json* m = Member(j, "memory")) {
    qdrant::Memory v = qdrant::MemoryUnknown;
    STRATA_RETURN_IF_ERROR(ParseMemory(*m, Join(at, "memory"), &v));
    out->set_memory(v);
  }
  OPT_UINT(j, "m", out->set_m);
  OPT_UINT(j, "ef_construct", out->set_ef_construct);
  OPT_UINT(j, "full_scan_threshold", out->set_full_scan_threshold);
  OPT_UINT(j, "max_indexing_threads", out->set_max_indexing_threads);
  OPT_BOOL(j, "on_disk", out->set_on_disk);
  OPT_UINT(j, "payload_m", out->set_payload_m);
  return Status::Ok();
}

Status ParseOptimizersDiff(const Json& j, const std::string& at,
                           qdrant::OptimizersConfigDiff* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  OPT_DOUBLE(j, "deleted_threshold", out->set_deleted_threshold);
  OPT_UINT(j, "vacuum_min_vector_number", out->set_vacuum_min_vector_number);
  OPT_UINT(j, "default_segment_number", out->set_default_segment_number);
  OPT_UINT(j, "max_segment_size", out->set_max_segment_size);
  OPT_UINT(j, "memmap_threshold", out->set_memmap_threshold);
  OPT_UINT(j, "indexing_threshold", out->set_indexing_threshold);
  OPT_UINT(j, "flush_interval_sec", out->set_flush_interval_sec);
  if (const Json* m = Member(j, "max_optimization_threads")) {
    uint64_t v = 0;
    if (m->IsString()) {
      out->mutable_max_optimization_threads()->set_setting(qdrant::MaxOptimizationThreads::Auto);
    } else {
      STRATA_RETURN_IF_ERROR(GetUint(*m, Join(at, "max_optimization_threads"), &v));
      out->mutable_max_optimization_threads()->set_value(v);
    }
  }
  return Status::Ok();
}

Status ParseQuantization(const Json& j, const std::string& at, qdrant::QuantizationConfig* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  if (const Json* s = Member(j, "scalar")) {
    auto* sc = out->mutable_scalar();
    sc->set_type(qdrant::Int8);
    const std::string base = Join(at, "scalar");
    const Json* type = Member(*s, "type");
    if (type == nullptr) return Bad(base, "missing field `type`");
    if (!type->IsString() || std::string(type->GetString()) != "int8") {
      return Bad(Join(base, "type"), "unknown variant, expected `int8`");
    }
    if (const Json* q = Member(*s, "quantile")) {
      double v = 0;
      STRATA_RETURN_IF_ERROR(GetDouble(*q, Join(base, "quantile"), &v));
      sc->set_quantile(static_cast<float>(v));
    }
    if (const Json* r = Member(*s, "always_ram")) {
      bool v = false;
      STRATA_RETURN_IF_ERROR(GetBool(*r, Join(base, "always_ram"), &v));
      sc->set_always_ram(v);
    }
    return Status::Ok();
  }
  if (const Json* b = Member(j, "binary")) {
    auto* bin = out->mutable_binary();
    if (const Json* r = Member(*b, "always_ram")) {
      bool v = false;
      STRATA_RETURN_IF_ERROR(GetBool(*r, Join(at, "binary.always_ram"), &v));
      bin->set_always_ram(v);
    }
    if (const Json* e = Member(*b, "encoding")) {
      qdrant::BinaryQuantizationEncoding v = qdrant::OneBit;
      STRATA_RETURN_IF_ERROR(ParseVariant(*e, Join(at, "binary.encoding"),
                                          {{"one_bit", qdrant::OneBit},
                                           {"two_bits", qdrant::TwoBits},
                                           {"one_and_half_bits", qdrant::OneAndHalfBits}},
                                          &v));
      bin->set_encoding(v);
    }
    if (const Json* e = Member(*b, "query_encoding")) {
      using QE = qdrant::BinaryQuantizationQueryEncoding;
      QE::Setting v = QE::Default;
      STRATA_RETURN_IF_ERROR(ParseVariant(*e, Join(at, "binary.query_encoding"),
                                          {{"default", QE::Default},
                                           {"binary", QE::Binary},
                                           {"scalar4bits", QE::Scalar4Bits},
                                           {"scalar8bits", QE::Scalar8Bits}},
                                          &v));
      bin->mutable_query_encoding()->set_setting(v);
    }
    return Status::Ok();
  }
  if (Member(j, "product")) {
    out->mutable_product()->set_compression(qdrant::x16);
    return Status::Ok();
  }
  return Bad(at, "expected scalar, product or binary");
}

}  // namespace

Status ParsePointId(const Json& j, const std::string& at, qdrant::PointId* out) {
  if (j.IsUint64()) {
    out->set_num(j.GetUint64());
    return Status::Ok();
  }
  if (j.IsString()) {
    out->set_uuid(j.GetString());
    return Status::Ok();
  }
  return Bad(at, "a point id is an unsigned integer or a UUID string");
}

Status ParseValue(const Json& j, qdrant::Value* out) {
  switch (j.GetType()) {
    case rapidjson::kNullType:
      out->set_null_value(qdrant::NULL_VALUE);
      break;
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      out->set_bool_value(j.GetBool());
      break;
    case rapidjson::kStringType:
      out->set_string_value(j.GetString(), j.GetStringLength());
      break;
    case rapidjson::kNumberType:
      if (j.IsInt64()) {
        out->set_integer_value(j.GetInt64());
      } else {
        out->set_double_value(j.GetDouble());
      }
      break;
    case rapidjson::kArrayType: {
      auto* list = out->mutable_list_value();
      for (const auto& e : j.GetArray()) STRATA_RETURN_IF_ERROR(ParseValue(e, list->add_values()));
      break;
    }
    case rapidjson::kObjectType: {
      auto* fields = out->mutable_struct_value()->mutable_fields();
      for (const auto& m : j.GetObject()) {
        STRATA_RETURN_IF_ERROR(ParseValue(m.value, &(*fields)[m.name.GetString()]));
      }
      break;
    }
  }
  return Status::Ok();
}

Status ParsePayload(const Json& j, const std::string& at,
                    google::protobuf::Map<std::string, qdrant::Value>* out) {
  if (!j.IsObject()) return Bad(at, "a payload is a JSON object");
  for (const auto& m : j.GetObject()) {
    STRATA_RETURN_IF_ERROR(ParseValue(m.value, &(*out)[m.name.GetString()]));
  }
  return Status::Ok();
}

Status ParseFilter(const Json& j, const std::string& at, qdrant::Filter* out) {
  if (!j.IsObject()) return Bad(at, "a filter is an object with must / should / must_not");
  if (const Json* m = Member(j, "must"))
    STRATA_RETURN_IF_ERROR(ParseConditions(*m, Join(at, "must"), out->mutable_must()));
  if (const Json* m = Member(j, "should"))
    STRATA_RETURN_IF_ERROR(ParseConditions(*m, Join(at, "should"), out->mutable_should()));
  if (const Json* m = Member(j, "must_not"))
    STRATA_RETURN_IF_ERROR(ParseConditions(*m, Join(at, "must_not"), out->mutable_must_not()));
  if (const Json* m = Member(j, "min_should")) {
    const Json* conds = Member(*m, "conditions");
    const Json* count = Member(*m, "min_count");
    if (!conds || !count) return Bad(Join(at, "min_should"), "needs conditions and min_count");
    STRATA_RETURN_IF_ERROR(ParseConditions(*conds, Join(at, "min_should.conditions"),
                                           out->mutable_min_should()->mutable_conditions()));
    uint64_t n = 0;
    STRATA_RETURN_IF_ERROR(GetUint(*count, Join(at, "min_should.min_count"), &n));
    out->mutable_min_should()->set_min_count(n);
  }
  for (const auto& m : j.GetObject()) {
    std::string name = m.name.GetString();
    if (name != "must" && name != "should" && name != "must_not" && name != "min_should") {
      return Bad(at, "unknown field `" + name +
                         "`, expected one of `should`, `min_should`, `must`, `must_not`");
    }
  }
  return Status::Ok();
}

Status ParseWithPayload(const Json& j, const std::string& at, qdrant::WithPayloadSelector* out) {
  if (j.IsBool()) {
    out->set_enable(j.GetBool());
  } else if (j.IsArray()) {
    for (const auto& e : j.GetArray()) {
      if (!e.IsString()) return Bad(at, "expected an array of field names");
      out->mutable_include()->add_fields(e.GetString());
    }
  } else if (j.IsObject() && j.MemberCount() == 1 &&
             (Member(j, "include") != nullptr || Member(j, "exclude") != nullptr)) {
    // {"include": [...]} or {"exclude": [...]}, nothing else (the spec forbids other fields).
    const bool include = Member(j, "include") != nullptr;
    const Json& list = *Member(j, include ? "include" : "exclude");
    const std::string where = Join(at, include ? "include" : "exclude");
    if (!list.IsArray()) return Bad(where, "expected an array of field names");
    for (const auto& e : list.GetArray()) {
      if (!e.IsString()) return Bad(where, "expected an array of field names");
      if (include) {
        out->mutable_include()->add_fields(e.GetString());
      } else {
        out->mutable_exclude()->add_fields(e.GetString());
      }
    }
  } else {
    return Bad(at, "expected true/false, a list of fields, {include: [...]} or {exclude: [...]}");
  }
  return Status::Ok();
}

Status ParseWithVectors(const Json& j, const std::string& at, qdrant::WithVectorsSelector* out) {
  if (j.IsBool()) {
    out->set_enable(j.GetBool());
  } else if (j.IsArray()) {
    for (const auto& e : j.GetArray()) {
      if (!e.IsString()) return Bad(at, "expected an array of vector names");
      out->mutable_include()->add_names(e.GetString());
    }
  } else {
    return Bad(at, "expected true/false or a list of vector names");
  }
  return Status::Ok();
}

Status ParseDense(const Json& j, const std::string& at, qdrant::DenseVector* out) {
  if (!j.IsArray()) return Bad(at, "expected an array of numbers");
  out->mutable_data()->Reserve(static_cast<int>(j.Size()));
  for (rapidjson::SizeType i = 0; i < j.Size(); ++i) {
    if (!j[i].IsNumber()) return Bad(at + "[" + std::to_string(i) + "]", "expected a number");
    out->add_data(static_cast<float>(j[i].GetDouble()));
  }
  return Status::Ok();
}

Status ParseSparse(const Json& j, const std::string& at, qdrant::SparseVector* out) {
  if (!j.IsObject())
    return Bad(at, "expected a sparse vector {\"indices\": [...], \"values\": [...]}");
  const Json* indices = Member(j, "indices");
  const Json* values = Member(j, "values");
  if (indices == nullptr || values == nullptr) {
    return Bad(at,
               std::string("missing field `") + (indices == nullptr ? "indices" : "values") + "`");
  }
  for (const auto& m : j.GetObject()) {
    const std::string name = m.name.GetString();
    if (name != "indices" && name != "values") {
      return Bad(at, "unknown field `" + name + "`, expected `indices` and `values`");
    }
  }
  if (!indices->IsArray()) return Bad(Join(at, "indices"), "expected an array of integers");
  if (!values->IsArray()) return Bad(Join(at, "values"), "expected an array of numbers");
  for (rapidjson::SizeType i = 0; i < indices->Size(); ++i) {
    const Json& e = (*indices)[i];
    if (!e.IsUint()) {
      return Bad(Join(at, "indices") + "[" + std::to_string(i) + "]",
                 "expected an integer in [0, 4294967295]");
    }
    out->add_indices(e.GetUint());
  }
  for (rapidjson::SizeType i = 0; i < values->Size(); ++i) {
    const Json& e = (*values)[i];
    if (!e.IsNumber())
      return Bad(Join(at, "values") + "[" + std::to_string(i) + "]", "expected a number");
    out->add_values(static_cast<float>(e.GetDouble()));
  }
  return Status::Ok();
}

Status ParseVectorStruct(const Json& j, const std::string& at, qdrant::Vectors* out) {
  if (j.IsArray()) {
    if (j.Size() > 0 && j[0].IsArray()) return Bad(at, "multi-vectors are not supported yet");
    return ParseDense(j, at, out->mutable_vector()->mutable_dense());
  }
  if (!j.IsObject()) return Bad(at, "expected a vector (array) or named vectors (object)");
  auto* named = out->mutable_vectors()->mutable_vectors();
  for (const auto& m : j.GetObject()) {
    const std::string where = Join(at, m.name.GetString());
    qdrant::Vector& v = (*named)[m.name.GetString()];
    if (m.value.IsObject()) {
      STRATA_RETURN_IF_ERROR(ParseSparse(m.value, where, v.mutable_sparse()));
    } else {
      STRATA_RETURN_IF_ERROR(ParseDense(m.value, where, v.mutable_dense()));
    }
  }
  return Status::Ok();
}

// The upsert body, both forms: {"points": [...]} and {"batch": {"ids", "vectors", "payloads"}}.
Status ParseUpsert(const Json& body, qdrant::UpsertPoints* r) {
  if (!body.IsObject()) return InvalidArgument("Format error in JSON body: expected a JSON object");
  if (const Json* pts = Member(body, "points")) {
    if (!pts->IsArray())
      return InvalidArgument("Format error in JSON body: points: expected an array");
    for (rapidjson::SizeType i = 0; i < pts->Size(); ++i) {
      const Json& p = (*pts)[i];
      const std::string at = "points[" + std::to_string(i) + "]";
      auto* out = r->add_points();
      if (!p.IsObject() || !p.HasMember("id"))
        return InvalidArgument("Format error in JSON body: " + at + ": missing field `id`");
      STRATA_RETURN_IF_ERROR(ParsePointId(p["id"], at + ".id", out->mutable_id()));
      auto vec = p.FindMember("vector");
      if (vec == p.MemberEnd()) vec = p.FindMember("vectors");
      if (vec != p.MemberEnd())
        STRATA_RETURN_IF_ERROR(
            ParseVectorStruct(vec->value, at + ".vector", out->mutable_vectors()));
      auto pl = p.FindMember("payload");
      if (pl != p.MemberEnd() && !pl->value.IsNull())
        STRATA_RETURN_IF_ERROR(ParsePayload(pl->value, at + ".payload", out->mutable_payload()));
    }
    return Status::Ok();
  }
  const Json* batch = Member(body, "batch");
  if (batch == nullptr || !batch->IsObject())
    return InvalidArgument("Format error in JSON body: expected `points` or `batch`");
  auto ids = batch->FindMember("ids");
  if (ids == batch->MemberEnd() || !ids->value.IsArray())
    return InvalidArgument("Format error in JSON body: batch.ids: expected an array");
  const size_t n = ids->value.Size();
  auto vecs = batch->FindMember("vectors");
  auto pls = batch->FindMember("payloads");
  for (rapidjson::SizeType i = 0; i < n; ++i) {
    const std::string at = "batch[" + std::to_string(i) + "]";
    auto* out = r->add_points();
    STRATA_RETURN_IF_ERROR(
        ParsePointId(ids->value[i], "batch.ids[" + std::to_string(i) + "]", out->mutable_id()));
    if (vecs != batch->MemberEnd()) {
      const Json& v = vecs->value;
      if (v.IsArray()) {
        if (i >= v.Size())
          return InvalidArgument(
              "Format error in JSON body: batch.vectors: fewer vectors than ids");
        STRATA_RETURN_IF_ERROR(
            ParseDense(v[i], "batch.vectors[" + std::to_string(i) + "]",
                       out->mutable_vectors()->mutable_vector()->mutable_dense()));
      } else if (v.IsObject()) {
        for (const auto& m : v.GetObject()) {
          if (!m.value.IsArray() || i >= m.value.Size())
            return InvalidArgument(std::string("Format error in JSON body: batch.vectors.") +
                                   m.name.GetString() + ": fewer vectors than ids");
          const std::string where = std::string("batch.vectors.") + m.name.GetString();
          qdrant::Vector& v =
              (*out->mutable_vectors()->mutable_vectors()->mutable_vectors())[m.name.GetString()];
          if (m.value[i].IsObject()) {
            STRATA_RETURN_IF_ERROR(ParseSparse(m.value[i], where, v.mutable_sparse()));
          } else {
            STRATA_RETURN_IF_ERROR(ParseDense(m.value[i], where, v.mutable_dense()));
          }
        }
      }
    }
    if (pls != batch->MemberEnd() && pls->value.IsArray() && i < pls->value.Size() &&
        !pls->value[i].IsNull()) {
      STRATA_RETURN_IF_ERROR(ParsePayload(pls->value[i], at + ".payload", out->mutable_payload()));
    }
  }
  return Status::Ok();
}

Status ParsePointsSelector(const Json& j, const std::string& at, qdrant::PointsSelector* out) {
  if (const Json* pts = Member(j, "points")) {
    if (!pts->IsArray()) return Bad(Join(at, "points"), "expected an array of ids");
    auto* ids = out->mutable_points();
    for (rapidjson::SizeType i = 0; i < pts->Size(); ++i) {
      STRATA_RETURN_IF_ERROR(
          ParsePointId((*pts)[i], at + "points[" + std::to_string(i) + "]", ids->add_ids()));
    }
    return Status::Ok();
  }
  if (const Json* f = Member(j, "filter"))
    return ParseFilter(*f, Join(at, "filter"), out->mutable_filter());
  return Bad(at.empty() ? "body" : at, "choose the points with `points` (ids) or `filter`");
}

// params.acorn and params.quantization (`at` is their own path).
Status ParseAcornParams(const Json& j, const std::string& at, qdrant::AcornSearchParams* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  OPT_BOOL(j, "enable", out->set_enable);
  OPT_DOUBLE(j, "max_selectivity", out->set_max_selectivity);
  if (out->has_max_selectivity() &&
      !(out->max_selectivity() >= 0.0 && out->max_selectivity() <= 1.0)) {
    return Bad(Join(at, "max_selectivity"), "must be within [0, 1]");
  }
  return Status::Ok();
}

Status ParseQuantizationParams(const Json& j, const std::string& at,
                               qdrant::QuantizationSearchParams* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  OPT_BOOL(j, "ignore", out->set_ignore);
  OPT_BOOL(j, "rescore", out->set_rescore);
  OPT_DOUBLE(j, "oversampling", out->set_oversampling);
  return Status::Ok();
}

Status ParseSearchParams(const Json& j, const std::string& at, qdrant::SearchParams* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  OPT_UINT(j, "hnsw_ef", out->set_hnsw_ef);
  OPT_BOOL(j, "exact", out->set_exact);
  OPT_BOOL(j, "indexed_only", out->set_indexed_only);
  if (const Json* a = Member(j, "acorn")) {
    STRATA_RETURN_IF_ERROR(ParseAcornParams(*a, Join(at, "acorn"), out->mutable_acorn()));
  }
  if (const Json* q = Member(j, "quantization")) {
    STRATA_RETURN_IF_ERROR(
        ParseQuantizationParams(*q, Join(at, "quantization"), out->mutable_quantization()));
  }
  return Status::Ok();
}

// strict_mode_config (StrictModeConfig): the scalar limits; multivector / sparse limits are
// refused as not supported yet.
Status ParseStrictMode(const Json& j, const std::string& at, qdrant::StrictModeConfig* out) {
  if (!j.IsObject()) return Bad(at, "expected an object");
  OPT_BOOL(j, "enabled", out->set_enabled);
  OPT_UINT(j, "max_query_limit", out->set_max_query_limit);
  OPT_UINT(j, "max_timeout", out->set_max_timeout);
  OPT_BOOL(j, "unindexed_filtering_retrieve", out->set_unindexed_filtering_retrieve);
  OPT_BOOL(j, "unindexed_filtering_update", out->set_unindexed_filtering_update);
  OPT_UINT(j, "search_max_hnsw_ef", out->set_search_max_hnsw_ef);
  OPT_BOOL(j, "search_allow_exact", out->set_search_allow_exact);
  OPT_DOUBLE(j, "search_max_oversampling", out->set_search_max_oversampling);
  OPT_UINT(j, "upsert_max_batchsize", out->set_upsert_max_batchsize);
  OPT_UINT(j, "search_max_batchsize", out->set_search_max_batchsize);
  OPT_UINT(j, "max_collection_vector_size_bytes", out->set_max_collection_vector_size_bytes);
  OPT_UINT(j, "read_rate_limit", out->set_read_rate_limit);
  OPT_UINT(j, "write_rate_limit", out->set_write_rate_limit);
  OPT_UINT(j, "max_collection_payload_size_bytes", out->set_max_collection_payload_size_bytes);
  OPT_UINT(j, "max_points_count", out->set_max_points_count);
  OPT_UINT(j, "filter_max_conditions", out->set_filter_max_conditions);
  OPT_UINT(j, "condition_max_size", out->set_condition_max_size);
  OPT_UINT(j, "max_payload_index_count", out->set_max_payload_index_count);
  for (const char* unsupported : {"multivector_config", "sparse_config"}) {
    if (Member(j, unsupported)) return Bad(Join(at, unsupported), "not supported yet");
  }
  return Status::Ok();
}

// PayloadStorageParams: {"memory": "cold" | "cached" | "pinned"} (the kernel refuses pinned).
Status ParsePayloadStorage(const Json& j, const std::string& at,
                           qdrant::PayloadStorageParams* out) {
  if (!j.IsObject()) return Bad(at, "expected an object with `memory`");
  if (const Json* m = Member(j, "memory")) {
    qdrant::Memory v = qdrant::MemoryUnknown;
    STRATA_RETURN_IF_ERROR(ParseMemory(*m, Join(at, "memory"), &v));
    out->set_memory(v);
  }
  return Status::Ok();
}

Status ParseCreateCollection(const Json& j, qdrant::CreateCollection* out) {
  const std::string at;
  if (!j.IsObject()) return Bad("body", "expected a JSON object");
  if (const Json* v = Member(j, "vectors")) {
    if (v->IsObject() && Member(*v, "size") != nullptr) {
      STRATA_RETURN_IF_ERROR(
          ParseVectorParams(*v, "vectors", out->mutable_vectors_config()->mutable_params()));
    } else if (v->IsObject()) {
      auto* map = out->mutable_vectors_config()->mutable_params_map()->mutable_map();
      for (const auto& m : v->GetObject()) {
        STRATA_RETURN_IF_ERROR(ParseVectorParams(
            m.value, std::string("vectors.") + m.name.GetString(), &(*map)[m.name.GetString()]));
      }
    } else {
      return Bad("vectors", "expected {size, distance} or a map of named vectors");
    }
  }
  OPT_UINT(j, "shard_number", out->set_shard_number);
  OPT_UINT(j, "replication_factor", out->set_replication_factor);
  OPT_UINT(j, "write_consistency_factor", out->set_write_consistency_factor);
  OPT_BOOL(j, "on_disk_payload", out->set_on_disk_payload);
  if (const Json* p = Member(j, "payload"))
    STRATA_RETURN_IF_ERROR(ParsePayloadStorage(*p, "payload", out->mutable_payload()));
  if (const Json* sm = Member(j, "strict_mode_config")) {
    STRATA_RETURN_IF_ERROR(
        ParseStrictMode(*sm, "strict_mode_config", out->mutable_strict_mode_config()));
  }
  if (const Json* h = Member(j, "hnsw_config"))
    STRATA_RETURN_IF_ERROR(ParseHnswDiff(*h, "hnsw_config", out->mutable_hnsw_config()));
  if (const Json* o = Member(j, "optimizers_config"))
    STRATA_RETURN_IF_ERROR(
        ParseOptimizersDiff(*o, "optimizers_config", out->mutable_optimizers_config()));
  if (const Json* w = Member(j, "wal_config")) {
    const std::string wat = "wal_config";
    auto* wc = out->mutable_wal_config();
    if (const Json* m = Member(*w, "wal_capacity_mb")) {
      uint64_t v;
      STRATA_RETURN_IF_ERROR(GetUint(*m, wat + ".wal_capacity_mb", &v));
      wc->set_wal_capacity_mb(v);
    }
    if (const Json* m = Member(*w, "wal_segments_ahead")) {
      uint64_t v;
      STRATA_RETURN_IF_ERROR(GetUint(*m, wat + ".wal_segments_ahead", &v));
      wc->set_wal_segments_ahead(v);
    }
  }
  if (const Json* q = Member(j, "quantization_config"))
    STRATA_RETURN_IF_ERROR(
        ParseQuantization(*q, "quantization_config", out->mutable_quantization_config()));
  if (const Json* s = Member(j, "sparse_vectors"))
    STRATA_RETURN_IF_ERROR(ParseSparseVectorsConfig(*s, out->mutable_sparse_vectors_config()));
  if (const Json* md = Member(j, "metadata"))
    STRATA_RETURN_IF_ERROR(ParsePayload(*md, "metadata", out->mutable_metadata()));
  return Status::Ok();
}

Status ParseUpdateCollection(const Json& j, qdrant::UpdateCollection* out) {
  const std::string at;
  if (!j.IsObject()) return Bad("body", "expected a JSON object");
  if (const Json* sm = Member(j, "strict_mode_config")) {
    STRATA_RETURN_IF_ERROR(
        ParseStrictMode(*sm, "strict_mode_config", out->mutable_strict_mode_config()));
  }
  if (const Json* h = Member(j, "hnsw_config"))
    STRATA_RETURN_IF_ERROR(ParseHnswDiff(*h, "hnsw_config", out->mutable_hnsw_config()));
  if (const Json* o = Member(j, "optimizers_config"))
    STRATA_RETURN_IF_ERROR(
        ParseOptimizersDiff(*o, "optimizers_config", out->mutable_optimizers_config()));
  if (const Json* p = Member(j, "params")) {
    auto* d = out->mutable_params();
    if (const Json* m = Member(*p, "replication_factor")) {
      uint64_t v;
      STRATA_RETURN_IF_ERROR(GetUint(*m, "params.replication_factor", &v));
      d->set_replication_factor(static_cast<uint32_t>(v));
    }
    if (const Json* m = Member(*p, "write_consistency_factor")) {
      uint64_t v;
      STRATA_RETURN_IF_ERROR(GetUint(*m, "params.write_consistency_factor", &v));
      d->set_write_consistency_factor(static_cast<uint32_t>(v));
    }
    if (const Json* m = Member(*p, "on_disk_payload")) {
      bool v;
      STRATA_RETURN_IF_ERROR(GetBool(*m, "params.on_disk_payload", &v));
      d->set_on_disk_payload(v);
    }
    if (const Json* m = Member(*p, "payload"))
      STRATA_RETURN_IF_ERROR(ParsePayloadStorage(*m, "params.payload", d->mutable_payload()));
  }
  if (Member(j, "vectors")) out->mutable_vectors_config();
  if (const Json* s = Member(j, "sparse_vectors"))
    STRATA_RETURN_IF_ERROR(ParseSparseVectorsConfig(*s, out->mutable_sparse_vectors_config()));
  if (const Json* q = Member(j, "quantization_config")) {
    if (q->IsString() && std::string(q->GetString()) == "Disabled") {
      out->mutable_quantization_config()->mutable_disabled();
    } else if (!q->IsNull()) {
      qdrant::QuantizationConfig full;
      STRATA_RETURN_IF_ERROR(ParseQuantization(*q, "quantization_config", &full));
      auto* diff = out->mutable_quantization_config();
      if (full.has_scalar()) *diff->mutable_scalar() = full.scalar();
      if (full.has_product()) *diff->mutable_product() = full.product();
      if (full.has_binary()) *diff->mutable_binary() = full.binary();
    }
  }
  if (const Json* md = Member(j, "metadata"))
    STRATA_RETURN_IF_ERROR(ParsePayload(*md, "metadata", out->mutable_metadata()));
  return Status::Ok();
}

Status ParseAliasActions(const Json& j, qdrant::ChangeAliases* out) {
  const Json* actions = Member(j, "actions");
  if (!actions || !actions->IsArray()) return Bad("actions", "expected an array of alias actions");
  for (rapidjson::SizeType i = 0; i < actions->Size(); ++i) {
    const Json& a = (*actions)[i];
    const std::string at = "actions[" + std::to_string(i) + "]";
    std::string s1, s2;
    if (const Json* c = Member(a, "create_alias")) {
      const Json* coll = Member(*c, "collection_name");
      const Json* alias = Member(*c, "alias_name");
      if (!coll || !alias) return Bad(at + ".create_alias", "needs collection_name and alias_name");
      STRATA_RETURN_IF_ERROR(GetString(*coll, at + ".create_alias.collection_name", &s1));
      STRATA_RETURN_IF_ERROR(GetString(*alias, at + ".create_alias.alias_name", &s2));
      auto* ca = out->add_actions()->mutable_create_alias();
      ca->set_collection_name(s1);
      ca->set_alias_name(s2);
    } else if (const Json* r = Member(a, "rename_alias")) {
      const Json* from = Member(*r, "old_alias_name");
      const Json* to = Member(*r, "new_alias_name");
      if (!from || !to) return Bad(at + ".rename_alias", "needs old_alias_name and new_alias_name");
      STRATA_RETURN_IF_ERROR(GetString(*from, at + ".rename_alias.old_alias_name", &s1));
      STRATA_RETURN_IF_ERROR(GetString(*to, at + ".rename_alias.new_alias_name", &s2));
      auto* ra = out->add_actions()->mutable_rename_alias();
      ra->set_old_alias_name(s1);
      ra->set_new_alias_name(s2);
    } else if (const Json* d = Member(a, "delete_alias")) {
      const Json* alias = Member(*d, "alias_name");
      if (!alias) return Bad(at + ".delete_alias", "needs alias_name");
      STRATA_RETURN_IF_ERROR(GetString(*alias, at + ".delete_alias.alias_name", &s1));
      out->add_actions()->mutable_delete_alias()->set_alias_name(s1);
    } else {
      return Bad(at, "expected create_alias, rename_alias or delete_alias");
    }
  }
  return Status::Ok();
}

// A float in its shortest round-trip form (0.871, not 0.8709999322891235), as Qdrant prints f32.
void WriteFloat(JsonWriter& w, float f) {
  if (!std::isfinite(f)) {
    w.Null();
    return;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), f);
  std::string text(buf, res.ptr);
  if (text.find_first_of(".eE") == std::string::npos) text += ".0";
  w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}

void WritePointId(JsonWriter& w, const qdrant::PointId& id) {
  if (id.has_uuid()) {
    w.String(id.uuid().c_str());
  } else {
    w.Uint64(id.num());
  }
}

void WriteValue(JsonWriter& w, const qdrant::Value& v) {
  switch (v.kind_case()) {
    case qdrant::Value::kBoolValue:
      w.Bool(v.bool_value());
      break;
    case qdrant::Value::kIntegerValue:
      w.Int64(v.integer_value());
      break;
    case qdrant::Value::kDoubleValue:
      if (std::isfinite(v.double_value())) {
        w.Double(v.double_value());
      } else {
        w.Null();
      }
      break;
    case qdrant::Value::kStringValue:
      w.String(v.string_value().data(), static_cast<rapidjson::SizeType>(v.string_value().size()));
      break;
    case qdrant::Value::kListValue:
      w.StartArray();
      for (const auto& e : v.list_value().values()) WriteValue(w, e);
      w.EndArray();
      break;
    case qdrant::Value::kStructValue:
      WritePayload(w, v.struct_value().fields());
      break;
    default:
      w.Null();
  }
}

void WritePayload(JsonWriter& w, const google::protobuf::Map<std::string, qdrant::Value>& p) {
  w.StartObject();
  for (const auto& [k, v] : p) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    WriteValue(w, v);
  }
  w.EndObject();
}

namespace {
void WriteDense(JsonWriter& w, const qdrant::VectorOutput& v) {
  if (v.has_sparse()) {
    w.StartObject();
    w.Key("indices");
    w.StartArray();
    for (uint32_t i : v.sparse().indices()) w.Uint(i);
    w.EndArray();
    w.Key("values");
    w.StartArray();
    for (float x : v.sparse().values()) WriteFloat(w, x);
    w.EndArray();
    w.EndObject();
    return;
  }
  w.StartArray();
  const auto& data = v.has_dense() ? v.dense().data() : v.data();
  for (float x : data) WriteFloat(w, x);
  w.EndArray();
}
}  // namespace

void WriteVectors(JsonWriter& w, const qdrant::VectorsOutput& v) {
  if (v.has_vector()) {
    WriteDense(w, v.vector());
    return;
  }
  w.StartObject();
  for (const auto& [name, vec] : v.vectors().vectors()) {
    w.Key(name.c_str());
    WriteDense(w, vec);
  }
  w.EndObject();
}

// `order_value` of a point from an order_by scroll or query (absent otherwise).
template <class Point>
void WriteOrderValue(JsonWriter& w, const Point& p) {
  if (!p.has_order_value()) return;
  w.Key("order_value");
  if (p.order_value().has_int_()) {
    w.Int64(p.order_value().int_());
  } else {
    w.Double(p.order_value().float_());
  }
}

void WriteRecord(JsonWriter& w, const qdrant::RetrievedPoint& p) {
  w.StartObject();
  w.Key("id");
  WritePointId(w, p.id());
  w.Key("payload");
  WritePayload(w, p.payload());
  w.Key("vector");
  if (p.has_vectors()) {
    WriteVectors(w, p.vectors());
  } else {
    w.Null();
  }
  WriteOrderValue(w, p);
  w.EndObject();
}

void WriteScoredPoint(JsonWriter& w, const qdrant::ScoredPoint& p) {
  w.StartObject();
  w.Key("id");
  WritePointId(w, p.id());
  w.Key("version");
  w.Uint64(p.version());
  w.Key("score");
  WriteFloat(w, p.score());
  w.Key("payload");
  if (p.payload_size() > 0) {
    WritePayload(w, p.payload());
  } else {
    w.Null();
  }
  w.Key("vector");
  if (p.has_vectors()) {
    WriteVectors(w, p.vectors());
  } else {
    w.Null();
  }
  WriteOrderValue(w, p);
  w.EndObject();
}

namespace {

void WriteVectorParams(JsonWriter& w, const qdrant::VectorParams& p) {
  w.StartObject();
  w.Key("size");
  w.Uint64(p.size());
  w.Key("distance");
  w.String(DistanceName(p.distance()));
  if (p.has_on_disk()) {
    w.Key("on_disk");
    w.Bool(p.on_disk());
  }
  if (p.has_datatype() && p.datatype() != qdrant::Default) {
    w.Key("datatype");
    w.String(DatatypeName(p.datatype()));
  }
  w.EndObject();
}

void WriteOptionalUint(JsonWriter& w, const char* key, bool has, uint64_t v) {
  w.Key(key);
  if (has) {
    w.Uint64(v);
  } else {
    w.Null();
  }
}

// The parameter message of an index type, inside PayloadIndexParams (null: unknown type).
google::protobuf::Message* IndexParamsOf(const std::string& type, qdrant::PayloadIndexParams* p) {
  if (type == "keyword") return p->mutable_keyword_index_params();
  if (type == "integer") return p->mutable_integer_index_params();
  if (type == "float") return p->mutable_float_index_params();
  if (type == "geo") return p->mutable_geo_index_params();
  if (type == "text") return p->mutable_text_index_params();
  if (type == "bool") return p->mutable_bool_index_params();
  if (type == "datetime") return p->mutable_datetime_index_params();
  if (type == "uuid") return p->mutable_uuid_index_params();
  return nullptr;
}

std::string LowerName(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* SchemaTypeName(qdrant::PayloadSchemaType t) {
  switch (t) {
    case qdrant::Keyword:
      return "keyword";
    case qdrant::Integer:
      return "integer";
    case qdrant::Float:
      return "float";
    case qdrant::Geo:
      return "geo";
    case qdrant::Text:
      return "text";
    case qdrant::Bool:
      return "bool";
    case qdrant::Datetime:
      return "datetime";
    case qdrant::Uuid:
      return "uuid";
    default:
      return "keyword";
  }
}

}  // namespace

void WriteCollectionInfo(JsonWriter& w, const qdrant::CollectionInfo& info) {
  const auto& c = info.config();
  w.StartObject();
  w.Key("status");
  w.String(info.status() == qdrant::Yellow ? "yellow"
           : info.status() == qdrant::Red  ? "red"
                                           : "green");
  w.Key("optimizer_status");
  if (info.optimizer_status().ok()) {
    w.String("ok");
  } else {
    w.StartObject();
    w.Key("error");
    w.String(info.optimizer_status().error().c_str());
    w.EndObject();
  }
  w.Key("indexed_vectors_count");
  w.Uint64(info.indexed_vectors_count());
  w.Key("points_count");
  w.Uint64(info.points_count());
  w.Key("segments_count");
  w.Uint64(info.segments_count());
  w.Key("config");
  w.StartObject();
  w.Key("params");
  w.StartObject();
  const auto& vc = c.params().vectors_config();
  w.Key("vectors");
  if (vc.has_params()) {
    WriteVectorParams(w, vc.params());
  } else {
    w.StartObject();
    for (const auto& [name, p] : vc.params_map().map()) {
      w.Key(name.c_str());
      WriteVectorParams(w, p);
    }
    w.EndObject();
  }
  if (c.params().sparse_vectors_config().map_size() > 0) {
    w.Key("sparse_vectors");
    w.StartObject();
    for (const auto& [name, p] : c.params().sparse_vectors_config().map()) {
      w.Key(name.c_str());
      w.StartObject();
      if (p.has_index()) {
        w.Key("index");
        w.StartObject();
        if (p.index().has_full_scan_threshold()) {
          w.Key("full_scan_threshold");
          w.Uint64(p.index().full_scan_threshold());
        }
        if (p.index().has_on_disk()) {
          w.Key("on_disk");
          w.Bool(p.index().on_disk());
        }
        if (p.index().has_datatype() && p.index().datatype() != qdrant::Default) {
          w.Key("datatype");
          w.String(DatatypeName(p.index().datatype()));
        }
        w.EndObject();
      }
      if (p.has_modifier()) {
        w.Key("modifier");
        w.String(p.modifier() == qdrant::Idf ? "idf" : "none");
      }
      w.EndObject();
    }
    w.EndObject();
  }
  w.Key("shard_number");
  w.Uint(c.params().shard_number());
  w.Key("replication_factor");
  w.Uint(c.params().replication_factor());
  w.Key("write_consistency_factor");
  w.Uint(c.params().write_consistency_factor());
  w.Key("on_disk_payload");
  w.Bool(c.params().on_disk_payload());
  if (c.params().has_payload() && c.params().payload().memory() != qdrant::MemoryUnknown) {
    w.Key("payload");
    w.StartObject();
    w.Key("memory");
    w.String(MemoryName(c.params().payload().memory()));
    w.EndObject();
  }
  w.EndObject();
  w.Key("hnsw_config");
  w.StartObject();
  w.Key("m");
  w.Uint64(c.hnsw_config().m());
  w.Key("ef_construct");
  w.Uint64(c.hnsw_config().ef_construct());
  w.Key("full_scan_threshold");
  w.Uint64(c.hnsw_config().full_scan_threshold());
  w.Key("max_indexing_threads");
  w.Uint64(c.hnsw_config().max_indexing_threads());
  w.Key("on_disk");
  w.Bool(c.hnsw_config().on_disk());
  if (c.hnsw_config().has_memory() && c.hnsw_config().memory() != qdrant::MemoryUnknown) {
    w.Key("memory");
    w.String(MemoryName(c.hnsw_config().memory()));
  }
  if (c.hnsw_config().has_payload_m()) {
    w.Key("payload_m");
    w.Uint64(c.hnsw_config().payload_m());
  }
  w.EndObject();
  const auto& o = c.optimizer_config();
  w.Key("optimizer_config");
  w.StartObject();
  w.Key("deleted_threshold");
  w.Double(o.deleted_threshold());
  w.Key("vacuum_min_vector_number");
  w.Uint64(o.vacuum_min_vector_number());
  w.Key("default_segment_number");
  w.Uint64(o.default_segment_number());
  WriteOptionalUint(w, "max_segment_size", o.has_max_segment_size(), o.max_segment_size());
  WriteOptionalUint(w, "memmap_threshold", o.has_memmap_threshold(), o.memmap_threshold());
  w.Key("indexing_threshold");
  w.Uint64(o.indexing_threshold());
  w.Key("flush_interval_sec");
  w.Uint64(o.flush_interval_sec());
  WriteOptionalUint(w, "max_optimization_threads",
                    o.has_max_optimization_threads() && o.max_optimization_threads().has_value(),
                    o.max_optimization_threads().value());
  w.EndObject();
  w.Key("wal_config");
  w.StartObject();
  w.Key("wal_capacity_mb");
  w.Uint64(c.wal_config().wal_capacity_mb());
  w.Key("wal_segments_ahead");
  w.Uint64(c.wal_config().wal_segments_ahead());
  w.Key("wal_retain_closed");
  w.Uint64(std::max<uint64_t>(1, c.wal_config().wal_retain_closed()));
  w.EndObject();
  if (c.has_strict_mode_config()) {
    const qdrant::StrictModeConfig& sm = c.strict_mode_config();
    w.Key("strict_mode_config");
    w.StartObject();
    auto flag = [&w](const char* key, bool has, bool v) {
      if (!has) return;
      w.Key(key);
      w.Bool(v);
    };
    auto number = [&w](const char* key, bool has, uint64_t v) {
      if (!has) return;
      w.Key(key);
      w.Uint64(v);
    };
    flag("enabled", sm.has_enabled(), sm.enabled());
    number("max_query_limit", sm.has_max_query_limit(), sm.max_query_limit());
    number("max_timeout", sm.has_max_timeout(), sm.max_timeout());
    flag("unindexed_filtering_retrieve", sm.has_unindexed_filtering_retrieve(),
         sm.unindexed_filtering_retrieve());
    flag("unindexed_filtering_update", sm.has_unindexed_filtering_update(),
         sm.unindexed_filtering_update());
    number("search_max_hnsw_ef", sm.has_search_max_hnsw_ef(), sm.search_max_hnsw_ef());
    flag("search_allow_exact", sm.has_search_allow_exact(), sm.search_allow_exact());
    if (sm.has_search_max_oversampling()) {
      w.Key("search_max_oversampling");
      w.Double(sm.search_max_oversampling());
    }
    number("upsert_max_batchsize", sm.has_upsert_max_batchsize(), sm.upsert_max_batchsize());
    number("search_max_batchsize", sm.has_search_max_batchsize(), sm.search_max_batchsize());
    number("max_collection_vector_size_bytes", sm.has_max_collection_vector_size_bytes(),
           sm.max_collection_vector_size_bytes());
    number("read_rate_limit", sm.has_read_rate_limit(), sm.read_rate_limit());
    number("write_rate_limit", sm.has_write_rate_limit(), sm.write_rate_limit());
    number("max_collection_payload_size_bytes", sm.has_max_collection_payload_size_bytes(),
           sm.max_collection_payload_size_bytes());
    number("max_points_count", sm.has_max_points_count(), sm.max_points_count());
    number("filter_max_conditions", sm.has_filter_max_conditions(), sm.filter_max_conditions());
    number("condition_max_size", sm.has_condition_max_size(), sm.condition_max_size());
    number("max_payload_index_count", sm.has_max_payload_index_count(),
           sm.max_payload_index_count());
    w.EndObject();
  }
  w.Key("quantization_config");
  if (c.has_quantization_config() && c.quantization_config().has_scalar()) {
    const auto& s = c.quantization_config().scalar();
    w.StartObject();
    w.Key("scalar");
    w.StartObject();
    w.Key("type");
    w.String("int8");
    if (s.has_quantile()) {
      w.Key("quantile");
      WriteFloat(w, s.quantile());
    }
    if (s.has_always_ram()) {
      w.Key("always_ram");
      w.Bool(s.always_ram());
    }
    w.EndObject();
    w.EndObject();
  } else if (c.has_quantization_config() && c.quantization_config().has_binary()) {
    w.StartObject();
    w.Key("binary");
    w.StartObject();
    const qdrant::BinaryQuantization& bq = c.quantization_config().binary();
    if (bq.has_always_ram()) {
      w.Key("always_ram");
      w.Bool(bq.always_ram());
    }
    if (bq.has_encoding()) {
      w.Key("encoding");
      w.String(bq.encoding() == qdrant::TwoBits          ? "two_bits"
               : bq.encoding() == qdrant::OneAndHalfBits ? "one_and_half_bits"
                                                         : "one_bit");
    }
    if (bq.has_query_encoding()) {
      using QE = qdrant::BinaryQuantizationQueryEncoding;
      const QE::Setting qe = bq.query_encoding().setting();
      w.Key("query_encoding");
      w.String(qe == QE::Binary        ? "binary"
               : qe == QE::Scalar4Bits ? "scalar4bits"
               : qe == QE::Scalar8Bits ? "scalar8bits"
                                       : "default");
    }
    w.EndObject();
    w.EndObject();
  } else {
    w.Null();
  }
  if (c.metadata_size() > 0) {
    w.Key("metadata");
    WritePayload(w, c.metadata());
  }
  w.EndObject();
  w.Key("payload_schema");
  w.StartObject();
  for (const auto& [field, schema] : info.payload_schema()) {
    w.Key(field.c_str());
    w.StartObject();
    w.Key("data_type");
    w.String(SchemaTypeName(schema.data_type()));
    if (schema.has_params()) {
      // The parameters given at creation, in the object form of `field_schema`.
      namespace pb = google::protobuf;
      const qdrant::PayloadIndexParams& p = schema.params();
      const pb::Reflection* pr = p.GetReflection();
      const pb::OneofDescriptor* one = p.GetDescriptor()->FindOneofByName("index_params");
      const pb::FieldDescriptor* which = pr->GetOneofFieldDescriptor(p, one);
      if (which != nullptr) {
        const pb::Message& msg = pr->GetMessage(p, which);
        const pb::Reflection* r = msg.GetReflection();
        w.Key("params");
        w.StartObject();
        w.Key("type");
        w.String(SchemaTypeName(schema.data_type()));
        std::vector<const pb::FieldDescriptor*> set;
        r->ListFields(msg, &set);
        for (const pb::FieldDescriptor* f : set) {
          if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_BOOL) {
            w.Key(f->name().c_str());
            w.Bool(r->GetBool(msg, f));
          } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64) {
            w.Key(f->name().c_str());
            w.Uint64(r->GetUInt64(msg, f));
          } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM) {
            w.Key(f->name().c_str());
            w.String(LowerName(r->GetEnum(msg, f)->name()).c_str());
          }
        }
        w.EndObject();
      }
    }
    w.Key("points");
    w.Uint64(schema.points());
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
}

void WriteUpdateResult(JsonWriter& w, const qdrant::UpdateResult& r) {
  w.StartObject();
  w.Key("operation_id");
  if (r.has_operation_id()) {
    w.Uint64(r.operation_id());
  } else {
    w.Null();
  }
  w.Key("status");
  w.String(r.status() == qdrant::Acknowledged ? "acknowledged" : "completed");
  w.EndObject();
}

Status ParseIndexParams(const Json& j, const std::string& type, qdrant::PayloadIndexParams* out) {
  namespace pb = google::protobuf;
  pb::Message* msg = IndexParamsOf(type, out);
  if (msg == nullptr) return Bad("field_schema.type", "unknown variant `" + type + "`");
  const pb::Descriptor* d = msg->GetDescriptor();
  const pb::Reflection* r = msg->GetReflection();
  for (const auto& m : j.GetObject()) {
    const std::string key = m.name.GetString();
    if (key == "type") continue;
    const std::string at = "field_schema." + key;
    const pb::FieldDescriptor* f = d->FindFieldByName(key);
    if (f == nullptr) return Bad(at, "unknown field for a " + type + " index");
    if (m.value.IsNull()) continue;
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        if (!m.value.IsBool()) return Bad(at, "expected true or false");
        r->SetBool(msg, f, m.value.GetBool());
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT64:
        if (!m.value.IsUint64()) return Bad(at, "expected a non-negative integer");
        r->SetUInt64(msg, f, m.value.GetUint64());
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM: {
        if (!m.value.IsString()) return Bad(at, "expected a string");
        const pb::EnumDescriptor* e = f->enum_type();
        const pb::EnumValueDescriptor* v = nullptr;
        for (int i = 0; i < e->value_count(); ++i) {
          if (LowerName(e->value(i)->name()) == LowerName(m.value.GetString())) v = e->value(i);
        }
        if (v == nullptr || v->number() == 0) {
          return Bad(at, std::string("unknown variant `") + m.value.GetString() + "`");
        }
        r->SetEnum(msg, f, v);
        break;
      }
      default:
        return Bad(at, "not supported yet");
    }
  }
  return Status::Ok();
}

}  // namespace strata::rest
