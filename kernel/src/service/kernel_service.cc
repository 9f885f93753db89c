#include "service/kernel_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "collection/snapshots.h"
#include "collection/toc.h"
#include "points.pb.h"
#include "qdrant.pb.h"
#include "service/strict_mode.h"
#include "shard/points_convert.h"
#include "strata/abi/strata_methods.h"
#include "strata/sdk/params.hpp"
#include "strata_internal.pb.h"

namespace strata::kernel {

std::string MethodName(uint32_t method) {
  switch (method) {
#define STRATA_METHOD_NAME_CASE(id, service, rpc, req, resp) \
  case id:                                                   \
    return #service "/" #rpc;
    STRATA_METHOD_LIST(STRATA_METHOD_NAME_CASE)
    STRATA_INTERNAL_METHOD_LIST(STRATA_METHOD_NAME_CASE)
#undef STRATA_METHOD_NAME_CASE
    default:
      return "";
  }
}

namespace {

using Clock = std::chrono::steady_clock;

bool IsWrite(uint32_t method) {
  switch (method) {
    case STRATA_METHOD_Collections_Create:
    case STRATA_METHOD_Collections_Update:
    case STRATA_METHOD_Collections_Delete:
    case STRATA_METHOD_Collections_UpdateAliases:
    case STRATA_METHOD_Collections_UpdateCollectionClusterSetup:
    case STRATA_METHOD_Collections_CreateShardKey:
    case STRATA_METHOD_Collections_DeleteShardKey:
    case STRATA_METHOD_Points_Upsert:
    case STRATA_METHOD_Points_Delete:
    case STRATA_METHOD_Points_UpdateVectors:
    case STRATA_METHOD_Points_DeleteVectors:
    case STRATA_METHOD_Points_SetPayload:
    case STRATA_METHOD_Points_OverwritePayload:
    case STRATA_METHOD_Points_DeletePayload:
    case STRATA_METHOD_Points_ClearPayload:
    case STRATA_METHOD_Points_CreateFieldIndex:
    case STRATA_METHOD_Points_DeleteFieldIndex:
    case STRATA_METHOD_Points_UpdateBatch:
    case STRATA_METHOD_Points_CreateVectorName:
    case STRATA_METHOD_Points_DeleteVectorName:
    case STRATA_METHOD_Snapshots_Create:
    case STRATA_METHOD_Snapshots_Delete:
    case STRATA_METHOD_Snapshots_CreateFull:
    case STRATA_METHOD_Snapshots_DeleteFull:
    case STRATA_METHOD_Strata_SnapshotUpload:
    case STRATA_METHOD_Strata_SnapshotRecover:
    case STRATA_METHOD_Strata_SnapshotUploadAbort:
      return true;
    default:
      return false;
  }
}

void FillProgress(const ProgressView& v, strata::OptimizationProgress* out) {
  out->set_name(v.name);
  if (v.started_ms != 0) out->set_started_unix_ms(v.started_ms);
  if (v.finished_ms != 0) out->set_finished_unix_ms(v.finished_ms);
  if (v.done) out->set_done(*v.done);
  if (v.total) out->set_total(*v.total);
  for (const ProgressView& c : v.children) FillProgress(c, out->add_children());
}

void FillOptimization(const OptimizationView& v, strata::Optimization* out) {
  out->set_uuid(v.uuid);
  out->set_optimizer(v.optimizer);
  switch (v.status) {
    case OptimizationView::Status::kOptimizing:
      out->set_status("optimizing");
      break;
    case OptimizationView::Status::kDone:
      out->set_status("done");
      break;
    case OptimizationView::Status::kCancelled:
      out->set_status("cancelled");
      break;
    case OptimizationView::Status::kError:
      out->set_status("error");
      break;
  }
  out->set_message(v.message);
  auto* seg = out->add_segments();
  seg->set_uuid(v.segment_uuid);
  seg->set_points_count(v.segment_points);
  FillProgress(v.progress, out->mutable_progress());
}

// One shard per collection (one segment per shard): the queue is what is due and not running.
void FillOptimizations(const LocalShard& shard, const strata::OptimizationsRequest& r,
                       strata::OptimizationsResponse* resp) {
  const std::vector<OptimizationView> running = shard.optimizations().Running();
  const std::vector<std::string> queued = shard.QueuedOptimizations();
  const std::string segment = shard.segment_uuid();
  const uint64_t points = shard.live_points();
  resp->set_queued_optimizations(queued.size());
  resp->set_queued_segments(queued.empty() ? 0 : 1);
  resp->set_queued_points(queued.empty() ? 0 : points);
  const bool idle = queued.empty() && running.empty();
  resp->set_idle_segments(idle ? 1 : 0);
  for (const OptimizationView& v : running) FillOptimization(v, resp->add_running());
  if (r.with_queued()) {
    for (const std::string& name : queued) {
      auto* q = resp->add_queued();
      q->set_optimizer(name);
      auto* seg = q->add_segments();
      seg->set_uuid(segment);
      seg->set_points_count(points);
    }
  }
  if (r.with_completed()) {
    for (const OptimizationView& v : shard.optimizations().Completed(r.completed_limit())) {
      FillOptimization(v, resp->add_completed());
    }
  }
  if (r.with_idle_segments() && idle) {
    auto* seg = resp->add_idle();
    seg->set_uuid(segment);
    seg->set_points_count(points);
  }
}

// One call in progress: parses the request, runs the handler, answers exactly once.
class Exchange {
 public:
  Exchange(const strata_call& call, strata_call_done done, void* user)
      : call_(call), done_(done), user_(user), start_(Clock::now()) {}

  template <class Req>
  bool Parse(Req* req) {
    if (req->ParseFromArray(call_.request, static_cast<int>(call_.request_len))) return true;
    Fail(InvalidArgument("request body is not a valid " + req->GetTypeName() + " message"));
    return false;
  }
  template <class Resp>
  void Reply(Resp* resp) {
    resp->set_time(std::chrono::duration<double>(Clock::now() - start_).count());
    Send(*resp);
  }
  template <class Resp>
  void Send(const Resp& resp) {
    std::string bytes = resp.SerializeAsString();
    done_(user_, STRATA_OK, "", reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  void Fail(const Status& s) { done_(user_, s.raw_code(), s.message().c_str(), nullptr, 0); }
  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(call_.request), static_cast<size_t>(call_.request_len)};
  }
  uint32_t method() const { return call_.method; }

 private:
  const strata_call& call_;
  strata_call_done done_;
  void* user_;
  Clock::time_point start_;
};

// A request's search params onto the shard's search.
Status ApplySearchParams(const qdrant::SearchParams& p, SearchSpec* s) {
  s->exact = p.exact();
  s->indexed_only = p.indexed_only();
  // params.acorn is a hint ("ACORN may be used"): validated, not applied. The filtered
  // traversal already walks through excluded points, which is what ACORN makes up for in
  // Qdrant's; a two-hop ACORN-1 variant measured worse on clustered filters (architecture §8).
  if (p.has_acorn() && p.acorn().has_max_selectivity()) {
    const double m = p.acorn().max_selectivity();
    if (!(m >= 0.0 && m <= 1.0)) {
      return InvalidArgument("params.acorn.max_selectivity: must be within [0, 1], got " +
                             std::to_string(m));
    }
  }
  s->hnsw_ef = p.hnsw_ef();
  if (p.has_quantization()) {
    const qdrant::QuantizationSearchParams& q = p.quantization();
    if (q.has_ignore()) s->quantization_ignore = q.ignore();
    if (q.has_rescore()) s->quantization_rescore = q.rescore();
    if (q.has_oversampling()) {
      if (!(q.oversampling() >= 1.0)) {
        return InvalidArgument("params.quantization.oversampling: must be at least 1, got " +
                               std::to_string(q.oversampling()));
      }
      s->oversampling = q.oversampling();
    }
  }
  return Status::Ok();
}

// Runs fn(req, &resp) -> Status and replies (resp with its time) or fails.
template <class Req, class Resp, class Fn>
void Handle(Exchange& ex, Fn&& fn) {
  Req req;
  if (!ex.Parse(&req)) return;
  Resp resp;
  Status s = fn(req, &resp);
  if (!s.ok()) {
    ex.Fail(s);
    return;
  }
  ex.Reply(&resp);
}

// Whether a write request may add points: an upsert, or a batch holding one.
bool AddsPoints(const google::protobuf::Message& req) {
  if (dynamic_cast<const qdrant::UpsertPoints*>(&req) != nullptr) return true;
  const auto* batch = dynamic_cast<const qdrant::UpdateBatchPoints*>(&req);
  if (batch == nullptr) return false;
  for (const auto& op : batch->operations()) {
    if (op.has_upsert()) return true;
  }
  return false;
}

// Strict mode of the named collection (when it is on) against a request, before it runs.
Status CheckCollectionStrictMode(Toc& toc, const std::string& name,
                                 const google::protobuf::Message& req, bool write) {
  Result<std::shared_ptr<Collection>> c = toc.Find(name);
  if (!c.ok()) return Status::Ok();  // the handler reports the missing collection
  qdrant::StrictModeConfig strict;
  std::set<std::string> indexed;
  if (!(*c)->StrictMode(&strict, &indexed)) return Status::Ok();
  STRATA_RETURN_IF_ERROR(CheckStrictMode(strict, indexed, req, write));
  // max_points_count: a write that adds points is refused once the collection holds that many
  // (as Qdrant: the check is on the count before the write).
  const bool adds = AddsPoints(req);
  if (adds && strict.has_max_points_count() &&
      (*c)->shard().points_count() >= strict.max_points_count()) {
    return InvalidArgument("points: the collection holds " +
                           std::to_string((*c)->shard().points_count()) +
                           " points, its limit (strict mode max_points_count) is " +
                           std::to_string(strict.max_points_count()));
  }
  return Status::Ok();
}

// Handle for a request on one collection's points: strict mode is checked after the parse.
template <class Req, class Resp, class Fn>
void HandlePoints(Toc& toc, Exchange& ex, bool write, Fn&& fn) {
  Handle<Req, Resp>(ex, [&](const Req& req, Resp* resp) -> Status {
    STRATA_RETURN_IF_ERROR(CheckCollectionStrictMode(toc, req.collection_name(), req, write));
    return fn(req, resp);
  });
}

Status CollectionPointsWrite(Toc& toc, Exchange& ex, const std::string& collection, bool wait,
                             qdrant::PointsOperationResponse* resp) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(collection));
  STRATA_ASSIGN_OR_RETURN(uint64_t seq, c->shard().Write(ex.method(), ex.bytes()));
  resp->mutable_result()->set_operation_id(seq);
  resp->mutable_result()->set_status(wait ? qdrant::Completed : qdrant::Acknowledged);
  return Status::Ok();
}

// A points write's collection_name (field 1) and wait (field 2), the same two fields in every
// qdrant.*Points write message, read off the wire bytes: the other fields are skipped, not
// decoded. False when the bytes do not hold a well-formed message at this level.
bool ReadWriteHead(std::string_view bytes, std::string* collection, bool* wait) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  collection->clear();
  *wait = false;
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return in.CurrentPosition() == static_cast<int>(bytes.size());
    if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      uint32_t length = 0;
      if (!in.ReadVarint32(&length) || !in.ReadString(collection, static_cast<int>(length))) {
        return false;
      }
    } else if (tag == WireFormatLite::MakeTag(2, WireFormatLite::WIRETYPE_VARINT)) {
      uint64_t v = 0;
      if (!in.ReadVarint64(&v)) return false;
      *wait = v != 0;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
}

bool StrictModeOn(Toc& toc, const std::string& collection) {
  Result<std::shared_ptr<Collection>> c = toc.Find(collection);
  return c.ok() && (*c)->StrictModeEnabled();
}

// An upsert: the shard decodes (and checks) the request before its WAL takes it, so unless
// the collection has strict mode, which looks at the points, only the collection name and
// `wait` are read here (decoding a large upsert twice was a sixth of its cost in-process).
void HandleUpsert(Toc& toc, Exchange& ex) {
  std::string collection;
  bool wait = false;
  if (ReadWriteHead(ex.bytes(), &collection, &wait) && !StrictModeOn(toc, collection)) {
    qdrant::PointsOperationResponse resp;
    Status s = CollectionPointsWrite(toc, ex, collection, wait, &resp);
    if (!s.ok()) {
      ex.Fail(s);
      return;
    }
    ex.Reply(&resp);
    return;
  }
  HandlePoints<qdrant::UpsertPoints, qdrant::PointsOperationResponse>(
      toc, ex, true, [&](const auto& r, auto* resp) {
        return CollectionPointsWrite(toc, ex, r.collection_name(), r.wait(), resp);
      });
}

// One recommend example as a vector: a stored point (then excluded from the results) or a
// dense vector.
Result<std::vector<float>> ExampleVector(const Collection& c, const VectorSpec& spec,
                                         const qdrant::VectorInput& in, const std::string& field,
                                         std::vector<ExternalId>* exclude) {
  if (in.has_id()) {
    STRATA_ASSIGN_OR_RETURN(ExternalId id, ExternalId::FromProto(in.id(), field));
    exclude->push_back(id);
    return c.shard().VectorOf(id, spec.name);
  }
  if (in.has_dense()) {
    return QueryVector({in.dense().data().begin(), in.dense().data().end()}, spec, field);
  }
  return InvalidArgument(field + ": an example is a point id or a dense vector");
}

// Qdrant's squashing of similarities into (-1, 1) and (0, 1) for the custom objectives.
float FastSigmoid(float x) { return x / (1.0f + std::fabs(x)); }
float ScaledFastSigmoid(float x) { return 0.5f * (FastSigmoid(x) + 1.0f); }

using VectorInputs = google::protobuf::RepeatedPtrField<qdrant::VectorInput>;
using Vectors = std::vector<std::vector<float>>;

Status ExampleVectors(const Collection& c, const VectorSpec& spec, const VectorInputs& in,
                      const std::string& field, std::vector<ExternalId>* exclude, Vectors* out) {
  for (int i = 0; i < in.size(); ++i) {
    STRATA_ASSIGN_OR_RETURN(
        std::vector<float> v,
        ExampleVector(c, spec, in[i], field + "[" + std::to_string(i) + "]", exclude));
    out->push_back(std::move(v));
  }
  return Status::Ok();
}

// The similarity the custom objectives compare with: the metric's internal score (higher is
// better; cosine vectors are unit length on both sides).
std::function<float(const float*, const float*)> Similarity(const VectorSpec& spec) {
  const Metric metric = spec.metric;
  const uint32_t dim = spec.dim;
  return [metric, dim](const float* a, const float* b) {
    return Score(ActiveKernels(), metric, a, b, dim);
  };
}

// Recommendation. average_vector: search near 2 * mean(positive) - mean(negative) (or
// mean(positive)); best_score: each point scores sigmoid(best positive similarity) when that
// beats its best negative one, else -sigmoid(best negative); sum_scores: positive similarities
// minus negative ones. Examples given by id are excluded from the results.
Status RecommendQuery(const Collection& c, const VectorSpec& spec, const qdrant::RecommendInput& r,
                      SearchSpec* s) {
  const qdrant::RecommendStrategy strategy =
      r.has_strategy() ? r.strategy() : qdrant::AverageVector;
  if (strategy == qdrant::AverageVector && r.positive_size() == 0) {
    return InvalidArgument("recommend.positive: at least one example for average_vector");
  }
  if (r.positive_size() == 0 && r.negative_size() == 0) {
    return InvalidArgument("recommend: give positive or negative examples");
  }
  auto pos = std::make_shared<Vectors>(), neg = std::make_shared<Vectors>();
  STRATA_RETURN_IF_ERROR(
      ExampleVectors(c, spec, r.positive(), "recommend.positive", &s->exclude, pos.get()));
  STRATA_RETURN_IF_ERROR(
      ExampleVectors(c, spec, r.negative(), "recommend.negative", &s->exclude, neg.get()));
  auto sim = Similarity(spec);
  switch (strategy) {
    case qdrant::AverageVector: {
      std::vector<float> q(spec.dim, 0.0f);
      for (const auto& v : *pos) {
        for (uint32_t d = 0; d < spec.dim; ++d) q[d] += v[d] / pos->size();
      }
      if (!neg->empty()) {
        std::vector<float> m(spec.dim, 0.0f);
        for (const auto& v : *neg) {
          for (uint32_t d = 0; d < spec.dim; ++d) m[d] += v[d] / neg->size();
        }
        for (uint32_t d = 0; d < spec.dim; ++d) q[d] = 2 * q[d] - m[d];
      }
      STRATA_ASSIGN_OR_RETURN(s->query, QueryVector(q, spec, "recommend"));
      return Status::Ok();
    }
    case qdrant::BestScore:
      s->custom_score = [pos, neg, sim](const float* v) {
        float best_pos = -std::numeric_limits<float>::infinity(), best_neg = best_pos;
        for (const auto& e : *pos) best_pos = std::max(best_pos, sim(e.data(), v));
        for (const auto& e : *neg) best_neg = std::max(best_neg, sim(e.data(), v));
        return best_pos > best_neg ? ScaledFastSigmoid(best_pos) : -ScaledFastSigmoid(best_neg);
      };
      return Status::Ok();
    case qdrant::SumScores:
      s->custom_score = [pos, neg, sim](const float* v) {
        float sum = 0;
        for (const auto& e : *pos) sum += sim(e.data(), v);
        for (const auto& e : *neg) sum -= sim(e.data(), v);
        return sum;
      };
      return Status::Ok();
    default:
      return InvalidArgument("recommend.strategy: unknown strategy " + std::to_string(strategy));
  }
}

// Context pairs as vectors.
Status ContextPairs(
    const Collection& c, const VectorSpec& spec, const qdrant::ContextInput& in,
    const std::string& field, std::vector<ExternalId>* exclude,
    std::shared_ptr<std::vector<std::pair<std::vector<float>, std::vector<float>>>>* out) {
  *out = std::make_shared<std::vector<std::pair<std::vector<float>, std::vector<float>>>>();
  for (int i = 0; i < in.pairs_size(); ++i) {
    const std::string at = field + ".pairs[" + std::to_string(i) + "]";
    const qdrant::ContextInputPair& p = in.pairs(i);
    if (!p.has_positive() || !p.has_negative()) {
      return InvalidArgument(at + ": a pair needs a positive and a negative example");
    }
    STRATA_ASSIGN_OR_RETURN(std::vector<float> a,
                            ExampleVector(c, spec, p.positive(), at + ".positive", exclude));
    STRATA_ASSIGN_OR_RETURN(std::vector<float> b,
                            ExampleVector(c, spec, p.negative(), at + ".negative", exclude));
    (*out)->push_back({std::move(a), std::move(b)});
  }
  return Status::Ok();
}

// Discovery: points ranked by how many context pairs they side with (+1 nearer the positive,
// -1 otherwise), ties broken by sigmoid(similarity to the target).
Status DiscoverQuery(const Collection& c, const VectorSpec& spec, const qdrant::DiscoverInput& d,
                     SearchSpec* s) {
  if (!d.has_target()) return InvalidArgument("discover.target: required");
  STRATA_ASSIGN_OR_RETURN(std::vector<float> target,
                          ExampleVector(c, spec, d.target(), "discover.target", &s->exclude));
  std::shared_ptr<std::vector<std::pair<std::vector<float>, std::vector<float>>>> pairs;
  STRATA_RETURN_IF_ERROR(
      ContextPairs(c, spec, d.context(), "discover.context", &s->exclude, &pairs));
  auto sim = Similarity(spec);
  auto t = std::make_shared<std::vector<float>>(std::move(target));
  s->custom_score = [t, pairs, sim](const float* v) {
    int rank = 0;
    for (const auto& [p, n] : *pairs) rank += sim(p.data(), v) > sim(n.data(), v) ? 1 : -1;
    return static_cast<float>(rank) + ScaledFastSigmoid(sim(t->data(), v));
  };
  return Status::Ok();
}

// Context search: each pair adds sigmoid(min(0, sim(positive) - sim(negative) - eps)), so points
// on the positive side of every pair score 0 and the rest are pulled towards it.
Status ContextQuery(const Collection& c, const VectorSpec& spec, const qdrant::ContextInput& in,
                    SearchSpec* s) {
  if (in.pairs_size() == 0) return InvalidArgument("context.pairs: at least one pair");
  std::shared_ptr<std::vector<std::pair<std::vector<float>, std::vector<float>>>> pairs;
  STRATA_RETURN_IF_ERROR(ContextPairs(c, spec, in, "context", &s->exclude, &pairs));
  auto sim = Similarity(spec);
  s->custom_score = [pairs, sim](const float* v) {
    float loss = 0;
    for (const auto& [p, n] : *pairs) {
      const float diff =
          sim(p.data(), v) - sim(n.data(), v) - std::numeric_limits<float>::epsilon();
      loss += FastSigmoid(std::min(diff, 0.0f));
    }
    return loss;
  };
  return Status::Ok();
}

// The points of a query: nearest to a vector (dense) or to a stored point, or none (by id).
Status RunQuery(Toc& toc, const qdrant::QueryPoints& q, std::vector<qdrant::ScoredPoint>* out);

// Both filters (either may be absent) as one.
qdrant::Filter AndFilters(const qdrant::Filter* a, const qdrant::Filter* b) {
  qdrant::Filter f;
  if (a != nullptr) *f.add_must()->mutable_filter() = *a;
  if (b != nullptr) *f.add_must()->mutable_filter() = *b;
  return f;
}

// Reciprocal rank fusion (Qdrant's: each list adds 1 / ((position + 1) / weight + k - 1), k 2 by
// default) or distribution-based score fusion (each list's scores mapped through mean +- 3
// standard deviations onto 0..1, then summed). Best first.
Result<std::vector<qdrant::ScoredPoint>> Fuse(
    const std::vector<std::vector<qdrant::ScoredPoint>>& lists, const qdrant::Query& query) {
  std::map<std::string, qdrant::ScoredPoint> fused;
  auto add = [&](const qdrant::ScoredPoint& p, float score) {
    const std::string key = p.id().SerializeAsString();
    auto it = fused.find(key);
    if (it == fused.end()) {
      qdrant::ScoredPoint copy = p;
      copy.set_score(score);
      fused.emplace(key, std::move(copy));
    } else {
      it->second.set_score(it->second.score() + score);
    }
  };
  const bool dbsf = query.has_fusion() && query.fusion() == qdrant::DBSF;
  if (dbsf) {
    for (const auto& list : lists) {
      if (list.empty()) continue;
      double mean = 0, var = 0;
      for (const auto& p : list) mean += p.score();
      mean /= list.size();
      for (const auto& p : list) var += (p.score() - mean) * (p.score() - mean);
      const double sd = std::sqrt(var / list.size());
      const double low = mean - 3 * sd, high = mean + 3 * sd;
      for (const auto& p : list) {
        add(p, high > low ? static_cast<float>((p.score() - low) / (high - low)) : 0.5f);
      }
    }
  } else {
    uint32_t k = 2;
    std::vector<float> weights(lists.size(), 1.0f);
    if (query.has_rrf()) {
      if (query.rrf().has_k()) k = query.rrf().k();
      if (query.rrf().weights_size() > 0) {
        if (static_cast<size_t>(query.rrf().weights_size()) != lists.size()) {
          return InvalidArgument(
              "query.rrf.weights: " + std::to_string(query.rrf().weights_size()) + " weights for " +
              std::to_string(lists.size()) + " prefetches");
        }
        weights.assign(query.rrf().weights().begin(), query.rrf().weights().end());
      }
    }
    for (size_t l = 0; l < lists.size(); ++l) {
      for (size_t pos = 0; pos < lists[l].size(); ++pos) {
        const float w = weights[l];
        add(lists[l][pos],
            w > 0 ? 1.0f / ((static_cast<float>(pos) + 1) / w + static_cast<float>(k) - 1) : 0);
      }
    }
  }
  std::vector<qdrant::ScoredPoint> out;
  for (auto& [key, p] : fused) out.push_back(std::move(p));
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.score() > b.score(); });
  return out;
}

// A query with prefetches: each prefetch runs (with the query's filter too), then the lists are
// fused, or the main query rescores the points they found.
Status RunPrefetched(Toc& toc, const Collection& c, const qdrant::QueryPoints& q,
                     std::vector<qdrant::ScoredPoint>* out) {
  const qdrant::Filter* top = q.has_filter() ? &q.filter() : nullptr;
  std::vector<std::vector<qdrant::ScoredPoint>> lists;
  for (int i = 0; i < q.prefetch_size(); ++i) {
    const qdrant::PrefetchQuery& p = q.prefetch(i);
    if (p.has_lookup_from()) return Unimplemented("prefetch lookup_from is not supported yet");
    qdrant::QueryPoints sub;
    sub.set_collection_name(q.collection_name());
    *sub.mutable_prefetch() = p.prefetch();
    if (p.has_query()) *sub.mutable_query() = p.query();
    if (p.has_using_()) sub.set_using_(p.using_());
    if (p.has_filter() || top != nullptr) {
      *sub.mutable_filter() = AndFilters(p.has_filter() ? &p.filter() : nullptr, top);
    }
    if (p.has_params()) *sub.mutable_params() = p.params();
    if (p.has_score_threshold()) sub.set_score_threshold(p.score_threshold());
    sub.set_limit(p.has_limit() ? p.limit() : 10);
    sub.mutable_with_payload()->set_enable(false);
    std::vector<qdrant::ScoredPoint> hits;
    STRATA_RETURN_IF_ERROR(
        RunQuery(toc, sub, &hits).WithContext("prefetch[" + std::to_string(i) + "]"));
    lists.push_back(std::move(hits));
  }
  const size_t limit = q.has_limit() ? q.limit() : 10;
  const size_t offset = q.has_offset() ? q.offset() : 0;
  const bool fusion = q.has_query() && (q.query().has_fusion() || q.query().has_rrf());
  if (!fusion && q.has_query()) {
    // The main query scores only what the prefetches found.
    qdrant::QueryPoints main = q;
    main.clear_prefetch();
    qdrant::Filter ids;
    auto* has_id = ids.add_must()->mutable_has_id();
    for (const auto& list : lists) {
      for (const auto& p : list) *has_id->add_has_id() = p.id();
    }
    *main.mutable_filter() = AndFilters(&ids, top);
    return RunQuery(toc, main, out);
  }
  if (!q.has_query() && lists.size() > 1) {
    return InvalidArgument(
        "query: several prefetches need a query to combine them (fusion, rrf or a rescoring "
        "query)");
  }
  std::vector<qdrant::ScoredPoint> ranked;
  if (fusion) {
    STRATA_ASSIGN_OR_RETURN(ranked, Fuse(lists, q.query()));
  } else {
    ranked = std::move(lists[0]);
  }
  // Offset, limit and score_threshold on the combined list, then payloads and vectors.
  std::vector<qdrant::ScoredPoint> page;
  for (size_t i = offset; i < ranked.size() && page.size() < limit; ++i) {
    if (q.has_score_threshold() && ranked[i].score() < q.score_threshold()) break;
    page.push_back(std::move(ranked[i]));
  }
  if (page.empty()) return Status::Ok();
  qdrant::GetPoints get;
  get.set_collection_name(q.collection_name());
  for (const auto& p : page) *get.add_ids() = p.id();
  if (q.has_with_payload()) {
    *get.mutable_with_payload() = q.with_payload();
  } else {
    get.mutable_with_payload()->set_enable(false);  // the query default
  }
  if (q.has_with_vectors()) *get.mutable_with_vectors() = q.with_vectors();
  qdrant::GetResponse got;
  STRATA_RETURN_IF_ERROR(c.shard().Get(get, &got));
  std::map<std::string, const qdrant::RetrievedPoint*> by_id;
  for (const auto& r : got.result()) by_id[r.id().SerializeAsString()] = &r;
  for (auto& p : page) {
    auto it = by_id.find(p.id().SerializeAsString());
    if (it == by_id.end()) continue;  // deleted meanwhile
    *p.mutable_payload() = it->second->payload();
    if (it->second->has_vectors()) *p.mutable_vectors() = it->second->vectors();
    out->push_back(std::move(p));
  }
  return Status::Ok();
}

// An order_by query: the scroll order over a payload field, as scored points.
Status RunOrderBy(const Collection& c, const qdrant::QueryPoints& q, size_t limit,
                  std::vector<qdrant::ScoredPoint>* out) {
  qdrant::ScrollPoints scroll;
  scroll.set_collection_name(q.collection_name());
  *scroll.mutable_order_by() = q.query().order_by();
  if (q.has_filter()) *scroll.mutable_filter() = q.filter();
  scroll.set_limit(static_cast<uint32_t>(limit + (q.has_offset() ? q.offset() : 0)));
  if (q.has_with_payload()) {
    *scroll.mutable_with_payload() = q.with_payload();
  } else {
    scroll.mutable_with_payload()->set_enable(false);
  }
  if (q.has_with_vectors()) *scroll.mutable_with_vectors() = q.with_vectors();
  qdrant::ScrollResponse page;
  STRATA_RETURN_IF_ERROR(c.shard().Scroll(scroll, &page));
  size_t skip = q.has_offset() ? q.offset() : 0;
  for (auto& r : *page.mutable_result()) {
    if (skip > 0) {
      --skip;
      continue;
    }
    qdrant::ScoredPoint sp;
    *sp.mutable_id() = r.id();
    *sp.mutable_payload() = r.payload();
    if (r.has_vectors()) *sp.mutable_vectors() = r.vectors();
    if (r.has_order_value()) *sp.mutable_order_value() = r.order_value();
    out->push_back(std::move(sp));
  }
  return Status::Ok();
}

// An unknown vector name's error also lists the collection's sparse vectors.
Result<const VectorSpec*> WithSparseNames(Result<const VectorSpec*> found, const Collection& c) {
  if (found.ok() || c.shard().sparse_specs().empty()) return found;
  std::string names;
  for (const SparseSpec& s : c.shard().sparse_specs()) {
    names += (names.empty() ? "'" : ", '") + s.name + "'";
  }
  return Status(found.status().code(), found.status().message() + "; sparse: " + names);
}

// A query on a sparse vector: nearest by a sparse vector or by a stored point's.
Status SparseQuery(const Collection& c, const qdrant::Query& query, const std::string& name,
                   SearchSpec* s) {
  if (!query.has_nearest()) {
    return InvalidArgument("query: '" + name +
                           "' is a sparse vector; only nearest queries search it");
  }
  const qdrant::VectorInput& in = query.nearest();
  if (in.has_sparse()) {
    STRATA_ASSIGN_OR_RETURN(
        s->sparse_query,
        SparseFromProto(in.sparse().indices(), in.sparse().values(), "query.nearest"));
  } else if (in.has_id()) {
    STRATA_ASSIGN_OR_RETURN(ExternalId id, ExternalId::FromProto(in.id(), "query.nearest.id"));
    STRATA_ASSIGN_OR_RETURN(s->sparse_query, c.shard().SparseVectorOf(id, name));
    s->exclude.push_back(id);
  } else {
    return InvalidArgument("query.nearest: '" + name +
                           "' is a sparse vector; give {indices, values} or a point id");
  }
  return Status::Ok();
}

// The common part of a nearest-style query: paging, filter, threshold, selectors, params.
Status SearchWith(const Collection& c, const qdrant::QueryPoints& q, size_t limit, SearchSpec* s,
                  std::vector<qdrant::ScoredPoint>* out) {
  s->limit = limit;
  s->offset = q.has_offset() ? q.offset() : 0;
  s->filter = q.has_filter() ? &q.filter() : nullptr;
  if (q.has_score_threshold()) s->score_threshold = q.score_threshold();
  s->with_payload = q.has_with_payload() ? &q.with_payload() : nullptr;
  s->with_vectors = q.has_with_vectors() ? &q.with_vectors() : nullptr;
  if (q.has_params()) STRATA_RETURN_IF_ERROR(ApplySearchParams(q.params(), s));
  STRATA_ASSIGN_OR_RETURN(*out, c.shard().Search(*s));
  return Status::Ok();
}

Status RunQuery(Toc& toc, const qdrant::QueryPoints& q, std::vector<qdrant::ScoredPoint>* out) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(q.collection_name()));
  if (q.has_lookup_from()) return Unimplemented("lookup_from is not supported yet");
  const size_t limit = q.has_limit() ? q.limit() : 10;
  if (q.has_limit() && q.limit() == 0) return InvalidArgument("limit: must be at least 1");
  if (q.prefetch_size() > 0) return RunPrefetched(toc, *c, q, out);
  if (q.has_query() && (q.query().has_fusion() || q.query().has_rrf())) {
    return InvalidArgument("query: fusion combines prefetch results; give prefetch queries");
  }
  if (q.has_query() && q.query().has_order_by()) return RunOrderBy(*c, q, limit, out);
  if (q.has_query() && q.query().has_sample()) {
    // Random points among the filter's matches (score 0), then their payloads and vectors.
    const qdrant::Filter* f = q.has_filter() ? &q.filter() : nullptr;
    STRATA_ASSIGN_OR_RETURN(std::vector<ExternalId> ids, c->shard().Sample(f, limit));
    if (ids.empty()) return Status::Ok();
    qdrant::GetPoints get;
    get.set_collection_name(q.collection_name());
    for (const ExternalId& id : ids) id.ToProto(get.add_ids());
    if (q.has_with_payload()) {
      *get.mutable_with_payload() = q.with_payload();
    } else {
      get.mutable_with_payload()->set_enable(false);
    }
    if (q.has_with_vectors()) *get.mutable_with_vectors() = q.with_vectors();
    qdrant::GetResponse got;
    STRATA_RETURN_IF_ERROR(c->shard().Get(get, &got));
    for (const auto& r : got.result()) {
      qdrant::ScoredPoint sp;
      *sp.mutable_id() = r.id();
      *sp.mutable_payload() = r.payload();
      if (r.has_vectors()) *sp.mutable_vectors() = r.vectors();
      out->push_back(std::move(sp));
    }
    return Status::Ok();
  }
  const std::string using_name = q.has_using_() ? q.using_() : "";
  if (!q.has_query()) {
    qdrant::ScrollPoints scroll;
    scroll.set_collection_name(q.collection_name());
    if (q.has_filter()) *scroll.mutable_filter() = q.filter();
    scroll.set_limit(static_cast<uint32_t>(limit + (q.has_offset() ? q.offset() : 0)));
    if (q.has_with_payload())
      *scroll.mutable_with_payload() = q.with_payload();
    else
      scroll.mutable_with_payload()->set_enable(false);
    if (q.has_with_vectors()) *scroll.mutable_with_vectors() = q.with_vectors();
    qdrant::ScrollResponse page;
    STRATA_RETURN_IF_ERROR(c->shard().Scroll(scroll, &page));
    size_t skip = q.has_offset() ? q.offset() : 0;
    for (auto& p : *page.mutable_result()) {
      if (skip > 0) {
        --skip;
        continue;
      }
      qdrant::ScoredPoint sp;
      *sp.mutable_id() = p.id();
      *sp.mutable_payload() = p.payload();
      if (p.has_vectors()) *sp.mutable_vectors() = p.vectors();
      out->push_back(std::move(sp));
    }
    return Status::Ok();
  }
  const qdrant::Query& query = q.query();
  if (!query.has_nearest() && !query.has_recommend() && !query.has_discover() &&
      !query.has_context()) {
    return Unimplemented(
        "query: only nearest, recommend, discover and context queries are supported yet");
  }
  SearchSpec s;
  s.vector_name = using_name;
  const qdrant::VectorInput& in = query.nearest();
  if (FindSparseSpec(c->shard().sparse_specs(), using_name) != nullptr) {
    STRATA_RETURN_IF_ERROR(SparseQuery(*c, query, using_name, &s));
    return SearchWith(*c, q, limit, &s, out);
  }
  STRATA_ASSIGN_OR_RETURN(const VectorSpec* spec,
                          WithSparseNames(FindSpec(c->shard().specs(), using_name, "using"), *c));
  if (query.has_recommend()) {
    STRATA_RETURN_IF_ERROR(RecommendQuery(*c, *spec, query.recommend(), &s));
  } else if (query.has_discover()) {
    STRATA_RETURN_IF_ERROR(DiscoverQuery(*c, *spec, query.discover(), &s));
  } else if (query.has_context()) {
    STRATA_RETURN_IF_ERROR(ContextQuery(*c, *spec, query.context(), &s));
  } else if (in.has_dense()) {
    STRATA_ASSIGN_OR_RETURN(
        s.query,
        QueryVector({in.dense().data().begin(), in.dense().data().end()}, *spec, "query.nearest"));
  } else if (in.has_id()) {
    STRATA_ASSIGN_OR_RETURN(ExternalId id, ExternalId::FromProto(in.id(), "query.nearest.id"));
    STRATA_ASSIGN_OR_RETURN(s.query, c->shard().VectorOf(id, using_name));
    s.exclude.push_back(id);
  } else if (in.has_sparse()) {
    return InvalidArgument(
        "query.nearest: `using` " +
        (using_name.empty() ? std::string("(default)") : "'" + using_name + "'") +
        " is a dense vector; a sparse query needs a sparse vector name");
  } else {
    return InvalidArgument("query.nearest: only dense vectors and point ids are supported yet");
  }
  return SearchWith(*c, q, limit, &s, out);
}

// Runs a query and appends its hits to a response's repeated ScoredPoint field.
Status RunQueryInto(Toc& toc, const qdrant::QueryPoints& q,
                    google::protobuf::RepeatedPtrField<qdrant::ScoredPoint>* out) {
  std::vector<qdrant::ScoredPoint> hits;
  STRATA_RETURN_IF_ERROR(RunQuery(toc, q, &hits));
  for (auto& h : hits) *out->Add() = std::move(h);
  return Status::Ok();
}

// A legacy Vector (deprecated `data` or `dense`) as a query input.
void DenseInput(const qdrant::Vector& v, qdrant::VectorInput* out) {
  const auto& data = v.has_dense() ? v.dense().data() : v.data();
  *out->mutable_dense()->mutable_data() = data;
}

// The examples of the legacy recommend messages as the universal query's recommend input.
template <class Req>
void RecommendInputOf(const Req& r, qdrant::RecommendInput* rec) {
  for (const auto& id : r.positive()) *rec->add_positive()->mutable_id() = id;
  for (const auto& id : r.negative()) *rec->add_negative()->mutable_id() = id;
  for (const auto& v : r.positive_vectors()) DenseInput(v, rec->add_positive());
  for (const auto& v : r.negative_vectors()) DenseInput(v, rec->add_negative());
  if (r.has_strategy()) rec->set_strategy(r.strategy());
}

// The legacy recommend rpc is the universal query with a recommend input.
Result<qdrant::QueryPoints> QueryOfRecommend(const qdrant::RecommendPoints& r) {
  qdrant::QueryPoints q;
  q.set_collection_name(r.collection_name());
  RecommendInputOf(r, q.mutable_query()->mutable_recommend());
  if (r.has_filter()) *q.mutable_filter() = r.filter();
  if (r.limit() == 0) return InvalidArgument("limit: must be at least 1");
  q.set_limit(r.limit());
  if (r.has_offset()) q.set_offset(r.offset());
  if (r.has_score_threshold()) q.set_score_threshold(r.score_threshold());
  if (r.has_using_()) q.set_using_(r.using_());
  if (r.has_params()) *q.mutable_params() = r.params();
  if (r.has_with_payload()) *q.mutable_with_payload() = r.with_payload();
  if (r.has_with_vectors()) *q.mutable_with_vectors() = r.with_vectors();
  if (r.has_lookup_from()) return Unimplemented("lookup_from is not supported yet");
  return q;
}

// A legacy example (id or vector) as a query input.
Status ExampleInput(const qdrant::VectorExample& e, const std::string& field,
                    qdrant::VectorInput* out) {
  if (e.has_id()) {
    *out->mutable_id() = e.id();
  } else if (e.has_vector()) {
    DenseInput(e.vector(), out);
  } else {
    return InvalidArgument(field + ": an example is a point id or a vector");
  }
  return Status::Ok();
}

// The legacy discover rpc: the universal query with a discover input (or context only).
Result<qdrant::QueryPoints> QueryOfDiscover(const qdrant::DiscoverPoints& r) {
  qdrant::QueryPoints q;
  q.set_collection_name(r.collection_name());
  qdrant::ContextInput context;
  for (int i = 0; i < r.context_size(); ++i) {
    const std::string at = "context[" + std::to_string(i) + "]";
    qdrant::ContextInputPair* pair = context.add_pairs();
    STRATA_RETURN_IF_ERROR(
        ExampleInput(r.context(i).positive(), at + ".positive", pair->mutable_positive()));
    STRATA_RETURN_IF_ERROR(
        ExampleInput(r.context(i).negative(), at + ".negative", pair->mutable_negative()));
  }
  if (r.has_target() && r.target().has_single()) {
    qdrant::DiscoverInput* d = q.mutable_query()->mutable_discover();
    STRATA_RETURN_IF_ERROR(ExampleInput(r.target().single(), "target", d->mutable_target()));
    *d->mutable_context() = std::move(context);
  } else {
    *q.mutable_query()->mutable_context() = std::move(context);
  }
  if (r.has_filter()) *q.mutable_filter() = r.filter();
  if (r.limit() == 0) return InvalidArgument("limit: must be at least 1");
  q.set_limit(r.limit());
  if (r.has_offset()) q.set_offset(r.offset());
  if (r.has_using_()) q.set_using_(r.using_());
  if (r.has_params()) *q.mutable_params() = r.params();
  if (r.has_with_payload()) *q.mutable_with_payload() = r.with_payload();
  if (r.has_with_vectors()) *q.mutable_with_vectors() = r.with_vectors();
  if (r.has_lookup_from()) return Unimplemented("lookup_from is not supported yet");
  return q;
}

// with_lookup: each group's id names a point of another collection (an unsigned integer, or a
// UUID string), attached to the group as `lookup` when it exists. Payload by default, no vector.
Status LookupGroups(const Collection& c, const qdrant::WithLookup& w, qdrant::GroupsResult* out) {
  std::vector<std::pair<std::string, qdrant::PointGroup*>> wanted;
  qdrant::GetPoints get;
  get.set_collection_name(c.name());
  for (qdrant::PointGroup& pg : *out->mutable_groups()) {
    qdrant::PointId id;
    if (pg.id().has_unsigned_value()) {
      id.set_num(pg.id().unsigned_value());
    } else if (pg.id().has_string_value()) {
      Result<ExternalId> uuid = ExternalId::ParseUuid(pg.id().string_value());
      if (!uuid.ok()) continue;  // not a point id: no lookup
      uuid->ToProto(&id);
    } else {
      continue;
    }
    *get.add_ids() = id;
    wanted.push_back({id.SerializeAsString(), &pg});
  }
  if (wanted.empty()) return Status::Ok();
  if (w.has_with_payload()) {
    *get.mutable_with_payload() = w.with_payload();
  } else {
    get.mutable_with_payload()->set_enable(true);
  }
  if (w.has_with_vectors()) *get.mutable_with_vectors() = w.with_vectors();
  qdrant::GetResponse got;
  STRATA_RETURN_IF_ERROR(c.shard().Get(get, &got));
  std::map<std::string, const qdrant::RetrievedPoint*> by_id;
  for (const auto& r : got.result()) by_id[r.id().SerializeAsString()] = &r;
  for (auto& [key, pg] : wanted) {
    auto it = by_id.find(key);
    if (it != by_id.end()) *pg->mutable_lookup() = *it->second;
  }
  return Status::Ok();
}

// Query results grouped by a payload key: up to `limit` groups (ordered by their best hit) of up
// to `group_size` hits. Searches deeper until the groups are full or the points run out.
// A legacy batch rpc (RecommendBatch, DiscoverBatch): each item, its collection defaulting to
// the batch's, runs as the universal query it maps to; one result list per item.
template <class Item, class Resp>
Status RunLegacyBatch(Toc& toc, const google::protobuf::RepeatedPtrField<Item>& items,
                      const std::string& collection,
                      Result<qdrant::QueryPoints> (*to_query)(const Item&), const char* field,
                      Resp* resp) {
  for (int i = 0; i < items.size(); ++i) {
    Item one = items.Get(i);
    if (one.collection_name().empty()) one.set_collection_name(collection);
    STRATA_ASSIGN_OR_RETURN(qdrant::QueryPoints q, to_query(one));
    STRATA_RETURN_IF_ERROR(RunQueryInto(toc, q, resp->add_result()->mutable_result())
                               .WithContext(std::string(field) + "[" + std::to_string(i) + "]"));
  }
  return Status::Ok();
}

Status RunQueryGroups(Toc& toc, const qdrant::QueryPointGroups& g, qdrant::GroupsResult* out) {
  if (g.group_by().empty()) return InvalidArgument("group_by: must name a payload key");
  if (g.has_lookup_from()) return Unimplemented("lookup_from is not supported yet");
  std::shared_ptr<Collection> lookup;
  if (g.has_with_lookup()) {
    STRATA_ASSIGN_OR_RETURN(lookup, toc.Find(g.with_lookup().collection()));
  }
  const uint64_t limit = g.has_limit() ? g.limit() : 10;
  const uint64_t group_size = g.has_group_size() ? g.group_size() : 3;
  if (limit == 0 || group_size == 0) return InvalidArgument("limit and group_size must be >= 1");
  qdrant::QueryPoints q;
  q.set_collection_name(g.collection_name());
  *q.mutable_prefetch() = g.prefetch();  // groups over a prefetched / fused query too
  if (g.has_query()) *q.mutable_query() = g.query();
  if (g.has_using_()) q.set_using_(g.using_());
  if (g.has_filter()) *q.mutable_filter() = g.filter();
  if (g.has_params()) *q.mutable_params() = g.params();
  if (g.has_score_threshold()) q.set_score_threshold(g.score_threshold());
  if (g.has_with_vectors()) *q.mutable_with_vectors() = g.with_vectors();
  q.mutable_with_payload()->set_enable(
      true);  // needed to group; the caller's selector is applied below
  struct Group {
    qdrant::GroupId id;
    std::vector<qdrant::ScoredPoint> hits;
  };
  for (uint64_t k = std::max<uint64_t>(64, limit * group_size * 4);; k *= 4) {
    q.set_limit(k);
    std::vector<qdrant::ScoredPoint> hits;
    STRATA_RETURN_IF_ERROR(RunQuery(toc, q, &hits));
    std::vector<Group> groups;
    std::map<std::string, size_t> index;
    for (const qdrant::ScoredPoint& h : hits) {
      std::vector<const qdrant::Value*> values;
      ValuesAt(h.payload(), g.group_by(), &values);
      for (const qdrant::Value* v : values) {
        qdrant::GroupId id;
        std::string key;
        if (v->has_string_value()) {
          id.set_string_value(v->string_value());
          key = "s" + v->string_value();
        } else if (v->has_integer_value()) {
          if (v->integer_value() >= 0) {
            id.set_unsigned_value(static_cast<uint64_t>(v->integer_value()));
          } else {
            id.set_integer_value(v->integer_value());
          }
          key = "i" + std::to_string(v->integer_value());
        } else {
          continue;  // only strings and integers group
        }
        auto it = index.find(key);
        if (it == index.end()) {
          if (groups.size() >= limit) continue;
          it = index.emplace(key, groups.size()).first;
          groups.push_back({id, {}});
        }
        Group& grp = groups[it->second];
        if (grp.hits.size() < group_size) grp.hits.push_back(h);
      }
    }
    bool full = groups.size() == limit;
    for (const Group& grp : groups) full &= grp.hits.size() == group_size;
    if (full || hits.size() < k || k >= (uint64_t{1} << 22)) {
      for (Group& grp : groups) {
        qdrant::PointGroup* pg = out->add_groups();
        *pg->mutable_id() = grp.id;
        for (qdrant::ScoredPoint& h : grp.hits) {
          PayloadMap selected;
          SelectPayload(h.payload(), &g.with_payload(), false, &selected);
          *h.mutable_payload() = std::move(selected);
          *pg->add_hits() = std::move(h);
        }
      }
      if (lookup != nullptr) STRATA_RETURN_IF_ERROR(LookupGroups(*lookup, g.with_lookup(), out));
      return Status::Ok();
    }
  }
}

Status RunSearch(Toc& toc, const qdrant::SearchPoints& r, std::vector<qdrant::ScoredPoint>* out) {
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
  if (r.limit() == 0) return InvalidArgument("limit: must be at least 1");
  const std::string name = r.has_vector_name() ? r.vector_name() : "";
  SearchSpec s;
  s.vector_name = name;
  if (r.has_sparse_indices()) {
    // A sparse vector: `vector` holds the values, sparse_indices their indices.
    STRATA_ASSIGN_OR_RETURN(s.sparse_query,
                            SparseFromProto(r.sparse_indices().data(), r.vector(), "vector"));
  } else {
    STRATA_ASSIGN_OR_RETURN(const VectorSpec* spec,
                            WithSparseNames(FindSpec(c->shard().specs(), name, "vector_name"), *c));
    STRATA_ASSIGN_OR_RETURN(s.query,
                            QueryVector({r.vector().begin(), r.vector().end()}, *spec, "vector"));
  }
  s.limit = r.limit();
  s.offset = r.has_offset() ? r.offset() : 0;
  s.filter = r.has_filter() ? &r.filter() : nullptr;
  if (r.has_score_threshold()) s.score_threshold = r.score_threshold();
  s.with_payload = r.has_with_payload() ? &r.with_payload() : nullptr;
  s.with_vectors = r.has_with_vectors() ? &r.with_vectors() : nullptr;
  if (r.has_params()) STRATA_RETURN_IF_ERROR(ApplySearchParams(r.params(), &s));
  STRATA_ASSIGN_OR_RETURN(*out, c->shard().Search(s));
  return Status::Ok();
}

Result<SnapshotStore*> Snapshots(const Toc& toc) {
  if (toc.snapshots() == nullptr) {
    return Unavailable("snapshots are not available: no snapshots directory is open");
  }
  return toc.snapshots();
}

void DispatchSnapshots(Toc& toc, Exchange& ex) {
  switch (ex.method()) {
    case STRATA_METHOD_Snapshots_Create:
      return Handle<qdrant::CreateSnapshotRequest, qdrant::CreateSnapshotResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            STRATA_ASSIGN_OR_RETURN(*resp->mutable_snapshot_description(), store->Create(*c));
            return Status::Ok();
          });
    case STRATA_METHOD_Snapshots_List:
      return Handle<qdrant::ListSnapshotsRequest, qdrant::ListSnapshotsResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            STRATA_ASSIGN_OR_RETURN(auto list, store->List(c->name()));
            for (auto& d : list) *resp->add_snapshot_descriptions() = std::move(d);
            return Status::Ok();
          });
    case STRATA_METHOD_Snapshots_Delete:
      return Handle<qdrant::DeleteSnapshotRequest, qdrant::DeleteSnapshotResponse>(
          ex, [&](const auto& r, auto*) {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            return store->Delete(c->name(), r.snapshot_name());
          });
    case STRATA_METHOD_Snapshots_CreateFull:
      return Handle<qdrant::CreateFullSnapshotRequest, qdrant::CreateSnapshotResponse>(
          ex, [&](const auto&, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            std::vector<std::shared_ptr<Collection>> all;
            for (const std::string& name : toc.List()) {
              Result<std::shared_ptr<Collection>> c = toc.Find(name);
              if (c.ok()) all.push_back(std::move(c).value());  // deleted meanwhile: left out
            }
            STRATA_ASSIGN_OR_RETURN(*resp->mutable_snapshot_description(),
                                    store->CreateFull(all, toc.EncodeAliases()));
            return Status::Ok();
          });
    case STRATA_METHOD_Snapshots_ListFull:
      return Handle<qdrant::ListFullSnapshotsRequest, qdrant::ListSnapshotsResponse>(
          ex, [&](const auto&, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            STRATA_ASSIGN_OR_RETURN(auto list, store->List(""));
            for (auto& d : list) *resp->add_snapshot_descriptions() = std::move(d);
            return Status::Ok();
          });
    case STRATA_METHOD_Snapshots_DeleteFull:
      return Handle<qdrant::DeleteFullSnapshotRequest, qdrant::DeleteSnapshotResponse>(
          ex, [&](const auto& r, auto*) {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            return store->Delete("", r.snapshot_name());
          });
    case STRATA_METHOD_Strata_SnapshotRead:
      return Handle<strata::SnapshotReadRequest, strata::SnapshotReadResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            // An empty collection name reads a full snapshot.
            std::string dir;
            if (!r.collection_name().empty()) {
              STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
              dir = c->name();
            }
            if (r.max_bytes() > (16u << 20)) {
              return InvalidArgument("max_bytes: at most 16 MiB per read");
            }
            uint64_t total = 0;
            STRATA_ASSIGN_OR_RETURN(
                *resp->mutable_data(),
                store->Read(dir, r.snapshot_name(), r.offset(),
                            r.max_bytes() == 0 ? 1u << 20 : r.max_bytes(), &total));
            resp->set_total_size(total);
            return Status::Ok();
          });
    case STRATA_METHOD_Strata_Optimizations:
      return Handle<strata::OptimizationsRequest, strata::OptimizationsResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            FillOptimizations(c->shard(), r, resp);
            return Status::Ok();
          });
    case STRATA_METHOD_Strata_SnapshotUpload:
      return Handle<strata::SnapshotUploadRequest, strata::SnapshotUploadResponse>(
          ex, [&](const auto& r, auto*) {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            STRATA_RETURN_IF_ERROR(ValidateCollectionName(r.collection_name(), "collection_name"));
            return store->WriteUpload(r.collection_name(), r.upload_id(), r.offset(), r.data());
          });
    case STRATA_METHOD_Strata_SnapshotUploadAbort:
      return Handle<strata::SnapshotUploadRequest, strata::SnapshotUploadResponse>(
          ex, [&](const auto& r, auto*) {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            STRATA_RETURN_IF_ERROR(ValidateCollectionName(r.collection_name(), "collection_name"));
            return store->RemoveUpload(r.collection_name(), r.upload_id());
          });
    case STRATA_METHOD_Strata_SnapshotRecover:
      return Handle<strata::SnapshotRecoverRequest, strata::SnapshotRecoverResponse>(
          ex, [&](const auto& r, auto*) -> Status {
            STRATA_ASSIGN_OR_RETURN(SnapshotStore * store, Snapshots(toc));
            STRATA_RETURN_IF_ERROR(ValidateCollectionName(r.collection_name(), "collection_name"));
            const std::string& p = r.priority();
            if (!p.empty() && p != "no_sync" && p != "snapshot" && p != "replica") {
              return InvalidArgument("priority: must be no_sync, snapshot or replica, got '" + p +
                                     "'");
            }
            std::string what;
            if (r.has_upload_id()) {
              Result<std::unique_ptr<File>> f =
                  store->OpenUpload(r.collection_name(), r.upload_id(), &what);
              if (!f.ok()) return f.status();
              Status s = toc.RecoverSnapshot(r.collection_name(), **f, what, r.checksum());
              f->reset();
              (void)store->RemoveUpload(r.collection_name(), r.upload_id());
              return s;
            }
            if (!r.has_location()) return InvalidArgument("location: required");
            STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f,
                                    store->OpenLocation(r.location(), &what));
            return toc.RecoverSnapshot(r.collection_name(), *f, what, r.checksum());
          });
    default:
      ex.Fail(Unimplemented("unknown snapshot method " + MethodName(ex.method())));
  }
}

void Dispatch(Toc& toc, Exchange& ex) {
  if (ex.method() >= STRATA_METHOD_Snapshots_Create) return DispatchSnapshots(toc, ex);
  switch (ex.method()) {
    // ---- Collections ----
    case STRATA_METHOD_Collections_Create:
      return Handle<qdrant::CreateCollection, qdrant::CollectionOperationResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_RETURN_IF_ERROR(toc.Create(r));
            resp->set_result(true);
            return Status::Ok();
          });
    case STRATA_METHOD_Collections_Get:
      return Handle<qdrant::GetCollectionInfoRequest, qdrant::GetCollectionInfoResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            c->Info(resp->mutable_result());
            return Status::Ok();
          });
    case STRATA_METHOD_Collections_List:
      return Handle<qdrant::ListCollectionsRequest, qdrant::ListCollectionsResponse>(
          ex, [&](const auto&, auto* resp) {
            for (const std::string& n : toc.List()) resp->add_collections()->set_name(n);
            return Status::Ok();
          });
    case STRATA_METHOD_Collections_Delete:
      return Handle<qdrant::DeleteCollection, qdrant::CollectionOperationResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(bool deleted, toc.Delete(r.collection_name()));
            resp->set_result(deleted);
            return Status::Ok();
          });
    case STRATA_METHOD_Collections_Update:
      return Handle<qdrant::UpdateCollection, qdrant::CollectionOperationResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            STRATA_RETURN_IF_ERROR(c->Update(r));
            resp->set_result(true);
            return Status::Ok();
          });
    case STRATA_METHOD_Collections_CollectionExists:
      return Handle<qdrant::CollectionExistsRequest, qdrant::CollectionExistsResponse>(
          ex, [&](const auto& r, auto* resp) {
            resp->mutable_result()->set_exists(toc.Exists(r.collection_name()));
            return Status::Ok();
          });
    case STRATA_METHOD_Collections_UpdateAliases:
      return Handle<qdrant::ChangeAliases, qdrant::CollectionOperationResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_RETURN_IF_ERROR(toc.UpdateAliases(r));
            resp->set_result(true);
            return Status::Ok();
          });
    case STRATA_METHOD_Collections_ListAliases:
      return Handle<qdrant::ListAliasesRequest, qdrant::ListAliasesResponse>(
          ex, [&](const auto&, auto* resp) {
            for (const auto& [alias, coll] : toc.Aliases()) {
              auto* a = resp->add_aliases();
              a->set_alias_name(alias);
              a->set_collection_name(coll);
            }
            return Status::Ok();
          });
    case STRATA_METHOD_Collections_ListCollectionAliases:
      return Handle<qdrant::ListCollectionAliasesRequest, qdrant::ListAliasesResponse>(
          ex, [&](const auto& r, auto* resp) {
            if (!toc.Exists(r.collection_name())) {
              return NotFound("Collection `" + r.collection_name() + "` doesn't exist!");
            }
            for (const auto& [alias, coll] : toc.Aliases()) {
              if (coll != r.collection_name()) continue;
              auto* a = resp->add_aliases();
              a->set_alias_name(alias);
              a->set_collection_name(coll);
            }
            return Status::Ok();
          });
    // ---- Points: writes ----
    case STRATA_METHOD_Points_Upsert:
      return HandleUpsert(toc, ex);
    case STRATA_METHOD_Points_Delete:
      return HandlePoints<qdrant::DeletePoints, qdrant::PointsOperationResponse>(
          toc, ex, true, [&](const auto& r, auto* resp) {
            return CollectionPointsWrite(toc, ex, r.collection_name(), r.wait(), resp);
          });
    case STRATA_METHOD_Points_SetPayload:
    case STRATA_METHOD_Points_OverwritePayload:
      return HandlePoints<qdrant::SetPayloadPoints, qdrant::PointsOperationResponse>(
          toc, ex, true, [&](const auto& r, auto* resp) {
            return CollectionPointsWrite(toc, ex, r.collection_name(), r.wait(), resp);
          });
    case STRATA_METHOD_Points_DeletePayload:
      return HandlePoints<qdrant::DeletePayloadPoints, qdrant::PointsOperationResponse>(
          toc, ex, true, [&](const auto& r, auto* resp) {
            return CollectionPointsWrite(toc, ex, r.collection_name(), r.wait(), resp);
          });
    case STRATA_METHOD_Points_ClearPayload:
      return HandlePoints<qdrant::ClearPayloadPoints, qdrant::PointsOperationResponse>(
          toc, ex, true, [&](const auto& r, auto* resp) {
            return CollectionPointsWrite(toc, ex, r.collection_name(), r.wait(), resp);
          });
    case STRATA_METHOD_Points_UpdateVectors:
      return HandlePoints<qdrant::UpdatePointVectors, qdrant::PointsOperationResponse>(
          toc, ex, true, [&](const auto& r, auto* resp) {
            return CollectionPointsWrite(toc, ex, r.collection_name(), r.wait(), resp);
          });
    case STRATA_METHOD_Points_DeleteVectors:
      return HandlePoints<qdrant::DeletePointVectors, qdrant::PointsOperationResponse>(
          toc, ex, true, [&](const auto& r, auto* resp) {
            return CollectionPointsWrite(toc, ex, r.collection_name(), r.wait(), resp);
          });
    case STRATA_METHOD_Points_UpdateBatch:
      return HandlePoints<qdrant::UpdateBatchPoints, qdrant::UpdateBatchResponse>(
          toc, ex, true, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            STRATA_ASSIGN_OR_RETURN(uint64_t seq, c->shard().Write(ex.method(), ex.bytes()));
            for (int i = 0; i < r.operations_size(); ++i) {
              auto* result = resp->add_result();
              result->set_operation_id(seq);
              result->set_status(r.wait() ? qdrant::Completed : qdrant::Acknowledged);
            }
            return Status::Ok();
          });
    case STRATA_METHOD_Points_CreateFieldIndex:
      return Handle<qdrant::CreateFieldIndexCollection, qdrant::PointsOperationResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            qdrant::StrictModeConfig strict;
            std::set<std::string> indexed;
            if (c->StrictMode(&strict, &indexed) && strict.has_max_payload_index_count() &&
                indexed.count(r.field_name()) == 0 &&
                indexed.size() >= strict.max_payload_index_count()) {
              return InvalidArgument("field_name: the collection has " +
                                     std::to_string(indexed.size()) +
                                     " payload indexes, its limit (strict mode "
                                     "max_payload_index_count) is " +
                                     std::to_string(strict.max_payload_index_count()));
            }
            STRATA_RETURN_IF_ERROR(c->CreateFieldIndex(r));
            resp->mutable_result()->set_status(qdrant::Completed);
            return Status::Ok();
          });
    case STRATA_METHOD_Points_DeleteFieldIndex:
      return Handle<qdrant::DeleteFieldIndexCollection, qdrant::PointsOperationResponse>(
          ex, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            STRATA_RETURN_IF_ERROR(c->DeleteFieldIndex(r.field_name()));
            resp->mutable_result()->set_status(qdrant::Completed);
            return Status::Ok();
          });
    // ---- Points: reads ----
    case STRATA_METHOD_Points_Get:
      return Handle<qdrant::GetPoints, qdrant::GetResponse>(ex, [&](const auto& r, auto* resp) {
        STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
        return c->shard().Get(r, resp);
      });
    case STRATA_METHOD_Points_Scroll:
      return HandlePoints<qdrant::ScrollPoints, qdrant::ScrollResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            return c->shard().Scroll(r, resp);
          });
    case STRATA_METHOD_Points_Count:
      return HandlePoints<qdrant::CountPoints, qdrant::CountResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            // exact defaults to true, as in Qdrant.
            STRATA_ASSIGN_OR_RETURN(uint64_t n,
                                    c->shard().Count(r.has_filter() ? &r.filter() : nullptr,
                                                     !r.has_exact() || r.exact()));
            resp->mutable_result()->set_count(n);
            return Status::Ok();
          });
    case STRATA_METHOD_Points_Facet:
      return HandlePoints<qdrant::FacetCounts, qdrant::FacetResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, toc.Find(r.collection_name()));
            return c->shard().Facet(r, resp);
          });
    case STRATA_METHOD_Points_Search:
      return HandlePoints<qdrant::SearchPoints, qdrant::SearchResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            std::vector<qdrant::ScoredPoint> hits;
            STRATA_RETURN_IF_ERROR(RunSearch(toc, r, &hits));
            for (auto& h : hits) *resp->add_result() = std::move(h);
            return Status::Ok();
          });
    case STRATA_METHOD_Points_SearchBatch:
      return HandlePoints<qdrant::SearchBatchPoints, qdrant::SearchBatchResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            for (int i = 0; i < r.search_points_size(); ++i) {
              qdrant::SearchPoints one = r.search_points(i);
              if (one.collection_name().empty()) one.set_collection_name(r.collection_name());
              std::vector<qdrant::ScoredPoint> hits;
              STRATA_RETURN_IF_ERROR(RunSearch(toc, one, &hits)
                                         .WithContext("search_points[" + std::to_string(i) + "]"));
              auto* batch = resp->add_result();
              for (auto& h : hits) *batch->add_result() = std::move(h);
            }
            return Status::Ok();
          });
    case STRATA_METHOD_Points_Query:
      return HandlePoints<qdrant::QueryPoints, qdrant::QueryResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            std::vector<qdrant::ScoredPoint> hits;
            STRATA_RETURN_IF_ERROR(RunQuery(toc, r, &hits));
            for (auto& h : hits) *resp->add_result() = std::move(h);
            return Status::Ok();
          });
    case STRATA_METHOD_Points_Recommend:
      return HandlePoints<qdrant::RecommendPoints, qdrant::RecommendResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(qdrant::QueryPoints q, QueryOfRecommend(r));
            return RunQueryInto(toc, q, resp->mutable_result());
          });
    case STRATA_METHOD_Points_RecommendBatch:
      return HandlePoints<qdrant::RecommendBatchPoints, qdrant::RecommendBatchResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            return RunLegacyBatch(toc, r.recommend_points(), r.collection_name(), QueryOfRecommend,
                                  "recommend_points", resp);
          });
    case STRATA_METHOD_Points_RecommendGroups:
      return HandlePoints<qdrant::RecommendPointGroups, qdrant::RecommendGroupsResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) -> Status {
            qdrant::QueryPointGroups g;
            g.set_collection_name(r.collection_name());
            RecommendInputOf(r, g.mutable_query()->mutable_recommend());
            if (r.has_filter()) *g.mutable_filter() = r.filter();
            if (r.has_params()) *g.mutable_params() = r.params();
            if (r.has_score_threshold()) g.set_score_threshold(r.score_threshold());
            if (r.has_using_()) g.set_using_(r.using_());
            if (r.has_with_payload()) *g.mutable_with_payload() = r.with_payload();
            if (r.has_with_vectors()) *g.mutable_with_vectors() = r.with_vectors();
            if (r.has_lookup_from()) *g.mutable_lookup_from() = r.lookup_from();
            if (r.has_with_lookup()) *g.mutable_with_lookup() = r.with_lookup();
            g.set_group_by(r.group_by());
            if (r.limit() > 0) g.set_limit(r.limit());
            if (r.group_size() > 0) g.set_group_size(r.group_size());
            return RunQueryGroups(toc, g, resp->mutable_result());
          });
    case STRATA_METHOD_Points_Discover:
      return HandlePoints<qdrant::DiscoverPoints, qdrant::DiscoverResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            STRATA_ASSIGN_OR_RETURN(qdrant::QueryPoints q, QueryOfDiscover(r));
            return RunQueryInto(toc, q, resp->mutable_result());
          });
    case STRATA_METHOD_Points_DiscoverBatch:
      return HandlePoints<qdrant::DiscoverBatchPoints, qdrant::DiscoverBatchResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            return RunLegacyBatch(toc, r.discover_points(), r.collection_name(), QueryOfDiscover,
                                  "discover_points", resp);
          });
    case STRATA_METHOD_Points_QueryGroups:
      return HandlePoints<qdrant::QueryPointGroups, qdrant::QueryGroupsResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            return RunQueryGroups(toc, r, resp->mutable_result());
          });
    case STRATA_METHOD_Points_SearchGroups:
      return HandlePoints<qdrant::SearchPointGroups, qdrant::SearchGroupsResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            qdrant::QueryPointGroups g;
            g.set_collection_name(r.collection_name());
            *g.mutable_query()->mutable_nearest()->mutable_dense()->mutable_data() = r.vector();
            if (r.has_vector_name()) g.set_using_(r.vector_name());
            if (r.has_filter()) *g.mutable_filter() = r.filter();
            if (r.has_params()) *g.mutable_params() = r.params();
            if (r.has_score_threshold()) g.set_score_threshold(r.score_threshold());
            *g.mutable_with_payload() = r.with_payload();
            if (r.has_with_vectors()) *g.mutable_with_vectors() = r.with_vectors();
            if (r.has_with_lookup()) *g.mutable_with_lookup() = r.with_lookup();
            g.set_limit(r.limit());
            g.set_group_size(r.group_size());
            g.set_group_by(r.group_by());
            return RunQueryGroups(toc, g, resp->mutable_result());
          });
    case STRATA_METHOD_Points_QueryBatch:
      return HandlePoints<qdrant::QueryBatchPoints, qdrant::QueryBatchResponse>(
          toc, ex, false, [&](const auto& r, auto* resp) {
            for (int i = 0; i < r.query_points_size(); ++i) {
              qdrant::QueryPoints one = r.query_points(i);
              if (one.collection_name().empty()) one.set_collection_name(r.collection_name());
              std::vector<qdrant::ScoredPoint> hits;
              STRATA_RETURN_IF_ERROR(
                  RunQuery(toc, one, &hits).WithContext("query_points[" + std::to_string(i) + "]"));
              auto* batch = resp->add_result();
              for (auto& h : hits) *batch->add_result() = std::move(h);
            }
            return Status::Ok();
          });
    default: {
      std::string name = MethodName(ex.method());
      ex.Fail(Unimplemented("qdrant." + name + " is not implemented yet by this Strata server"));
    }
  }
}

}  // namespace

void KernelService::Call(const strata_call& call, strata_call_done done, void* user) const {
  Exchange ex(call, done, user);
  const std::string name = MethodName(call.method);
  if (name.empty()) {
    ex.Fail(Unimplemented("unknown method id " + std::to_string(call.method)));
    return;
  }
  if (call.deadline_unix_ms != 0 && sdk::UnixMillisNow() >= call.deadline_unix_ms) {
    ex.Fail(Status(StatusCode::kDeadlineExceeded, "qdrant." + name + ": deadline passed"));
    return;
  }
  if (call.access == STRATA_ACCESS_READ_ONLY && IsWrite(call.method)) {
    ex.Fail(Status(StatusCode::kPermissionDenied,
                   "qdrant." + name + " needs a read-write API key; this one is read-only"));
    return;
  }
  if (call.method == STRATA_METHOD_Qdrant_HealthCheck) {
    qdrant::HealthCheckRequest request;
    if (!ex.Parse(&request)) return;
    qdrant::HealthCheckReply reply;
    reply.set_title(info_.title);
    reply.set_version(info_.api_version);
    reply.set_commit(info_.commit);
    ex.Send(reply);
    return;
  }
  if (toc_ == nullptr) {
    ex.Fail(Unavailable("qdrant." + name + ": the storage is not open"));
    return;
  }
  Dispatch(*toc_, ex);
}

}  // namespace strata::kernel
