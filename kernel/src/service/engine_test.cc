// The single-node engine through its one entry, KernelService::Call, with proto bytes exactly as
// a frontend sends them: collections, writes, reads, filters, restart recovery, bad input.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "collection/snapshots.h"
#include "collection/toc.h"
#include "collections.pb.h"
#include "index/flat_index.h"
#include "points.pb.h"
#include "service/kernel_service.h"
#include "storage/posix_fs.h"
#include "strata/abi/strata_methods.h"
#include "strata_internal.pb.h"

namespace strata::kernel {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-engine-XXXXXX";
    root_ = mkdtemp(tmpl);
    fs_ = *OwnedFs::Open(PosixStorageVtable(), root_);
    Reopen();
  }
  void TearDown() override {
    service_.reset();
    toc_.reset();
    std::filesystem::remove_all(root_);
  }
  void Reopen() {
    service_.reset();
    toc_.reset();
    Result<std::unique_ptr<Toc>> t = Toc::Open(fs_->view(), options_);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    toc_ = std::move(t).value();
    snapshots_dir_ = root_ + "/snapshots";
    std::filesystem::create_directories(snapshots_dir_);
    snap_fs_ = *OwnedFs::Open(PosixStorageVtable(), snapshots_dir_);
    Result<std::unique_ptr<SnapshotStore>> store =
        SnapshotStore::Open(snap_fs_->view(), snapshots_dir_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    toc_->SetSnapshotStore(std::move(store).value());
    service_ = std::make_unique<KernelService>(ServiceInfo{"t", "1.19.0", ""}, toc_.get());
  }

  template <class Resp, class Req>
  Result<Resp> Call(uint32_t method, const Req& req, uint32_t access = STRATA_ACCESS_READ_WRITE) {
    std::string bytes = req.SerializeAsString();
    strata_call call{};
    call.struct_size = sizeof(call);
    call.method = method;
    call.request = reinterpret_cast<const uint8_t*>(bytes.data());
    call.request_len = bytes.size();
    call.access = access;
    struct Out {
      int calls = 0;
      int32_t code = 0;
      std::string message, body;
    } out;
    service_->Call(
        call,
        [](void* u, int32_t code, const char* msg, const uint8_t* p, size_t n) {
          auto* o = static_cast<Out*>(u);
          ++o->calls;
          o->code = code;
          o->message = msg ? msg : "";
          o->body.assign(reinterpret_cast<const char*>(p), n);
        },
        &out);
    EXPECT_EQ(out.calls, 1) << "done must be called exactly once";
    if (out.code != STRATA_OK) return Status(static_cast<StatusCode>(out.code), out.message);
    Resp resp;
    EXPECT_TRUE(resp.ParseFromString(out.body));
    return resp;
  }

  void CreateCollection(const std::string& name, uint64_t dim, qdrant::Distance d) {
    qdrant::CreateCollection req;
    req.set_collection_name(name);
    auto* p = req.mutable_vectors_config()->mutable_params();
    p->set_size(dim);
    p->set_distance(d);
    auto r = Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Create, req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(r->result());
  }
  qdrant::PointStruct Point(uint64_t id, std::vector<float> v, int64_t group) {
    qdrant::PointStruct p;
    p.mutable_id()->set_num(id);
    p.mutable_vectors()->mutable_vector()->mutable_dense()->mutable_data()->Add(v.begin(), v.end());
    (*p.mutable_payload())["group"].set_integer_value(group);
    (*p.mutable_payload())["name"].set_string_value("p" + std::to_string(id));
    return p;
  }
  Status Upsert(const std::string& coll, std::vector<qdrant::PointStruct> pts) {
    qdrant::UpsertPoints req;
    req.set_collection_name(coll);
    req.set_wait(true);
    for (auto& p : pts) *req.add_points() = p;
    return Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert, req).status();
  }
  uint64_t Count(const std::string& coll, const qdrant::Filter* f = nullptr) {
    qdrant::CountPoints req;
    req.set_collection_name(coll);
    if (f) *req.mutable_filter() = *f;
    auto r = Call<qdrant::CountResponse>(STRATA_METHOD_Points_Count, req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->result().count() : 0;
  }

  ShardOptions options_;  // what Reopen opens the collections with
  std::string root_;
  std::string snapshots_dir_;
  std::unique_ptr<OwnedFs> fs_;
  std::unique_ptr<OwnedFs> snap_fs_;
  std::unique_ptr<Toc> toc_;
  std::unique_ptr<KernelService> service_;
};

TEST_F(EngineTest, CollectionLifecycleWithDefaultsEchoed) {
  CreateCollection("docs", 4, qdrant::Cosine);
  qdrant::CreateCollection dup;
  dup.set_collection_name("docs");
  dup.mutable_vectors_config()->mutable_params()->set_size(4);
  dup.mutable_vectors_config()->mutable_params()->set_distance(qdrant::Dot);
  auto again = Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Create, dup);
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);

  qdrant::GetCollectionInfoRequest get;
  get.set_collection_name("docs");
  auto info = Call<qdrant::GetCollectionInfoResponse>(STRATA_METHOD_Collections_Get, get);
  ASSERT_TRUE(info.ok());
  const auto& cfg = info->result().config();
  EXPECT_EQ(cfg.params().vectors_config().params().size(), 4u);
  EXPECT_EQ(cfg.hnsw_config().m(), 16u);
  EXPECT_EQ(cfg.hnsw_config().ef_construct(), 100u);
  EXPECT_EQ(cfg.wal_config().wal_capacity_mb(), 32u);
  EXPECT_EQ(info->result().status(), qdrant::Green);
  EXPECT_EQ(info->result().points_count(), 0u);
  EXPECT_GE(info->time(), 0.0);

  qdrant::ListCollectionsRequest list;
  auto l = Call<qdrant::ListCollectionsResponse>(STRATA_METHOD_Collections_List, list);
  ASSERT_EQ(l->collections_size(), 1);
  EXPECT_EQ(l->collections(0).name(), "docs");

  qdrant::DeleteCollection del;
  del.set_collection_name("docs");
  EXPECT_TRUE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Delete, del)->result());
  EXPECT_FALSE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Delete, del)->result());
  auto gone = Call<qdrant::GetCollectionInfoResponse>(STRATA_METHOD_Collections_Get, get);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(gone.status().message(), "Collection `docs` doesn't exist!");
}

TEST_F(EngineTest, ExactSearchMatchesBruteForceForEveryMetric) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0, 1);
  for (auto [name, dist] : {std::pair{"cos", qdrant::Cosine},
                            {"dot", qdrant::Dot},
                            {"l2", qdrant::Euclid},
                            {"l1", qdrant::Manhattan}}) {
    CreateCollection(name, 8, dist);
    std::vector<std::vector<float>> data;
    std::vector<qdrant::PointStruct> pts;
    for (int i = 0; i < 300; ++i) {
      std::vector<float> v(8);
      for (float& x : v) x = g(rng);
      data.push_back(v);
      pts.push_back(Point(i, v, i % 3));
    }
    ASSERT_TRUE(Upsert(name, pts).ok());
    std::vector<float> q(8);
    for (float& x : q) x = g(rng);
    auto score = [&](const std::vector<float>& v) {
      double s = 0, na = 0, nb = 0;
      for (int d = 0; d < 8; ++d) {
        switch (dist) {
          case qdrant::Euclid:
            s += (q[d] - v[d]) * (q[d] - v[d]);
            break;
          case qdrant::Manhattan:
            s += std::fabs(q[d] - v[d]);
            break;
          default:
            s += q[d] * v[d];
            na += q[d] * q[d];
            nb += v[d] * v[d];
        }
      }
      if (dist == qdrant::Cosine) return s / std::sqrt(na * nb);
      if (dist == qdrant::Euclid) return -std::sqrt(s);
      if (dist == qdrant::Manhattan) return -s;
      return s;
    };
    std::vector<std::pair<double, int>> truth;
    for (int i = 0; i < 300; ++i) {
      if (i % 3 == 1) truth.push_back({score(data[i]), i});
    }
    std::sort(truth.rbegin(), truth.rend());
    qdrant::QueryPoints req;
    req.set_collection_name(name);
    req.mutable_query()->mutable_nearest()->mutable_dense()->mutable_data()->Add(q.begin(),
                                                                                 q.end());
    req.set_limit(5);
    auto* c = req.mutable_filter()->add_must()->mutable_field();
    c->set_key("group");
    c->mutable_match()->set_integer(1);
    req.mutable_with_payload()->set_enable(true);
    auto r = Call<qdrant::QueryResponse>(STRATA_METHOD_Points_Query, req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->result_size(), 5) << name;
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(r->result(i).id().num(), static_cast<uint64_t>(truth[i].second))
          << name << " rank " << i;
      double api =
          (dist == qdrant::Euclid || dist == qdrant::Manhattan) ? -truth[i].first : truth[i].first;
      EXPECT_NEAR(r->result(i).score(), api, 1e-3) << name;
      EXPECT_EQ(r->result(i).payload().at("group").integer_value(), 1);
    }
  }
}

TEST_F(EngineTest, GetScrollCountAndPayloadOperations) {
  CreateCollection("c", 2, qdrant::Dot);
  std::vector<qdrant::PointStruct> pts;
  for (int i = 0; i < 25; ++i) pts.push_back(Point(i, {1.f * i, 1.f}, i % 5));
  ASSERT_TRUE(Upsert("c", pts).ok());
  EXPECT_EQ(Count("c"), 25u);

  // Scroll in id order with pagination.
  qdrant::ScrollPoints scroll;
  scroll.set_collection_name("c");
  scroll.set_limit(10);
  std::vector<uint64_t> seen;
  for (int page = 0; page < 5; ++page) {
    auto r = Call<qdrant::ScrollResponse>(STRATA_METHOD_Points_Scroll, scroll);
    ASSERT_TRUE(r.ok());
    for (const auto& p : r->result()) {
      seen.push_back(p.id().num());
      EXPECT_EQ(p.payload().count("name"), 1u) << "scroll returns payload by default";
    }
    if (!r->has_next_page_offset()) break;
    *scroll.mutable_offset() = r->next_page_offset();
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  // Set payload by filter, then count by it; delete a key; clear; overwrite.
  qdrant::SetPayloadPoints set;
  set.set_collection_name("c");
  set.set_wait(true);
  (*set.mutable_payload())["flag"].set_bool_value(true);
  auto* f = set.mutable_points_selector()->mutable_filter()->add_must()->mutable_field();
  f->set_key("group");
  f->mutable_match()->set_integer(2);
  ASSERT_TRUE(Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_SetPayload, set).ok());
  qdrant::Filter flagged;
  auto* fc = flagged.add_must()->mutable_field();
  fc->set_key("flag");
  fc->mutable_match()->set_boolean(true);
  EXPECT_EQ(Count("c", &flagged), 5u);

  qdrant::GetPoints get;
  get.set_collection_name("c");
  get.add_ids()->set_num(7);
  get.add_ids()->set_num(999);  // missing: skipped
  get.mutable_with_payload()->set_enable(true);
  get.mutable_with_vectors()->set_enable(true);
  auto g = Call<qdrant::GetResponse>(STRATA_METHOD_Points_Get, get);
  ASSERT_EQ(g->result_size(), 1);
  EXPECT_TRUE(g->result(0).payload().at("flag").bool_value());
  EXPECT_EQ(g->result(0).vectors().vector().dense().data(0), 7.f);

  qdrant::DeletePayloadPoints delkey;
  delkey.set_collection_name("c");
  delkey.add_keys("flag");
  delkey.mutable_points_selector()->mutable_points()->add_ids()->set_num(7);
  ASSERT_TRUE(
      Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_DeletePayload, delkey).ok());
  EXPECT_EQ(Count("c", &flagged), 4u);

  qdrant::DeletePoints del;
  del.set_collection_name("c");
  *del.mutable_points()->mutable_filter() = flagged;
  ASSERT_TRUE(Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Delete, del).ok());
  EXPECT_EQ(Count("c"), 21u);
}

TEST_F(EngineTest, EverythingSurvivesARestartWithAndWithoutSnapshot) {
  CreateCollection("keep", 3, qdrant::Euclid);
  std::vector<qdrant::PointStruct> pts;
  for (int i = 0; i < 50; ++i) pts.push_back(Point(i, {1.f * i, 0, 0}, i % 2));
  ASSERT_TRUE(Upsert("keep", pts).ok());
  qdrant::ChangeAliases aliases;
  auto* ca = aliases.add_actions()->mutable_create_alias();
  ca->set_collection_name("keep");
  ca->set_alias_name("prod");
  ASSERT_TRUE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_UpdateAliases, aliases)
          .ok());
  Reopen();  // closing writes a snapshot
  EXPECT_EQ(Count("keep"), 50u);
  EXPECT_EQ(Count("prod"), 50u) << "aliases persist";
  ASSERT_TRUE(Upsert("keep", {Point(100, {5, 5, 5}, 7)}).ok());
  // Simulate a crash: no snapshot for the last write, only the WAL.
  toc_.reset();
  Reopen();
  EXPECT_EQ(Count("keep"), 51u);
}

// A deleted collection still held by an in-flight request must never write into the directory
// of a new collection created under the same name (no late write, no final snapshot there).
TEST_F(EngineTest, ADeletedCollectionStillInUseLeavesItsSuccessorAlone) {
  CreateCollection("reused", 3, qdrant::Euclid);
  ASSERT_TRUE(Upsert("reused", {Point(1, {1, 0, 0}, 0), Point(2, {2, 0, 0}, 0)}).ok());
  Result<std::shared_ptr<Collection>> held = toc_->Find("reused");
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(*toc_->Delete("reused"));
  CreateCollection("reused", 2, qdrant::Dot);  // a different shape, same directory name
  ASSERT_TRUE(Upsert("reused", {Point(7, {1, 1}, 3)}).ok());

  // The old one refuses writes and snapshots instead of touching the new directory.
  qdrant::UpsertPoints late;
  late.set_collection_name("reused");
  *late.add_points() = Point(99, {9, 9, 9}, 9);
  Result<uint64_t> w =
      (*held)->shard().Write(STRATA_METHOD_Points_Upsert, late.SerializeAsString());
  EXPECT_EQ(w.status().code(), StatusCode::kNotFound) << w.status().ToString();
  EXPECT_EQ((*held)->shard().Snapshot().code(), StatusCode::kFailedPrecondition);
  qdrant::CreateFieldIndexCollection index;
  index.set_collection_name("reused");
  index.set_field_name("group");
  index.set_field_type(qdrant::FieldTypeInteger);
  EXPECT_EQ((*held)->CreateFieldIndex(index).code(), StatusCode::kNotFound);
  held->reset();  // the last user lets go: no final snapshot into the new directory

  Reopen();
  EXPECT_EQ(Count("reused"), 1u);
  qdrant::GetCollectionInfoRequest info;
  info.set_collection_name("reused");
  auto r = Call<qdrant::GetCollectionInfoResponse>(STRATA_METHOD_Collections_Get, info);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result().config().params().vectors_config().params().size(), 2u);
  EXPECT_EQ(r->result().payload_schema_size(), 0);
}

// Sparse vectors: stored sorted, searched by exact dot product (with idf weights when the
// modifier says so), by value or by a stored point, filtered, deleted, updated, and recovered.
TEST_F(EngineTest, SparseVectorsAreSearchedExactlyAndSurviveARestart) {
  qdrant::CreateCollection create;
  create.set_collection_name("hybrid");
  auto* dense = create.mutable_vectors_config()->mutable_params_map()->mutable_map();
  (*dense)["d"].set_size(2);
  (*dense)["d"].set_distance(qdrant::Dot);
  auto* sparse = create.mutable_sparse_vectors_config()->mutable_map();
  (*sparse)["text"].set_modifier(qdrant::Idf);
  (*sparse)["kw"];
  ASSERT_TRUE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Create, create).ok());

  std::mt19937 rng(5);
  std::map<uint64_t, std::map<uint32_t, float>> rows;  // the reference, by point
  std::set<uint64_t> with_text;                        // points with a text vector
  qdrant::UpsertPoints up;
  up.set_collection_name("hybrid");
  up.set_wait(true);
  for (uint64_t id = 1; id <= 200; ++id) {
    qdrant::PointStruct* p = up.add_points();
    p->mutable_id()->set_num(id);
    auto* named = p->mutable_vectors()->mutable_vectors()->mutable_vectors();
    (*named)["d"].mutable_dense()->add_data(1);
    (*named)["d"].mutable_dense()->add_data(0);
    (*p->mutable_payload())["even"].set_bool_value(id % 2 == 0);
    if (id % 10 == 0) continue;  // some points have no sparse vector
    qdrant::SparseVector* sv = (*named)["text"].mutable_sparse();
    with_text.insert(id);  // even when it comes out empty
    std::vector<uint32_t> dims;
    for (uint32_t d = 0; d < 30; ++d) {
      if (rng() % 6 == 0) dims.push_back(d);
    }
    std::shuffle(dims.begin(), dims.end(), rng);  // any order in, sorted when stored
    for (uint32_t d : dims) {
      const float v = 0.1f + static_cast<float>(rng() % 100) / 50.0f;
      sv->add_indices(d);
      sv->add_values(v);
      rows[id][d] = v;
    }
    (*named)["kw"].mutable_sparse()->add_indices(static_cast<uint32_t>(id % 3));
    (*named)["kw"].mutable_sparse()->add_values(1.0f);
  }
  ASSERT_TRUE(Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert, up).ok());

  // The reference score of a query under the idf modifier (Qdrant's formula).
  auto reference = [&](const std::map<uint32_t, float>& q, bool even_only) {
    std::map<uint32_t, int> df;
    for (const auto& [id, row] : rows) {
      for (const auto& [d, v] : row) ++df[d];
    }
    const double n = static_cast<double>(with_text.size());  // idf's N
    std::vector<std::pair<float, uint64_t>> scored;
    for (const auto& [id, row] : rows) {
      if (even_only && id % 2 != 0) continue;
      double score = 0;
      bool shared = false;
      for (const auto& [d, qv] : q) {
        auto it = row.find(d);
        if (it == row.end()) continue;
        shared = true;
        const double idf = std::log(1.0 + (n - df[d] + 0.5) / (df[d] + 0.5));
        score += qv * idf * it->second;
      }
      if (shared) scored.push_back({static_cast<float>(score), id});
    }
    std::sort(scored.begin(), scored.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    return scored;
  };
  auto query = [&](const std::map<uint32_t, float>& q, bool even_only) {
    qdrant::QueryPoints req;
    req.set_collection_name("hybrid");
    req.set_using_("text");
    req.set_limit(5);
    for (const auto& [d, v] : q) {
      req.mutable_query()->mutable_nearest()->mutable_sparse()->add_indices(d);
      req.mutable_query()->mutable_nearest()->mutable_sparse()->add_values(v);
    }
    if (even_only) {
      auto* c = req.mutable_filter()->add_must()->mutable_field();
      c->set_key("even");
      c->mutable_match()->set_boolean(true);
    }
    return Call<qdrant::QueryResponse>(STRATA_METHOD_Points_Query, req);
  };
  auto check = [&](const std::map<uint32_t, float>& q, bool even_only) {
    auto got = query(q, even_only);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    auto want = reference(q, even_only);
    ASSERT_EQ(got->result_size(), static_cast<int>(std::min<size_t>(5, want.size())));
    for (int i = 0; i < got->result_size(); ++i) {
      EXPECT_NEAR(got->result(i).score(), want[i].first, 1e-3 * std::fabs(want[i].first));
      if (i + 1 < static_cast<int>(want.size()) && want[i].first - want[i + 1].first > 1e-3f) {
        EXPECT_EQ(got->result(i).id().num(), want[i].second);
      }
    }
  };
  check({{3, 1.0f}, {7, 0.5f}, {20, 2.0f}}, false);
  check({{3, 1.0f}, {7, 0.5f}, {20, 2.0f}}, true);
  check({{29, 1.0f}}, false);
  {
    // An unknown name: the error lists the dense and the sparse vectors.
    qdrant::QueryPoints bad_using;
    bad_using.set_collection_name("hybrid");
    bad_using.set_using_("missing");
    bad_using.mutable_query()->mutable_nearest()->mutable_dense()->add_data(1);
    auto r = Call<qdrant::QueryResponse>(STRATA_METHOD_Points_Query, bad_using);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("'d'"), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find("sparse: "), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find("'text'"), std::string::npos) << r.status().ToString();
  }

  // Stored sorted, returned as sparse in the named output.
  qdrant::GetPoints get;
  get.set_collection_name("hybrid");
  get.add_ids()->set_num(1);
  get.mutable_with_vectors()->set_enable(true);
  auto got = Call<qdrant::GetResponse>(STRATA_METHOD_Points_Get, get);
  ASSERT_TRUE(got.ok());
  const auto& out = got->result(0).vectors().vectors().vectors();
  ASSERT_TRUE(out.at("text").has_sparse());
  std::vector<uint32_t> idx(out.at("text").sparse().indices().begin(),
                            out.at("text").sparse().indices().end());
  EXPECT_TRUE(std::is_sorted(idx.begin(), idx.end()));
  EXPECT_EQ(idx.size(), rows[1].size());
  EXPECT_EQ(out.at("d").dense().data_size(), 2);

  // Bad sparse input changes nothing.
  auto bad = [&](std::vector<uint32_t> indices, std::vector<float> values, const char* name) {
    qdrant::UpsertPoints r;
    r.set_collection_name("hybrid");
    qdrant::PointStruct* p = r.add_points();
    p->mutable_id()->set_num(999);
    auto& v = (*p->mutable_vectors()->mutable_vectors()->mutable_vectors())[name];
    for (uint32_t i : indices) v.mutable_sparse()->add_indices(i);
    for (float x : values) v.mutable_sparse()->add_values(x);
    return Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert, r).status();
  };
  EXPECT_EQ(bad({1, 2}, {1.0f}, "text").code(), StatusCode::kInvalidArgument);
  Status dup = bad({4, 4}, {1.0f, 2.0f}, "text");
  EXPECT_NE(dup.message().find("unique"), std::string::npos) << dup.ToString();
  EXPECT_EQ(bad({1}, {NAN}, "text").code(), StatusCode::kInvalidArgument);
  Status as_dense = bad({1}, {1.0f}, "d");
  EXPECT_NE(as_dense.message().find("dense"), std::string::npos) << as_dense.ToString();
  EXPECT_EQ(Count("hybrid"), 200u);

  // By a stored point (excluded from its own results); the legacy search's sparse_indices.
  qdrant::QueryPoints by_id;
  by_id.set_collection_name("hybrid");
  by_id.set_using_("kw");
  by_id.set_limit(300);
  by_id.mutable_query()->mutable_nearest()->mutable_id()->set_num(4);  // kw index 1
  auto same = Call<qdrant::QueryResponse>(STRATA_METHOD_Points_Query, by_id);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  for (const auto& p : same->result()) {
    EXPECT_EQ(p.id().num() % 3, 1u);
    EXPECT_NE(p.id().num(), 4u);
    EXPECT_FLOAT_EQ(p.score(), 1.0f);
  }
  EXPECT_EQ(same->result_size(), 180 / 3 - 1);  // points with a kw vector, id % 3 == 1, not 4
  qdrant::SearchPoints legacy;
  legacy.set_collection_name("hybrid");
  legacy.set_vector_name("kw");
  legacy.add_vector(1.0f);
  legacy.mutable_sparse_indices()->add_data(2);
  legacy.set_limit(500);
  auto legacy_hits = Call<qdrant::SearchResponse>(STRATA_METHOD_Points_Search, legacy);
  ASSERT_TRUE(legacy_hits.ok()) << legacy_hits.status().ToString();
  EXPECT_EQ(legacy_hits->result_size(), 60);

  // Delete one point's sparse vector, replace another's: searches follow.
  qdrant::DeletePointVectors del;
  del.set_collection_name("hybrid");
  del.mutable_points_selector()->mutable_points()->add_ids()->set_num(5);  // kw index 2
  del.mutable_vectors()->add_names("kw");
  ASSERT_TRUE(Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_DeleteVectors, del).ok());
  qdrant::UpdatePointVectors upd;
  upd.set_collection_name("hybrid");
  qdrant::PointVectors* pv = upd.add_points();
  pv->mutable_id()->set_num(8);  // kw index 2 -> 0
  auto& kw = (*pv->mutable_vectors()->mutable_vectors()->mutable_vectors())["kw"];
  kw.mutable_sparse()->add_indices(0);
  kw.mutable_sparse()->add_values(1.0f);
  ASSERT_TRUE(Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_UpdateVectors, upd).ok());
  legacy_hits = Call<qdrant::SearchResponse>(STRATA_METHOD_Points_Search, legacy);
  ASSERT_TRUE(legacy_hits.ok());
  EXPECT_EQ(legacy_hits->result_size(), 58);

  // Restart: the final snapshot, then a crash after more WAL records.
  Reopen();
  check({{3, 1.0f}, {7, 0.5f}, {20, 2.0f}}, false);
  legacy_hits = Call<qdrant::SearchResponse>(STRATA_METHOD_Points_Search, legacy);
  ASSERT_TRUE(legacy_hits.ok());
  EXPECT_EQ(legacy_hits->result_size(), 58);
  qdrant::UpsertPoints more;
  more.set_collection_name("hybrid");
  more.set_wait(true);
  qdrant::PointStruct* extra = more.add_points();
  extra->mutable_id()->set_num(500);
  auto& ekw = (*extra->mutable_vectors()->mutable_vectors()->mutable_vectors())["kw"];
  ekw.mutable_sparse()->add_indices(2);
  ekw.mutable_sparse()->add_values(3.0f);
  ASSERT_TRUE(Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert, more).ok());
  toc_.reset();
  Reopen();
  legacy_hits = Call<qdrant::SearchResponse>(STRATA_METHOD_Points_Search, legacy);
  ASSERT_TRUE(legacy_hits.ok());
  ASSERT_EQ(legacy_hits->result_size(), 59);
  EXPECT_EQ(legacy_hits->result(0).id().num(), 500u);
  EXPECT_FLOAT_EQ(legacy_hits->result(0).score(), 3.0f);

  // The modifier can change on a live collection (and persists): text without idf scores the
  // plain dot product; an unknown sparse name is refused.
  qdrant::UpdateCollection patch;
  patch.set_collection_name("hybrid");
  (*patch.mutable_sparse_vectors_config()->mutable_map())["text"].set_modifier(qdrant::None);
  ASSERT_TRUE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Update, patch).ok());
  qdrant::UpdateCollection unknown;
  unknown.set_collection_name("hybrid");
  (*unknown.mutable_sparse_vectors_config()->mutable_map())["nope"].set_modifier(qdrant::Idf);
  auto refused =
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Update, unknown);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  // A vacuum's copy keeps the changed modifier, and so does a restart.
  Result<std::shared_ptr<Collection>> live = toc_->Find("hybrid");
  ASSERT_TRUE(live.ok());
  (*live)->shard().Vacuum();
  live->reset();
  for (int round = 0; round < 2; ++round) {
    if (round == 1) Reopen();
    auto plain = query({{3, 1.0f}}, false);
    ASSERT_TRUE(plain.ok());
    ASSERT_GT(plain->result_size(), 0);
    const uint64_t top = plain->result(0).id().num();
    EXPECT_FLOAT_EQ(plain->result(0).score(), rows[top][3]);
    for (const auto& p : plain->result()) EXPECT_FLOAT_EQ(p.score(), rows[p.id().num()][3]);
  }
}

// count with exact=false answers the payload indexes' estimate: close to the exact count on a
// large set, exact on a small one; exact stays the default.
TEST_F(EngineTest, ApproximateCountEstimatesAndExactIsTheDefault) {
  CreateCollection("approx", 2, qdrant::Dot);
  std::vector<qdrant::PointStruct> pts;
  for (uint64_t i = 0; i < 10000; ++i)
    pts.push_back(Point(i, {1, 0}, static_cast<int64_t>(i % 10)));
  ASSERT_TRUE(Upsert("approx", pts).ok());
  auto count = [&](int64_t below, std::optional<bool> exact) {
    qdrant::CountPoints req;
    req.set_collection_name("approx");
    auto* r = req.mutable_filter()->add_must()->mutable_field();
    r->set_key("group");
    r->mutable_range()->set_lt(static_cast<double>(below));
    if (exact) req.set_exact(*exact);
    auto resp = Call<qdrant::CountResponse>(STRATA_METHOD_Points_Count, req);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    return resp.ok() ? resp->result().count() : 0;
  };
  EXPECT_EQ(count(3, std::nullopt), 3000u);
  EXPECT_EQ(count(3, true), 3000u);
  const uint64_t estimate = count(3, false);
  EXPECT_GE(estimate, 2400u);
  EXPECT_LE(estimate, 3600u);
  EXPECT_EQ(count(0, false), 0u);
  // Few points: the sample is the whole set, so the estimate is exact.
  CreateCollection("small", 2, qdrant::Dot);
  pts.resize(100);
  ASSERT_TRUE(Upsert("small", pts).ok());
  qdrant::CountPoints small;
  small.set_collection_name("small");
  small.set_exact(false);
  auto* r = small.mutable_filter()->add_must()->mutable_field();
  r->set_key("group");
  r->mutable_range()->set_lt(3);
  auto resp = Call<qdrant::CountResponse>(STRATA_METHOD_Points_Count, small);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->result().count(), 30u);
}

TEST_F(EngineTest, BadInputIsRefusedAndChangesNothing) {
  CreateCollection("v", 3, qdrant::Cosine);
  ASSERT_TRUE(Upsert("v", {Point(1, {1, 2, 3}, 0)}).ok());
  auto expect_refused = [&](std::vector<qdrant::PointStruct> pts, const std::string& needle) {
    Status s = Upsert("v", pts);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
    EXPECT_EQ(Count("v"), 1u) << "a rejected batch writes nothing";
  };
  expect_refused({Point(2, {1, 2, 3}, 0), Point(3, {1, 2}, 0)},
                 "points[1].vector: wrong vector dimension: expected 3, got 2");
  expect_refused({Point(4, {1, NAN, 3}, 0)}, "not a finite number");
  expect_refused({Point(4, {1, INFINITY, 3}, 0)}, "not a finite number");
  qdrant::PointStruct named = Point(5, {1, 2, 3}, 0);
  named.mutable_vectors()->clear_vector();
  (*named.mutable_vectors()->mutable_vectors()->mutable_vectors())["img"].mutable_dense()->add_data(
      1);
  expect_refused({named}, "vector name 'img' is not configured");
  qdrant::PointStruct bad_id = Point(6, {1, 2, 3}, 0);
  bad_id.mutable_id()->set_uuid("zzz");
  expect_refused({bad_id}, "points[0].id");

  qdrant::CountPoints count;
  count.set_collection_name("v");
  count.mutable_filter()->add_must()->mutable_field()->set_key("x");
  auto c = Call<qdrant::CountResponse>(STRATA_METHOD_Points_Count, count);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("filter.must[0]"), std::string::npos);

  qdrant::CreateCollection bad;
  bad.set_collection_name("a/b");
  EXPECT_EQ(Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Create, bad)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  bad.set_collection_name("zero");
  bad.mutable_vectors_config()->mutable_params()->set_size(0);
  auto z = Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Create, bad);
  EXPECT_NE(z.status().message().find("vectors_config.size"), std::string::npos);

  auto ro = Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert,
                                                  qdrant::UpsertPoints(), STRATA_ACCESS_READ_ONLY);
  EXPECT_EQ(ro.status().code(), StatusCode::kPermissionDenied);
  qdrant::UpsertPoints missing;
  missing.set_collection_name("nope");
  EXPECT_EQ(
      Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert, missing).status().code(),
      StatusCode::kNotFound);
}

// Upserts are decoded in full once, by the shard; the service reads only the name and `wait`
// unless strict mode needs the points. Whatever reads them, the answers stay the same.
TEST_F(EngineTest, UpsertsReadTheirHeadOnlyAndAreStillCheckedInFull) {
  struct Raw {  // request bytes as they are, for Call
    std::string bytes;
    std::string SerializeAsString() const { return bytes; }
  };
  CreateCollection("once", 3, qdrant::Dot);
  qdrant::UpsertPoints up;
  up.set_collection_name("once");
  *up.add_points() = Point(1, {1, 2, 3}, 0);
  auto later = Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert, up);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->result().status(), qdrant::Acknowledged);
  up.set_wait(true);
  *up.mutable_points(0) = Point(2, {1, 2, 3}, 0);
  auto now = Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert, up);
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(now->result().status(), qdrant::Completed);
  EXPECT_EQ(Count("once"), 2u);

  // A point whose bytes are not a PointStruct (field 3, three bytes of 0xff): the head reads
  // past it, the shard refuses it.
  *up.mutable_points(0) = Point(3, {1, 2, 3}, 0);
  const std::string bytes = up.SerializeAsString() + std::string("\x1a\x03\xff\xff\xff", 5);
  auto bad = Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert, Raw{bytes});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("qdrant.UpsertPoints"), std::string::npos)
      << bad.status().message();
  auto cut = Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert,
                                                   Raw{up.SerializeAsString().substr(0, 4)});
  EXPECT_EQ(cut.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("once"), 2u);

  // With strict mode the points are read before the write: max_points_count holds.
  qdrant::UpdateCollection strict;
  strict.set_collection_name("once");
  strict.mutable_strict_mode_config()->set_enabled(true);
  strict.mutable_strict_mode_config()->set_max_points_count(2);
  ASSERT_TRUE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Update, strict).ok());
  auto full = Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Upsert, up);
  EXPECT_EQ(full.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(full.status().message().find("max_points_count"), std::string::npos)
      << full.status().message();
  EXPECT_EQ(Count("once"), 2u);
}

TEST_F(EngineTest, UuidIdsAndNamedVectors) {
  qdrant::CreateCollection req;
  req.set_collection_name("multi");
  auto* m = req.mutable_vectors_config()->mutable_params_map()->mutable_map();
  (*m)["text"].set_size(2);
  (*m)["text"].set_distance(qdrant::Dot);
  (*m)["img"].set_size(3);
  (*m)["img"].set_distance(qdrant::Euclid);
  ASSERT_TRUE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Create, req).ok());
  qdrant::PointStruct p;
  p.mutable_id()->set_uuid("550E8400-E29B-41D4-A716-446655440000");
  auto* nv = p.mutable_vectors()->mutable_vectors()->mutable_vectors();
  (*nv)["text"].mutable_dense()->add_data(1);
  (*nv)["text"].mutable_dense()->add_data(0);
  ASSERT_TRUE(Upsert("multi", {p}).ok());
  qdrant::QueryPoints q;
  q.set_collection_name("multi");
  q.set_using_("text");
  q.mutable_query()->mutable_nearest()->mutable_dense()->add_data(2);
  q.mutable_query()->mutable_nearest()->mutable_dense()->add_data(0);
  auto r = Call<qdrant::QueryResponse>(STRATA_METHOD_Points_Query, q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->result_size(), 1);
  EXPECT_EQ(r->result(0).id().uuid(), "550e8400-e29b-41d4-a716-446655440000");
  EXPECT_FLOAT_EQ(r->result(0).score(), 2.f);
  q.set_using_("img");
  q.mutable_query()->mutable_nearest()->mutable_dense()->add_data(0);
  auto none = Call<qdrant::QueryResponse>(STRATA_METHOD_Points_Query, q);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->result_size(), 0) << "the point has no img vector";
}

TEST_F(EngineTest, FacetCountsDistinctValuesPerPointMostFrequentFirst) {
  CreateCollection("f", 2, qdrant::Dot);
  std::vector<qdrant::PointStruct> pts;
  // group = i % 4 over 10 points: 0,1 appear 3 times; 2,3 twice.
  for (int i = 0; i < 10; ++i) {
    qdrant::PointStruct p = Point(i, {1.f, 1.f}, i % 4);
    // A tag list with a repeated value: each point counts once per distinct value.
    auto* tags = (*p.mutable_payload())["tags"].mutable_list_value();
    tags->add_values()->set_string_value(i < 6 ? "red" : "blue");
    tags->add_values()->set_string_value(i < 6 ? "red" : "blue");
    if (i == 0) tags->add_values()->set_bool_value(true);
    (*p.mutable_payload())["score"].set_double_value(0.5);  // floats are not facet values
    pts.push_back(p);
  }
  ASSERT_TRUE(Upsert("f", pts).ok());

  qdrant::FacetCounts req;
  req.set_collection_name("f");
  req.set_key("group");
  auto r = Call<qdrant::FacetResponse>(STRATA_METHOD_Points_Facet, req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->hits_size(), 4);
  std::vector<std::pair<int64_t, uint64_t>> got;
  for (const auto& h : r->hits()) got.emplace_back(h.value().integer_value(), h.count());
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, uint64_t>>{{0, 3}, {1, 3}, {2, 2}, {3, 2}}));

  req.set_key("tags");
  req.set_limit(2);
  r = Call<qdrant::FacetResponse>(STRATA_METHOD_Points_Facet, req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->hits_size(), 2);
  EXPECT_EQ(r->hits(0).value().string_value(), "red");
  EXPECT_EQ(r->hits(0).count(), 6u);
  EXPECT_EQ(r->hits(1).value().string_value(), "blue");
  EXPECT_EQ(r->hits(1).count(), 4u);

  // Filtered: only group 1 (ids 1, 5, 9) -> red twice, blue once.
  req.clear_limit();
  auto* fc = req.mutable_filter()->add_must()->mutable_field();
  fc->set_key("group");
  fc->mutable_match()->set_integer(1);
  r = Call<qdrant::FacetResponse>(STRATA_METHOD_Points_Facet, req);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->hits_size(), 2);
  EXPECT_EQ(r->hits(0).value().string_value(), "red");
  EXPECT_EQ(r->hits(0).count(), 2u);
  EXPECT_EQ(r->hits(1).count(), 1u);

  req.clear_filter();
  req.set_key("score");
  r = Call<qdrant::FacetResponse>(STRATA_METHOD_Points_Facet, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hits_size(), 0);

  req.set_key("");
  EXPECT_EQ(Call<qdrant::FacetResponse>(STRATA_METHOD_Points_Facet, req).status().code(),
            StatusCode::kInvalidArgument);
  req.set_key("group");
  req.set_collection_name("missing");
  EXPECT_EQ(Call<qdrant::FacetResponse>(STRATA_METHOD_Points_Facet, req).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace strata::kernel

namespace strata::kernel {
namespace {

class SnapshotTest : public EngineTest {
 protected:
  // Every point (id, payload, vectors) in id order, as bytes to compare states with.
  std::string State(const std::string& coll) {
    qdrant::ScrollPoints req;
    req.set_collection_name(coll);
    req.set_limit(100000);
    req.mutable_with_payload()->set_enable(true);
    req.mutable_with_vectors()->set_enable(true);
    auto r = Call<qdrant::ScrollResponse>(STRATA_METHOD_Points_Scroll, req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::string out;
    if (!r.ok()) return out;
    for (const auto& p : r->result()) {
      std::string one;
      p.id().SerializeToString(&one);
      out += one;
      // Map order in a serialized payload is not fixed: go key by key.
      std::map<std::string, std::string> payload;
      for (const auto& [k, v] : p.payload()) v.SerializeToString(&payload[k]);
      for (const auto& [k, v] : payload) out += k + "=" + v + ";";
      p.vectors().SerializeToString(&one);
      out += one + "|";
    }
    return out;
  }
  Result<qdrant::SnapshotDescription> CreateSnapshot(const std::string& coll) {
    qdrant::CreateSnapshotRequest req;
    req.set_collection_name(coll);
    STRATA_ASSIGN_OR_RETURN(
        auto r, Call<qdrant::CreateSnapshotResponse>(STRATA_METHOD_Snapshots_Create, req));
    return r.snapshot_description();
  }
  Status Recover(const std::string& coll, const std::string& location,
                 const std::string& checksum = "") {
    strata::SnapshotRecoverRequest req;
    req.set_collection_name(coll);
    req.set_location(location);
    req.set_checksum(checksum);
    return Call<strata::SnapshotRecoverResponse>(STRATA_METHOD_Strata_SnapshotRecover, req)
        .status();
  }
  std::string PathOf(const std::string& coll, const std::string& name) {
    return snapshots_dir_ + "/" + coll + "/" + name;
  }
  static std::string Shell(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while (p != nullptr && (n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    if (p != nullptr) pclose(p);
    return out;
  }
};

TEST_F(SnapshotTest, ASnapshotRestoresExactlyTheStateItWasTakenAt) {
  CreateCollection("src", 3, qdrant::Euclid);
  std::vector<qdrant::PointStruct> pts;
  for (int i = 0; i < 300; ++i) pts.push_back(Point(i, {0.5f * i, 1.f, -2.f * i}, i % 7));
  ASSERT_TRUE(Upsert("src", pts).ok());
  qdrant::CreateFieldIndexCollection index;
  index.set_collection_name("src");
  index.set_field_name("group");
  index.set_field_type(qdrant::FieldTypeInteger);
  ASSERT_TRUE(
      Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_CreateFieldIndex, index).ok());
  const std::string before = State("src");
  Result<qdrant::SnapshotDescription> d = CreateSnapshot("src");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->name().rfind("src-", 0), 0u) << d->name();
  EXPECT_NE(d->name().find(".snapshot"), std::string::npos);
  const std::string file = PathOf("src", d->name());
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(static_cast<uint64_t>(d->size()), std::filesystem::file_size(file));
  // The checksum is the file's SHA-256 (checked with coreutils), and tar reads the archive.
  EXPECT_EQ(Shell("sha256sum '" + file + "' | cut -d' ' -f1"), d->checksum() + "\n");
  EXPECT_EQ(Shell("tar tf '" + file + "'"), "snapshot.meta\ncollection.meta\n0/segment.snap\n");

  // Listed with the same description.
  qdrant::ListSnapshotsRequest list;
  list.set_collection_name("src");
  auto listed = Call<qdrant::ListSnapshotsResponse>(STRATA_METHOD_Snapshots_List, list);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->snapshot_descriptions_size(), 1);
  EXPECT_EQ(listed->snapshot_descriptions(0).name(), d->name());
  EXPECT_EQ(listed->snapshot_descriptions(0).checksum(), d->checksum());
  EXPECT_EQ(listed->snapshot_descriptions(0).size(), d->size());
  EXPECT_EQ(listed->snapshot_descriptions(0).creation_time().seconds(),
            d->creation_time().seconds());

  // Change everything, then recover: the snapshot's state comes back, index and alias too.
  qdrant::ChangeAliases aliases;
  auto* ca = aliases.add_actions()->mutable_create_alias();
  ca->set_collection_name("src");
  ca->set_alias_name("live");
  ASSERT_TRUE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_UpdateAliases, aliases)
          .ok());
  qdrant::DeletePoints del;
  del.set_collection_name("src");
  del.set_wait(true);
  for (int i = 0; i < 100; ++i) del.mutable_points()->mutable_points()->add_ids()->set_num(i);
  ASSERT_TRUE(Call<qdrant::PointsOperationResponse>(STRATA_METHOD_Points_Delete, del).ok());
  ASSERT_TRUE(Upsert("src", {Point(1000, {1, 1, 1}, 1), Point(150, {9, 9, 9}, 99)}).ok());
  ASSERT_NE(State("src"), before);
  ASSERT_TRUE(Recover("src", "file://" + file, d->checksum()).ok());
  EXPECT_EQ(State("src"), before);
  EXPECT_EQ(Count("live"), 300u) << "the alias still names the recovered collection";
  qdrant::Filter g3;
  auto* m = g3.add_must()->mutable_field();
  m->set_key("group");
  m->mutable_match()->set_integer(3);
  EXPECT_EQ(Count("src", &g3), 43u);
  qdrant::GetCollectionInfoRequest info;
  info.set_collection_name("src");
  auto ci = Call<qdrant::GetCollectionInfoResponse>(STRATA_METHOD_Collections_Get, info);
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ(ci->result().payload_schema().at("group").points(), 300u);

  // Writes after the recovery number after the snapshot's: an overwrite of a restored point wins
  // over its restored version, also after a restart from the WAL alone.
  ASSERT_TRUE(Upsert("src", {Point(5, {7, 7, 7}, 42)}).ok());
  toc_.reset();
  Reopen();
  qdrant::Filter g42;
  auto* m42 = g42.add_must()->mutable_field();
  m42->set_key("group");
  m42->mutable_match()->set_integer(42);
  EXPECT_EQ(Count("src", &g42), 1u);
  EXPECT_EQ(Count("src"), 300u);

  // The same archive recovers into a new name; the source stays as it is.
  ASSERT_TRUE(Recover("copy", "file://" + file).ok());
  EXPECT_EQ(State("copy"), before);
  EXPECT_EQ(Count("src", &g42), 1u);
}

TEST_F(SnapshotTest, BadSnapshotsAndLocationsAreRefusedAndChangeNothing) {
  CreateCollection("c", 3, qdrant::Dot);
  ASSERT_TRUE(Upsert("c", {Point(1, {1, 2, 3}, 1), Point(2, {3, 2, 1}, 2)}).ok());
  Result<qdrant::SnapshotDescription> d = CreateSnapshot("c");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const std::string file = PathOf("c", d->name());
  ASSERT_TRUE(Upsert("c", {Point(3, {0, 0, 1}, 3)}).ok());
  const std::string state = State("c");

  // Wrong checksum.
  Status s = Recover("c", "file://" + file, std::string(64, 'a'));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("checksum"), std::string::npos) << s.message();
  // Outside the snapshots directory (also through ..), missing, not a file URI.
  const std::string outside = root_ + "/elsewhere.snapshot";
  std::filesystem::copy_file(file, outside);
  s = Recover("c", "file://" + outside);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("outside the snapshots directory"), std::string::npos);
  s = Recover("c", "file://" + snapshots_dir_ + "/../elsewhere.snapshot");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(Recover("c", "file://" + snapshots_dir_ + "/c/none.snapshot").code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Recover("c", "ftp://host/x").code(), StatusCode::kInvalidArgument);
  // Damaged archives: a flipped byte inside the point records, a truncated file, not a tar.
  const std::string damaged = PathOf("c", "damaged.snapshot");
  std::filesystem::copy_file(file, damaged);
  {
    // Point 2's payload string "p2", inside its record in the segment image.
    std::string bytes = Shell("cat '" + damaged + "'");
    const size_t at = bytes.find("p2");
    ASSERT_NE(at, std::string::npos);
    std::FILE* f = std::fopen(damaged.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, static_cast<long>(at), SEEK_SET);
    std::fputc('q', f);
    std::fclose(f);
  }
  s = Recover("c", "file://" + damaged);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("corrupt point record"), std::string::npos) << s.message();
  const std::string truncated = PathOf("c", "truncated.snapshot");
  std::filesystem::copy_file(file, truncated);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(file) / 2);
  EXPECT_EQ(Recover("c", "file://" + truncated).code(), StatusCode::kInvalidArgument);
  const std::string junk = PathOf("c", "junk.snapshot");
  {
    std::FILE* f = std::fopen(junk.c_str(), "wb");
    std::fputs("not a tar", f);
    std::fclose(f);
  }
  EXPECT_EQ(Recover("c", "file://" + junk).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(State("c"), state) << "a refused recovery changes nothing";
  // Entries that try to leave the index directory are not unpacked anywhere.
  const std::string sneaky = PathOf("c", "sneaky.snapshot");
  Shell(
      "python3 -c \"import tarfile,io,sys\n"
      "src=tarfile.open(sys.argv[1]); "
      "dst=tarfile.open(sys.argv[2],'w',format=tarfile.USTAR_FORMAT)\n"
      "[dst.addfile(m, src.extractfile(m)) for m in src.getmembers()]\n"
      "for n in ['0/index/../../../../escaped', '0/index/v/../../escaped', '0/index/v/x/y']:\n"
      "  t=tarfile.TarInfo(n); t.size=2; dst.addfile(t, io.BytesIO(b'hi'))\n"
      "dst.close()\" '" +
      file + "' '" + sneaky + "'");
  ASSERT_TRUE(std::filesystem::exists(sneaky));
  ASSERT_TRUE(Recover("c_sneaky", "file://" + sneaky).ok());
  EXPECT_EQ(Shell("find '" + root_ + "' -name escaped"), "") << "nothing written outside";
  EXPECT_FALSE(std::filesystem::exists(root_ + "/collections/c_sneaky/0/index/v/x"));
  EXPECT_FALSE(toc_->Exists("c2"));
  EXPECT_EQ(Recover("c2", "file://" + junk).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(toc_->Exists("c2")) << "nothing half-created";

  // Names that are paths are refused; deleting works once.
  qdrant::DeleteSnapshotRequest del;
  del.set_collection_name("c");
  del.set_snapshot_name("../c/" + d->name());
  EXPECT_EQ(
      Call<qdrant::DeleteSnapshotResponse>(STRATA_METHOD_Snapshots_Delete, del).status().code(),
      StatusCode::kInvalidArgument);
  del.set_snapshot_name(d->name());
  EXPECT_TRUE(Call<qdrant::DeleteSnapshotResponse>(STRATA_METHOD_Snapshots_Delete, del).ok());
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(file + ".checksum"));
  EXPECT_EQ(
      Call<qdrant::DeleteSnapshotResponse>(STRATA_METHOD_Snapshots_Delete, del).status().code(),
      StatusCode::kNotFound);
  // Unknown collection, read-only keys.
  EXPECT_EQ(CreateSnapshot("nope").status().code(), StatusCode::kNotFound);
  qdrant::CreateSnapshotRequest ro;
  ro.set_collection_name("c");
  EXPECT_EQ(Call<qdrant::CreateSnapshotResponse>(STRATA_METHOD_Snapshots_Create, ro,
                                                 STRATA_ACCESS_READ_ONLY)
                .status()
                .code(),
            StatusCode::kPermissionDenied);
}

// A snapshot carries the saved vector index built on its offsets: the recovered collection loads
// it instead of building it again.
TEST_F(SnapshotTest, SavedIndexesTravelWithTheSnapshot) {
  options_.index = FlatIndexVtable();
  options_.optimizer_interval_ms = 5;
  Reopen();
  qdrant::CreateCollection create;
  create.set_collection_name("ix");
  create.mutable_vectors_config()->mutable_params()->set_size(3);
  create.mutable_vectors_config()->mutable_params()->set_distance(qdrant::Euclid);
  create.mutable_optimizers_config()->set_indexing_threshold(1);  // KiB: 85 3-d vectors
  ASSERT_TRUE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_Create, create).ok());
  std::vector<qdrant::PointStruct> pts;
  for (int i = 0; i < 300; ++i) pts.push_back(Point(i, {1.f * i, 2.f, 3.f}, i % 5));
  ASSERT_TRUE(Upsert("ix", pts).ok());
  auto indexed = [&](const std::string& name) -> uint64_t {
    qdrant::GetCollectionInfoRequest info;
    info.set_collection_name(name);
    auto r = Call<qdrant::GetCollectionInfoResponse>(STRATA_METHOD_Collections_Get, info);
    return r.ok() ? r->result().indexed_vectors_count() : 0;
  };
  for (int i = 0; i < 2000 && indexed("ix") < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(indexed("ix"), 300u);  // saved before it was put to use
  Result<qdrant::SnapshotDescription> d = CreateSnapshot("ix");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const std::string listing = Shell("tar tf '" + PathOf("ix", d->name()) + "'");
  EXPECT_NE(listing.find("0/index/v/index.meta"), std::string::npos) << listing;
  const std::string state = State("ix");

  options_.optimizer_interval_ms = 0;  // nothing could build an index now
  Reopen();
  ASSERT_TRUE(Recover("ix_copy", "file://" + PathOf("ix", d->name())).ok());
  EXPECT_EQ(indexed("ix_copy"), 300u) << "loaded from the snapshot, not rebuilt";
  EXPECT_EQ(State("ix_copy"), state);
  qdrant::SearchPoints search;
  search.set_collection_name("ix_copy");
  for (float x : {40.2f, 2.f, 3.f}) search.add_vector(x);
  search.set_limit(3);
  auto found = Call<qdrant::SearchResponse>(STRATA_METHOD_Points_Search, search);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->result_size(), 3);
  EXPECT_EQ(found->result(0).id().num(), 40u) << "searched through the loaded index";
}

// A full snapshot holds every collection and the aliases; recovering it brings back both
// collections as they were and the alias, whatever happened in between.
TEST_F(SnapshotTest, AFullSnapshotRestoresEveryCollectionAndAlias) {
  CreateCollection("a", 3, qdrant::Euclid);
  CreateCollection("b", 2, qdrant::Dot);
  std::vector<qdrant::PointStruct> pa, pb;
  for (int i = 0; i < 40; ++i) pa.push_back(Point(i, {1.f * i, 0, 1}, i % 3));
  for (int i = 0; i < 25; ++i) pb.push_back(Point(100 + i, {1, 1.f * i}, i % 2));
  ASSERT_TRUE(Upsert("a", pa).ok());
  ASSERT_TRUE(Upsert("b", pb).ok());
  qdrant::ChangeAliases aliases;
  auto* ca = aliases.add_actions()->mutable_create_alias();
  ca->set_collection_name("a");
  ca->set_alias_name("live");
  ASSERT_TRUE(
      Call<qdrant::CollectionOperationResponse>(STRATA_METHOD_Collections_UpdateAliases, aliases)
          .ok());
  const std::string state_a = State("a"), state_b = State("b");
  auto created = Call<qdrant::CreateSnapshotResponse>(STRATA_METHOD_Snapshots_CreateFull,
                                                      qdrant::CreateFullSnapshotRequest());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const qdrant::SnapshotDescription& d = created->snapshot_description();
  EXPECT_EQ(d.name().rfind("full-snapshot-", 0), 0u) << d.name();
  const std::string file = snapshots_dir_ + "/" + d.name();
  EXPECT_EQ(Shell("sha256sum '" + file + "' | cut -d' ' -f1"), d.checksum() + "\n");
  EXPECT_EQ(Shell("tar tf '" + file + "'"),
            "snapshot.meta\naliases.meta\ncollections/a.snapshot\ncollections/b.snapshot\n");
  auto listed = Call<qdrant::ListSnapshotsResponse>(STRATA_METHOD_Snapshots_ListFull,
                                                    qdrant::ListFullSnapshotsRequest());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->snapshot_descriptions_size(), 1);
  EXPECT_EQ(listed->snapshot_descriptions(0).name(), d.name());
  strata::SnapshotReadRequest read;  // no collection: a full snapshot
  read.set_snapshot_name(d.name());
  read.set_max_bytes(16u << 20);
  auto bytes = Call<strata::SnapshotReadResponse>(STRATA_METHOD_Strata_SnapshotRead, read);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->data().size(), static_cast<size_t>(d.size()));

  // Lose a collection, change the other, drop the alias; then recover.
  ASSERT_TRUE(*toc_->Delete("a"));
  ASSERT_TRUE(Upsert("b", {Point(999, {5, 5}, 0)}).ok());
  EXPECT_FALSE(toc_->Find("live").ok()) << "deleting a took its alias";
  {
    auto f = snap_fs_->view().Open(d.name(), STRATA_OPEN_READ);
    ASSERT_TRUE(f.ok());
    Status s = toc_->RecoverFullSnapshot(**f, file);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_EQ(State("a"), state_a);
  EXPECT_EQ(State("b"), state_b);
  EXPECT_EQ(Count("live"), 40u) << "the alias is back";
  EXPECT_TRUE(Shell("ls -a '" + snapshots_dir_ + "'").find(".restore-") == std::string::npos)
      << "temporary files removed";
  // A collection snapshot is not a full one.
  Result<qdrant::SnapshotDescription> one = CreateSnapshot("b");
  ASSERT_TRUE(one.ok());
  auto f = snap_fs_->view().Open("b/" + one->name(), STRATA_OPEN_READ);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(toc_->RecoverFullSnapshot(**f, "b").code(), StatusCode::kInvalidArgument);
  qdrant::DeleteFullSnapshotRequest del;
  del.set_snapshot_name(d.name());
  EXPECT_TRUE(Call<qdrant::DeleteSnapshotResponse>(STRATA_METHOD_Snapshots_DeleteFull, del).ok());
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(SnapshotTest, AnUploadInPiecesRecoversAndIsRemovedAfterwards) {
  CreateCollection("up", 3, qdrant::Cosine);
  std::vector<qdrant::PointStruct> pts;
  for (int i = 0; i < 64; ++i) pts.push_back(Point(i, {1.f + i, 2.f, 3.f}, i % 3));
  ASSERT_TRUE(Upsert("up", pts).ok());
  const std::string state = State("up");
  Result<qdrant::SnapshotDescription> d = CreateSnapshot("up");
  ASSERT_TRUE(d.ok());
  // Download it through the read method, in pieces.
  std::string bytes;
  for (uint64_t total = 1; bytes.size() < total;) {
    strata::SnapshotReadRequest rd;
    rd.set_collection_name("up");
    rd.set_snapshot_name(d->name());
    rd.set_offset(bytes.size());
    rd.set_max_bytes(1000);
    auto r = Call<strata::SnapshotReadResponse>(STRATA_METHOD_Strata_SnapshotRead, rd);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_LE(r->data().size(), 1000u);
    bytes += r->data();
    total = r->total_size();
    ASSERT_FALSE(r->data().empty());
  }
  EXPECT_EQ(bytes.size(), static_cast<size_t>(d->size()));
  // Upload into another collection, out of order first (refused), then in order.
  auto upload = [&](uint64_t off, size_t n) {
    strata::SnapshotUploadRequest up;
    up.set_collection_name("restored");
    up.set_upload_id("u-1");
    up.set_offset(off);
    up.set_data(bytes.substr(off, n));
    return Call<strata::SnapshotUploadResponse>(STRATA_METHOD_Strata_SnapshotUpload, up).status();
  };
  ASSERT_TRUE(upload(0, 700).ok());
  EXPECT_EQ(upload(1400, 700).code(), StatusCode::kInvalidArgument);
  for (uint64_t off = 700; off < bytes.size(); off += 700) ASSERT_TRUE(upload(off, 700).ok());
  strata::SnapshotRecoverRequest rec;
  rec.set_collection_name("restored");
  rec.set_upload_id("u-1");
  rec.set_checksum(d->checksum());
  rec.set_priority("snapshot");
  auto r = Call<strata::SnapshotRecoverResponse>(STRATA_METHOD_Strata_SnapshotRecover, rec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(State("restored"), state);
  EXPECT_FALSE(std::filesystem::exists(snapshots_dir_ + "/restored/.upload-u-1"));
  // The upload is gone: recovering from it again is NOT_FOUND; bad ids and priorities refused.
  EXPECT_EQ(Call<strata::SnapshotRecoverResponse>(STRATA_METHOD_Strata_SnapshotRecover, rec)
                .status()
                .code(),
            StatusCode::kNotFound);
  rec.set_upload_id("../x");
  EXPECT_EQ(Call<strata::SnapshotRecoverResponse>(STRATA_METHOD_Strata_SnapshotRecover, rec)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  rec.set_upload_id("u-1");
  rec.set_priority("first");
  EXPECT_EQ(Call<strata::SnapshotRecoverResponse>(STRATA_METHOD_Strata_SnapshotRecover, rec)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::kernel
