#include "shard/points_convert.h"

#include <algorithm>
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

Result<SparseVector> SparseFromProto(const google::protobuf::RepeatedField<uint32_t>& indices,
                                     const google::protobuf::RepeatedField<float>& values,
                                     const std::string& field) {
  if (indices.size() != values.size()) {
    return InvalidArgument(field + ": a sparse vector needs as many values as indices (" +
                           std::to_string(indices.size()) + " indices, " +
                           std::to_string(values.size()) + " values)");
  }
  std::vector<std::pair<uint32_t, float>> entries;
  entries.reserve(indices.size());
  for (int i = 0; i < indices.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return InvalidArgument(field + ": value " + std::to_string(i) +
                             " is not a finite number (NaN and infinity are not allowed)");
    }
    entries.emplace_back(indices[i], values[i]);
  }
  std::sort(entries.begin(), entries.end());
  SparseVector out;
  out.indices.reserve(entries.size());
  out.values.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && entries[i].first == entries[i - 1].first) {
      return InvalidArgument(field + ": sparse vector indices must be unique (" +
                             std::to_string(entries[i].first) + " repeats)");
    }
    out.indices.push_back(entries[i].first);
    out.values.push_back(entries[i].second);
  }
  return out;
}

Status VectorsFromProto(const qdrant::Vectors& v, const std::vector<VectorSpec>& specs,
                        const std::vector<SparseSpec>& sparse_specs, const std::string& field,
                        NamedVectors* dense, NamedSparse* sparse) {
  if (v.has_vector()) {
    STRATA_ASSIGN_OR_RETURN(const VectorSpec* spec, FindSpec(specs, "", field));
    STRATA_ASSIGN_OR_RETURN((*dense)[""], DenseFromProto(v.vector(), *spec, field));
    return Status::Ok();
  }
  if (!v.has_vectors()) return Status::Ok();
  for (const auto& [name, vec] : v.vectors().vectors()) {
    const std::string f = field + "." + (name.empty() ? std::string("(default)") : name);
    const bool is_sparse_input = vec.has_sparse() || vec.has_indices();
    if (FindSparseSpec(sparse_specs, name) != nullptr) {
      if (!is_sparse_input) {
        return InvalidArgument(f + ": '" + name +
                               "' is a sparse vector; give {indices, values}, not a dense one");
      }
      if (vec.has_sparse()) {
        STRATA_ASSIGN_OR_RETURN((*sparse)[name],
                                SparseFromProto(vec.sparse().indices(), vec.sparse().values(), f));
      } else {
        STRATA_ASSIGN_OR_RETURN((*sparse)[name],
                                SparseFromProto(vec.indices().data(), vec.data(), f));
      }
      continue;
    }
    if (is_sparse_input) {
      STRATA_RETURN_IF_ERROR(FindSpec(specs, name, f).status());  // unknown names first
      return InvalidArgument(f + ": '" + name + "' is a dense vector; a sparse one was given");
    }
    STRATA_ASSIGN_OR_RETURN(const VectorSpec* spec, FindSpec(specs, name, f));
    STRATA_ASSIGN_OR_RETURN((*dense)[name], DenseFromProto(vec, *spec, f));
  }
  return Status::Ok();
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
  const bool single_default =
      seg.specs().size() == 1 && seg.specs()[0].name.empty() && seg.sparse_specs().empty();
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
  for (const SparseSpec& spec : seg.sparse_specs()) {
    if (!wanted(spec.name)) continue;
    const SparseVector* v = seg.SparseAt(spec.name, offset);
    if (v == nullptr) continue;
    qdrant::SparseVector* so =
        (*out->mutable_vectors()->mutable_vectors())[spec.name].mutable_sparse();
    so->mutable_indices()->Add(v->indices.begin(), v->indices.end());
    so->mutable_values()->Add(v->values.begin(), v->values.end());
    *any = true;
  }
}

}  // namespace strata::kernel
