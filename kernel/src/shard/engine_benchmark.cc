// Engine benchmarks (in-process, no network):
//   BM_Upsert/<dim>/<batch>/<sync>: upsert throughput through LocalShard::Write (WAL + apply +
//     group-committed fdatasync when sync=1), points/s as items_per_second;
//   BM_ExactScan/<dim>: exact top-10 search over 100k (128-d) or 50k (768-d) vectors, reported
//     as bytes of vector data scanned per second;
//   BM_FilteredSearch/<per mille>/<indexed>: exact top-10 through LocalShard::Search with the
//     filter `label < T` over 100k 128-d points (label uniform in 0..999), with and without an
//     integer payload index on `label`: the planner's gain from the payload index;
//   BM_MemoryCopy: memcpy of a 256 MiB buffer, this machine's memory bandwidth in the same run;
//   BM_SparseSearch/<docs>: exact sparse (idf) top-10 through the segment's inverted index;
//   BM_Payloads/<on disk>: 100k 128-d points with ~400-byte payloads kept in memory or in the
//     LevelDB store: upsert rate and heap bytes per point while loading (counters), then
//     retrieving 10 random points with payload per iteration;
//   BM_FilteredSearch's third argument puts the payloads on disk;
//   BM_ScrollPage/<on disk>: one scroll page of 100 from a random offset over 200k points.
// Run: build/release/kernel/engine_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <malloc.h>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "shard/local_shard.h"
#include "storage/posix_fs.h"
#include "strata/abi/strata_methods.h"

namespace strata::kernel {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/strata-bench-XXXXXX";
  return mkdtemp(tmpl);
}

// A shard in a fresh temporary directory, removed with it. No automatic snapshots: the write
// path is measured, not snapshots; fdatasync per write only when asked.
struct BenchShard {
  BenchShard(uint32_t dim, Metric metric, bool payload_on_disk, bool sync = false,
             bool optimizer = true)
      : root(TempDir()) {
    fs = *OwnedFs::Open(PosixStorageVtable(), root);
    ShardOptions opts;
    opts.wal.sync = sync ? WalSync::kAlways : WalSync::kNever;
    opts.snapshot_every_ops = 1u << 30;
    if (!optimizer) opts.optimizer_interval_ms = 0;
    opts.payload_on_disk = payload_on_disk;
    shard = *LocalShard::Open(fs->view(), "s", {{"", dim, metric}}, opts);
  }
  ~BenchShard() {
    shard.reset();
    std::filesystem::remove_all(root);
  }
  LocalShard* operator->() const { return shard.get(); }
  std::string root;
  std::unique_ptr<OwnedFs> fs;
  std::unique_ptr<LocalShard> shard;
};

std::string Batch(uint64_t first, int n, int dim, std::mt19937& rng) {
  std::normal_distribution<float> g(0, 1);
  qdrant::UpsertPoints req;
  for (int i = 0; i < n; ++i) {
    qdrant::PointStruct* p = req.add_points();
    p->mutable_id()->set_num(first + i);
    auto* v = p->mutable_vectors()->mutable_vector()->mutable_dense();
    for (int d = 0; d < dim; ++d) v->add_data(g(rng));
    (*p->mutable_payload())["n"].set_integer_value(static_cast<int64_t>(first + i));
  }
  return req.SerializeAsString();
}

void BM_Upsert(benchmark::State& state) {
  const int dim = static_cast<int>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  const bool sync = state.range(2) != 0;
  BenchShard shard(static_cast<uint32_t>(dim), Metric::kCosine, /*payload_on_disk=*/false, sync);
  std::mt19937 rng(1);
  std::vector<std::string> batches;
  for (int i = 0; i < 20; ++i) batches.push_back(Batch(uint64_t(i) * batch, batch, dim, rng));
  size_t i = 0;
  for (auto _ : state) {
    auto r = shard->Write(STRATA_METHOD_Points_Upsert, batches[i++ % batches.size()]);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(sync ? "fdatasync per batch" : "no fsync");
}
BENCHMARK(BM_Upsert)
    ->ArgsProduct({{128, 768}, {100, 1000}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_ExactScan(benchmark::State& state) {
  const int dim = static_cast<int>(state.range(0));
  const int n = dim <= 128 ? 100000 : 50000;
  Segment seg({{"", static_cast<uint32_t>(dim), Metric::kDot}});
  std::mt19937 rng(2);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> v(dim);
  PayloadMap empty;
  for (int i = 0; i < n; ++i) {
    for (float& x : v) x = g(rng);
    seg.Upsert(ExternalId::Num(i), 1, {{"", v}}, empty);
  }
  for (float& x : v) x = g(rng);
  for (auto _ : state) {
    auto hits = seg.Search("", v.data(), 10, nullptr);
    benchmark::DoNotOptimize(hits);
  }
  state.SetBytesProcessed(state.iterations() * int64_t{n} * dim * 4);
  state.SetLabel(std::string("simd=") + SimdLevelName(DetectSimdLevel()));
}
BENCHMARK(BM_ExactScan)->Arg(128)->Arg(768)->Unit(benchmark::kMillisecond);

void BM_FilteredSearch(benchmark::State& state) {
  const int per_mille = static_cast<int>(state.range(0));
  const bool indexed = state.range(1) != 0;
  const bool on_disk = state.range(2) != 0;
  constexpr int kDim = 128, kN = 100000;
  BenchShard shard(kDim, Metric::kDot, on_disk);
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0, 1);
  for (int first = 0; first < kN; first += 1000) {
    qdrant::UpsertPoints req;
    for (int i = first; i < first + 1000; ++i) {
      qdrant::PointStruct* p = req.add_points();
      p->mutable_id()->set_num(i);
      auto* v = p->mutable_vectors()->mutable_vector()->mutable_dense();
      for (int d = 0; d < kDim; ++d) v->add_data(g(rng));
      (*p->mutable_payload())["label"].set_integer_value(static_cast<int64_t>(rng() % 1000));
    }
    if (!shard->Write(STRATA_METHOD_Points_Upsert, req.SerializeAsString()).ok()) {
      state.SkipWithError("load failed");
      return;
    }
  }
  if (indexed) shard->SetFieldIndexes({{"label", FieldIndexSpec{FieldKind::kInteger}}});
  qdrant::Filter f;
  auto* c = f.add_must()->mutable_field();
  c->set_key("label");
  c->mutable_range()->set_lt(per_mille);
  SearchSpec spec;
  spec.query.resize(kDim);
  for (float& x : spec.query) x = g(rng);
  spec.limit = 10;
  spec.filter = &f;
  for (auto _ : state) {
    auto hits = shard->Search(spec);
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(state.iterations());  // searches per second
  state.SetLabel(std::string(indexed ? "payload index" : "no payload index") +
                 (on_disk ? ", payloads on disk" : ", payloads in memory"));
}
BENCHMARK(BM_FilteredSearch)
    ->ArgsProduct({{1, 10, 100, 500}, {0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

// One scroll page (limit 100, no filter) from a random start over 200k points: the id order is
// cached between writes, so a page costs a binary search, not a sort of every point.
void BM_ScrollPage(benchmark::State& state) {
  constexpr int kN = 200000, kDim = 16;
  const bool on_disk = state.range(0) != 0;
  BenchShard shard(kDim, Metric::kDot, on_disk, /*sync=*/false, /*optimizer=*/false);
  std::mt19937 rng(5);
  for (int first = 0; first < kN; first += 1000) {
    if (!shard->Write(STRATA_METHOD_Points_Upsert, Batch(first, 1000, kDim, rng)).ok()) {
      state.SkipWithError("load failed");
      return;
    }
  }
  for (auto _ : state) {
    qdrant::ScrollPoints req;
    req.set_limit(100);
    req.mutable_offset()->set_num(rng() % kN);
    qdrant::ScrollResponse resp;
    benchmark::DoNotOptimize(shard->Scroll(req, &resp));
  }
  state.SetItemsProcessed(state.iterations());  // pages per second
  state.SetLabel(on_disk ? "payloads on disk" : "payloads in memory");
}
BENCHMARK(BM_ScrollPage)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Heap bytes in use (glibc): what the shard keeps in allocations, its mapped vector storage
// (not malloc'ed) left out.
int64_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

void BM_Payloads(benchmark::State& state) {
  const bool on_disk = state.range(0) != 0;
  constexpr int kDim = 128, kN = 100000, kBatch = 1000;
  std::mt19937 rng(4);
  std::normal_distribution<float> g(0, 1);
  // Batches are made one at a time (only the writes are timed), so resident memory grows by
  // what the shard keeps.
  auto make_batch = [&](int first) {
    qdrant::UpsertPoints req;
    for (int i = first; i < first + kBatch; ++i) {
      qdrant::PointStruct* p = req.add_points();
      p->mutable_id()->set_num(i);
      auto* v = p->mutable_vectors()->mutable_vector()->mutable_dense();
      for (int d = 0; d < kDim; ++d) v->add_data(g(rng));
      auto& pl = *p->mutable_payload();
      pl["title"].set_string_value("item " + std::to_string(i) + " " + std::string(200, 'x'));
      pl["price"].set_double_value(rng() % 10000 / 100.0);
      pl["stock"].set_integer_value(rng() % 500);
      pl["city"].set_string_value(i % 2 ? "Berlin" : "Lisbon");
      auto* tags = pl["tags"].mutable_list_value();
      for (int t = 0; t < 4; ++t) {
        tags->add_values()->set_string_value("tag" + std::to_string(rng() % 50));
      }
      (*pl["meta"].mutable_struct_value()->mutable_fields())["rev"].set_integer_value(i);
    }
    return req.SerializeAsString();
  };
  BenchShard shard(kDim, Metric::kDot, on_disk, /*sync=*/false, /*optimizer=*/false);
  const int64_t heap_before = HeapInUse();
  double load_s = 0;
  for (int first = 0; first < kN; first += kBatch) {
    const std::string batch = make_batch(first);
    const auto start = std::chrono::steady_clock::now();
    if (!shard->Write(STRATA_METHOD_Points_Upsert, batch).ok()) {
      state.SkipWithError("load failed");
      return;
    }
    load_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const int64_t heap_after = HeapInUse();
  for (auto _ : state) {
    qdrant::GetPoints get;
    for (int i = 0; i < 10; ++i) get.add_ids()->set_num(rng() % kN);
    get.mutable_with_payload()->set_enable(true);
    qdrant::GetResponse resp;
    benchmark::DoNotOptimize(shard->Get(get, &resp));
  }
  state.SetItemsProcessed(state.iterations() * 10);  // points retrieved per second
  state.counters["load_pts_per_s"] = kN / load_s;
  state.counters["heap_bytes_per_point"] = static_cast<double>(heap_after - heap_before) / kN;
  state.SetLabel(on_disk ? "payloads on disk" : "payloads in memory");
}
BENCHMARK(BM_Payloads)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_MemoryCopy(benchmark::State& state) {
  const size_t bytes = 256u << 20;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * int64_t(bytes));
}
BENCHMARK(BM_MemoryCopy)->Unit(benchmark::kMillisecond);

// Sparse search over <docs> documents of ~120 terms drawn Zipf-like from a 30k vocabulary (a
// SPLADE-like shape), queries of 24 terms from the same distribution, idf modifier.
void BM_SparseSearch(benchmark::State& state) {
  const uint32_t docs = static_cast<uint32_t>(state.range(0));
  Segment seg({}, {{"text", true}});
  std::mt19937 rng(3);
  // Zipf-ish: term = vocab^u - 1 with u uniform, so low terms are common.
  std::uniform_real_distribution<double> u(0, 1);
  auto term = [&] { return static_cast<uint32_t>(std::pow(30000.0, u(rng))) - 1; };
  auto vector = [&](int nnz) {
    std::map<uint32_t, float> m;
    while (static_cast<int>(m.size()) < nnz) m[term()] = static_cast<float>(u(rng));
    SparseVector v;
    for (const auto& [i, x] : m) {
      v.indices.push_back(i);
      v.values.push_back(x);
    }
    return v;
  };
  for (uint32_t d = 0; d < docs; ++d) {
    seg.Upsert(ExternalId::Num(d), 1, {}, {}, {{"text", vector(120)}});
  }
  std::vector<SparseVector> queries;
  for (int i = 0; i < 64; ++i) queries.push_back(vector(24));
  size_t i = 0;
  for (auto _ : state) {
    auto hits = seg.SearchSparse("text", queries[i++ % queries.size()], 10, nullptr);
    benchmark::DoNotOptimize(hits.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SparseSearch)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::kernel

BENCHMARK_MAIN();
