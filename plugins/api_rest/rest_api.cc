// api_rest: Qdrant's REST API on service.http_port (6333).
//
// Each route maps Qdrant's REST JSON by hand to the kernel's proto request, calls host->call,
// and maps the proto response back to Qdrant's JSON: {"result": ..., "status": "ok", "time": s}
// or {"status": {"error": "..."}, "time": s} with 400 / 403 / 404 / 409 / 413 / 422 / 501.
// BUNDLE tier: it links libstrata_proto.so for the message types.
#include <rapidjson/error/en.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <future>
#include <iterator>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <thread>
#include <tuple>

#include "fast_upsert.h"
#include "http_server.h"
#include "json_codec.h"
#include "qdrant.pb.h"
#include "snapshot_transfer.h"
#include "snapshots_service.pb.h"
#include "strata/abi/strata_methods.h"
#include "strata/sdk/frontend_plugin.hpp"
#include "strata/sdk/manifest.hpp"
#include "strata/sdk/uuid.hpp"
#include "strata_internal.pb.h"

namespace strata::rest {
namespace {

namespace sdk = strata::sdk;
constexpr const char* kLog = "frontend/rest";
using Clock = std::chrono::steady_clock;

struct Call {
  const HttpRequest& http;
  std::map<std::string, std::string> path;   // {collection_name}, {id}, ...
  std::map<std::string, std::string> query;  // ?wait=true
  rapidjson::Document body;
  uint32_t access = STRATA_ACCESS_READ_WRITE;
  Clock::time_point start = Clock::now();
};

int HttpStatusOf(StatusCode c) {
  switch (c) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kFailedPrecondition:
      return 400;
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kResourceExhausted:
      return 413;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

double Seconds(const Call& c) {
  return std::chrono::duration<double>(Clock::now() - c.start).count();
}

HttpResponse Error(const Call& c, const Status& s, int status = 0) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("status");
  w.StartObject();
  w.Key("error");
  std::string text = s.message();
  if (s.code() == StatusCode::kNotFound && text.rfind("Not found", 0) != 0)
    text = "Not found: " + text;
  w.String(text.c_str());
  w.EndObject();
  w.Key("time");
  w.Double(Seconds(c));
  w.EndObject();
  HttpResponse r;
  r.status = status ? status : HttpStatusOf(s.code());
  r.body = buf.GetString();
  return r;
}

// {"result": <written by fn>, "status": "ok", "time": ...}
template <class Fn>
HttpResponse Ok(const Call& c, Fn&& write_result) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("result");
  write_result(w);
  w.Key("status");
  w.String("ok");
  w.Key("time");
  w.Double(Seconds(c));
  w.EndObject();
  HttpResponse r;
  r.body = buf.GetString();
  return r;
}

class RestFrontend;

// Calls the kernel and parses its answer into `resp`.
Status KernelCall(const sdk::Host& host, uint32_t method, const google::protobuf::Message& req,
                  uint32_t access, google::protobuf::Message* resp) {
  STRATA_ASSIGN_OR_RETURN(std::string body, host.CallSync(method, req.SerializeAsString(), access));
  if (!resp->ParseFromString(body)) return Internal("undecodable kernel response");
  return Status::Ok();
}

bool QueryBool(const Call& c, const char* key, bool fallback) {
  auto it = c.query.find(key);
  if (it == c.query.end()) return fallback;
  return it->second == "true" || it->second == "1";
}

const Json* Field(const Call& c, const char* name) {
  if (!c.body.IsObject()) return nullptr;
  auto it = c.body.FindMember(name);
  if (it == c.body.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

Status RequireObjectBody(const Call& c) {
  if (!c.body.IsObject())
    return InvalidArgument("Format error in JSON body: expected a JSON object");
  return Status::Ok();
}

// A positive "limit" (0 is a validation error, as in Qdrant).
Status ParseLimit(const Json& v, uint64_t* out) {
  if (!v.IsUint64())
    return InvalidArgument("Format error in JSON body: limit: expected a non-negative integer");
  if (v.GetUint64() == 0)
    return InvalidArgument(
        "Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]");
  *out = v.GetUint64();
  return Status::Ok();
}

// The optional boolean body field `name`; *out is untouched when absent.
Status ParseOptionalBool(const Call& c, const char* name, std::optional<bool>* out) {
  const Json* v = Field(c, name);
  if (v == nullptr) return Status::Ok();
  if (!v->IsBool())
    return InvalidArgument(std::string("Format error in JSON body: ") + name +
                           ": expected true or false");
  *out = v->GetBool();
  return Status::Ok();
}

// ---- request builders shared by several routes ----

Status SelectorFromBody(const Call& c, qdrant::PointsSelector* sel) {
  STRATA_RETURN_IF_ERROR(RequireObjectBody(c));
  return ParsePointsSelector(c.body, "", sel);
}

// One object or an array of them: `one` on each, with its path.
template <class Fn>
Status OneOrEach(const Json& j, const std::string& at, Fn&& one) {
  if (!j.IsArray()) return one(j, at);
  for (rapidjson::SizeType i = 0; i < j.Size(); ++i) {
    STRATA_RETURN_IF_ERROR(one(j[i], at + "[" + std::to_string(i) + "]"));
  }
  return Status::Ok();
}

Status ParseExample(const Json& e, const std::string& at, qdrant::VectorInput* out) {
  if (e.IsArray()) return ParseDense(e, at, out->mutable_dense());
  return ParsePointId(e, at, out->mutable_id());
}

// {"positive": [...], "negative": [...], "strategy": "average_vector"} (ids or vectors).
Status ParseRecommend(const Json& r, const std::string& at, qdrant::RecommendInput* out) {
  if (!r.IsObject())
    return InvalidArgument("Format error in JSON body: " + at + ": expected an object");
  for (const char* side : {"positive", "negative"}) {
    auto it = r.FindMember(side);
    if (it == r.MemberEnd() || it->value.IsNull()) continue;
    if (!it->value.IsArray()) {
      return InvalidArgument("Format error in JSON body: " + at + "." + side +
                             ": expected an array");
    }
    for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
      qdrant::VectorInput* in =
          std::string(side) == "positive" ? out->add_positive() : out->add_negative();
      STRATA_RETURN_IF_ERROR(
          ParseExample(it->value[i], at + "." + side + "[" + std::to_string(i) + "]", in));
    }
  }
  auto st = r.FindMember("strategy");
  if (st != r.MemberEnd() && !st->value.IsNull()) {
    std::string v = st->value.IsString() ? st->value.GetString() : "";
    if (v == "average_vector") {
      out->set_strategy(qdrant::AverageVector);
    } else if (v == "best_score") {
      out->set_strategy(qdrant::BestScore);
    } else if (v == "sum_scores") {
      out->set_strategy(qdrant::SumScores);
    } else {
      return InvalidArgument("Format error in JSON body: " + at + ".strategy: unknown variant `" +
                             v + "`");
    }
  }
  return Status::Ok();
}

// "key" or {"key": ..., "direction": "asc" | "desc", "start_from": number | date-time}.
Status ParseOrderBy(const Json& ob, const std::string& at, qdrant::OrderBy* o) {
  if (ob.IsString()) {
    o->set_key(ob.GetString());
    return Status::Ok();
  }
  if (!ob.IsObject() || !ob.HasMember("key") || !ob["key"].IsString()) {
    return InvalidArgument("Format error in JSON body: " + at +
                           ": expected a key or {\"key\": ...}");
  }
  o->set_key(ob["key"].GetString());
  if (ob.HasMember("direction") && !ob["direction"].IsNull()) {
    std::string d = ob["direction"].IsString() ? ob["direction"].GetString() : "";
    if (d != "asc" && d != "desc") {
      return InvalidArgument("Format error in JSON body: " + at + ".direction: unknown variant `" +
                             d + "`");
    }
    o->set_direction(d == "desc" ? qdrant::Desc : qdrant::Asc);
  }
  if (ob.HasMember("start_from") && !ob["start_from"].IsNull()) {
    const Json& sf = ob["start_from"];
    if (sf.IsInt64()) {
      o->mutable_start_from()->set_integer(sf.GetInt64());
    } else if (sf.IsNumber()) {
      o->mutable_start_from()->set_float_(sf.GetDouble());
    } else if (sf.IsString()) {
      o->mutable_start_from()->set_datetime(sf.GetString());
    } else {
      return InvalidArgument("Format error in JSON body: " + at +
                             ".start_from: expected a number or a date-time");
    }
  }
  return Status::Ok();
}

// {"fusion": "rrf" | "dbsf"} or {"rrf": {"k": ..., "weights": [...]}}.
Status ParseFusion(const Json& q, const std::string& at, qdrant::Query* out) {
  if (q.HasMember("fusion")) {
    const Json& f = q["fusion"];
    const std::string v = f.IsString() ? f.GetString() : "";
    if (v == "rrf") {
      out->set_fusion(qdrant::RRF);
    } else if (v == "dbsf") {
      out->set_fusion(qdrant::DBSF);
    } else {
      return InvalidArgument("Format error in JSON body: " + at + ".fusion: unknown variant `" + v +
                             "`, expected `rrf` or `dbsf`");
    }
    return Status::Ok();
  }
  const Json& r = q["rrf"];
  auto* rrf = out->mutable_rrf();
  if (!r.IsObject()) {
    return InvalidArgument("Format error in JSON body: " + at + ".rrf: expected an object");
  }
  if (r.HasMember("k") && !r["k"].IsNull()) {
    if (!r["k"].IsUint() || r["k"].GetUint() == 0) {
      return InvalidArgument("Format error in JSON body: " + at +
                             ".rrf.k: expected a positive integer");
    }
    rrf->set_k(r["k"].GetUint());
  }
  if (r.HasMember("weights") && !r["weights"].IsNull()) {
    const Json& w = r["weights"];
    if (!w.IsArray()) {
      return InvalidArgument("Format error in JSON body: " + at +
                             ".rrf.weights: expected an array of numbers");
    }
    for (const auto& x : w.GetArray()) {
      if (!x.IsNumber() || x.GetDouble() < 0) {
        return InvalidArgument("Format error in JSON body: " + at +
                               ".rrf.weights: expected non-negative numbers");
      }
      rrf->add_weights(static_cast<float>(x.GetDouble()));
    }
  }
  return Status::Ok();
}

// One {"positive": example, "negative": example} pair or an array of them (null: none).
Status ParseContext(const Json& j, const std::string& at, qdrant::ContextInput* out) {
  if (j.IsNull()) return Status::Ok();
  auto one = [&](const Json& p, const std::string& where) -> Status {
    if (!p.IsObject()) {
      return InvalidArgument("Format error in JSON body: " + where +
                             ": expected {\"positive\": ..., \"negative\": ...}");
    }
    qdrant::ContextInputPair* pair = out->add_pairs();
    for (const char* side : {"positive", "negative"}) {
      auto it = p.FindMember(side);
      if (it == p.MemberEnd()) {
        return InvalidArgument("Format error in JSON body: " + where + ": missing field `" + side +
                               "`");
      }
      STRATA_RETURN_IF_ERROR(ParseExample(
          it->value, where + "." + side,
          std::string(side) == "positive" ? pair->mutable_positive() : pair->mutable_negative()));
    }
    return Status::Ok();
  };
  return OneOrEach(j, at, one);
}

Status ParseQueryInput(const Json& q, const std::string& at, qdrant::Query* out) {
  const Json* v = &q;
  if (q.IsObject()) {
    auto rec = q.FindMember("recommend");
    if (rec != q.MemberEnd())
      return ParseRecommend(rec->value, at + ".recommend", out->mutable_recommend());
    auto disc = q.FindMember("discover");
    if (disc != q.MemberEnd()) {
      const std::string where = at + ".discover";
      if (!disc->value.IsObject()) {
        return InvalidArgument("Format error in JSON body: " + where + ": expected an object");
      }
      auto target = disc->value.FindMember("target");
      auto context = disc->value.FindMember("context");
      if (target == disc->value.MemberEnd() || context == disc->value.MemberEnd()) {
        return InvalidArgument("Format error in JSON body: " + where +
                               ": `target` and `context` are required");
      }
      qdrant::DiscoverInput* d = out->mutable_discover();
      STRATA_RETURN_IF_ERROR(ParseExample(target->value, where + ".target", d->mutable_target()));
      return ParseContext(context->value, where + ".context", d->mutable_context());
    }
    auto ctx = q.FindMember("context");
    if (ctx != q.MemberEnd())
      return ParseContext(ctx->value, at + ".context", out->mutable_context());
    if (q.HasMember("fusion") || q.HasMember("rrf")) return ParseFusion(q, at, out);
    auto sample = q.FindMember("sample");
    if (sample != q.MemberEnd()) {
      if (!sample->value.IsString() || std::string(sample->value.GetString()) != "random") {
        return InvalidArgument("Format error in JSON body: " + at +
                               ".sample: unknown variant, expected `random`");
      }
      out->set_sample(qdrant::Random);
      return Status::Ok();
    }
    auto ob = q.FindMember("order_by");
    if (ob != q.MemberEnd()) {
      return ParseOrderBy(ob->value, at + ".order_by", out->mutable_order_by());
    }
    if (q.HasMember("indices")) return ParseSparse(q, at, out->mutable_nearest()->mutable_sparse());
    auto it = q.FindMember("nearest");
    if (it == q.MemberEnd()) {
      for (const char* later : {"formula", "relevance_feedback"}) {
        if (q.HasMember(later)) {
          return Unimplemented(at + "." + later + " queries are not supported yet");
        }
      }
      return InvalidArgument("Format error in JSON body: " + at +
                             ": expected a vector, a point id or one of nearest, recommend, "
                             "discover, context");
    }
    v = &it->value;
  }
  auto* nearest = out->mutable_nearest();
  if (v->IsArray()) return ParseDense(*v, at, nearest->mutable_dense());
  if (v->IsObject()) return ParseSparse(*v, at, nearest->mutable_sparse());
  return ParsePointId(*v, at, nearest->mutable_id());
}

// One prefetch object or an array of them, nested prefetches included.
Status ParsePrefetches(const Json& j, const std::string& at,
                       google::protobuf::RepeatedPtrField<qdrant::PrefetchQuery>* out) {
  auto one = [&](const Json& p, const std::string& where) -> Status {
    if (!p.IsObject()) {
      return InvalidArgument("Format error in JSON body: " + where + ": expected an object");
    }
    qdrant::PrefetchQuery* pq = out->Add();
    auto get = [&](const char* name) -> const Json* {
      auto it = p.FindMember(name);
      return it == p.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
    };
    if (const Json* v = get("prefetch")) {
      STRATA_RETURN_IF_ERROR(ParsePrefetches(*v, where + ".prefetch", pq->mutable_prefetch()));
    }
    if (const Json* v = get("query")) {
      STRATA_RETURN_IF_ERROR(ParseQueryInput(*v, where + ".query", pq->mutable_query()));
    }
    if (const Json* v = get("using")) {
      if (!v->IsString()) {
        return InvalidArgument("Format error in JSON body: " + where + ".using: expected a string");
      }
      pq->set_using_(v->GetString());
    }
    if (const Json* v = get("filter")) {
      STRATA_RETURN_IF_ERROR(ParseFilter(*v, where + ".filter", pq->mutable_filter()));
    }
    if (const Json* v = get("params")) {
      STRATA_RETURN_IF_ERROR(ParseSearchParams(*v, where + ".params", pq->mutable_params()));
    }
    if (const Json* v = get("score_threshold")) {
      if (!v->IsNumber()) {
        return InvalidArgument("Format error in JSON body: " + where +
                               ".score_threshold: expected a number");
      }
      pq->set_score_threshold(static_cast<float>(v->GetDouble()));
    }
    if (const Json* v = get("limit")) {
      uint64_t limit = 0;
      STRATA_RETURN_IF_ERROR(ParseLimit(*v, &limit).WithContext(where));
      pq->set_limit(limit);
    }
    if (get("lookup_from")) return Unimplemented(where + ".lookup_from is not supported yet");
    return Status::Ok();
  };
  return OneOrEach(j, at, one);
}

Status BuildQuery(const Json& body, const std::string& collection, qdrant::QueryPoints* q) {
  if (!body.IsObject()) return InvalidArgument("Format error in JSON body: expected a JSON object");
  q->set_collection_name(collection);
  auto get = [&](const char* name) -> const Json* {
    auto it = body.FindMember(name);
    return it == body.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
  };
  if (const Json* v = get("query"))
    STRATA_RETURN_IF_ERROR(ParseQueryInput(*v, "query", q->mutable_query()));
  if (const Json* v = get("prefetch")) {
    STRATA_RETURN_IF_ERROR(ParsePrefetches(*v, "prefetch", q->mutable_prefetch()));
  }
  if (const Json* v = get("using")) {
    if (!v->IsString())
      return InvalidArgument("Format error in JSON body: using: expected a string");
    q->set_using_(v->GetString());
  }
  if (const Json* v = get("filter"))
    STRATA_RETURN_IF_ERROR(ParseFilter(*v, "filter", q->mutable_filter()));
  if (const Json* v = get("params"))
    STRATA_RETURN_IF_ERROR(ParseSearchParams(*v, "params", q->mutable_params()));
  if (const Json* v = get("score_threshold")) {
    if (!v->IsNumber())
      return InvalidArgument("Format error in JSON body: score_threshold: expected a number");
    q->set_score_threshold(static_cast<float>(v->GetDouble()));
  }
  if (const Json* v = get("limit")) {
    uint64_t limit = 0;
    STRATA_RETURN_IF_ERROR(ParseLimit(*v, &limit));
    q->set_limit(limit);
  }
  if (const Json* v = get("offset")) {
    if (!v->IsUint64())
      return InvalidArgument("Format error in JSON body: offset: expected a non-negative integer");
    q->set_offset(v->GetUint64());
  }
  if (const Json* v = get("with_payload"))
    STRATA_RETURN_IF_ERROR(ParseWithPayload(*v, "with_payload", q->mutable_with_payload()));
  if (const Json* v = get("with_vector"))
    STRATA_RETURN_IF_ERROR(ParseWithVectors(*v, "with_vector", q->mutable_with_vectors()));
  if (const Json* v = get("with_vectors"))
    STRATA_RETURN_IF_ERROR(ParseWithVectors(*v, "with_vectors", q->mutable_with_vectors()));
  return Status::Ok();
}

Status BuildSearch(const Json& body, const std::string& collection, qdrant::SearchPoints* s) {
  if (!body.IsObject()) return InvalidArgument("Format error in JSON body: expected a JSON object");
  s->set_collection_name(collection);
  auto get = [&](const char* name) -> const Json* {
    auto it = body.FindMember(name);
    return it == body.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
  };
  const Json* vec = get("vector");
  if (vec == nullptr) return InvalidArgument("Format error in JSON body: missing field `vector`");
  qdrant::DenseVector dense;
  if (vec->IsObject()) {
    auto name = vec->FindMember("name");
    auto data = vec->FindMember("vector");
    if (name == vec->MemberEnd() || data == vec->MemberEnd() || !name->value.IsString()) {
      return InvalidArgument(
          "Format error in JSON body: vector: expected {\"name\": ..., \"vector\": [...]}");
    }
    s->set_vector_name(name->value.GetString());
    if (data->value.IsObject()) {
      // A named sparse vector: `vector` carries the values, sparse_indices the indices.
      qdrant::SparseVector sparse;
      STRATA_RETURN_IF_ERROR(ParseSparse(data->value, "vector.vector", &sparse));
      *dense.mutable_data() = sparse.values();
      *s->mutable_sparse_indices()->mutable_data() = sparse.indices();
    } else {
      STRATA_RETURN_IF_ERROR(ParseDense(data->value, "vector.vector", &dense));
    }
  } else {
    STRATA_RETURN_IF_ERROR(ParseDense(*vec, "vector", &dense));
  }
  *s->mutable_vector() = dense.data();
  const Json* limit = get("limit") ? get("limit") : get("top");
  if (limit == nullptr || !limit->IsUint64()) {
    return InvalidArgument("Format error in JSON body: missing field `limit`");
  }
  if (limit->GetUint64() == 0)
    return InvalidArgument(
        "Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]");
  s->set_limit(limit->GetUint64());
  if (const Json* v = get("offset")) {
    if (!v->IsUint64())
      return InvalidArgument("Format error in JSON body: offset: expected a non-negative integer");
    s->set_offset(v->GetUint64());
  }
  if (const Json* v = get("filter"))
    STRATA_RETURN_IF_ERROR(ParseFilter(*v, "filter", s->mutable_filter()));
  if (const Json* v = get("params"))
    STRATA_RETURN_IF_ERROR(ParseSearchParams(*v, "params", s->mutable_params()));
  if (const Json* v = get("score_threshold")) {
    if (!v->IsNumber())
      return InvalidArgument("Format error in JSON body: score_threshold: expected a number");
    s->set_score_threshold(static_cast<float>(v->GetDouble()));
  }
  if (const Json* v = get("with_payload"))
    STRATA_RETURN_IF_ERROR(ParseWithPayload(*v, "with_payload", s->mutable_with_payload()));
  if (const Json* v = get("with_vector"))
    STRATA_RETURN_IF_ERROR(ParseWithVectors(*v, "with_vector", s->mutable_with_vectors()));
  return Status::Ok();
}

void WriteScoredList(JsonWriter& w,
                     const google::protobuf::RepeatedPtrField<qdrant::ScoredPoint>& pts) {
  w.StartArray();
  for (const auto& p : pts) WriteScoredPoint(w, p);
  w.EndArray();
}

// ---- routing ----

using RouteFn = std::function<HttpResponse(RestFrontend&, Call&)>;
// A route's optional accelerator: runs on the raw body before the DOM parse; no answer means
// "take the general path" (fn, with the parsed body).
// An upsert body decoded while it arrives (fast_upsert.h's UpsertStream).
struct UpsertObserver : BodyObserver {
  UpsertStream stream;
  Clock::duration decoding{};  // spent in Feed
  void Received(std::string_view so_far, const std::function<bool()>& rest_arrived) override {
    const Clock::time_point start = Clock::now();
    stream.Feed(so_far, rest_arrived);
    decoding += Clock::now() - start;
  }
};

// Where the accelerated upserts' time goes: JSON decoding (while the body arrived and after)
// and the kernel call, for /metrics.
class UpsertCost {
 public:
  void Add(size_t bytes, Clock::duration decode, Clock::duration kernel) {
    bytes_ += bytes;
    decode_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(decode).count();
    kernel_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(kernel).count();
  }
  std::string Render() const {
    auto seconds = [](const std::atomic<int64_t>& ns) { return std::to_string(ns.load() / 1e9); };
    return "# HELP rest_upsert_body_bytes_total JSON upsert bodies decoded by the accelerator\n"
           "# TYPE rest_upsert_body_bytes_total counter\nrest_upsert_body_bytes_total " +
           std::to_string(bytes_.load()) +
           "\n# HELP rest_upsert_decode_seconds_total time spent decoding them (on any thread, "
           "also while bodies arrived)\n"
           "# TYPE rest_upsert_decode_seconds_total counter\nrest_upsert_decode_seconds_total " +
           seconds(decode_ns_) +
           "\n# HELP rest_upsert_kernel_seconds_total time their writes took from the decoded "
           "request to the answer (serializing it for the kernel, the kernel call)\n"
           "# TYPE rest_upsert_kernel_seconds_total counter\nrest_upsert_kernel_seconds_total " +
           seconds(kernel_ns_) + "\n";
  }

 private:
  std::atomic<uint64_t> bytes_{0};
  std::atomic<int64_t> decode_ns_{0};
  std::atomic<int64_t> kernel_ns_{0};
};

using FastFn = std::function<std::optional<HttpResponse>(RestFrontend&, Call&)>;
struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> parts;  // "{name}" captures
  RouteFn fn;
  FastFn fast;
};

// Request counts and latency histograms per (method, route, status), for /metrics.
class RequestMetrics {
 public:
  static constexpr double kBounds[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
  void Record(const std::string& method, const std::string& route, int status, double seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    Series& s = series_[{method, route, status}];
    ++s.count;
    s.sum += seconds;
    s.min = s.count == 1 ? seconds : std::min(s.min, seconds);
    s.max = std::max(s.max, seconds);
    for (size_t i = 0; i < std::size(kBounds); ++i) {
      if (seconds <= kBounds[i]) ++s.buckets[i];
    }
  }
  // Telemetry's `requests.rest.responses`: "METHOD /route" -> status -> duration statistics.
  void WriteTelemetry(JsonWriter& w) const {
    std::lock_guard<std::mutex> lock(mu_);
    w.StartObject();
    std::string open;
    for (const auto& [key, s] : series_) {
      const std::string name = key.method + " " + key.route;
      if (name != open) {
        if (!open.empty()) w.EndObject();
        w.Key(name.c_str());
        w.StartObject();
        open = name;
      }
      w.Key(std::to_string(key.status).c_str());
      w.StartObject();
      w.Key("count");
      w.Uint64(s.count);
      w.Key("fail_count");
      w.Uint64(key.status >= 500 ? s.count : 0);
      w.Key("avg_duration_micros");
      w.Double(s.count > 0 ? s.sum * 1e6 / static_cast<double>(s.count) : 0);
      w.Key("min_duration_micros");
      w.Double(s.min * 1e6);
      w.Key("max_duration_micros");
      w.Double(s.max * 1e6);
      w.Key("total_duration_micros");
      w.Uint64(static_cast<uint64_t>(s.sum * 1e6));
      w.EndObject();
    }
    if (!open.empty()) w.EndObject();
    w.EndObject();
  }

  std::string Render() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out =
        "# HELP rest_responses_total REST responses by method, route and status\n"
        "# TYPE rest_responses_total counter\n";
    for (const auto& [key, s] : series_) {
      out += "rest_responses_total" + Labels(key) + " " + std::to_string(s.count) + "\n";
    }
    out +=
        "# HELP rest_responses_duration_seconds REST response time\n"
        "# TYPE rest_responses_duration_seconds histogram\n";
    for (const auto& [key, s] : series_) {
      std::string l = Labels(key);
      l.pop_back();  // reopen the label set for `le`
      for (size_t i = 0; i < std::size(kBounds); ++i) {
        char le[32];
        std::snprintf(le, sizeof(le), "%g", kBounds[i]);
        out += "rest_responses_duration_seconds_bucket" + l + ",le=\"" + le + "\"} " +
               std::to_string(s.buckets[i]) + "\n";
      }
      out += "rest_responses_duration_seconds_bucket" + l + ",le=\"+Inf\"} " +
             std::to_string(s.count) + "\n";
      out +=
          "rest_responses_duration_seconds_sum" + Labels(key) + " " + std::to_string(s.sum) + "\n";
      out += "rest_responses_duration_seconds_count" + Labels(key) + " " + std::to_string(s.count) +
             "\n";
    }
    return out;
  }

 private:
  struct Key {
    std::string method, route;
    int status;
    bool operator<(const Key& o) const {
      return std::tie(method, route, status) < std::tie(o.method, o.route, o.status);
    }
  };
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    double min = 0, max = 0;
    uint64_t buckets[std::size(kBounds)] = {};
  };
  static std::string Labels(const Key& k) {
    return "{method=\"" + k.method + "\",endpoint=\"" + k.route + "\",status=\"" +
           std::to_string(k.status) + "\"}";
  }
  mutable std::mutex mu_;
  std::map<Key, Series> series_;
};

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) out.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

std::string UrlDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// A whole text file (certificates, keys); NOT_FOUND naming the config key otherwise.
Result<std::string> ReadFileText(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  if (!in) return NotFound(key + ": cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class RestFrontend {
 public:
  static Result<std::unique_ptr<RestFrontend>> Create(const sdk::Host& host,
                                                      const sdk::Params& cfg) {
    auto fe = std::make_unique<RestFrontend>();
    fe->host_ = host;
    STRATA_ASSIGN_OR_RETURN(int64_t port, cfg.GetInt("service.http_port", 6333));
    if (port < 0 || port > 65535) return InvalidArgument("service.http_port: not a port number");
    STRATA_ASSIGN_OR_RETURN(int64_t mb, cfg.GetInt("service.max_request_size_mb", 32));
    if (mb < 1) return InvalidArgument("service.max_request_size_mb: must be >= 1");
    STRATA_ASSIGN_OR_RETURN(int64_t workers, cfg.GetInt("service.max_workers", 0));
    HttpServer::Options o;
    o.host = cfg.GetString("service.host", "0.0.0.0");
    o.port = static_cast<int>(port);
    o.max_body_bytes = static_cast<size_t>(mb) << 20;
    STRATA_ASSIGN_OR_RETURN(int64_t upload_mb, cfg.GetInt("service.max_snapshot_upload_mb", 4096));
    if (upload_mb < 1) return InvalidArgument("service.max_snapshot_upload_mb: must be >= 1");
    o.max_stream_bytes = static_cast<size_t>(upload_mb) << 20;
    o.stream = [fe = fe.get()](const HttpRequest& head) { return fe->AtHeaders(head); };
    fe->max_upload_bytes_ = o.max_stream_bytes;
    o.threads = workers > 0 ? static_cast<unsigned>(workers)
                            : std::max(2u, std::thread::hardware_concurrency());
    STRATA_ASSIGN_OR_RETURN(const bool tls, cfg.GetBool("service.enable_tls", false));
    if (tls) {
      const std::string cert = cfg.GetString("tls.cert", ""), key = cfg.GetString("tls.key", "");
      if (cert.empty() || key.empty()) {
        return InvalidArgument("service.enable_tls is on but tls.cert or tls.key is not set");
      }
      STRATA_ASSIGN_OR_RETURN(o.tls_cert_pem, ReadFileText(cert, "tls.cert"));
      STRATA_ASSIGN_OR_RETURN(o.tls_key_pem, ReadFileText(key, "tls.key"));
      fe->tls_ = true;
    }
    fe->api_key_ = cfg.GetString("service.api_key", "");
    fe->read_only_key_ = cfg.GetString("service.read_only_api_key", "");
    STRATA_ASSIGN_OR_RETURN(fe->cors_, cfg.GetBool("service.enable_cors", true));
    fe->server_ = std::make_unique<HttpServer>(
        o, [fe = fe.get()](const HttpRequest& r) { return fe->Handle(r); });
    fe->AddRoutes();
    return fe;
  }

  const std::string& instance_id() const { return instance_id_; }
  const std::string& startup_time() const { return startup_time_; }
  const RequestMetrics& metrics() const { return metrics_; }

  Status Start() {
    // Telemetry identity: a random id per start, and the start time (RFC 3339, UTC).
    instance_id_ = sdk::RandomUuidV4();
    std::time_t now = std::time(nullptr);
    char when[32];
    std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    startup_time_ = when;
    split_worker_ = std::make_unique<SplitWorker>();
    STRATA_ASSIGN_OR_RETURN(int port, server_->Start());
    host_.Log(STRATA_LOG_INFO, kLog,
              "REST listening on port " + std::to_string(port) + (tls_ ? " (TLS)" : ""));
    return Status::Ok();
  }
  void Stop(int64_t deadline) {
    server_->Stop(deadline);
    split_worker_.reset();  // no request is in flight any more: join its thread
    std::vector<Background> tasks;
    {
      std::lock_guard<std::mutex> lock(background_mu_);
      tasks.swap(background_);
    }
    for (Background& b : tasks) b.thread.join();  // wait=false snapshot work finishes first
    host_.Log(STRATA_LOG_INFO, kLog, "REST stopped");
  }
  SplitWorker* split_worker() { return split_worker_.get(); }
  UpsertCost& upsert_cost() { return upsert_cost_; }
  uint64_t max_upload_bytes() const { return max_upload_bytes_; }
  void RecordRequest(const std::string& method, const std::string& route, int status,
                     double seconds) {
    metrics_.Record(method, route, status, seconds);
  }
  const sdk::Host& host() const { return host_; }

  // Work a request with wait=false answered 202 for (joined at Stop; finished ones are joined
  // when the next one starts).
  void RunInBackground(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(background_mu_);
    for (auto it = background_.begin(); it != background_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = background_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread t([fn = std::move(fn), done] {
      fn();
      done->store(true);
    });
    background_.push_back({std::move(t), std::move(done)});
  }

  template <class Resp>
  Status Kernel(uint32_t method, const google::protobuf::Message& req, const Call& c, Resp* resp) {
    return KernelCall(host_, method, req, c.access, resp);
  }

 private:
  void Add(const std::string& method, const std::string& pattern, RouteFn fn,
           FastFn fast = nullptr) {
    routes_.push_back({method, pattern, Split(pattern), std::move(fn), std::move(fast)});
  }
  void AddRoutes();
  void AddSnapshotRoutes();

  // Splits a request target into its path and decoded query parameters.
  static std::string SplitTarget(const std::string& target,
                                 std::map<std::string, std::string>* query_out) {
    std::string path = target, query;
    size_t q = path.find('?');
    if (q != std::string::npos) {
      query = path.substr(q + 1);
      path = path.substr(0, q);
    }
    for (size_t start = 0; start < query.size();) {
      size_t amp = query.find('&', start);
      std::string kv =
          query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      size_t eq = kv.find('=');
      if (eq != std::string::npos)
        (*query_out)[UrlDecode(kv.substr(0, eq))] = UrlDecode(kv.substr(eq + 1));
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
    return path;
  }

  // The route for method + path (its {captures} filled in), or null; *path_matched says whether
  // another method would have matched.
  const Route* MatchRoute(const std::string& method, const std::string& path,
                          std::map<std::string, std::string>* captured, bool* path_matched) const {
    std::vector<std::string> parts = Split(path);
    for (const Route& route : routes_) {
      if (route.parts.size() != parts.size()) continue;
      std::map<std::string, std::string> got;
      bool match = true;
      for (size_t i = 0; i < parts.size() && match; ++i) {
        const std::string& p = route.parts[i];
        if (p.size() > 2 && p.front() == '{') {
          got[p.substr(1, p.size() - 2)] = UrlDecode(parts[i]);
        } else {
          match = p == parts[i];
        }
      }
      if (!match) continue;
      *path_matched = true;
      if (route.method != method) continue;
      *captured = std::move(got);
      return &route;
    }
    return nullptr;
  }

  HttpResponse Handle(const HttpRequest& http) {
    Call c{http, {}, {}, {}, STRATA_ACCESS_READ_WRITE, Clock::now()};
    const std::string path = SplitTarget(http.target, &c.query);
    std::string route = "unknown";
    HttpResponse resp = Dispatch(http, path, c, &route);
    metrics_.Record(http.method, route, resp.status, Seconds(c));
    AddCors(http, &resp);
    return resp;
  }

  void AddCors(const HttpRequest& http, HttpResponse* resp) const {
    if (!cors_) return;
    resp->headers["Access-Control-Allow-Origin"] = "*";
    if (http.method == "OPTIONS") {
      resp->headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
      resp->headers["Access-Control-Allow-Headers"] = "*";
    }
  }

  HttpResponse Dispatch(const HttpRequest& http, const std::string& path, Call& c,
                        std::string* route_name) {
    if (http.method == "OPTIONS" && cors_) {
      HttpResponse r;
      r.status = 204;
      return r;
    }
    bool path_matched = false;
    std::map<std::string, std::string> captured;
    const Route* route = MatchRoute(http.method, path, &captured, &path_matched);
    if (route != nullptr) {
      *route_name = route->pattern;
      c.path = std::move(captured);
      const bool open = path == "/" || path == "/healthz" || path == "/livez" || path == "/readyz";
      if (!open) {
        Status auth = Authenticate(http, &c.access);
        if (!auth.ok()) return Error(c, auth, 403);
      }
      if (route->fast) {
        if (std::optional<HttpResponse> r = route->fast(*this, c)) return std::move(*r);
      }
      if (!http.body.empty()) {
        c.body.Parse<rapidjson::kParseFullPrecisionFlag>(http.body.data(), http.body.size());
        if (c.body.HasParseError()) {
          return Error(c, InvalidArgument(std::string("Format error in JSON body: ") +
                                          rapidjson::GetParseError_En(c.body.GetParseError()) +
                                          " at offset " + std::to_string(c.body.GetErrorOffset())));
        }
      } else {
        c.body.SetObject();
      }
      return route->fn(*this, c);
    }
    HttpResponse r =
        Error(c, NotFound(path_matched ? "method " + http.method + " is not allowed on " + path
                                       : "no route for " + http.method + " " + path));
    if (path_matched) r.status = 405;
    return r;
  }

  // Snapshot uploads: the body streams into the kernel as it arrives (see UploadSink).
  StreamStart AtHeaders(const HttpRequest& head);
  std::shared_ptr<BodyObserver> UpsertObserverFor(const HttpRequest& head);

  Status Authenticate(const HttpRequest& http, uint32_t* access) const {
    *access = STRATA_ACCESS_READ_WRITE;
    if (api_key_.empty() && read_only_key_.empty()) return Status::Ok();
    std::string presented;
    auto key = http.headers.find("api-key");
    if (key != http.headers.end()) {
      presented = key->second;
    } else {
      auto auth = http.headers.find("authorization");
      if (auth != http.headers.end() && auth->second.rfind("Bearer ", 0) == 0)
        presented = auth->second.substr(7);
    }
    if (!api_key_.empty() && presented == api_key_) return Status::Ok();
    if (!read_only_key_.empty() && presented == read_only_key_) {
      *access = STRATA_ACCESS_READ_ONLY;
      return Status::Ok();
    }
    return Status(StatusCode::kPermissionDenied,
                  presented.empty() ? "Must provide an API key or an Authorization bearer token"
                                    : "Invalid API key or JWT");
  }

  HttpResponse Metrics(Call& c) {
    qdrant::HealthCheckReply identity;
    (void)Kernel(STRATA_METHOD_Qdrant_HealthCheck, qdrant::HealthCheckRequest(), c, &identity);
    std::string out =
        "# HELP app_info information about the server\n# TYPE app_info gauge\n"
        "app_info{name=\"strata\",version=\"" +
        identity.version() + "\"} 1\n";
    qdrant::ListCollectionsResponse list;
    uint64_t points = 0;
    if (Kernel(STRATA_METHOD_Collections_List, qdrant::ListCollectionsRequest(), c, &list).ok()) {
      for (const auto& d : list.collections()) {
        qdrant::GetCollectionInfoRequest req;
        req.set_collection_name(d.name());
        qdrant::GetCollectionInfoResponse info;
        if (Kernel(STRATA_METHOD_Collections_Get, req, c, &info).ok())
          points += info.result().points_count();
      }
    }
    out +=
        "# HELP collections_total number of collections\n# TYPE collections_total gauge\n"
        "collections_total " +
        std::to_string(list.collections_size()) + "\n";
    out +=
        "# HELP collections_vector_total points in all collections\n"
        "# TYPE collections_vector_total gauge\ncollections_vector_total " +
        std::to_string(points) + "\n";
    out += metrics_.Render();
    out += upsert_cost_.Render();
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = std::move(out);
    return r;
  }

  struct Background {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex background_mu_;
  std::vector<Background> background_;
  uint64_t max_upload_bytes_ = 0;
  sdk::Host host_;
  RequestMetrics metrics_;
  UpsertCost upsert_cost_;
  std::unique_ptr<SplitWorker> split_worker_;
  std::unique_ptr<HttpServer> server_;
  std::vector<Route> routes_;
  std::string api_key_, read_only_key_;
  bool cors_ = true;
  bool tls_ = false;
  std::string instance_id_;
  std::string startup_time_;
};

// A points write route: builds the request with `build`, sends it, answers the UpdateResult.
template <class Req>
HttpResponse SendWrite(RestFrontend& fe, Call& c, uint32_t method, Req* req) {
  req->set_collection_name(c.path["collection_name"]);
  req->set_wait(QueryBool(c, "wait", false));
  qdrant::PointsOperationResponse resp;
  Status s = fe.Kernel(method, *req, c, &resp);
  if (!s.ok()) return Error(c, s);
  return Ok(c, [&](JsonWriter& w) { WriteUpdateResult(w, resp.result()); });
}

template <class Req>
RouteFn WriteRoute(uint32_t method, std::function<Status(Call&, Req*)> build) {
  return [method, build](RestFrontend& fe, Call& c) -> HttpResponse {
    Req req;
    Status s = build(c, &req);
    if (!s.ok()) return Error(c, s);
    return SendWrite(fe, c, method, &req);
  };
}

// The upsert accelerator (fast_upsert.h): the common body straight into an arena-allocated
// request, no DOM, decoded in part while it arrived; anything else goes the general way.
std::optional<HttpResponse> FastUpsert(RestFrontend& fe, Call& c) {
  std::shared_ptr<UpsertObserver> observer =
      std::dynamic_pointer_cast<UpsertObserver>(c.http.observer);
  if (observer == nullptr) observer = std::make_shared<UpsertObserver>();
  const Clock::time_point start = Clock::now();
  if (!observer->stream.Finish(c.http.body, fe.split_worker())) return std::nullopt;
  const Clock::time_point decoded = Clock::now();
  HttpResponse r = SendWrite(fe, c, STRATA_METHOD_Points_Upsert, observer->stream.request());
  fe.upsert_cost().Add(c.http.body.size(), observer->decoding + (decoded - start),
                       Clock::now() - decoded);
  return r;
}

HttpResponse Text(const std::string& body) {
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = body;
  return r;
}

// An RFC 3339 UTC timestamp with milliseconds.
void WriteTimestamp(JsonWriter& w, int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(unix_ms % 1000));
  w.String(buf);
}

void WriteProgress(JsonWriter& w, const strata::OptimizationProgress& p) {
  w.StartObject();
  w.Key("name");
  w.String(p.name().c_str());
  if (p.has_started_unix_ms()) {
    w.Key("started_at");
    WriteTimestamp(w, p.started_unix_ms());
  }
  if (p.has_finished_unix_ms()) {
    w.Key("finished_at");
    WriteTimestamp(w, p.finished_unix_ms());
    if (p.has_started_unix_ms()) {
      w.Key("duration_sec");
      w.Double(static_cast<double>(p.finished_unix_ms() - p.started_unix_ms()) / 1000.0);
    }
  }
  if (p.has_done()) {
    w.Key("done");
    w.Uint64(p.done());
  }
  if (p.has_total()) {
    w.Key("total");
    w.Uint64(p.total());
  }
  w.Key("children");
  w.StartArray();
  for (const auto& c : p.children()) WriteProgress(w, c);
  w.EndArray();
  w.EndObject();
}

void WriteOptimizationSegments(
    JsonWriter& w, const google::protobuf::RepeatedPtrField<strata::OptimizationSegment>& segs) {
  w.StartArray();
  for (const auto& seg : segs) {
    w.StartObject();
    w.Key("uuid");
    w.String(seg.uuid().c_str());
    w.Key("points_count");
    w.Uint64(seg.points_count());
    w.EndObject();
  }
  w.EndArray();
}

void WriteOptimization(JsonWriter& w, const strata::Optimization& o) {
  w.StartObject();
  w.Key("uuid");
  w.String(o.uuid().c_str());
  w.Key("optimizer");
  w.String(o.optimizer().c_str());
  w.Key("status");
  if (o.status() == "cancelled" || o.status() == "error") {  // {"cancelled": why}
    w.StartObject();
    w.Key(o.status().c_str());
    w.String(o.message().c_str());
    w.EndObject();
  } else {
    w.String(o.status().c_str());
  }
  w.Key("segments");
  WriteOptimizationSegments(w, o.segments());
  w.Key("progress");
  WriteProgress(w, o.progress());
  w.EndObject();
}

// ?with=queued,completed,idle_segments and ?completed_limit=N (default 16).
Status ParseOptimizationsQuery(const Call& c, strata::OptimizationsRequest* req) {
  req->set_completed_limit(16);
  auto with = c.query.find("with");
  if (with != c.query.end()) {
    std::stringstream parts(with->second);
    std::string part;
    while (std::getline(parts, part, ',')) {
      if (part == "queued") {
        req->set_with_queued(true);
      } else if (part == "completed") {
        req->set_with_completed(true);
      } else if (part == "idle_segments") {
        req->set_with_idle_segments(true);
      } else if (!part.empty()) {
        return InvalidArgument("with: unknown value '" + part +
                               "' (expected queued, completed or idle_segments)");
      }
    }
  }
  auto limit = c.query.find("completed_limit");
  if (limit != c.query.end()) {
    const std::string& v = limit->second;
    uint64_t n = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size() || n > UINT32_MAX) {
      return InvalidArgument("completed_limit: expected a non-negative integer, got '" + v + "'");
    }
    req->set_completed_limit(static_cast<uint32_t>(n));
  }
  return Status::Ok();
}

void RestFrontend::AddRoutes() {
  Add("GET", "/collections/{collection_name}/optimizations", [](RestFrontend& fe, Call& c) {
    strata::OptimizationsRequest req;
    req.set_collection_name(c.path["collection_name"]);
    Status parsed = ParseOptimizationsQuery(c, &req);
    if (!parsed.ok()) return Error(c, parsed);
    strata::OptimizationsResponse resp;
    Status s = fe.Kernel(STRATA_METHOD_Strata_Optimizations, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("summary");
      w.StartObject();
      w.Key("queued_optimizations");
      w.Uint64(resp.queued_optimizations());
      w.Key("queued_segments");
      w.Uint64(resp.queued_segments());
      w.Key("queued_points");
      w.Uint64(resp.queued_points());
      w.Key("idle_segments");
      w.Uint64(resp.idle_segments());
      w.EndObject();
      w.Key("running");
      w.StartArray();
      for (const auto& o : resp.running()) WriteOptimization(w, o);
      w.EndArray();
      if (req.with_queued()) {
        w.Key("queued");
        w.StartArray();
        for (const auto& q : resp.queued()) {
          w.StartObject();
          w.Key("optimizer");
          w.String(q.optimizer().c_str());
          w.Key("segments");
          WriteOptimizationSegments(w, q.segments());
          w.EndObject();
        }
        w.EndArray();
      }
      if (req.with_completed()) {
        w.Key("completed");
        w.StartArray();
        for (const auto& o : resp.completed()) WriteOptimization(w, o);
        w.EndArray();
      }
      if (req.with_idle_segments()) {
        w.Key("idle_segments");
        WriteOptimizationSegments(w, resp.idle());
      }
      w.EndObject();
    });
  });
  Add("GET", "/", [](RestFrontend& fe, Call& c) {
    qdrant::HealthCheckReply reply;
    Status s = fe.Kernel(STRATA_METHOD_Qdrant_HealthCheck, qdrant::HealthCheckRequest(), c, &reply);
    if (!s.ok()) return Error(c, s);
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("title");
    w.String(reply.title().c_str());
    w.Key("version");
    w.String(reply.version().c_str());
    w.Key("commit");
    w.String(reply.commit().c_str());
    w.EndObject();
    HttpResponse r;
    r.body = buf.GetString();
    return r;
  });
  Add("GET", "/healthz", [](RestFrontend&, Call&) { return Text("healthz check passed"); });
  Add("GET", "/metrics", [](RestFrontend& fe, Call& c) { return fe.Metrics(c); });
  Add("GET", "/cluster", [](RestFrontend&, Call& c) {
    // A standalone node: cluster mode is not implemented yet.
    return Ok(c, [](JsonWriter& w) {
      w.StartObject();
      w.Key("status");
      w.String("disabled");
      w.EndObject();
    });
  });
  Add("GET", "/telemetry", [](RestFrontend& fe, Call& c) {
    qdrant::HealthCheckReply identity;
    (void)fe.Kernel(STRATA_METHOD_Qdrant_HealthCheck, qdrant::HealthCheckRequest(), c, &identity);
    qdrant::ListCollectionsResponse list;
    Status s =
        fe.Kernel(STRATA_METHOD_Collections_List, qdrant::ListCollectionsRequest(), c, &list);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("id");
      w.String(fe.instance_id().c_str());
      w.Key("app");
      w.StartObject();
      w.Key("name");
      w.String("strata");
      w.Key("version");
      w.String(identity.version().c_str());
      w.Key("startup");
      w.String(fe.startup_time().c_str());
      w.EndObject();
      w.Key("collections");
      w.StartObject();
      w.Key("number_of_collections");
      w.Uint(static_cast<unsigned>(list.collections_size()));
      w.EndObject();
      w.Key("cluster");
      w.StartObject();
      w.Key("enabled");
      w.Bool(false);
      w.EndObject();
      w.Key("requests");
      w.StartObject();
      w.Key("rest");
      w.StartObject();
      w.Key("responses");
      fe.metrics().WriteTelemetry(w);
      w.EndObject();
      w.Key("grpc");  // the gRPC frontend is another plugin; its counts are in its own logs
      w.StartObject();
      w.Key("responses");
      w.StartObject();
      w.EndObject();
      w.EndObject();
      w.EndObject();
      w.EndObject();
    });
  });
  Add("GET", "/livez", [](RestFrontend&, Call&) { return Text("livez check passed"); });
  Add("GET", "/readyz", [](RestFrontend&, Call&) { return Text("all shards are ready"); });

  // ---- collections ----
  Add("GET", "/collections", [](RestFrontend& fe, Call& c) {
    qdrant::ListCollectionsResponse resp;
    Status s =
        fe.Kernel(STRATA_METHOD_Collections_List, qdrant::ListCollectionsRequest(), c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("collections");
      w.StartArray();
      for (const auto& d : resp.collections()) {
        w.StartObject();
        w.Key("name");
        w.String(d.name().c_str());
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    });
  });
  Add("GET", "/collections/{collection_name}", [](RestFrontend& fe, Call& c) {
    qdrant::GetCollectionInfoRequest req;
    req.set_collection_name(c.path["collection_name"]);
    qdrant::GetCollectionInfoResponse resp;
    Status s = fe.Kernel(STRATA_METHOD_Collections_Get, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) { WriteCollectionInfo(w, resp.result()); });
  });
  Add("PUT", "/collections/{collection_name}", [](RestFrontend& fe, Call& c) {
    qdrant::CreateCollection req;
    Status s = ParseCreateCollection(c.body, &req);
    if (!s.ok()) return Error(c, s);
    req.set_collection_name(c.path["collection_name"]);
    qdrant::CollectionOperationResponse resp;
    s = fe.Kernel(STRATA_METHOD_Collections_Create, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) { w.Bool(resp.result()); });
  });
  Add("PATCH", "/collections/{collection_name}", [](RestFrontend& fe, Call& c) {
    qdrant::UpdateCollection req;
    Status s = ParseUpdateCollection(c.body, &req);
    if (!s.ok()) return Error(c, s);
    req.set_collection_name(c.path["collection_name"]);
    qdrant::CollectionOperationResponse resp;
    s = fe.Kernel(STRATA_METHOD_Collections_Update, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) { w.Bool(resp.result()); });
  });
  Add("DELETE", "/collections/{collection_name}", [](RestFrontend& fe, Call& c) {
    qdrant::DeleteCollection req;
    req.set_collection_name(c.path["collection_name"]);
    qdrant::CollectionOperationResponse resp;
    Status s = fe.Kernel(STRATA_METHOD_Collections_Delete, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) { w.Bool(resp.result()); });
  });
  Add("GET", "/collections/{collection_name}/exists", [](RestFrontend& fe, Call& c) {
    qdrant::CollectionExistsRequest req;
    req.set_collection_name(c.path["collection_name"]);
    qdrant::CollectionExistsResponse resp;
    Status s = fe.Kernel(STRATA_METHOD_Collections_CollectionExists, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("exists");
      w.Bool(resp.result().exists());
      w.EndObject();
    });
  });
  auto write_aliases = [](const Call& c, const qdrant::ListAliasesResponse& resp) {
    return Ok(c, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("aliases");
      w.StartArray();
      for (const auto& a : resp.aliases()) {
        w.StartObject();
        w.Key("alias_name");
        w.String(a.alias_name().c_str());
        w.Key("collection_name");
        w.String(a.collection_name().c_str());
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    });
  };
  Add("GET", "/aliases", [write_aliases](RestFrontend& fe, Call& c) {
    qdrant::ListAliasesResponse resp;
    Status s =
        fe.Kernel(STRATA_METHOD_Collections_ListAliases, qdrant::ListAliasesRequest(), c, &resp);
    if (!s.ok()) return Error(c, s);
    return write_aliases(c, resp);
  });
  Add("GET", "/collections/{collection_name}/aliases", [write_aliases](RestFrontend& fe, Call& c) {
    qdrant::ListCollectionAliasesRequest req;
    req.set_collection_name(c.path["collection_name"]);
    qdrant::ListAliasesResponse resp;
    Status s = fe.Kernel(STRATA_METHOD_Collections_ListCollectionAliases, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return write_aliases(c, resp);
  });
  Add("POST", "/collections/aliases", [](RestFrontend& fe, Call& c) {
    qdrant::ChangeAliases req;
    Status s = ParseAliasActions(c.body, &req);
    if (!s.ok()) return Error(c, s);
    qdrant::CollectionOperationResponse resp;
    s = fe.Kernel(STRATA_METHOD_Collections_UpdateAliases, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) { w.Bool(resp.result()); });
  });

  // ---- payload indexes ----
  Add("PUT", "/collections/{collection_name}/index",
      WriteRoute<qdrant::CreateFieldIndexCollection>(
          STRATA_METHOD_Points_CreateFieldIndex,
          [](Call& c, qdrant::CreateFieldIndexCollection* r) -> Status {
            const Json* name = Field(c, "field_name");
            if (name == nullptr || !name->IsString())
              return InvalidArgument("Format error in JSON body: missing field `field_name`");
            r->set_field_name(name->GetString());
            const Json* schema = Field(c, "field_schema");
            if (schema == nullptr) return Status::Ok();
            std::string type;
            if (schema->IsString()) {
              type = schema->GetString();
            } else if (schema->IsObject() && schema->HasMember("type") &&
                       (*schema)["type"].IsString()) {
              type = (*schema)["type"].GetString();
            } else {
              return InvalidArgument(
                  "Format error in JSON body: field_schema: expected a type name or {\"type\": "
                  "...}");
            }
            static const std::map<std::string, qdrant::FieldType> kTypes = {
                {"keyword", qdrant::FieldTypeKeyword},   {"integer", qdrant::FieldTypeInteger},
                {"float", qdrant::FieldTypeFloat},       {"geo", qdrant::FieldTypeGeo},
                {"text", qdrant::FieldTypeText},         {"bool", qdrant::FieldTypeBool},
                {"datetime", qdrant::FieldTypeDatetime}, {"uuid", qdrant::FieldTypeUuid}};
            auto it = kTypes.find(type);
            if (it == kTypes.end())
              return InvalidArgument("Format error in JSON body: field_schema: unknown variant `" +
                                     type + "`");
            r->set_field_type(it->second);
            if (schema->IsObject()) {
              return ParseIndexParams(*schema, type, r->mutable_field_index_params());
            }
            return Status::Ok();
          }));
  Add("DELETE", "/collections/{collection_name}/index/{field_name}",
      WriteRoute<qdrant::DeleteFieldIndexCollection>(
          STRATA_METHOD_Points_DeleteFieldIndex,
          [](Call& c, qdrant::DeleteFieldIndexCollection* r) {
            r->set_field_name(c.path["field_name"]);
            return Status::Ok();
          }));

  // ---- points: writes ----
  auto build_upsert = [](Call& c, qdrant::UpsertPoints* r) { return ParseUpsert(c.body, r); };
  Add("PUT", "/collections/{collection_name}/points",
      WriteRoute<qdrant::UpsertPoints>(STRATA_METHOD_Points_Upsert, build_upsert), FastUpsert);
  auto build_delete = [](Call& c, qdrant::DeletePoints* r) {
    return SelectorFromBody(c, r->mutable_points());
  };
  Add("POST", "/collections/{collection_name}/points/delete",
      WriteRoute<qdrant::DeletePoints>(STRATA_METHOD_Points_Delete, build_delete));
  auto set_payload = [](Call& c, qdrant::SetPayloadPoints* r) -> Status {
    STRATA_RETURN_IF_ERROR(RequireObjectBody(c));
    const Json* payload = Field(c, "payload");
    if (payload == nullptr)
      return InvalidArgument("Format error in JSON body: missing field `payload`");
    STRATA_RETURN_IF_ERROR(ParsePayload(*payload, "payload", r->mutable_payload()));
    if (const Json* key = Field(c, "key")) {
      if (!key->IsString())
        return InvalidArgument("Format error in JSON body: key: expected a string");
      r->set_key(key->GetString());
    }
    return ParsePointsSelector(c.body, "", r->mutable_points_selector());
  };
  Add("POST", "/collections/{collection_name}/points/payload",
      WriteRoute<qdrant::SetPayloadPoints>(STRATA_METHOD_Points_SetPayload, set_payload));
  Add("PUT", "/collections/{collection_name}/points/payload",
      WriteRoute<qdrant::SetPayloadPoints>(STRATA_METHOD_Points_OverwritePayload, set_payload));
  auto build_delete_payload = [](Call& c, qdrant::DeletePayloadPoints* r) -> Status {
    const Json* keys = Field(c, "keys");
    if (keys == nullptr || !keys->IsArray())
      return InvalidArgument("Format error in JSON body: missing field `keys`");
    for (const auto& k : keys->GetArray()) {
      if (!k.IsString())
        return InvalidArgument("Format error in JSON body: keys: expected strings");
      r->add_keys(k.GetString());
    }
    return ParsePointsSelector(c.body, "", r->mutable_points_selector());
  };
  Add("POST", "/collections/{collection_name}/points/payload/delete",
      WriteRoute<qdrant::DeletePayloadPoints>(STRATA_METHOD_Points_DeletePayload,
                                              build_delete_payload));
  auto build_clear_payload = [](Call& c, qdrant::ClearPayloadPoints* r) {
    return SelectorFromBody(c, r->mutable_points());
  };
  Add("POST", "/collections/{collection_name}/points/payload/clear",
      WriteRoute<qdrant::ClearPayloadPoints>(STRATA_METHOD_Points_ClearPayload,
                                             build_clear_payload));
  auto build_update_vectors = [](Call& c, qdrant::UpdatePointVectors* r) -> Status {
    const Json* pts = Field(c, "points");
    if (pts == nullptr || !pts->IsArray())
      return InvalidArgument("Format error in JSON body: missing field `points`");
    for (rapidjson::SizeType i = 0; i < pts->Size(); ++i) {
      const Json& p = (*pts)[i];
      const std::string at = "points[" + std::to_string(i) + "]";
      if (!p.IsObject() || !p.HasMember("id") || !p.HasMember("vector")) {
        return InvalidArgument("Format error in JSON body: " + at + ": needs id and vector");
      }
      auto* out = r->add_points();
      STRATA_RETURN_IF_ERROR(ParsePointId(p["id"], at + ".id", out->mutable_id()));
      STRATA_RETURN_IF_ERROR(
          ParseVectorStruct(p["vector"], at + ".vector", out->mutable_vectors()));
    }
    return Status::Ok();
  };
  Add("PUT", "/collections/{collection_name}/points/vectors",
      WriteRoute<qdrant::UpdatePointVectors>(STRATA_METHOD_Points_UpdateVectors,
                                             build_update_vectors));
  auto build_delete_vectors = [](Call& c, qdrant::DeletePointVectors* r) -> Status {
    const Json* names = Field(c, "vector");
    if (names == nullptr || !names->IsArray())
      return InvalidArgument("Format error in JSON body: missing field `vector`");
    for (const auto& n : names->GetArray()) {
      if (!n.IsString())
        return InvalidArgument("Format error in JSON body: vector: expected names");
      r->mutable_vectors()->add_names(n.GetString());
    }
    return ParsePointsSelector(c.body, "", r->mutable_points_selector());
  };
  Add("POST", "/collections/{collection_name}/points/vectors/delete",
      WriteRoute<qdrant::DeletePointVectors>(STRATA_METHOD_Points_DeleteVectors,
                                             build_delete_vectors));

  // POST /points/batch: each operation is parsed by its single route's builder.
  Add("POST", "/collections/{collection_name}/points/batch", [=](RestFrontend& fe, Call& c) {
    qdrant::UpdateBatchPoints req;
    req.set_collection_name(c.path["collection_name"]);
    req.set_wait(QueryBool(c, "wait", false));
    const Json* ops = Field(c, "operations");
    if (ops == nullptr || !ops->IsArray()) {
      return Error(c, InvalidArgument("Format error in JSON body: missing field `operations`"));
    }
    for (rapidjson::SizeType i = 0; i < ops->Size(); ++i) {
      const Json& op = (*ops)[i];
      const std::string at = "operations[" + std::to_string(i) + "]";
      if (!op.IsObject() || op.MemberCount() != 1) {
        return Error(c, InvalidArgument("Format error in JSON body: " + at +
                                        ": expected one of upsert, delete, set_payload, "
                                        "overwrite_payload, delete_payload, clear_payload, "
                                        "update_vectors, delete_vectors"));
      }
      const std::string kind = op.MemberBegin()->name.GetString();
      Call sub{c.http, c.path, c.query, {}, c.access, c.start};
      sub.body.CopyFrom(op.MemberBegin()->value, sub.body.GetAllocator());
      qdrant::PointsUpdateOperation* out = req.add_operations();
      Status st;
      if (kind == "upsert") {
        qdrant::UpsertPoints r;
        st = build_upsert(sub, &r);
        *out->mutable_upsert()->mutable_points() = r.points();
      } else if (kind == "delete") {
        qdrant::DeletePoints r;
        st = build_delete(sub, &r);
        *out->mutable_delete_points()->mutable_points() = r.points();
      } else if (kind == "set_payload" || kind == "overwrite_payload") {
        qdrant::SetPayloadPoints r;
        st = set_payload(sub, &r);
        if (kind == "set_payload") {
          auto* sp = out->mutable_set_payload();
          *sp->mutable_payload() = r.payload();
          *sp->mutable_points_selector() = r.points_selector();
          if (r.has_key()) sp->set_key(r.key());
        } else {
          auto* op2 = out->mutable_overwrite_payload();
          *op2->mutable_payload() = r.payload();
          *op2->mutable_points_selector() = r.points_selector();
          if (r.has_key()) op2->set_key(r.key());
        }
      } else if (kind == "delete_payload") {
        qdrant::DeletePayloadPoints r;
        st = build_delete_payload(sub, &r);
        *out->mutable_delete_payload()->mutable_keys() = r.keys();
        *out->mutable_delete_payload()->mutable_points_selector() = r.points_selector();
      } else if (kind == "clear_payload") {
        qdrant::ClearPayloadPoints r;
        st = build_clear_payload(sub, &r);
        *out->mutable_clear_payload()->mutable_points() = r.points();
      } else if (kind == "update_vectors") {
        qdrant::UpdatePointVectors r;
        st = build_update_vectors(sub, &r);
        *out->mutable_update_vectors()->mutable_points() = r.points();
      } else if (kind == "delete_vectors") {
        qdrant::DeletePointVectors r;
        st = build_delete_vectors(sub, &r);
        *out->mutable_delete_vectors()->mutable_points_selector() = r.points_selector();
        *out->mutable_delete_vectors()->mutable_vectors() = r.vectors();
      } else {
        st = InvalidArgument("Format error in JSON body: " + at + ": unknown operation `" + kind +
                             "`");
      }
      if (!st.ok()) return Error(c, st.WithContext(at));
    }
    qdrant::UpdateBatchResponse resp;
    Status st = fe.Kernel(STRATA_METHOD_Points_UpdateBatch, req, c, &resp);
    if (!st.ok()) return Error(c, st);
    return Ok(c, [&](JsonWriter& w) {
      w.StartArray();
      for (const auto& r : resp.result()) WriteUpdateResult(w, r);
      w.EndArray();
    });
  });

  // ---- points: reads ----
  Add("POST", "/collections/{collection_name}/points", [](RestFrontend& fe, Call& c) {
    qdrant::GetPoints req;
    req.set_collection_name(c.path["collection_name"]);
    const Json* ids = Field(c, "ids");
    if (ids == nullptr || !ids->IsArray())
      return Error(c, InvalidArgument("Format error in JSON body: missing field `ids`"));
    for (rapidjson::SizeType i = 0; i < ids->Size(); ++i) {
      Status s = ParsePointId((*ids)[i], "ids[" + std::to_string(i) + "]", req.add_ids());
      if (!s.ok()) return Error(c, s);
    }
    req.mutable_with_payload()->set_enable(true);
    if (const Json* wp = Field(c, "with_payload")) {
      Status s = ParseWithPayload(*wp, "with_payload", req.mutable_with_payload());
      if (!s.ok()) return Error(c, s);
    }
    if (const Json* wv = Field(c, "with_vector")) {
      Status s = ParseWithVectors(*wv, "with_vector", req.mutable_with_vectors());
      if (!s.ok()) return Error(c, s);
    }
    qdrant::GetResponse resp;
    Status s = fe.Kernel(STRATA_METHOD_Points_Get, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartArray();
      for (const auto& p : resp.result()) WriteRecord(w, p);
      w.EndArray();
    });
  });
  Add("GET", "/collections/{collection_name}/points/{id}", [](RestFrontend& fe, Call& c) {
    qdrant::GetPoints req;
    req.set_collection_name(c.path["collection_name"]);
    const std::string& raw = c.path["id"];
    bool numeric = !raw.empty() && raw.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) {
      req.add_ids()->set_num(std::strtoull(raw.c_str(), nullptr, 10));
    } else {
      req.add_ids()->set_uuid(raw);
    }
    req.mutable_with_payload()->set_enable(true);
    req.mutable_with_vectors()->set_enable(true);
    qdrant::GetResponse resp;
    Status s = fe.Kernel(STRATA_METHOD_Points_Get, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    if (resp.result_size() == 0)
      return Error(c, NotFound("Not found: No point with id " + raw + " found"));
    return Ok(c, [&](JsonWriter& w) { WriteRecord(w, resp.result(0)); });
  });
  Add("POST", "/collections/{collection_name}/points/scroll", [](RestFrontend& fe, Call& c) {
    qdrant::ScrollPoints req;
    req.set_collection_name(c.path["collection_name"]);
    Status s = RequireObjectBody(c);
    if (s.ok() && Field(c, "filter"))
      s = ParseFilter(*Field(c, "filter"), "filter", req.mutable_filter());
    if (s.ok() && Field(c, "offset"))
      s = ParsePointId(*Field(c, "offset"), "offset", req.mutable_offset());
    if (s.ok() && Field(c, "limit")) {
      uint64_t limit = 0;
      s = ParseLimit(*Field(c, "limit"), &limit);
      req.set_limit(static_cast<uint32_t>(std::min<uint64_t>(limit, UINT32_MAX)));
    }
    req.mutable_with_payload()->set_enable(true);
    if (s.ok() && Field(c, "with_payload"))
      s = ParseWithPayload(*Field(c, "with_payload"), "with_payload", req.mutable_with_payload());
    if (s.ok() && Field(c, "with_vector"))
      s = ParseWithVectors(*Field(c, "with_vector"), "with_vector", req.mutable_with_vectors());
    if (s.ok() && Field(c, "order_by")) {
      s = ParseOrderBy(*Field(c, "order_by"), "order_by", req.mutable_order_by());
    }
    if (!s.ok()) return Error(c, s);
    qdrant::ScrollResponse resp;
    s = fe.Kernel(STRATA_METHOD_Points_Scroll, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("points");
      w.StartArray();
      for (const auto& p : resp.result()) WriteRecord(w, p);
      w.EndArray();
      w.Key("next_page_offset");
      if (resp.has_next_page_offset()) {
        WritePointId(w, resp.next_page_offset());
      } else {
        w.Null();
      }
      w.EndObject();
    });
  });
  Add("POST", "/collections/{collection_name}/points/count", [](RestFrontend& fe, Call& c) {
    qdrant::CountPoints req;
    req.set_collection_name(c.path["collection_name"]);
    Status s = RequireObjectBody(c);
    if (s.ok() && Field(c, "filter"))
      s = ParseFilter(*Field(c, "filter"), "filter", req.mutable_filter());
    std::optional<bool> exact;
    if (s.ok()) s = ParseOptionalBool(c, "exact", &exact);
    if (exact) req.set_exact(*exact);
    if (!s.ok()) return Error(c, s);
    qdrant::CountResponse resp;
    s = fe.Kernel(STRATA_METHOD_Points_Count, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("count");
      w.Uint64(resp.result().count());
      w.EndObject();
    });
  });
  Add("POST", "/collections/{collection_name}/facet", [](RestFrontend& fe, Call& c) {
    qdrant::FacetCounts req;
    req.set_collection_name(c.path["collection_name"]);
    Status s = RequireObjectBody(c);
    const Json* key = s.ok() ? Field(c, "key") : nullptr;
    if (s.ok() && (key == nullptr || !key->IsString()))
      s = InvalidArgument("Format error in JSON body: key: expected a string");
    if (s.ok()) req.set_key(std::string(key->GetString(), key->GetStringLength()));
    if (s.ok() && Field(c, "filter"))
      s = ParseFilter(*Field(c, "filter"), "filter", req.mutable_filter());
    if (s.ok() && Field(c, "limit")) {
      uint64_t limit = 0;
      s = ParseLimit(*Field(c, "limit"), &limit);
      req.set_limit(limit);
    }
    std::optional<bool> exact;
    if (s.ok()) s = ParseOptionalBool(c, "exact", &exact);
    if (exact) req.set_exact(*exact);
    if (!s.ok()) return Error(c, s);
    qdrant::FacetResponse resp;
    s = fe.Kernel(STRATA_METHOD_Points_Facet, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("hits");
      w.StartArray();
      for (const auto& h : resp.hits()) {
        w.StartObject();
        w.Key("value");
        if (h.value().has_string_value()) {
          w.String(h.value().string_value().data(),
                   static_cast<rapidjson::SizeType>(h.value().string_value().size()));
        } else if (h.value().has_integer_value()) {
          w.Int64(h.value().integer_value());
        } else {
          w.Bool(h.value().bool_value());
        }
        w.Key("count");
        w.Uint64(h.count());
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    });
  });
  Add("POST", "/collections/{collection_name}/points/query", [](RestFrontend& fe, Call& c) {
    qdrant::QueryPoints req;
    Status s = BuildQuery(c.body, c.path["collection_name"], &req);
    if (!s.ok()) return Error(c, s);
    qdrant::QueryResponse resp;
    s = fe.Kernel(STRATA_METHOD_Points_Query, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("points");
      WriteScoredList(w, resp.result());
      w.EndObject();
    });
  });
  Add("POST", "/collections/{collection_name}/points/query/batch", [](RestFrontend& fe, Call& c) {
    qdrant::QueryBatchPoints req;
    req.set_collection_name(c.path["collection_name"]);
    const Json* searches = Field(c, "searches");
    if (searches == nullptr || !searches->IsArray())
      return Error(c, InvalidArgument("Format error in JSON body: missing field `searches`"));
    for (rapidjson::SizeType i = 0; i < searches->Size(); ++i) {
      Status s = BuildQuery((*searches)[i], c.path["collection_name"], req.add_query_points());
      if (!s.ok()) return Error(c, s.WithContext("searches[" + std::to_string(i) + "]"));
    }
    qdrant::QueryBatchResponse resp;
    Status s = fe.Kernel(STRATA_METHOD_Points_QueryBatch, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartArray();
      for (const auto& b : resp.result()) {
        w.StartObject();
        w.Key("points");
        WriteScoredList(w, b.result());
        w.EndObject();
      }
      w.EndArray();
    });
  });
  Add("POST", "/collections/{collection_name}/points/search", [](RestFrontend& fe, Call& c) {
    qdrant::SearchPoints req;
    Status s = BuildSearch(c.body, c.path["collection_name"], &req);
    if (!s.ok()) return Error(c, s);
    qdrant::SearchResponse resp;
    s = fe.Kernel(STRATA_METHOD_Points_Search, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) { WriteScoredList(w, resp.result()); });
  });
  Add("POST", "/collections/{collection_name}/points/search/batch", [](RestFrontend& fe, Call& c) {
    qdrant::SearchBatchPoints req;
    req.set_collection_name(c.path["collection_name"]);
    const Json* searches = Field(c, "searches");
    if (searches == nullptr || !searches->IsArray())
      return Error(c, InvalidArgument("Format error in JSON body: missing field `searches`"));
    for (rapidjson::SizeType i = 0; i < searches->Size(); ++i) {
      Status s = BuildSearch((*searches)[i], c.path["collection_name"], req.add_search_points());
      if (!s.ok()) return Error(c, s.WithContext("searches[" + std::to_string(i) + "]"));
    }
    qdrant::SearchBatchResponse resp;
    Status s = fe.Kernel(STRATA_METHOD_Points_SearchBatch, req, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) {
      w.StartArray();
      for (const auto& b : resp.result()) WriteScoredList(w, b.result());
      w.EndArray();
    });
  });
  // Groups: the query (or legacy search) body plus group_by, group_size, limit.
  // Groups over the query body, the legacy search body or the legacy recommend body.
  enum class GroupsBody { kQuery, kSearch, kRecommend };
  auto groups_route = [](GroupsBody body) {
    return [body](RestFrontend& fe, Call& c) {
      Status s = RequireObjectBody(c);
      qdrant::QueryPointGroups g;
      g.set_collection_name(c.path["collection_name"]);
      const bool legacy = body == GroupsBody::kSearch;
      if (s.ok() && legacy) {
        qdrant::SearchPoints sp;
        s = BuildSearch(c.body, c.path["collection_name"], &sp);
        if (s.ok()) {
          *g.mutable_query()->mutable_nearest()->mutable_dense()->mutable_data() = sp.vector();
          if (sp.has_vector_name()) g.set_using_(sp.vector_name());
          if (sp.has_filter()) *g.mutable_filter() = sp.filter();
          if (sp.has_params()) *g.mutable_params() = sp.params();
          if (sp.has_score_threshold()) g.set_score_threshold(sp.score_threshold());
          if (sp.has_with_payload()) *g.mutable_with_payload() = sp.with_payload();
          if (sp.has_with_vectors()) *g.mutable_with_vectors() = sp.with_vectors();
          g.set_limit(sp.limit());
        }
      } else if (s.ok()) {
        qdrant::QueryPoints q;
        s = BuildQuery(c.body, c.path["collection_name"], &q);
        if (s.ok() && body == GroupsBody::kRecommend) {
          s = ParseRecommend(c.body, "body", q.mutable_query()->mutable_recommend());
        }
        if (s.ok()) {
          *g.mutable_prefetch() = q.prefetch();
          if (q.has_query()) *g.mutable_query() = q.query();
          if (q.has_using_()) g.set_using_(q.using_());
          if (q.has_filter()) *g.mutable_filter() = q.filter();
          if (q.has_params()) *g.mutable_params() = q.params();
          if (q.has_score_threshold()) g.set_score_threshold(q.score_threshold());
          if (q.has_with_payload()) *g.mutable_with_payload() = q.with_payload();
          if (q.has_with_vectors()) *g.mutable_with_vectors() = q.with_vectors();
          if (q.has_limit()) g.set_limit(q.limit());
        }
      }
      const Json* by = Field(c, "group_by");
      if (s.ok() && (by == nullptr || !by->IsString())) {
        s = InvalidArgument("Format error in JSON body: missing field `group_by`");
      }
      if (s.ok()) g.set_group_by(by->GetString());
      if (s.ok() && Field(c, "group_size")) {
        const Json* gs = Field(c, "group_size");
        if (!gs->IsUint64() || gs->GetUint64() == 0) {
          s = InvalidArgument("Validation error in JSON body: [group_size: must be 1 or larger]");
        } else {
          g.set_group_size(gs->GetUint64());
        }
      }
      if (s.ok() && Field(c, "with_lookup")) {
        // A collection name, or {"collection", "with_payload", "with_vectors"}.
        const Json& wl = *Field(c, "with_lookup");
        auto* lookup = g.mutable_with_lookup();
        if (wl.IsString()) {
          lookup->set_collection(wl.GetString());
        } else if (wl.IsObject() && wl.HasMember("collection") && wl["collection"].IsString()) {
          lookup->set_collection(wl["collection"].GetString());
          if (wl.HasMember("with_payload") && !wl["with_payload"].IsNull()) {
            s = ParseWithPayload(wl["with_payload"], "with_lookup.with_payload",
                                 lookup->mutable_with_payload());
          }
          const char* vkey = wl.HasMember("with_vectors") ? "with_vectors" : "with_vector";
          if (s.ok() && wl.HasMember(vkey) && !wl[vkey].IsNull()) {
            s = ParseWithVectors(wl[vkey], std::string("with_lookup.") + vkey,
                                 lookup->mutable_with_vectors());
          }
        } else {
          s = InvalidArgument(
              "Format error in JSON body: with_lookup: expected a collection name or "
              "{\"collection\": ...}");
        }
      }
      if (!s.ok()) return Error(c, s);
      qdrant::QueryGroupsResponse resp;
      s = fe.Kernel(STRATA_METHOD_Points_QueryGroups, g, c, &resp);
      if (!s.ok()) return Error(c, s);
      return Ok(c, [&](JsonWriter& w) {
        w.StartObject();
        w.Key("groups");
        w.StartArray();
        for (const auto& pg : resp.result().groups()) {
          w.StartObject();
          w.Key("id");
          if (pg.id().has_string_value()) {
            w.String(pg.id().string_value().c_str());
          } else if (pg.id().has_unsigned_value()) {
            w.Uint64(pg.id().unsigned_value());
          } else {
            w.Int64(pg.id().integer_value());
          }
          w.Key("hits");
          WriteScoredList(w, pg.hits());
          if (pg.has_lookup()) {
            w.Key("lookup");
            WriteRecord(w, pg.lookup());
          }
          w.EndObject();
        }
        w.EndArray();
        w.EndObject();
      });
    };
  };
  Add("POST", "/collections/{collection_name}/points/query/groups",
      groups_route(GroupsBody::kQuery));
  Add("POST", "/collections/{collection_name}/points/search/groups",
      groups_route(GroupsBody::kSearch));
  Add("POST", "/collections/{collection_name}/points/recommend/groups",
      groups_route(GroupsBody::kRecommend));
  Add("POST", "/collections/{collection_name}/points/recommend", [](RestFrontend& fe, Call& c) {
    // The legacy route: the universal query with a recommend input.
    Status s = RequireObjectBody(c);
    qdrant::QueryPoints q;
    if (s.ok()) s = BuildQuery(c.body, c.path["collection_name"], &q);
    if (s.ok()) s = ParseRecommend(c.body, "body", q.mutable_query()->mutable_recommend());
    if (s.ok() && !Field(c, "limit"))
      s = InvalidArgument("Format error in JSON body: missing field `limit`");
    if (!s.ok()) return Error(c, s);
    qdrant::QueryResponse resp;
    s = fe.Kernel(STRATA_METHOD_Points_Query, q, c, &resp);
    if (!s.ok()) return Error(c, s);
    return Ok(c, [&](JsonWriter& w) { WriteScoredList(w, resp.result()); });
  });
  Add("POST", "/collections/{collection_name}/points/recommend/batch",
      [](RestFrontend& fe, Call& c) {
        // Each legacy recommend request becomes a universal query; one batch call to the kernel.
        qdrant::QueryBatchPoints batch;
        batch.set_collection_name(c.path["collection_name"]);
        const Json* searches = Field(c, "searches");
        if (searches == nullptr || !searches->IsArray())
          return Error(c, InvalidArgument("Format error in JSON body: missing field `searches`"));
        for (rapidjson::SizeType i = 0; i < searches->Size(); ++i) {
          const Json& one = (*searches)[i];
          const std::string at = "searches[" + std::to_string(i) + "]";
          qdrant::QueryPoints* q = batch.add_query_points();
          Status s = BuildQuery(one, c.path["collection_name"], q);
          if (s.ok()) s = ParseRecommend(one, at, q->mutable_query()->mutable_recommend());
          if (s.ok() && (!one.IsObject() || !one.HasMember("limit"))) {
            s = InvalidArgument("Format error in JSON body: " + at + ": missing field `limit`");
          }
          if (!s.ok()) return Error(c, s.WithContext(at));
        }
        qdrant::QueryBatchResponse resp;
        Status s = fe.Kernel(STRATA_METHOD_Points_QueryBatch, batch, c, &resp);
        if (!s.ok()) return Error(c, s);
        return Ok(c, [&](JsonWriter& w) {
          w.StartArray();
          for (const auto& b : resp.result()) WriteScoredList(w, b.result());
          w.EndArray();
        });
      });
  AddSnapshotRoutes();
}

// ---- snapshots ----

void WriteSnapshotDescription(JsonWriter& w, const qdrant::SnapshotDescription& d) {
  w.StartObject();
  w.Key("name");
  w.String(d.name().c_str());
  w.Key("creation_time");
  if (d.has_creation_time()) {
    const std::time_t t = static_cast<std::time_t>(d.creation_time().seconds());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);  // Qdrant's: no zone
    w.String(when);
  } else {
    w.Null();
  }
  w.Key("size");
  w.Uint64(static_cast<uint64_t>(d.size()));
  w.Key("checksum");
  if (d.has_checksum()) {
    w.String(d.checksum().c_str());
  } else {
    w.Null();
  }
  w.EndObject();
}

// {"status": "accepted", "time": ...} for wait=false.
HttpResponse Accepted(const Call& c) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("status");
  w.String("accepted");
  w.Key("time");
  w.Double(Seconds(c));
  w.EndObject();
  HttpResponse r;
  r.status = 202;
  r.body = buf.GetString();
  return r;
}

// Runs a snapshot operation answering `true`: now (wait=true, the default) or in the
// background with 202 (its outcome is then only logged).
HttpResponse RunSnapshotOp(RestFrontend& fe, Call& c, std::function<Status()> op) {
  if (QueryBool(c, "wait", true)) {
    Status s = op();
    if (!s.ok()) return Error(c, s);
    return Ok(c, [](JsonWriter& w) { w.Bool(true); });
  }
  fe.RunInBackground([&fe, op = std::move(op)] {
    Status s = op();
    if (!s.ok()) fe.host().Log(STRATA_LOG_WARN, kLog, "snapshot operation failed: " + s.message());
  });
  return Accepted(c);
}

// Creates a snapshot (collection or full): its description, or 202 with wait=false.
template <class Req>
HttpResponse CreateSnapshot(RestFrontend& fe, Call& c, uint32_t method, const Req& req) {
  if (!QueryBool(c, "wait", true)) {
    return RunSnapshotOp(fe, c, [&fe, method, req, access = c.access] {
      qdrant::CreateSnapshotResponse resp;
      return KernelCall(fe.host(), method, req, access, &resp);
    });
  }
  qdrant::CreateSnapshotResponse resp;
  Status s = fe.Kernel(method, req, c, &resp);
  if (!s.ok()) return Error(c, s);
  return Ok(c, [&](JsonWriter& w) { WriteSnapshotDescription(w, resp.snapshot_description()); });
}

// Lists snapshots (of a collection or full ones) as an array of descriptions.
template <class Req>
HttpResponse ListSnapshots(RestFrontend& fe, Call& c, uint32_t method, const Req& req) {
  qdrant::ListSnapshotsResponse resp;
  Status s = fe.Kernel(method, req, c, &resp);
  if (!s.ok()) return Error(c, s);
  return Ok(c, [&](JsonWriter& w) {
    w.StartArray();
    for (const auto& d : resp.snapshot_descriptions()) WriteSnapshotDescription(w, d);
    w.EndArray();
  });
}

// A snapshot file as the answer (collection "": a full snapshot), in 4 MiB pieces read from the
// kernel as the connection drains.
HttpResponse Download(RestFrontend& fe, Call& c, const std::string& collection,
                      const std::string& name) {
  strata::SnapshotReadRequest req;
  req.set_collection_name(collection);
  req.set_snapshot_name(name);
  req.set_max_bytes(4u << 20);
  strata::SnapshotReadResponse first;
  Status s = fe.Kernel(STRATA_METHOD_Strata_SnapshotRead, req, c, &first);
  if (!s.ok()) return Error(c, s);
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.headers["Content-Disposition"] = "attachment; filename=\"" + name + "\"";
  r.stream_size = first.total_size();
  auto head = std::make_shared<std::string>(std::move(*first.mutable_data()));
  r.stream = [&fe, req, head, access = c.access](uint64_t offset) -> Result<std::string> {
    if (offset == 0 && !head->empty()) return std::move(*head);
    strata::SnapshotReadRequest next = req;
    next.set_offset(offset);
    strata::SnapshotReadResponse piece;
    STRATA_RETURN_IF_ERROR(
        KernelCall(fe.host(), STRATA_METHOD_Strata_SnapshotRead, next, access, &piece));
    return std::move(*piece.mutable_data());
  };
  return r;
}

std::string NewUploadId() {
  std::random_device rd;
  char id[40];
  std::snprintf(id, sizeof(id), "rest-%08x%08x%08x", rd(), rd(), rd());
  return id;
}

// A snapshot handed to the kernel in pieces (strata.SnapshotUploadRequest, 8 MiB each), then
// recovered from, or aborted (and removed) when it breaks off; one left by a crash is removed
// at the kernel's next start.
class SnapshotUploader {
 public:
  SnapshotUploader(const sdk::Host& host, uint32_t access, std::string collection)
      : host_(host), access_(access), collection_(std::move(collection)), id_(NewUploadId()) {}

  Status Append(std::string_view piece) {
    pending_.append(piece);
    return pending_.size() >= (8u << 20) ? Flush() : Status::Ok();
  }
  // An upload that will not be recovered from (the body or the download broke off): the
  // kernel removes what it holds of it.
  void Abort() {
    if (!started_ || done_) return;
    done_ = true;
    strata::SnapshotUploadRequest req;
    req.set_collection_name(collection_);
    req.set_upload_id(id_);
    strata::SnapshotUploadResponse resp;
    (void)KernelCall(host_, STRATA_METHOD_Strata_SnapshotUploadAbort, req, access_, &resp);
  }
  Status Recover(const std::string& checksum, const std::string& priority) {
    if (offset_ == 0 || !pending_.empty()) STRATA_RETURN_IF_ERROR(Flush());
    done_ = true;  // the kernel removes the upload, recovered or not
    strata::SnapshotRecoverRequest rec;
    rec.set_collection_name(collection_);
    rec.set_upload_id(id_);
    rec.set_checksum(checksum);
    rec.set_priority(priority);
    strata::SnapshotRecoverResponse resp;
    return KernelCall(host_, STRATA_METHOD_Strata_SnapshotRecover, rec, access_, &resp);
  }

 private:
  Status Flush() {
    strata::SnapshotUploadRequest up;
    up.set_collection_name(collection_);
    up.set_upload_id(id_);
    up.set_offset(offset_);
    up.set_data(std::move(pending_));
    pending_.clear();
    strata::SnapshotUploadResponse resp;
    started_ = true;
    STRATA_RETURN_IF_ERROR(
        KernelCall(host_, STRATA_METHOD_Strata_SnapshotUpload, up, access_, &resp));
    offset_ += up.data().size();
    return Status::Ok();
  }
  bool started_ = false;  // the kernel may hold a piece
  bool done_ = false;     // recovered from or aborted

  const sdk::Host& host_;
  uint32_t access_;
  std::string collection_;
  std::string id_;
  uint64_t offset_ = 0;
  std::string pending_;
};

// A multipart snapshot upload as its body arrives: the file part goes to the kernel piece by
// piece, then the collection is recovered from it. Answers like the other snapshot routes.
class UploadSink : public BodySink {
 public:
  UploadSink(RestFrontend& fe, HttpRequest head, std::map<std::string, std::string> query,
             std::string collection, uint32_t access, MultipartFile file)
      : fe_(fe),
        head_(std::move(head)),
        query_(std::move(query)),
        access_(access),
        file_(std::move(file)),
        upload_(fe.host(), access, std::move(collection)) {}

  Status Write(std::string_view piece) override {
    return file_.Feed(piece, [&](std::string_view bytes) { return upload_.Append(bytes); });
  }
  HttpResponse Finish(const Status& read) override {
    Call c{head_, {}, query_, {}, access_, start_};
    Status s = read;
    if (s.ok()) s = file_.Finish();
    if (s.ok()) {
      s = upload_.Recover(query_.count("checksum") ? query_["checksum"] : "",
                          query_.count("priority") ? query_["priority"] : "");
    }
    if (!s.ok()) upload_.Abort();  // a no-op once the kernel took it for recovery
    HttpResponse r = !s.ok()                       ? Error(c, s)
                     : !QueryBool(c, "wait", true) ? Accepted(c)
                                                   : Ok(c, [](JsonWriter& w) { w.Bool(true); });
    fe_.RecordRequest("POST", kRoute, r.status, Seconds(c));
    return r;
  }
  static constexpr const char* kRoute = "/collections/{collection_name}/snapshots/upload";

 private:
  RestFrontend& fe_;
  HttpRequest head_;
  std::map<std::string, std::string> query_;
  uint32_t access_;
  MultipartFile file_;
  SnapshotUploader upload_;
  Clock::time_point start_ = Clock::now();
};

// A large body for a route with an accelerator, from a caller allowed to write (the handler
// refuses the others before reading the body): decoded while it arrives.
std::shared_ptr<BodyObserver> RestFrontend::UpsertObserverFor(const HttpRequest& head) {
  auto length = head.headers.find("content-length");
  if (length == head.headers.end() ||
      std::strtoull(length->second.c_str(), nullptr, 10) < kStreamDecodeBytes) {
    return nullptr;
  }
  uint32_t access = STRATA_ACCESS_READ_WRITE;
  if (!Authenticate(head, &access).ok() || access != STRATA_ACCESS_READ_WRITE) return nullptr;
  return std::make_shared<UpsertObserver>();
}

// A request's headers are in: an upload's body is streamed to the kernel, an accelerated
// upsert's decoded while it arrives, any other body collected whole for the handler.
StreamStart RestFrontend::AtHeaders(const HttpRequest& head) {
  StreamStart out;
  std::map<std::string, std::string> query;
  const std::string path = SplitTarget(head.target, &query);
  std::map<std::string, std::string> captured;
  bool path_matched = false;
  const Route* route = MatchRoute(head.method, path, &captured, &path_matched);
  if (route != nullptr && route->fast != nullptr) {
    out.observer = UpsertObserverFor(head);
    return out;
  }
  if (route == nullptr || route->pattern != UploadSink::kRoute) return out;  // not an upload
  Call c{head, captured, query, {}, STRATA_ACCESS_READ_WRITE, Clock::now()};
  Status s = Authenticate(head, &c.access);
  if (!s.ok()) {
    out.refuse = Error(c, s, 403);
  } else if (c.access == STRATA_ACCESS_READ_ONLY) {
    out.refuse = Error(c, Status(StatusCode::kPermissionDenied,
                                 "snapshot upload needs a read-write API key; this one is "
                                 "read-only"));
  } else {
    auto type = head.headers.find("content-type");
    Result<MultipartFile> file =
        MultipartFile::Start(type == head.headers.end() ? "" : type->second, "snapshot");
    if (!file.ok()) {
      out.refuse = Error(c, file.status());
    } else {
      out.sink = std::make_unique<UploadSink>(*this, head, query, captured["collection_name"],
                                              c.access, std::move(file).value());
    }
  }
  if (out.refuse) {
    AddCors(head, &*out.refuse);
    metrics_.Record(head.method, UploadSink::kRoute, out.refuse->status, Seconds(c));
  }
  return out;
}

// Fetches a snapshot from a URL into a kernel upload, then recovers from it.
Status RecoverFromUrl(const sdk::Host& host, uint32_t access, const std::string& collection,
                      const std::string& url, const FetchOptions& fetch,
                      const std::string& checksum, const std::string& priority) {
  SnapshotUploader upload(host, access, collection);
  Status fetched =
      HttpFetch(url, fetch, [&](std::string_view piece) { return upload.Append(piece); });
  if (!fetched.ok()) {
    upload.Abort();
    return fetched;
  }
  return upload.Recover(checksum, priority);
}

void RestFrontend::AddSnapshotRoutes() {
  Add("POST", "/collections/{collection_name}/snapshots", [](RestFrontend& fe, Call& c) {
    qdrant::CreateSnapshotRequest req;
    req.set_collection_name(c.path["collection_name"]);
    return CreateSnapshot(fe, c, STRATA_METHOD_Snapshots_Create, req);
  });
  Add("GET", "/collections/{collection_name}/snapshots", [](RestFrontend& fe, Call& c) {
    qdrant::ListSnapshotsRequest req;
    req.set_collection_name(c.path["collection_name"]);
    return ListSnapshots(fe, c, STRATA_METHOD_Snapshots_List, req);
  });
  Add("DELETE", "/collections/{collection_name}/snapshots/{snapshot_name}",
      [](RestFrontend& fe, Call& c) {
        qdrant::DeleteSnapshotRequest req;
        req.set_collection_name(c.path["collection_name"]);
        req.set_snapshot_name(c.path["snapshot_name"]);
        return RunSnapshotOp(fe, c, [&fe, req, access = c.access] {
          qdrant::DeleteSnapshotResponse resp;
          return KernelCall(fe.host(), STRATA_METHOD_Snapshots_Delete, req, access, &resp);
        });
      });
  // Download: the file in 4 MiB pieces, read from the kernel as the connection drains.
  Add("GET", "/collections/{collection_name}/snapshots/{snapshot_name}",
      [](RestFrontend& fe, Call& c) {
        return Download(fe, c, c.path["collection_name"], c.path["snapshot_name"]);
      });
  Add("PUT", "/collections/{collection_name}/snapshots/recover", [](RestFrontend& fe, Call& c) {
    Status s = RequireObjectBody(c);
    if (!s.ok()) return Error(c, s);
    const Json* location = Field(c, "location");
    if (location == nullptr || !location->IsString()) {
      return Error(
          c, InvalidArgument("Format error in JSON body: location: expected a URL or file:// URI"));
    }
    std::string priority, checksum, api_key;
    for (auto [name, out] : {std::pair<const char*, std::string*>{"priority", &priority},
                             {"checksum", &checksum},
                             {"api_key", &api_key}}) {
      const Json* v = Field(c, name);
      if (v == nullptr) continue;
      if (!v->IsString()) {
        return Error(c, InvalidArgument(std::string("Format error in JSON body: ") + name +
                                        ": expected a string"));
      }
      *out = v->GetString();
    }
    const std::string url = location->GetString();
    const std::string collection = c.path["collection_name"];
    std::function<Status()> op;
    if (url.rfind("file://", 0) == 0) {
      strata::SnapshotRecoverRequest req;
      req.set_collection_name(collection);
      req.set_location(url);
      req.set_checksum(checksum);
      req.set_priority(priority);
      op = [&fe, req, access = c.access] {
        strata::SnapshotRecoverResponse resp;
        return KernelCall(fe.host(), STRATA_METHOD_Strata_SnapshotRecover, req, access, &resp);
      };
    } else if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) {
      FetchOptions fetch;
      fetch.api_key = api_key;
      fetch.max_bytes = fe.max_upload_bytes();
      op = [&fe, url, fetch, collection, checksum, priority, access = c.access] {
        return RecoverFromUrl(fe.host(), access, collection, url, fetch, checksum, priority);
      };
    } else {
      return Error(c, InvalidArgument("location: '" + url +
                                      "' must be an http://, https:// or file:// URL"));
    }
    return RunSnapshotOp(fe, c, std::move(op));
  });
  // Upload (multipart/form-data, field `snapshot`): streamed into the kernel as it arrives
  // (RestFrontend::AtHeaders, before the body is read); only bodies sent without a
  // Content-Length reach this route.
  Add("POST", UploadSink::kRoute, [](RestFrontend&, Call& c) {
    return Error(c, InvalidArgument("snapshot uploads need a Content-Length"));
  });
  // Full-storage snapshots: every collection and the aliases in one archive (recovered with
  // `strata --storage-snapshot FILE`).
  Add("POST", "/snapshots", [](RestFrontend& fe, Call& c) {
    return CreateSnapshot(fe, c, STRATA_METHOD_Snapshots_CreateFull,
                          qdrant::CreateFullSnapshotRequest());
  });
  Add("GET", "/snapshots", [](RestFrontend& fe, Call& c) {
    return ListSnapshots(fe, c, STRATA_METHOD_Snapshots_ListFull,
                         qdrant::ListFullSnapshotsRequest());
  });
  Add("DELETE", "/snapshots/{snapshot_name}", [](RestFrontend& fe, Call& c) {
    qdrant::DeleteFullSnapshotRequest req;
    req.set_snapshot_name(c.path["snapshot_name"]);
    return RunSnapshotOp(fe, c, [&fe, req, access = c.access] {
      qdrant::DeleteSnapshotResponse resp;
      return KernelCall(fe.host(), STRATA_METHOD_Snapshots_DeleteFull, req, access, &resp);
    });
  });
  Add("GET", "/snapshots/{snapshot_name}",
      [](RestFrontend& fe, Call& c) { return Download(fe, c, "", c.path["snapshot_name"]); });
}

}  // namespace
}  // namespace strata::rest

using strata::rest::RestFrontend;
STRATA_PLUGIN_MANIFEST(STRATA_TIER_BUNDLE,
                       STRATA_FRONTEND_PLUGIN("rest", "0.1.0", "Qdrant-compatible REST API",
                                              RestFrontend, STRATA_FRONTEND_CAP_PUBLIC_API))
