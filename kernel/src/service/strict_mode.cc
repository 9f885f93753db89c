#include "service/strict_mode.h"

#include "points.pb.h"

namespace strata::kernel {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

struct Walk {
  const qdrant::StrictModeConfig& strict;
  const std::set<std::string>& indexed;
  bool write;

  // The index types a field condition can use, as Qdrant names them in its error.
  static std::string Types(const qdrant::FieldCondition& c) {
    if (c.has_match()) {
      switch (c.match().match_value_case()) {
        case qdrant::Match::kInteger:
        case qdrant::Match::kIntegers:
        case qdrant::Match::kExceptIntegers:
          return "integer";
        case qdrant::Match::kBoolean:
          return "bool";
        case qdrant::Match::kText:
        case qdrant::Match::kPhrase:
        case qdrant::Match::kTextAny:
          return "text";
        default:
          return "keyword, uuid";
      }
    }
    if (c.has_range()) return "integer, float";
    if (c.has_datetime_range()) return "datetime";
    if (c.has_geo_bounding_box() || c.has_geo_radius() || c.has_geo_polygon()) return "geo";
    return "keyword, integer, float";
  }

  Status Filter(const qdrant::Filter& f, const std::string& prefix, uint64_t* conditions) const {
    for (const auto* list : {&f.must(), &f.should(), &f.must_not()}) {
      for (const qdrant::Condition& c : *list)
        STRATA_RETURN_IF_ERROR(Condition(c, prefix, conditions));
    }
    if (f.has_min_should()) {
      for (const qdrant::Condition& c : f.min_should().conditions()) {
        STRATA_RETURN_IF_ERROR(Condition(c, prefix, conditions));
      }
    }
    return Status::Ok();
  }

  Status Condition(const qdrant::Condition& c, const std::string& prefix,
                   uint64_t* conditions) const {
    ++*conditions;
    if (strict.has_filter_max_conditions() && *conditions > strict.filter_max_conditions()) {
      return InvalidArgument("filter: more than " + std::to_string(strict.filter_max_conditions()) +
                             " conditions (strict mode filter_max_conditions)");
    }
    if (c.has_filter()) return Filter(c.filter(), prefix, conditions);
    if (c.has_nested()) {
      return Filter(c.nested().filter(), prefix + c.nested().key() + "[].", conditions);
    }
    if (!c.has_field()) return Status::Ok();
    // Checked only when the option is set to false (as Qdrant does).
    const bool allowed =
        write ? !strict.has_unindexed_filtering_update() || strict.unindexed_filtering_update()
              : !strict.has_unindexed_filtering_retrieve() || strict.unindexed_filtering_retrieve();
    const std::string key = prefix + c.field().key();
    if (allowed || indexed.count(key) != 0) return Status::Ok();
    return InvalidArgument("Index required but not found for \"" + key +
                           "\" of one of the following types: [" + Types(c.field()) +
                           "]. Help: Create an index for this key or use a different filter.");
  }

  Status Params(const qdrant::SearchParams& p) const {
    if (strict.has_search_max_hnsw_ef() && p.has_hnsw_ef() &&
        p.hnsw_ef() > strict.search_max_hnsw_ef()) {
      return InvalidArgument("params.hnsw_ef: " + std::to_string(p.hnsw_ef()) + " exceeds " +
                             std::to_string(strict.search_max_hnsw_ef()) +
                             " (strict mode search_max_hnsw_ef)");
    }
    if (strict.has_search_allow_exact() && !strict.search_allow_exact() && p.exact()) {
      return InvalidArgument("params.exact: exact search is not allowed (strict mode)");
    }
    if (strict.has_search_max_oversampling() && p.has_quantization() &&
        p.quantization().has_oversampling() &&
        p.quantization().oversampling() > strict.search_max_oversampling()) {
      return InvalidArgument(
          "params.quantization.oversampling: " + std::to_string(p.quantization().oversampling()) +
          " exceeds " + std::to_string(strict.search_max_oversampling()) +
          " (strict mode search_max_oversampling)");
    }
    return Status::Ok();
  }

  // Every part of the request, by reflection: filters, search params and limits wherever the
  // request nests them (prefetches, batches, selectors).
  Status Message(const google::protobuf::Message& m) const {
    if (auto* f = dynamic_cast<const qdrant::Filter*>(&m)) {
      uint64_t conditions = 0;
      return Filter(*f, "", &conditions);
    }
    if (auto* p = dynamic_cast<const qdrant::SearchParams*>(&m)) {
      STRATA_RETURN_IF_ERROR(Params(*p));
    }
    const Reflection* r = m.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    r->ListFields(m, &fields);
    for (const FieldDescriptor* fd : fields) {
      if (fd->name() == "limit" && !fd->is_repeated() &&
          (fd->cpp_type() == FieldDescriptor::CPPTYPE_UINT64 ||
           fd->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) &&
          strict.has_max_query_limit()) {
        const uint64_t limit = fd->cpp_type() == FieldDescriptor::CPPTYPE_UINT64
                                   ? r->GetUInt64(m, fd)
                                   : r->GetUInt32(m, fd);
        if (limit > strict.max_query_limit()) {
          return InvalidArgument("limit: " + std::to_string(limit) + " exceeds " +
                                 std::to_string(strict.max_query_limit()) +
                                 " (strict mode max_query_limit)");
        }
      }
      if (fd->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
      if (fd->is_repeated()) {
        const int n = r->FieldSize(m, fd);
        const std::string type = fd->message_type()->full_name();
        if (type == "qdrant.PointStruct" && strict.has_upsert_max_batchsize() &&
            static_cast<uint64_t>(n) > strict.upsert_max_batchsize()) {
          return InvalidArgument("points: " + std::to_string(n) + " points in one request exceed " +
                                 std::to_string(strict.upsert_max_batchsize()) +
                                 " (strict mode upsert_max_batchsize)");
        }
        if ((type == "qdrant.SearchPoints" || type == "qdrant.QueryPoints" ||
             type == "qdrant.RecommendPoints" || type == "qdrant.DiscoverPoints") &&
            strict.has_search_max_batchsize() &&
            static_cast<uint64_t>(n) > strict.search_max_batchsize()) {
          return InvalidArgument(std::string(fd->name()) + ": " + std::to_string(n) +
                                 " searches in one batch exceed " +
                                 std::to_string(strict.search_max_batchsize()) +
                                 " (strict mode search_max_batchsize)");
        }
        for (int i = 0; i < n; ++i)
          STRATA_RETURN_IF_ERROR(Message(r->GetRepeatedMessage(m, fd, i)));
      } else {
        STRATA_RETURN_IF_ERROR(Message(r->GetMessage(m, fd)));
      }
    }
    return Status::Ok();
  }
};

}  // namespace

Status CheckStrictMode(const qdrant::StrictModeConfig& strict, const std::set<std::string>& indexed,
                       const google::protobuf::Message& request, bool write) {
  if (!strict.enabled()) return Status::Ok();
  return Walk{strict, indexed, write}.Message(request);
}

}  // namespace strata::kernel
