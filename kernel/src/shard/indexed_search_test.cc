// The optimizer builds an index plugin over the sealed offsets and searches use it, with the
// unindexed tail scanned exactly. The built-in exact index stands in for HNSW here, so every
// answer must equal the exact one: any plumbing mistake (bitsets, tail, moved points) shows.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "common/coding.h"
#include "common/crc32c.h"
#include "index/flat_index.h"
#include "shard/local_shard.h"
#include "shard/manifest.h"
#include "storage/posix_fs.h"
#include "strata/abi/strata_methods.h"

namespace strata::kernel {
namespace {

constexpr uint32_t kDim = 8;

std::string Upsert(uint64_t first, int n, std::mt19937& rng, int group = -1) {
  std::normal_distribution<float> g(0, 1);
  qdrant::UpsertPoints req;
  for (int i = 0; i < n; ++i) {
    auto* p = req.add_points();
    p->mutable_id()->set_num(first + i);
    auto* v = p->mutable_vectors()->mutable_vector()->mutable_dense();
    for (uint32_t d = 0; d < kDim; ++d) v->add_data(g(rng));
    (*p->mutable_payload())["g"].set_integer_value(group >= 0 ? group
                                                              : static_cast<int>((first + i) % 4));
  }
  return req.SerializeAsString();
}

class IndexedSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-indexed-XXXXXX";
    root_ = mkdtemp(tmpl);
    fs_ = *OwnedFs::Open(PosixStorageVtable(), root_);
    ShardOptions o;
    o.index = FlatIndexVtable();
    o.indexing_threshold_kb = 4;   // 4 KiB of 8-d vectors: 128 points
    o.full_scan_threshold_kb = 1;  // filtered candidates under 32 points: exact scan
    o.optimizer_interval_ms = 5;
    shard_ = *LocalShard::Open(fs_->view(), "s", {{"", kDim, Metric::kEuclid}}, o);
  }
  void TearDown() override {
    shard_.reset();
    std::filesystem::remove_all(root_);
  }
  bool WaitIndexed(uint64_t n) {
    for (int i = 0; i < 1000; ++i) {
      if (shard_->indexed_count() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  std::vector<uint64_t> Ids(const std::vector<float>& q, const qdrant::Filter* f, bool exact) {
    SearchSpec s;
    s.query = q;
    s.limit = 10;
    s.filter = f;
    s.exact = exact;
    // ef 1 keeps the planner's cost-model crossover (sqrt(32 * ef * n)) below the filters'
    // 150 matches, so filtered searches go through the index (the flat index ignores ef).
    s.hnsw_ef = 1;
    std::vector<uint64_t> ids;
    for (const auto& p : *shard_->Search(s)) ids.push_back(p.id().num());
    return ids;
  }
  void ExpectSameAsExact(std::mt19937& rng) {
    std::normal_distribution<float> g(0, 1);
    qdrant::Filter f;
    auto* c = f.add_must()->mutable_field();
    c->set_key("g");
    c->mutable_match()->set_integer(1);
    for (int t = 0; t < 20; ++t) {
      std::vector<float> q(kDim);
      for (float& x : q) x = g(rng);
      EXPECT_EQ(Ids(q, nullptr, false), Ids(q, nullptr, true));
      EXPECT_EQ(Ids(q, &f, false), Ids(q, &f, true));
    }
  }
  std::string root_;
  std::unique_ptr<OwnedFs> fs_;
  std::unique_ptr<LocalShard> shard_;
};

TEST_F(IndexedSearchTest, TheOptimizerIndexesAndSearchesStayExact) {
  std::mt19937 rng(4);
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 600, rng)).ok());
  ASSERT_TRUE(WaitIndexed(600)) << "indexed " << shard_->indexed_count();
  ExpectSameAsExact(rng);

  // A tail that is not indexed yet, rewritten points (moved to fresh offsets) and deletions.
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(600, 50, rng)).ok());
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 40, rng)).ok());
  qdrant::DeletePoints del;
  for (uint64_t id = 100; id < 200; ++id)
    del.mutable_points()->mutable_points()->add_ids()->set_num(id);
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Delete, del.SerializeAsString()).ok());
  ExpectSameAsExact(rng);
  std::normal_distribution<float> g(0, 1);
  for (int t = 0; t < 20; ++t) {
    std::vector<float> q(kDim);
    for (float& x : q) x = g(rng);
    for (uint64_t id : Ids(q, nullptr, false)) EXPECT_TRUE(id < 100 || id >= 200) << id;
  }

  // Enough new data to double it: the optimizer rebuilds over everything.
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(1000, 800, rng)).ok());
  ASSERT_TRUE(WaitIndexed(1400)) << "indexed " << shard_->indexed_count();
  ExpectSameAsExact(rng);
}

// PATCH optimizers_config reaches a running shard: indexing off (threshold 0) until the
// threshold is set, and no optimization at all while optimizations are disabled.
TEST_F(IndexedSearchTest, OptimizerThresholdsChangeWhileTheShardRuns) {
  ShardOptions o;
  o.index = FlatIndexVtable();
  o.indexing_threshold_kb = 0;  // never index
  o.full_scan_threshold_kb = 1;
  o.optimizer_interval_ms = 5;
  std::unique_ptr<LocalShard> shard =
      *LocalShard::Open(fs_->view(), "p", {{"", kDim, Metric::kEuclid}}, o);
  std::mt19937 rng(21);
  ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 300, rng)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // 20 optimizer rounds
  EXPECT_EQ(shard->indexed_count(), 0u);
  LocalShard::Tunables t{4, 1, 1000, 0.2, /*optimizations_enabled=*/false};
  shard->SetTunables(t);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(shard->indexed_count(), 0u) << "optimizations are off";
  t.optimizations_enabled = true;
  shard->SetTunables(t);
  for (int i = 0; i < 1000 && shard->indexed_count() < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(shard->indexed_count(), 300u) << "the threshold set while running is used";
}

// params.indexed_only: an unindexed tail is searched while it is below the indexing threshold
// and left out above it (Qdrant skips unindexed segments that are not small).
TEST_F(IndexedSearchTest, IndexedOnlyLeavesOutALargeUnindexedTailOnly) {
  ShardOptions o;
  o.index = FlatIndexVtable();
  o.indexing_threshold_kb = 4;  // 128 points of 8-d
  o.optimizer_interval_ms = 5;
  o.idle_before_insert_ms = 600000;  // the tail is never inserted during the test
  std::unique_ptr<LocalShard> shard =
      *LocalShard::Open(fs_->view(), "t", {{"", kDim, Metric::kEuclid}}, o);
  // Point i sits at (i, 0, ..., 0): its own vector finds it first.
  auto line = [](uint64_t first, int n) {
    qdrant::UpsertPoints req;
    for (int i = 0; i < n; ++i) {
      auto* p = req.add_points();
      p->mutable_id()->set_num(first + i);
      auto* v = p->mutable_vectors()->mutable_vector()->mutable_dense();
      for (uint32_t d = 0; d < kDim; ++d) v->add_data(d == 0 ? static_cast<float>(first + i) : 0);
    }
    return req.SerializeAsString();
  };
  auto top = [&](uint64_t id, bool indexed_only) -> int64_t {
    SearchSpec s;
    s.query.assign(kDim, 0.0f);
    s.query[0] = static_cast<float>(id);
    s.limit = 1;
    s.indexed_only = indexed_only;
    auto hits = shard->Search(s);
    EXPECT_TRUE(hits.ok());
    return hits->empty() ? -1 : static_cast<int64_t>((*hits)[0].id().num());
  };
  ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Upsert, line(0, 300)).ok());
  for (int i = 0; i < 1000 && shard->indexed_count() < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(shard->indexed_count(), 300u);
  EXPECT_EQ(top(150, true), 150);
  ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Upsert, line(300, 100)).ok());
  EXPECT_EQ(top(350, true), 350) << "a tail of 100 (below 128) is still searched";
  ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Upsert, line(400, 100)).ok());
  EXPECT_EQ(top(450, false), 450);
  EXPECT_EQ(top(450, true), 299) << "a tail of 200 is left out: the nearest indexed point";
  EXPECT_EQ(shard->indexed_count(), 300u) << "the tail stayed unindexed during the test";
  shard.reset();

  // Without any index, the whole segment is one unindexed tail.
  o.index = nullptr;
  shard = *LocalShard::Open(fs_->view(), "u", {{"", kDim, Metric::kEuclid}}, o);
  ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Upsert, line(0, 100)).ok());
  EXPECT_EQ(top(50, true), 50);
  ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Upsert, line(100, 100)).ok());
  EXPECT_EQ(top(50, true), -1) << "200 unindexed points: nothing is searched";
  EXPECT_EQ(top(50, false), 50);
}

TEST_F(IndexedSearchTest, PayloadIndexPlansStayExactOnEveryPath) {
  // g = 0..3 on 600 points (150 each: the graph with candidate bits) and g = 9 on 10 points
  // (below the full-scan threshold: scored exactly from the payload index).
  std::mt19937 rng(5);
  shard_->SetFieldIndexes({{"g", FieldIndexSpec{FieldKind::kInteger}}});
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 600, rng)).ok());
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(600, 10, rng, 9)).ok());
  // The optimizer may index the first batch before the second arrives; then the ten g = 9
  // points stay in the unindexed tail, which the planner scans exactly. Both layouts must give
  // exact answers.
  ASSERT_TRUE(WaitIndexed(600)) << "indexed " << shard_->indexed_count();
  EXPECT_EQ(shard_->PointsIndexed("g"), 610u);
  ExpectSameAsExact(rng);
  qdrant::Filter rare;
  auto* c = rare.add_must()->mutable_field();
  c->set_key("g");
  c->mutable_match()->set_integer(9);
  qdrant::Filter range;  // through the numeric part of the index
  auto* r = range.add_must()->mutable_field();
  r->set_key("g");
  r->mutable_range()->set_gte(2);
  std::normal_distribution<float> g(0, 1);
  for (int t = 0; t < 20; ++t) {
    std::vector<float> q(kDim);
    for (float& x : q) x = g(rng);
    std::vector<uint64_t> ids = Ids(q, &rare, false);
    EXPECT_EQ(ids, Ids(q, &rare, true));
    EXPECT_EQ(ids.size(), 10u);
    for (uint64_t id : ids) EXPECT_GE(id, 600u);
    EXPECT_EQ(Ids(q, &range, false), Ids(q, &range, true));
  }
  // Rewrites move points and change their group; the index follows.
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(600, 5, rng, 1)).ok());
  EXPECT_EQ(*shard_->Count(&rare), 5u);
  ExpectSameAsExact(rng);
  shard_->SetFieldIndexes({});
  EXPECT_EQ(shard_->PointsIndexed("g"), 0u);
  EXPECT_EQ(*shard_->Count(&rare), 5u);
}

TEST_F(IndexedSearchTest, OptimizerStateIsBusyUntilIndexedAndReportsAFailedBuild) {
  std::mt19937 rng(6);
  // A sleeping optimizer: the index is due but not built.
  ShardOptions o;
  o.index = FlatIndexVtable();
  o.indexing_threshold_kb = 4;
  o.optimizer_interval_ms = 60000;
  auto idle = *LocalShard::Open(fs_->view(), "idle", {{"", kDim, Metric::kEuclid}}, o);
  EXPECT_FALSE(idle->optimizer_state().busy);
  ASSERT_TRUE(idle->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 600, rng)).ok());
  EXPECT_TRUE(idle->optimizer_state().busy);
  idle.reset();

  // The running fixture shard settles to idle once indexed.
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 600, rng)).ok());
  ASSERT_TRUE(WaitIndexed(600));
  for (int i = 0; i < 200 && shard_->optimizer_state().busy; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(shard_->optimizer_state().busy);
  EXPECT_TRUE(shard_->optimizer_state().error.empty());

  // A plugin whose build fails: reported, searches stay exact and correct.
  static strata_index_vtable failing = *FlatIndexVtable();
  failing.build = [](strata_index*, const strata_filter*, const strata_cancel*,
                     strata_error* err) -> int32_t {
    return SetError(err, STRATA_INTERNAL, "disk on fire");
  };
  o.index = &failing;
  o.optimizer_interval_ms = 5;
  auto broken = *LocalShard::Open(fs_->view(), "broken", {{"", kDim, Metric::kEuclid}}, o);
  ASSERT_TRUE(broken->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 600, rng)).ok());
  std::string error;
  for (int i = 0; i < 400 && error.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    error = broken->optimizer_state().error;
  }
  EXPECT_NE(error.find("disk on fire"), std::string::npos) << error;
  EXPECT_EQ(broken->indexed_count(), 0u);
  SearchSpec s;
  s.query.assign(kDim, 0.5f);
  s.limit = 3;
  EXPECT_EQ(broken->Search(s)->size(), 3u);
}

TEST_F(IndexedSearchTest, VacuumReclaimsRetiredOffsetsAndKeepsEveryAnswer) {
  std::mt19937 rng(7);
  shard_->SetFieldIndexes({{"g", FieldIndexSpec{FieldKind::kInteger}}});
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 3000, rng)).ok());
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 500, rng)).ok());  // rewrites
  qdrant::DeletePoints del;
  for (uint64_t id = 1000; id < 2500; ++id) {
    del.mutable_points()->mutable_points()->add_ids()->set_num(id);
  }
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Delete, del.SerializeAsString()).ok());
  // 3500 offsets, 1500 live: the optimizer's vacuum (1000 dead, 20%) must run.
  for (int i = 0; i < 400 && shard_->offset_count() > 1500; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(shard_->offset_count(), 1500u);
  EXPECT_EQ(shard_->points_count(), 1500u);
  EXPECT_EQ(shard_->PointsIndexed("g"), 1500u);
  qdrant::Filter g1;
  auto* c = g1.add_must()->mutable_field();
  c->set_key("g");
  c->mutable_match()->set_integer(1);
  EXPECT_EQ(*shard_->Count(&g1), 375u);  // ids = 1 mod 4 outside [1000, 2500)
  ASSERT_TRUE(WaitIndexed(1500)) << "the index is rebuilt over the compacted segment";
  ExpectSameAsExact(rng);
  // The points themselves (vectors, payloads, versions) survived the rewrite, and a restart.
  auto check = [&](LocalShard& s) {
    qdrant::GetPoints get;
    for (uint64_t id : {0u, 499u, 999u, 2500u, 2999u}) get.add_ids()->set_num(id);
    get.mutable_with_payload()->set_enable(true);
    get.mutable_with_vectors()->set_enable(true);
    qdrant::GetResponse resp;
    ASSERT_TRUE(s.Get(get, &resp).ok());
    ASSERT_EQ(resp.result_size(), 5);
    for (const auto& p : resp.result()) {
      EXPECT_EQ(p.payload().at("g").integer_value(), static_cast<int64_t>(p.id().num() % 4));
      EXPECT_EQ(p.vectors().vector().dense().data_size(), static_cast<int>(kDim));
    }
    qdrant::GetPoints gone;
    gone.add_ids()->set_num(1700);
    qdrant::GetResponse none;
    ASSERT_TRUE(s.Get(gone, &none).ok());
    EXPECT_EQ(none.result_size(), 0);
  };
  check(*shard_);
  shard_.reset();
  ShardOptions o;
  o.index = FlatIndexVtable();
  o.indexing_threshold_kb = 4;
  o.full_scan_threshold_kb = 1;
  o.optimizer_interval_ms = 5;
  shard_ = *LocalShard::Open(fs_->view(), "s", {{"", kDim, Metric::kEuclid}}, o);
  EXPECT_EQ(shard_->points_count(), 1500u);
  check(*shard_);
}

TEST_F(IndexedSearchTest, ASavedIndexIsLoadedAfterARestartUntilAVacuumChangesTheOffsets) {
  std::mt19937 rng(8);
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 600, rng)).ok());
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 100, rng)).ok());  // retired
  ASSERT_TRUE(WaitIndexed(700));
  auto reopen = [&](uint32_t interval_ms) {
    shard_.reset();
    ShardOptions o;
    o.index = FlatIndexVtable();
    o.indexing_threshold_kb = 4;
    o.full_scan_threshold_kb = 1;
    o.optimizer_interval_ms = interval_ms;  // 60000: an optimizer that never gets to run
    shard_ = *LocalShard::Open(fs_->view(), "s", {{"", kDim, Metric::kEuclid}}, o);
  };
  reopen(60000);
  // The saved index covers what the last build did (600 or 700: the last 100 may have been
  // inserted incrementally, fewer than the 128 that make a new save); loaded, not rebuilt.
  EXPECT_GE(shard_->indexed_count(), 600u) << "loaded, not rebuilt";
  EXPECT_EQ(shard_->offset_count(), 700u) << "the snapshot kept the retired offsets";
  ExpectSameAsExact(rng);
  // Writes after the restart land behind the loaded index (scanned exactly until indexed).
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(1000, 30, rng)).ok());
  ExpectSameAsExact(rng);

  // A vacuum renumbers the offsets: the saved index no longer applies.
  qdrant::DeletePoints del;
  for (uint64_t id = 0; id < 400; ++id)
    del.mutable_points()->mutable_points()->add_ids()->set_num(id);
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Delete, del.SerializeAsString()).ok());
  EXPECT_EQ(shard_->Vacuum(), 500u);  // 100 retired by the rewrite, 400 deleted
  EXPECT_EQ(shard_->indexed_count(), 0u);
  reopen(60000);
  EXPECT_EQ(shard_->indexed_count(), 0u) << "an index for the old offsets must not load";
  EXPECT_EQ(shard_->points_count(), 230u);
  ExpectSameAsExact(rng);
  reopen(5);
  ASSERT_TRUE(WaitIndexed(230));
  reopen(60000);
  EXPECT_EQ(shard_->indexed_count(), 230u) << "the new layout's index is saved and loaded";
  ExpectSameAsExact(rng);
}

// The manifest names the plugin that saved an index: another index plugin never loads it (the
// optimizer rebuilds), a new version of the same one does.
TEST_F(IndexedSearchTest, ASavedIndexLoadsOnlyIntoThePluginThatSavedIt) {
  std::mt19937 rng(9);
  shard_.reset();
  auto open = [&](const std::string& plugin) {
    shard_.reset();
    ShardOptions o;
    o.index = FlatIndexVtable();
    o.indexing_threshold_kb = 4;
    o.optimizer_interval_ms = 60000;  // an optimizer that never gets to run
    o.index_plugin = plugin;
    o.storage_backend = "storage/posix 1.0.0";
    shard_ = *LocalShard::Open(fs_->view(), "s", {{"", kDim, Metric::kEuclid}}, o);
  };
  {
    ShardOptions o;
    o.index = FlatIndexVtable();
    o.indexing_threshold_kb = 4;
    o.optimizer_interval_ms = 5;
    o.index_plugin = "index/flat 1.0.0";
    shard_ = *LocalShard::Open(fs_->view(), "s", {{"", kDim, Metric::kEuclid}}, o);
  }
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 300, rng)).ok());
  ASSERT_TRUE(WaitIndexed(300));
  open("index/flat 1.1.0");
  EXPECT_EQ(shard_->indexed_count(), 300u) << "a new version of the same plugin loads it";
  open("index/other 1.0.0");
  EXPECT_EQ(shard_->indexed_count(), 0u) << "another plugin must not load it";
  ExpectSameAsExact(rng);
  // The manifest says so.
  auto bytes = fs_->view().ReadAll("s/manifest");
  ASSERT_TRUE(bytes.ok());
  Result<ShardManifest> m = ShardManifest::Decode(*bytes, "manifest");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->saved_indexes.at(""), "index/flat 1.0.0");
  EXPECT_EQ(m->index_plugin, "index/other 1.0.0");
  EXPECT_EQ(m->storage, "storage/posix 1.0.0");
  ASSERT_EQ(m->segments.size(), 1u);
  EXPECT_EQ(m->segments[0].image, "segment.snap");
}

TEST(ShardManifestTest, RoundTripsAndRefusesDamageAndNewerFormats) {
  ShardManifest m;
  m.storage = "storage/mmap 1.0.0";
  m.index_plugin = "index/hnsw 1.2.0";
  m.segments.push_back({"appendable", "segment.snap", "payloads", 42});
  m.saved_indexes["name with spaces\nand a newline"] = "index/hnsw 1.2.0";
  const std::string bytes = m.Encode();
  Result<ShardManifest> back = ShardManifest::Decode(bytes, "m");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->storage, m.storage);
  EXPECT_EQ(back->index_plugin, m.index_plugin);
  EXPECT_EQ(back->saved_indexes, m.saved_indexes);
  ASSERT_EQ(back->segments.size(), 1u);
  EXPECT_EQ(back->segments[0].payloads, "payloads");
  EXPECT_EQ(back->segments[0].layout, 42u);
  std::string damaged = bytes;
  damaged[20] ^= 1;
  EXPECT_EQ(ShardManifest::Decode(damaged, "m").status().code(), StatusCode::kDataLoss);
  std::string newer = bytes;
  newer[8] = 2;  // format version 2, CRC recomputed so only the version differs
  newer.resize(newer.size() - 4);
  AppendLe<uint32_t>(&newer, Crc32c(newer.data(), newer.size()));
  Result<ShardManifest> refused = ShardManifest::Decode(newer, "m");
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("newer"), std::string::npos);
  EXPECT_EQ(PluginName("index/hnsw 1.2.0"), "index/hnsw");
}

// Points inserted into a built index (below the rebuild point) are saved once they add up to the
// indexing threshold, so a restart loads them instead of inserting them again.
TEST_F(IndexedSearchTest, IncrementalInsertsAreSavedAndLoadedAfterARestart) {
  std::mt19937 rng(9);
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(0, 600, rng)).ok());
  ASSERT_TRUE(WaitIndexed(600));
  // 200 more: below the rebuild point (the tail must double the data), above the threshold
  // (128 points) for a save; inserted once writes pause.
  ASSERT_TRUE(shard_->Write(STRATA_METHOD_Points_Upsert, Upsert(600, 200, rng)).ok());
  ASSERT_TRUE(WaitIndexed(800)) << "indexed " << shard_->indexed_count();
  ShardOptions o;
  o.index = FlatIndexVtable();
  o.indexing_threshold_kb = 4;
  o.full_scan_threshold_kb = 1;
  o.optimizer_interval_ms = 60000;  // an optimizer that never gets to run
  bool saved = false;
  for (int i = 0; i < 3 && !saved; ++i) {  // the save follows the inserts in the same round
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    shard_.reset();
    shard_ = *LocalShard::Open(fs_->view(), "s", {{"", kDim, Metric::kEuclid}}, o);
    saved = shard_->indexed_count() == 800;
    if (!saved) {
      shard_.reset();
      o.optimizer_interval_ms = 5;
      shard_ = *LocalShard::Open(fs_->view(), "s", {{"", kDim, Metric::kEuclid}}, o);
      ASSERT_TRUE(WaitIndexed(800));
      o.optimizer_interval_ms = 60000;
    }
  }
  EXPECT_TRUE(saved) << "the loaded index covers the inserted points";
  ExpectSameAsExact(rng);
}

}  // namespace
}  // namespace strata::kernel
