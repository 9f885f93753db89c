// hnsw_benchmark: Strata's HNSW against hnswlib (Debian's libhnswlib-dev) in one process, on the
// shared datasets (../shared/bench, TEXMEX .fvecs/.ivecs). Both are compiled into this binary
// with the same flags, built with M=16, ef_construction=128, searched one query per call on one
// thread.
//
// usage: hnsw_benchmark <dataset dir> [--threads 1,2] [--efs 16,32,64,128,256,512]
//        [--tenants N] [--skip mapped,int8,binary,filtered,tenants]
// Prints: build time per thread count and the ratio, memory per vector, recall@10 and QPS per
// ef for both, QPS at recall 0.90/0.95/0.99 (interpolated) and the ratio, and filtered search
// (label < T) for Strata's planner against an exact scan and hnswlib with a filter.
#include <fcntl.h>
#include <hnswlib/hnswlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "hnsw_graph.h"
#include "scalar_quant.h"
#include "strata/sdk/distance.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace hnsw = strata::hnsw;

struct Matrix {
  size_t rows = 0, dim = 0;
  std::vector<float> data;
  const float* Row(size_t i) const { return data.data() + i * dim; }
};

Matrix ReadFvecs(const std::string& path) {
  Matrix m;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  int32_t d = 0;
  while (in.read(reinterpret_cast<char*>(&d), 4)) {
    m.dim = d;
    size_t at = m.data.size();
    m.data.resize(at + d);
    in.read(reinterpret_cast<char*>(m.data.data() + at), 4 * d);
    ++m.rows;
  }
  return m;
}

std::vector<std::vector<int32_t>> ReadIvecs(const std::string& path) {
  std::vector<std::vector<int32_t>> rows;
  std::ifstream in(path, std::ios::binary);
  int32_t d = 0;
  while (in.read(reinterpret_cast<char*>(&d), 4)) {
    rows.emplace_back(d);
    in.read(reinterpret_cast<char*>(rows.back().data()), 4 * d);
  }
  return rows;
}

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

double Recall(const std::vector<uint32_t>& got, const std::vector<int32_t>& truth, size_t k) {
  std::set<int32_t> t;
  for (size_t i = 0; i < k && i < truth.size(); ++i) {
    if (truth[i] >= 0) t.insert(truth[i]);
  }
  if (t.empty()) return 1.0;
  size_t hit = 0;
  for (uint32_t g : got) hit += t.count(static_cast<int32_t>(g));
  return static_cast<double>(hit) / t.size();
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

template <class Fn>
void ParallelRange(size_t begin, size_t end, int threads, Fn fn) {
  std::atomic<size_t> next{begin};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < end; i = next++) fn(i);
    });
  }
  for (auto& t : pool) t.join();
}

// One pass of hnswlib's searchKnn at `ef` over every query: QPS, and mean recall@k in *recall.
template <class Rows>
double LibPass(hnswlib::HierarchicalNSW<float>& lib, const Rows& queries,
               const std::vector<std::vector<int32_t>>& truth, size_t ef, size_t k,
               double* recall) {
  lib.setEf(ef);
  double rec = 0;
  const auto start = Clock::now();
  for (size_t q = 0; q < queries.rows; ++q) {
    auto res = lib.searchKnn(queries.Row(q), k);
    std::vector<uint32_t> ids;
    while (!res.empty()) {
      ids.push_back(static_cast<uint32_t>(res.top().second));
      res.pop();
    }
    rec += Recall(ids, truth[q], k);
  }
  *recall = rec / queries.rows;
  return queries.rows / Seconds(start);
}

struct Point {
  double recall, qps;
};

// QPS at a target recall, interpolated linearly between the measured points (0 if never reached).
double QpsAt(const std::vector<Point>& curve, double target) {
  for (size_t i = 0; i < curve.size(); ++i) {
    if (curve[i].recall >= target) {
      if (i == 0) return curve[0].qps;
      const Point& a = curve[i - 1];
      const Point& b = curve[i];
      double t = (target - a.recall) / std::max(1e-9, b.recall - a.recall);
      return a.qps + t * (b.qps - a.qps);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s <dataset dir> [--threads 1,2] [--efs 16,...] [--tenants N] [--skip "
                 "mapped,int8,binary,filtered,tenants]\n",
                 argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<int> threads = {1, 2};
  std::vector<int> efs = {16, 32, 64, 128, 256, 512};
  std::set<std::string> skip;  // --skip mapped,int8,binary,filtered,tenants
  uint32_t tenants_arg = 0;    // --tenants N: the tenants section's split (default: just above
                               // twice the scan threshold each)
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--threads") threads = ParseList(argv[i + 1]);
    if (std::string(argv[i]) == "--efs") efs = ParseList(argv[i + 1]);
    if (std::string(argv[i]) == "--tenants") tenants_arg = std::stoul(argv[i + 1]);
    if (std::string(argv[i]) == "--skip") {
      std::stringstream in(argv[i + 1]);
      for (std::string item; std::getline(in, item, ',');) skip.insert(item);
    }
  }
  std::ifstream meta(dir + "/meta.txt");
  std::string meta_text((std::istreambuf_iterator<char>(meta)), std::istreambuf_iterator<char>());
  const bool ip = meta_text.find("metric: ip") != std::string::npos ||
                  meta_text.find("cos") != std::string::npos;
  Matrix base = ReadFvecs(dir + "/base.fvecs");
  Matrix queries = ReadFvecs(dir + "/query.fvecs");
  auto gt = ReadIvecs(dir + "/gt.ivecs");
  auto labels = ReadIvecs(dir + "/base_labels.ivecs");
  const size_t n = base.rows, dim = base.dim, nq = queries.rows;
  const size_t kM = 16, kEfc = 128, kK = 10;
  std::printf("dataset %s: %zu x %zu, %zu queries, metric %s, simd %s\n", dir.c_str(), n, dim, nq,
              ip ? "inner product" : "L2",
              strata::sdk::SimdLevelName(strata::sdk::DetectSimdLevel()));

  std::unique_ptr<hnsw::Graph> graph;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> lib;
  std::printf("\n== build (M=%zu, ef_construction=%zu)\n", kM, kEfc);
  for (int t : threads) {
    auto g = std::make_unique<hnsw::Graph>(dim, ip ? hnsw::Space::kInnerProduct : hnsw::Space::kL2,
                                           hnsw::Params{kM, kEfc, 100});
    g->SetVectors(base.data.data(), dim);
    g->Reserve(n);
    auto start = Clock::now();
    g->Insert(0);
    ParallelRange(1, n, t, [&](size_t i) { g->Insert(static_cast<uint32_t>(i)); });
    double ours = Seconds(start);

    if (ip) {
      space = std::make_unique<hnswlib::InnerProductSpace>(dim);
    } else {
      space = std::make_unique<hnswlib::L2Space>(dim);
    }
    auto h = std::make_unique<hnswlib::HierarchicalNSW<float>>(space.get(), n, kM, kEfc, 100);
    start = Clock::now();
    h->addPoint(base.Row(0), 0);
    ParallelRange(1, n, t, [&](size_t i) { h->addPoint(base.Row(i), i); });
    double theirs = Seconds(start);
    std::printf("threads %d: strata %.1f s, hnswlib %.1f s, ratio strata/hnswlib %.2f\n", t, ours,
                theirs, ours / theirs);
    graph = std::move(g);
    lib = std::move(h);
  }
  const double vec_bytes = dim * 4.0;
  const double lib_bytes = (static_cast<double>(lib->max_elements_) * lib->size_data_per_element_ +
                            lib->element_levels_.size() * sizeof(int)) /
                           n;
  std::printf(
      "memory per vector: strata graph %.0f B (+%.0f B vectors, borrowed from the "
      "segment), hnswlib %.0f B (vectors included)\n",
      static_cast<double>(graph->MemoryBytes()) / n, vec_bytes, lib_bytes);

  std::printf("\n== search, one thread, k=%zu\n%6s %14s %12s %14s %12s\n", kK, "ef", "strata rec",
              "strata qps", "hnswlib rec", "hnswlib qps");
  std::vector<Point> ours_curve, lib_curve;
  hnsw::AllowFn all;
  std::vector<std::pair<float, uint32_t>> found;
  for (int ef : efs) {
    double rec = 0;
    auto start = Clock::now();
    for (size_t q = 0; q < nq; ++q) {
      graph->Search(queries.Row(q), kK, ef, all, &found);
      std::vector<uint32_t> ids;
      for (auto& f : found) ids.push_back(f.second);
      rec += Recall(ids, gt[q], kK);
    }
    double ours_qps = nq / Seconds(start);
    double ours_rec = rec / nq;
    double lib_rec = 0;
    const double lib_qps = LibPass(*lib, queries, gt, ef, kK, &lib_rec);
    std::printf("%6d %14.4f %12.0f %14.4f %12.0f\n", ef, ours_rec, ours_qps, lib_rec, lib_qps);
    ours_curve.push_back({ours_rec, ours_qps});
    lib_curve.push_back({lib_rec, lib_qps});
  }
  std::printf("\n== QPS at recall@10 (interpolated)\n");
  for (double target : {0.90, 0.95, 0.99}) {
    double a = QpsAt(ours_curve, target), b = QpsAt(lib_curve, target);
    std::printf("recall %.2f: strata %.0f qps, hnswlib %.0f qps, ratio %.2f\n", target, a, b,
                b > 0 ? a / b : 0.0);
  }

  // The same graph with level 0 served from a mapping of its saved file (hnsw_config.memory
  // cold), page cache warm: what the mapping costs per query.
  if (skip.count("mapped") == 0) {
    const std::string path = "/tmp/strata-hnsw-bench-" + std::to_string(getpid()) + ".graph";
    const std::string bytes = graph->Serialize();
    {
      std::ofstream out(path, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    const int fd = open(path.c_str(), O_RDONLY);
    void* map = fd >= 0 ? mmap(nullptr, bytes.size(), PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
    hnsw::Graph mapped(dim, ip ? hnsw::Space::kInnerProduct : hnsw::Space::kL2,
                       hnsw::Params{kM, kEfc, 100});
    mapped.SetVectors(base.data.data(), dim);
    if (map != MAP_FAILED &&
        mapped.Deserialize(static_cast<const char*>(map), bytes.size(), path, true).ok()) {
      std::printf(
          "\n== level 0 from a mapping of the saved graph (memory cold): heap %.0f B per vector\n"
          "%6s %14s %12s %18s\n",
          static_cast<double>(mapped.MemoryBytes()) / n, "ef", "mapped rec", "mapped qps",
          "ratio to in heap");
      for (size_t e = 0; e < efs.size(); ++e) {
        double rec = 0;
        auto start = Clock::now();
        for (size_t q = 0; q < nq; ++q) {
          mapped.Search(queries.Row(q), kK, efs[e], all, &found);
          std::vector<uint32_t> ids;
          for (auto& f : found) ids.push_back(f.second);
          rec += Recall(ids, gt[q], kK);
        }
        const double qps = nq / Seconds(start);
        std::printf("%6d %14.4f %12.0f %18.2f\n", efs[e], rec / nq, qps, qps / ours_curve[e].qps);
      }
    }
    if (map != MAP_FAILED) munmap(map, bytes.size());
    if (fd >= 0) close(fd);
    std::remove(path.c_str());
  }

  // A quantized traversal's curve per oversampling (the best k * oversampling rescored with the
  // float vectors), against the same hnswlib curve.
  auto quantized_curves = [&](const auto& quantizer, const char* label,
                              std::initializer_list<double> oversampling) {
    for (double over : oversampling) {
      std::printf("oversampling %.0f\n%6s %14s %12s\n", over, "ef", "strata rec", "strata qps");
      std::vector<Point> curve;
      for (int ef : efs) {
        double rec = 0;
        auto start = Clock::now();
        for (size_t q = 0; q < nq; ++q) {
          graph->SearchQuantized(quantizer, queries.Row(q), kK, ef, all,
                                 static_cast<uint32_t>(kK * over), &found);
          std::vector<uint32_t> ids;
          for (auto& f : found) ids.push_back(f.second);
          rec += Recall(ids, gt[q], kK);
        }
        double qps = nq / Seconds(start);
        std::printf("%6d %14.4f %12.0f\n", ef, rec / nq, qps);
        curve.push_back({rec / nq, qps});
      }
      for (double target : {0.90, 0.95, 0.99}) {
        double a = QpsAt(curve, target), b = QpsAt(lib_curve, target);
        std::printf("recall %.2f: strata %s %.0f qps, hnswlib %.0f qps, ratio %.2f\n", target,
                    label, a, b, b > 0 ? a / b : 0.0);
      }
    }
  };

  // int8 scalar quantization: the traversal on codes.
  if (skip.count("int8") == 0) {
    hnsw::ScalarQuantizer sq;
    auto qstart = Clock::now();
    sq.Build(base.data.data(), dim, static_cast<uint32_t>(n), static_cast<uint32_t>(dim), 1.0f,
             !ip);
    std::printf(
        "\n== int8 quantized + rescore (%s kernel; codes built in %.2f s, %.0f B per vector)\n",
        hnsw::DotU8S8BestName(), Seconds(qstart), static_cast<double>(sq.MemoryBytes()) / n);
    quantized_curves(sq, "int8", {1.0, 2.0});
  }

  // Binary quantization, rescored with oversampling: one or two bits per dimension, traversed
  // by Hamming distance (query_encoding binary) or with the float query against the codes'
  // reconstructions (query_encoding scalar8bits).
  for (uint32_t bits : {1u, 2u}) {
    if (skip.count("binary") > 0) break;
    for (bool asymmetric : {false, true}) {
      hnsw::BinaryQuantizer::Options o;
      o.bits = bits;
      o.asymmetric = asymmetric;
      o.l2 = !ip;
      hnsw::BinaryQuantizer bq;
      auto bstart = Clock::now();
      bq.Build(base.data.data(), dim, static_cast<uint32_t>(n), static_cast<uint32_t>(dim), o);
      const std::string label = std::string(bits == 1 ? "binary 1-bit" : "binary 2-bit") +
                                (asymmetric ? " asymmetric" : " hamming");
      std::printf("\n== %s quantized + rescore (codes built in %.2f s, %.0f B per vector)\n",
                  label.c_str(), Seconds(bstart), static_cast<double>(bq.MemoryBytes()) / n);
      quantized_curves(bq, label.c_str(), {2.0, 4.0});
    }
  }

  // Filtered: the graph with the filter as a bitset (a curve over ef), an exact scan of the
  // matching ids, and what the shard's planner does: exact below full_scan_threshold (Qdrant's
  // default 10000 KiB of vectors), else the graph at ef 64.
  const uint64_t full_scan_points = 10000ull * 1024 / (dim * 4);
  std::printf(
      "\n== filtered (label < T), one thread, k=%zu; planner: exact below %llu matches "
      "(full_scan_threshold) or below sqrt(32 * ef * n) = %.0f (cost model, ef 64)\n",
      kK, static_cast<unsigned long long>(full_scan_points), std::sqrt(32.0 * 64 * n));
  const strata::sdk::DistanceKernels& kern = strata::sdk::Kernels();
  for (int T : {500, 100, 10, 1}) {
    if (skip.count("filtered") > 0) break;
    auto fgt = ReadIvecs(dir + "/gt_label_lt_" + std::to_string(T) + ".ivecs");
    if (fgt.empty()) continue;
    std::vector<uint64_t> bits((n + 63) / 64, 0);
    std::vector<uint32_t> allowed;
    for (size_t i = 0; i < n; ++i) {
      if (labels[i][0] < T) {
        bits[i >> 6] |= 1ull << (i & 63);
        allowed.push_back(static_cast<uint32_t>(i));
      }
    }
    hnsw::AllowFn allow;
    allow.bits = bits.data();
    allow.n_bits = static_cast<uint32_t>(n);
    const double sel = static_cast<double>(allowed.size()) / n;
    auto run_graph = [&](uint32_t ef, double* recall) {
      double rec = 0;
      auto start = Clock::now();
      for (size_t q = 0; q < nq; ++q) {
        graph->Search(queries.Row(q), kK, ef, allow, &found);
        std::vector<uint32_t> ids;
        for (auto& f : found) ids.push_back(f.second);
        rec += Recall(ids, fgt[q], kK);
      }
      *recall = rec / nq;
      return nq / Seconds(start);
    };
    auto start = Clock::now();
    for (size_t q = 0; q < nq; ++q) {
      std::vector<std::pair<float, uint32_t>> all_d;
      all_d.reserve(allowed.size());
      for (uint32_t id : allowed) {
        float d = ip ? -kern.dot(queries.Row(q), base.Row(id), dim)
                     : kern.l2sq(queries.Row(q), base.Row(id), dim);
        all_d.push_back({d, id});
      }
      size_t k = std::min(kK, all_d.size());
      std::partial_sort(all_d.begin(), all_d.begin() + k, all_d.end());
    }
    const double exact_qps = nq / Seconds(start);
    std::printf("T=%d (%.1f%% match): exact scan %.0f qps (recall 1)\n", T, 100 * sel, exact_qps);
    std::map<uint32_t, std::pair<double, double>> graph_rows;  // ef -> (recall, qps)
    if (sel >= 0.05) {
      for (uint32_t ef : {16u, 32u, 64u, 128u, 256u}) {
        double rec = 0;
        const double qps = run_graph(ef, &rec);
        graph_rows[ef] = {rec, qps};
        std::printf("   graph ef %3u: recall %.4f, %.0f qps\n", ef, rec, qps);
      }
    }
    // hnswlib with a filter: Debian's 0.6.2 has no filter functor, but its deleted marks are
    // checked exactly where 0.7+ checks the functor (a marked point is walked through, never
    // returned), so marking the points that do not match is hnswlib's filtered search.
    for (size_t i = 0; i < n; ++i) {
      if (labels[i][0] >= T) lib->markDelete(i);
    }
    double lib_best = 0, lib_best_recall = 0;  // the fastest ef reaching recall 0.95
    uint32_t lib_best_ef = 0;
    for (uint32_t ef : {16u, 32u, 64u, 128u, 256u, 512u, 1024u}) {
      double rec = 0;
      const double qps = LibPass(*lib, queries, fgt, ef, kK, &rec);
      std::printf("   hnswlib with filter ef %4u: recall %.4f, %.0f qps\n", ef, rec, qps);
      if (rec >= 0.95 && qps > lib_best) {
        lib_best = qps;
        lib_best_recall = rec;
        lib_best_ef = ef;
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (labels[i][0] >= T) lib->unmarkDelete(i);
    }
    // The shard's planner at each ef (the query's hnsw_ef): Qdrant's threshold, or below the
    // cost model's crossover sqrt(32 ef n), scans exactly; otherwise the filtered graph.
    double planner_qps = 0, planner_recall = 0;
    uint32_t planner_ef = 0;
    for (uint32_t ef : {16u, 32u, 64u, 128u, 256u}) {
      const bool exact = allowed.size() < full_scan_points ||
                         static_cast<double>(allowed.size()) < std::sqrt(32.0 * ef * n);
      double rec = 1.0, qps = exact_qps;
      if (!exact) {
        auto it = graph_rows.find(ef);
        if (it != graph_rows.end()) {
          std::tie(rec, qps) = it->second;
        } else {
          qps = run_graph(ef, &rec);
        }
      }
      std::printf("   planner ef %3u: %s, recall %.4f, %.0f qps\n", ef,
                  exact ? "exact scan" : "graph", rec, qps);
      if (rec >= 0.95 && qps > planner_qps) {
        planner_qps = qps;
        planner_recall = rec;
        planner_ef = ef;
      }
    }
    const double better = std::max(exact_qps, lib_best);
    std::printf(
        "   -> at recall >= 0.95: planner %.0f qps (ef %u, recall %.4f) / max(exact %.0f, "
        "hnswlib with filter %.0f (ef %u, recall %.4f)) = %.2f\n",
        planner_qps, planner_ef, planner_recall, exact_qps, lib_best, lib_best_ef, lib_best_recall,
        planner_qps / better);
  }
  lib->setEf(64);

  // Tenants: label % tenants as an indexed keyword, each tenant just above twice the scan
  // threshold (where the planner leaves the exact scan), one tenant per query (an equality
  // filter). The exact scan of the tenant, the filter-aware walk, and the walk over the
  // tenant's own links (payload_m = M) once they are made. Runs last: it adds links.
  if (skip.count("tenants") == 0) {
    const uint32_t tenants =
        tenants_arg > 0 ? static_cast<uint32_t>(tenants_arg)
                        : static_cast<uint32_t>(std::max<uint64_t>(2, n / (2 * full_scan_points)));
    std::vector<std::vector<uint32_t>> members(tenants);
    std::vector<std::vector<uint64_t>> tbits(tenants, std::vector<uint64_t>((n + 63) / 64, 0));
    for (size_t i = 0; i < n; ++i) {
      const uint32_t t = static_cast<uint32_t>(labels[i][0]) % tenants;
      members[t].push_back(static_cast<uint32_t>(i));
      tbits[t][i >> 6] |= 1ull << (i & 63);
    }
    std::vector<std::vector<uint32_t>> truth(nq);
    auto start = Clock::now();
    for (size_t q = 0; q < nq; ++q) {
      std::vector<std::pair<float, uint32_t>> all_d;
      for (uint32_t id : members[q % tenants]) {
        all_d.push_back({ip ? -kern.dot(queries.Row(q), base.Row(id), dim)
                            : kern.l2sq(queries.Row(q), base.Row(id), dim),
                         id});
      }
      const size_t k = std::min(kK, all_d.size());
      std::partial_sort(all_d.begin(), all_d.begin() + k, all_d.end());
      for (size_t j = 0; j < k; ++j) truth[q].push_back(all_d[j].second);
    }
    const double tenant_exact_qps = nq / Seconds(start);
    std::printf("\n== tenants: %u of %.1f%% each (%zu points), one tenant per query\n", tenants,
                100.0 / tenants, members[0].size());
    std::printf("exact scan of the tenant: %.0f qps (recall 1)\n", tenant_exact_qps);
    auto run_tenant = [&](uint32_t ef, bool linked, double* recall, double* dists) {
      double rec = 0;
      const uint64_t d0 = graph->distance_count();
      auto t0 = Clock::now();
      for (size_t q = 0; q < nq; ++q) {
        hnsw::AllowFn allow;
        allow.bits = tbits[q % tenants].data();
        allow.n_bits = static_cast<uint32_t>(n);
        allow.linked_group = linked;
        graph->Search(queries.Row(q), kK, ef, allow, &found);
        size_t hits = 0;
        for (auto& f : found) {
          hits += std::count(truth[q].begin(), truth[q].end(), f.second);
        }
        rec += static_cast<double>(hits) / std::max<size_t>(1, truth[q].size());
      }
      const double qps = nq / Seconds(t0);
      *recall = rec / nq;
      *dists = static_cast<double>(graph->distance_count() - d0) / nq;
      return qps;
    };
    for (uint32_t ef : {16u, 32u, 64u, 128u}) {
      double rec = 0, dists = 0;
      const double qps = run_tenant(ef, false, &rec, &dists);
      std::printf("   filter-aware walk ef %3u: recall %.4f, %.0f qps, %.0f distances/query\n", ef,
                  rec, qps, dists);
    }
    const int link_threads = threads.empty() ? 1 : threads.back();
    const hnsw::Graph::ParallelFn parallel =
        [link_threads](uint32_t count, const std::function<void(uint32_t)>& fn) {
          ParallelRange(0, count, link_threads, [&](size_t j) { fn(static_cast<uint32_t>(j)); });
        };
    auto lstart = Clock::now();
    for (const auto& m : members) {
      graph->LinkGroup(m.data(), m.size(), static_cast<uint32_t>(kM), nullptr, parallel);
    }
    std::printf("payload links (m %zu) for %u tenants made in %.2f s with %d threads\n", kM,
                tenants, Seconds(lstart), link_threads);
    auto run_linked = [&](const char* what) {
      for (uint32_t ef : {16u, 32u, 64u, 128u}) {
        double rec = 0, dists = 0;
        const double qps = run_tenant(ef, true, &rec, &dists);
        std::printf(
            "   %s ef %3u: recall %.4f, %.0f qps (%.2fx the exact scan), %.0f "
            "distances/query\n",
            what, ef, rec, qps, qps / tenant_exact_qps, dists);
      }
    };
    run_linked("linked walk");
    // The same graph grown the way a collection that keeps receiving points is: the first
    // half inserted and its tenants linked, then the second half inserted (its pruning keeps
    // the pinned group links) and joined to the groups with LinkGroupAdd.
    auto grown = std::make_unique<hnsw::Graph>(
        dim, ip ? hnsw::Space::kInnerProduct : hnsw::Space::kL2, hnsw::Params{kM, kEfc, 100});
    grown->SetVectors(base.data.data(), dim);
    grown->Reserve(n);
    const int build_threads = threads.empty() ? 1 : threads.back();
    grown->Insert(0);
    ParallelRange(1, n / 2, build_threads,
                  [&](size_t i) { grown->Insert(static_cast<uint32_t>(i)); });
    std::vector<std::vector<uint32_t>> first(tenants), later(tenants);
    for (uint32_t t = 0; t < tenants; ++t) {
      for (uint32_t id : members[t]) (id < n / 2 ? first : later)[t].push_back(id);
      grown->LinkGroup(first[t].data(), first[t].size(), static_cast<uint32_t>(kM), nullptr,
                       parallel);
    }
    ParallelRange(n / 2, n, build_threads,
                  [&](size_t i) { grown->Insert(static_cast<uint32_t>(i)); });
    lstart = Clock::now();
    for (uint32_t t = 0; t < tenants; ++t) {
      grown->LinkGroupAdd(first[t].data(), first[t].size(), later[t].data(), later[t].size(),
                          static_cast<uint32_t>(kM), nullptr, parallel);
    }
    std::printf("grown graph: the second half's %zu points joined their tenants' links in %.2f s\n",
                n - n / 2, Seconds(lstart));
    graph = std::move(grown);
    run_linked("grown, linked walk");
  }
  std::printf("distance computations by strata searches: %llu\n",
              static_cast<unsigned long long>(graph->distance_count()));
  return 0;
}
