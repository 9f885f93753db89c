// Writers and searchers on one shard for a bounded time: every point a reader sees is whole (its
// payload and vector come from the same write) and each writer's point count never goes down.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "shard/local_shard.h"
#include "storage/posix_fs.h"
#include "strata/abi/strata_methods.h"

namespace strata::kernel {
namespace {

constexpr uint32_t kDim = 8;

std::string Upsert(int writer, uint64_t first, int n, int64_t rev) {
  qdrant::UpsertPoints req;
  for (int i = 0; i < n; ++i) {
    qdrant::PointStruct* p = req.add_points();
    p->mutable_id()->set_num(first + i);
    auto* v = p->mutable_vectors()->mutable_vector()->mutable_dense();
    for (uint32_t d = 0; d < kDim; ++d) v->add_data(static_cast<float>(rev * 10 + d));
    (*p->mutable_payload())["writer"].set_integer_value(writer);
    (*p->mutable_payload())["rev"].set_integer_value(rev);
  }
  return req.SerializeAsString();
}

// Points whose vector and payload come from different writes among a top-20 search with both
// (a point of rev r has vector[0] == 10 r); -1 when the search fails.
int TornHits(const LocalShard& shard) {
  SearchSpec s;
  s.query.assign(kDim, 1.0f);
  s.limit = 20;
  qdrant::WithPayloadSelector wp;
  wp.set_enable(true);
  qdrant::WithVectorsSelector wv;
  wv.set_enable(true);
  s.with_payload = &wp;
  s.with_vectors = &wv;
  Result<std::vector<qdrant::ScoredPoint>> hits = shard.Search(s);
  if (!hits.ok()) return -1;
  int torn = 0;
  for (const auto& p : *hits) {
    int64_t rev = p.payload().at("rev").integer_value();
    if (p.vectors().vector().dense().data(0) != static_cast<float>(rev * 10)) ++torn;
  }
  return torn;
}

qdrant::Filter WriterIs(int w) {
  qdrant::Filter f;
  auto* c = f.add_must()->mutable_field();
  c->set_key("writer");
  c->mutable_match()->set_integer(w);
  return f;
}

// Every test runs with payloads in memory and with payloads on disk.
class ShardConcurrencyTest : public ::testing::TestWithParam<bool> {};

TEST_P(ShardConcurrencyTest, ReadersNeverSeeTornPointsAndCountsOnlyGrow) {
  char tmpl[] = "/tmp/strata-conc-XXXXXX";
  std::string root = mkdtemp(tmpl);
  auto fs = *OwnedFs::Open(PosixStorageVtable(), root);
  ShardOptions opts;
  opts.snapshot_every_ops = 50;  // snapshots run during the test too
  opts.payload_on_disk = GetParam();
  auto shard = *LocalShard::Open(fs->view(), "s", {{"", kDim, Metric::kDot}}, opts);

  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, shrank{0}, reads{0}, writes{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      uint64_t next = 0;
      for (int64_t rev = 1; !stop; ++rev) {
        // Alternate new points and rewrites of old ones.
        uint64_t first = (rev % 3 == 0 && next > 10) ? (w * 1000000ull) : w * 1000000ull + next;
        if (first == w * 1000000ull + next) next += 10;
        ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Upsert, Upsert(w, first, 10, rev)).ok());
        ++writes;
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&] {
      std::vector<uint64_t> last(3, 0);
      while (!stop) {
        for (int w = 0; w < 3; ++w) {
          const qdrant::Filter f = WriterIs(w);
          uint64_t n = *shard->Count(&f);
          if (n < last[w]) ++shrank;
          last[w] = n;
        }
        const int t = TornHits(*shard);
        ASSERT_GE(t, 0) << "search failed";
        torn += t;
        ++reads;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(shrank.load(), 0);
  EXPECT_GT(reads.load(), 10);
  EXPECT_GT(writes.load(), 10);
  shard.reset();
  std::filesystem::remove_all(root);
}

// Vacuums running while writers upsert, rewrite and delete and a reader searches: no
// acknowledged write is lost or undone by the swap, readers never see torn points, and the
// result survives a restart.
TEST_P(ShardConcurrencyTest, VacuumDuringWritesLosesNothing) {
  char tmpl[] = "/tmp/strata-vac-XXXXXX";
  std::string root = mkdtemp(tmpl);
  auto fs = *OwnedFs::Open(PosixStorageVtable(), root);
  ShardOptions opts;
  opts.optimizer_interval_ms = 0;  // vacuums are run by the test
  opts.payload_on_disk = GetParam();
  auto shard = *LocalShard::Open(fs->view(), "s", {{"", kDim, Metric::kDot}}, opts);
  shard->SetFieldIndexes({{"writer", FieldIndexSpec{FieldKind::kInteger}}});
  // A large enough segment that each copy overlaps many writes.
  for (int b = 0; b < 40; ++b) {
    ASSERT_TRUE(
        shard->Write(STRATA_METHOD_Points_Upsert, Upsert(9, 5000000ull + b * 500, 500, 1)).ok());
  }

  constexpr int kWriters = 2;
  // expected[w][id] = the last acknowledged rev, or -1 after an acknowledged delete.
  std::vector<std::map<uint64_t, int64_t>> expected(kWriters);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, vacuums{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(w + 1);
      for (int64_t rev = 1; !stop; ++rev) {
        const uint64_t first = w * 1000000ull + (rng() % 200) * 5;
        if (rng() % 4 == 0) {
          qdrant::DeletePoints del;
          for (uint64_t id = first; id < first + 5; ++id) {
            del.mutable_points()->mutable_points()->add_ids()->set_num(id);
          }
          ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Delete, del.SerializeAsString()).ok());
          for (uint64_t id = first; id < first + 5; ++id) expected[w][id] = -1;
        } else {
          ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Upsert, Upsert(w, first, 5, rev)).ok());
          for (uint64_t id = first; id < first + 5; ++id) expected[w][id] = rev;
        }
      }
    });
  }
  threads.emplace_back([&] {
    while (!stop) {
      const int t = TornHits(*shard);
      ASSERT_GE(t, 0) << "search failed";
      torn += t;
    }
  });
  threads.emplace_back([&] {
    while (!stop) {
      shard->Vacuum();
      ++vacuums;
    }
  });
  // At least half a second and three vacuums (slow builds such as ASan take longer per copy).
  const auto start = std::chrono::steady_clock::now();
  while (
      std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500) ||
      (vacuums.load() < 3 && std::chrono::steady_clock::now() - start < std::chrono::seconds(60))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GE(vacuums.load(), 3);

  auto verify = [&](LocalShard& sh) {
    uint64_t live = 20000;
    for (int w = 0; w < kWriters; ++w) {
      qdrant::GetPoints get;
      for (const auto& [id, rev] : expected[w]) get.add_ids()->set_num(id);
      get.mutable_with_payload()->set_enable(true);
      get.mutable_with_vectors()->set_enable(true);
      qdrant::GetResponse got;
      ASSERT_TRUE(sh.Get(get, &got).ok());
      std::map<uint64_t, const qdrant::RetrievedPoint*> found;
      for (const auto& p : got.result()) found[p.id().num()] = &p;
      for (const auto& [id, rev] : expected[w]) {
        auto it = found.find(id);
        if (rev < 0) {
          EXPECT_TRUE(it == found.end()) << "point " << id << " was deleted";
          continue;
        }
        ++live;
        ASSERT_TRUE(it != found.end()) << "point " << id << " (rev " << rev << ") is missing";
        EXPECT_EQ(it->second->payload().at("rev").integer_value(), rev) << id;
        EXPECT_EQ(it->second->vectors().vector().dense().data(0), static_cast<float>(rev * 10));
      }
      const qdrant::Filter f = WriterIs(w);
      uint64_t n = *sh.Count(&f);
      uint64_t want = 0;
      for (const auto& [id, rev] : expected[w]) want += rev >= 0;
      EXPECT_EQ(n, want) << "the payload index agrees after the swaps";
    }
    EXPECT_EQ(*sh.Count(nullptr), live);
  };
  verify(*shard);
  shard.reset();
  shard = *LocalShard::Open(fs->view(), "s", {{"", kDim, Metric::kDot}}, opts);
  shard->SetFieldIndexes({{"writer", FieldIndexSpec{FieldKind::kInteger}}});
  verify(*shard);
  shard.reset();
  std::filesystem::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(Payloads, ShardConcurrencyTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "OnDisk" : "InMemory";
                         });

}  // namespace
}  // namespace strata::kernel
