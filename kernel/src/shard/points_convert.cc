#include "shard/points_convert.h"

#include <cmath>

namespace strata::kernel {
namespace {

std::string SpecNames(const std::vector<VectorSpec>& specs) {
  std::string out;
  for (const VectorSpec& s : specs) {
    if (!out.empty()) out += ", ";
    out += s.name.empty() ? "(default)" : "'" + s.name + "'";
  }
  return out.empty() ? "none" : out;
}

}  // namespace

Result<const VectorSpec*> FindSpec(const std::vector<VectorSpec>& specs, const std::string& name,
                                   const std::string& field) {
  for (const VectorSpec& s : specs) {
    if (s.name == name) return &s;
  }
  return InvalidArgument(
      field + ": vector name " + (name.empty() ? std::string("(default)") : "'" + name + "'") +
      " is not configured in this collection (configured: " + SpecNames(specs) + ")");
}

Result<std::vector<float>> QueryVector(const std::vector<float>& raw, const VectorSpec& spec,
                                       const std::string& field) {
  if (raw.size() != spec.dim) {
    return InvalidArgument(field + ": wrong vector dimension: expected " +
                           std::to_string(spec.dim) + ", got " + std::to_string(raw.size()));
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    if (!std::isfinite(raw[i])) {
      return InvalidArgument(field + ": element " + std::to_string(i) +
                             " is not a finite number (NaN and infinity are not allowed)");
    }
  }
  std::vector<float> v = raw;
  if (spec.metric == Metric::kCosine) Normalize(v.data(), v.size());
  return v;
}

Result<std::vector<float>> DenseFromProto(const qdrant::Vector& v, const VectorSpec& spec,
                                          const std::string& field) {
  if (v.vector_case() == qdrant::Vector::kDense) {
    return QueryVector({v.dense().data().begin(), v.dense().data().end()}, spec, field);
  }
  if (v.vector_case() != qdrant::Vector::VECTOR_NOT_SET) {
    return InvalidArgument(field + ": only dense vectors are supported by this server yet");
  }
  if (v.has_indices() || v.has_vectors_count()) {
    return InvalidArgument(field +
                           ": sparse and multi-vectors are not supported by this server yet");
  }
  return QueryVector({v.data().begin(), v.data().end()}, spec, field);
}

Result<NamedVectors> VectorsFromProto(const qdrant::Vectors& v,
                                      const std::vector<VectorSpec>& specs,
                                      const std::string& field) {
  NamedVectors out;
  if (v.has_vector()) {
    STRATA_ASSIGN_OR_RETURN(const VectorSpec* spec, FindSpec(specs, "", field));
    STRATA_ASSIGN_OR_RETURN(out[""], DenseFromProto(v.vector(), *spec, field));
  } else if (v.has_vectors()) {
    for (const auto& [name, vec] : v.vectors().vectors()) {
      const std::string f = field + "." + (name.empty() ? std::string("(default)") : name);
      STRATA_ASSIGN_OR_RETURN(const VectorSpec* spec, FindSpec(specs, name, f));
      STRATA_ASSIGN_OR_RETURN(out[name], DenseFromProto(vec, *spec, f));
    }
  }
  return out;
}

void SelectPayload(const PayloadMap& payload, const qdrant::WithPayloadSelector* sel,
                   bool default_enabled, PayloadMap* out) {
  using S = qdrant::WithPayloadSelector;
  S::SelectorOptionsCase which = sel ? sel->selector_options_case() : S::SELECTOR_OPTIONS_NOT_SET;
  switch (which) {
    case S::SELECTOR_OPTIONS_NOT_SET:
      if (default_enabled) *out = payload;
      return;
    case S::kEnable:
      if (sel->enable()) *out = payload;
      return;
    case S::kInclude:
      for (const std::string& key : sel->include().fields()) {
        std::string top = key.substr(0, key.find_first_of(".["));
        auto it = payload.find(top);
        if (it != payload.end()) (*out)[top] = it->second;
      }
      return;
    case S::kExclude:
      *out = payload;
      for (const std::string& key : sel->exclude().fields()) out->erase(key);
      return;
  }
}

void SelectVectors(const Segment& seg, uint32_t offset, const qdrant::WithVectorsSelector* sel,
                   qdrant::VectorsOutput* out, bool* any) {
  *any = false;
  if (sel == nullptr) return;
  auto wanted = [&](const std::string& name) {
    if (sel->has_enable()) return sel->enable();
    if (sel->has_include()) {
      for (const std::string& n : sel->include().names()) {
        if (n == name) return true;
      }
    }
    return false;
  };
  const bool single_default = seg.specs().size() == 1 && seg.specs()[0].name.empty();
  for (const VectorSpec& spec : seg.specs()) {
    if (!wanted(spec.name)) continue;
    const float* v = seg.VectorAt(spec.name, offset);
    if (v == nullptr) continue;
    qdrant::VectorOutput* vo = single_default
                                   ? out->mutable_vector()
                                   : &(*out->mutable_vectors()->mutable_vectors())[spec.name];
    vo->mutable_dense()->mutable_data()->Add(v, v + spec.dim);
    *any = true;
  }
}

}  // namespace strata::kernel
