// The built plugin through its C ABI on a fake host: max_indexing_threads bounds the build's
// parallelism (the host's parallel_for sees at most that many workers at once) and the graph
// still answers; bad values are refused at create. With on_disk the saved graph is searched
// from a mapping of its file (through the storage_mmap plugin) with the same answers.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

#include "strata/abi/strata_index.h"
#include "strata/abi/strata_plugin.h"
#include "strata/sdk/params.hpp"
#include "strata/sdk/storage_view.hpp"
#include "strata/sdk/testing/fake_host.hpp"
#include "strata/sdk/testing/mem_fs.hpp"

namespace {

// The vtable of the first plugin of `kind` in the library's manifest `symbol`.
const void* PluginVtable(const char* path, const char* symbol, uint32_t kind) {
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return nullptr;
  auto fn = reinterpret_cast<strata_plugin_manifest_fn>(dlsym(lib, symbol));
  if (fn == nullptr) return nullptr;
  const strata_plugin_manifest* m = fn();
  for (uint32_t i = 0; i < m->plugin_count; ++i) {
    if (m->plugins[i].kind == kind) return m->plugins[i].vtable;
  }
  return nullptr;
}

const strata_index_vtable* HnswVtable() {
  static const auto* vt = static_cast<const strata_index_vtable*>(
      PluginVtable(HNSW_PLUGIN, STRATA_PLUGIN_MANIFEST_PREFIX "index_hnsw", STRATA_KIND_INDEX));
  return vt;
}

struct Vectors {
  static constexpr uint32_t kDim = 16;
  std::vector<float> data;
  strata_vector_source src{};
  explicit Vectors(uint32_t n) {
    std::mt19937 rng(3);
    std::normal_distribution<float> g(0, 1);
    data.resize(size_t{n} * kDim);
    for (float& x : data) x = g(rng);
    src.struct_size = sizeof(src);
    src.dtype = STRATA_DTYPE_F32;
    src.dim = kDim;
    src.metric = STRATA_METRIC_L2;
    src.count = n;
    src.dense_base = data.data();
    src.stride_bytes = sizeof(float) * kDim;
  }
};

// The top k for one query through the C table, as (id, score), best first.
std::vector<std::pair<uint32_t, float>> TopK(const strata_index_vtable* vt, const strata_index* idx,
                                             const float* query, uint32_t k) {
  strata_search_request req{};
  req.struct_size = sizeof(req);
  req.n_queries = 1;
  req.queries = query;
  req.top_k = k;
  std::vector<uint32_t> ids(k);
  std::vector<float> scores(k);
  uint32_t count = 0;
  strata_search_result res{};
  res.struct_size = sizeof(res);
  res.ids = ids.data();
  res.scores = scores.data();
  res.counts = &count;
  strata_error err{};
  EXPECT_EQ(vt->search(idx, &req, &res, &err), STRATA_OK) << err.message;
  std::vector<std::pair<uint32_t, float>> out;
  for (uint32_t i = 0; i < count; ++i) out.emplace_back(ids[i], scores[i]);
  return out;
}

// The top 10 by quantized distance alone (no rescoring) for each of 40 queries.
std::vector<std::pair<uint32_t, float>> RawQuantized(const strata_index_vtable* vt,
                                                     const strata_index* idx,
                                                     const std::vector<float>& queries) {
  strata::sdk::OwnedParams params;
  params.Set("quantization.rescore", "0");
  std::vector<std::pair<uint32_t, float>> out;
  for (uint32_t q = 0; q < 40; ++q) {
    strata_search_request req{};
    req.struct_size = sizeof(req);
    req.n_queries = 1;
    req.queries = &queries[size_t{q} * 53 * 16];
    req.top_k = 10;
    req.params = params.Get();
    std::vector<uint32_t> ids(10);
    std::vector<float> scores(10);
    uint32_t count = 0;
    strata_search_result res{sizeof(res), 0, ids.data(), scores.data(), &count};
    strata_error err{};
    EXPECT_EQ(vt->search(idx, &req, &res, &err), STRATA_OK) << err.message;
    for (uint32_t i = 0; i < count; ++i) out.emplace_back(ids[i], scores[i]);
  }
  return out;
}

// The top 10 for each of 40 stored vectors.
std::vector<std::pair<uint32_t, float>> Answers(const strata_index_vtable* vt, strata_index* idx,
                                                const Vectors& v) {
  std::vector<std::pair<uint32_t, float>> out;
  for (uint32_t q = 0; q < 40; ++q) {
    const auto top = TopK(vt, idx, &v.data[size_t{q} * 53 * Vectors::kDim], 10);
    out.insert(out.end(), top.begin(), top.end());
  }
  return out;
}

TEST(HnswPluginTest, MaxIndexingThreadsBoundsTheBuild) {
  const strata_index_vtable* vt = HnswVtable();
  ASSERT_NE(vt, nullptr) << dlerror();
  Vectors v(4000);
  for (uint32_t limit : {1u, 2u}) {
    strata::sdk::testing::FakeHost host;
    host.set_threads(4);
    strata::sdk::OwnedParams params;
    params.Set("m", "16");
    params.Set("ef_construct", "64");
    params.Set("max_indexing_threads", std::to_string(limit));
    strata_index* idx = nullptr;
    strata_error err{};
    ASSERT_EQ(vt->create(host.api(), params.Get(), &v.src, &idx, &err), STRATA_OK) << err.message;
    ASSERT_EQ(vt->build(idx, nullptr, nullptr, &err), STRATA_OK) << err.message;
    // ABI 1.1: payload-aware links through the C table (every 10th point as one group).
    ASSERT_TRUE(STRATA_HAS(vt, link_group) && vt->link_group != nullptr);
    std::vector<uint32_t> group;
    for (uint32_t i = 0; i < 1000; i += 10) group.push_back(i);
    ASSERT_EQ(vt->link_group(idx, group.data(), group.size(), 8, nullptr, &err), STRATA_OK)
        << err.message;
    EXPECT_EQ(vt->link_group(idx, group.data(), group.size(), 1000, nullptr, &err),
              STRATA_INVALID_ARGUMENT);
    // ABI 1.2: more points join the group.
    ASSERT_TRUE(STRATA_HAS(vt, link_group_add) && vt->link_group_add != nullptr);
    std::vector<uint32_t> added;
    for (uint32_t i = 1000; i < 2000; i += 10) added.push_back(i);
    ASSERT_EQ(vt->link_group_add(idx, group.data(), group.size(), added.data(), added.size(), 8,
                                 nullptr, &err),
              STRATA_OK)
        << err.message;
    EXPECT_EQ(vt->link_group_add(idx, group.data(), group.size(), added.data(), added.size(), 1000,
                                 nullptr, &err),
              STRATA_INVALID_ARGUMENT);
    EXPECT_GE(host.max_parallelism_seen(), 1u);
    EXPECT_LE(host.max_parallelism_seen(), limit) << "the build used more threads than allowed";
    // The graph answers: stored vectors find themselves first (an approximate index: nearly
    // always).
    int found = 0;
    for (uint32_t q = 0; q < 100; ++q) {
      const auto top = TopK(vt, idx, &v.data[size_t{q} * 37 * Vectors::kDim], 1);
      ASSERT_EQ(top.size(), 1u);
      found += top[0].first == q * 37;
    }
    EXPECT_GE(found, 95) << "self-recall over 100 stored vectors";
    vt->destroy(idx);
  }
  strata::sdk::testing::FakeHost host;
  strata::sdk::OwnedParams bad;
  bad.Set("max_indexing_threads", "-1");
  strata_index* idx = nullptr;
  strata_error err{};
  EXPECT_EQ(vt->create(host.api(), bad.Get(), &v.src, &idx, &err), STRATA_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err.message).find("max_indexing_threads"), std::string::npos);
  // The binary quantization options are checked the same way.
  for (auto [key, value] :
       {std::pair<const char*, const char*>{"binary_bits", "3"}, {"binary_query", "float"}}) {
    strata::sdk::OwnedParams wrong;
    wrong.Set("quantization", "binary");
    wrong.Set(key, value);
    err = strata_error{};
    EXPECT_EQ(vt->create(host.api(), wrong.Get(), &v.src, &idx, &err), STRATA_INVALID_ARGUMENT);
    EXPECT_NE(std::string(err.message).find(key), std::string::npos) << err.message;
  }
}

TEST(HnswPluginTest, AnOnDiskGraphIsSearchedFromItsSavedFile) {
  const strata_index_vtable* vt = HnswVtable();
  ASSERT_NE(vt, nullptr) << dlerror();
  const auto* mmap_vt = static_cast<const strata_storage_vtable*>(
      PluginVtable(MMAP_PLUGIN, STRATA_PLUGIN_MANIFEST_PREFIX "storage_mmap", STRATA_KIND_STORAGE));
  ASSERT_NE(mmap_vt, nullptr) << dlerror();
  char tmpl[] = "/tmp/strata-hnsw-disk-XXXXXX";
  const std::string root = mkdtemp(tmpl);
  strata_fs* fs = nullptr;
  strata_error err{};
  ASSERT_EQ(mmap_vt->open_fs(root.c_str(), nullptr, &fs, &err), STRATA_OK) << err.message;
  strata_dir dir{};
  dir.struct_size = sizeof(dir);
  dir.storage = mmap_vt;
  dir.fs = fs;
  dir.prefix = "";

  Vectors v(3000);
  v.src.count = 2999;  // the last vector is inserted later
  strata::sdk::testing::FakeHost host;
  auto make = [&](bool on_disk) {
    strata::sdk::OwnedParams params;
    params.Set("m", "12");
    params.Set("ef_construct", "64");
    params.Set("max_indexing_threads", "1");  // one thread: the same graph every time
    if (on_disk) params.Set("on_disk", "1");
    strata_index* idx = nullptr;
    EXPECT_EQ(vt->create(host.api(), params.Get(), &v.src, &idx, &err), STRATA_OK) << err.message;
    return idx;
  };
  strata_index* in_memory = make(false);
  strata_index* on_disk = make(true);
  ASSERT_EQ(vt->build(in_memory, nullptr, nullptr, &err), STRATA_OK) << err.message;
  ASSERT_EQ(vt->build(on_disk, nullptr, nullptr, &err), STRATA_OK) << err.message;
  const auto want = Answers(vt, in_memory, v);
  ASSERT_EQ(want.size(), 400u);
  const uint64_t before = vt->memory_usage(on_disk);
  ASSERT_EQ(vt->save(on_disk, &dir, &err), STRATA_OK) << err.message;
  const uint64_t level0 = uint64_t{3000} * (2 * 12 + 1) * 4;  // capacity >= count
  EXPECT_LE(vt->memory_usage(on_disk) + level0 * 2999 / 3000, before)
      << "after the save, level 0 is served from the file";
  EXPECT_EQ(Answers(vt, on_disk, v), want);

  // Loaded: mapped at once, the same answers.
  strata_index* loaded = make(true);
  ASSERT_EQ(vt->load(loaded, &dir, &err), STRATA_OK) << err.message;
  EXPECT_LE(vt->memory_usage(loaded), vt->memory_usage(in_memory) - level0 * 2999 / 3000);
  EXPECT_EQ(Answers(vt, loaded, v), want);
  // An insert copies the links back into memory first, then the new point is found.
  v.src.count = 3000;
  ASSERT_EQ(vt->insert(loaded, 2999, &err), STRATA_OK) << err.message;
  EXPECT_GE(vt->memory_usage(loaded), vt->memory_usage(in_memory));
  const auto inserted = TopK(vt, loaded, &v.data[size_t{2999} * Vectors::kDim], 1);
  ASSERT_EQ(inserted.size(), 1u);
  EXPECT_EQ(inserted[0].first, 2999u);
  // A backend that cannot map: loaded into memory, the same answers.
  v.src.count = 2999;
  strata_fs* mem_fs = nullptr;
  const strata_storage_vtable* mem_vt = strata::sdk::testing::MemFsVtable();
  ASSERT_EQ(mem_vt->open_fs("", nullptr, &mem_fs, &err), STRATA_OK) << err.message;
  strata_dir mem_dir = dir;
  mem_dir.storage = mem_vt;
  mem_dir.fs = mem_fs;
  ASSERT_EQ(vt->save(in_memory, &mem_dir, &err), STRATA_OK) << err.message;
  strata_index* copied = make(true);
  ASSERT_EQ(vt->load(copied, &mem_dir, &err), STRATA_OK) << err.message;
  EXPECT_GE(vt->memory_usage(copied), level0);
  EXPECT_EQ(Answers(vt, copied, v), want);

  for (strata_index* idx : {in_memory, on_disk, loaded, copied}) vt->destroy(idx);
  mem_vt->close_fs(mem_fs);
  mmap_vt->close_fs(fs);
  std::filesystem::remove_all(root);
}

// The quantizer (map and codes) is saved with the graph and loaded, not fitted again: loaded
// over different vectors, the quantized answers are still those of the saved codes. Damaged
// codes are re-encoded from the vectors (they are derived data) with a warning.
TEST(HnswPluginTest, QuantizedCodesAreSavedAndLoadedNotRefitted) {
  const strata_index_vtable* vt = HnswVtable();
  ASSERT_NE(vt, nullptr) << dlerror();
  for (const char* kind : {"int8", "binary"}) {
    SCOPED_TRACE(kind);
    Vectors v(3000), other(3000);
    std::mt19937 rng(11);
    std::normal_distribution<float> g(0, 2);
    for (float& x : other.data) x = g(rng);
    strata::sdk::testing::FakeHost host;
    strata_error err{};
    auto make = [&](Vectors& vs) {
      strata::sdk::OwnedParams params;
      params.Set("m", "12");
      params.Set("ef_construct", "64");
      params.Set("quantization", kind);
      params.Set("quantile", "0.99");
      strata_index* idx = nullptr;
      EXPECT_EQ(vt->create(host.api(), params.Get(), &vs.src, &idx, &err), STRATA_OK)
          << err.message;
      return idx;
    };
    strata_index* built = make(v);
    ASSERT_EQ(vt->build(built, nullptr, nullptr, &err), STRATA_OK) << err.message;
    const auto want = RawQuantized(vt, built, v.data);
    ASSERT_EQ(want.size(), 400u);
    strata_fs* fs = nullptr;
    const strata_storage_vtable* mem_vt = strata::sdk::testing::MemFsVtable();
    ASSERT_EQ(mem_vt->open_fs("", nullptr, &fs, &err), STRATA_OK) << err.message;
    strata_dir dir{};
    dir.struct_size = sizeof(dir);
    dir.storage = mem_vt;
    dir.fs = fs;
    dir.prefix = "";
    ASSERT_EQ(vt->save(built, &dir, &err), STRATA_OK) << err.message;
    std::vector<std::string> files;
    ASSERT_EQ(vt->list_files(
                  built,
                  [](void* ctx, const char* name, uint8_t) {
                    static_cast<std::vector<std::string>*>(ctx)->push_back(name);
                  },
                  &files, &err),
              STRATA_OK);
    EXPECT_EQ(files, (std::vector<std::string>{"hnsw.graph", "hnsw.quant"}));

    strata_index* loaded = make(other);
    ASSERT_EQ(vt->load(loaded, &dir, &err), STRATA_OK) << err.message;
    EXPECT_EQ(RawQuantized(vt, loaded, v.data), want) << "the saved codes answer";
    strata_index* refit = make(other);
    ASSERT_EQ(vt->build(refit, nullptr, nullptr, &err), STRATA_OK) << err.message;
    const auto refit_answers = RawQuantized(vt, refit, v.data);
    EXPECT_NE(refit_answers, want) << "codes fitted to other vectors answer differently";

    // A damaged codes file: re-encoded from the vectors, with a warning.
    strata::sdk::Dir d(&dir);
    std::string bytes = *d.ReadFile("hnsw.quant");
    bytes[bytes.size() / 2] ^= 0x5A;
    ASSERT_TRUE(d.WriteFile("hnsw.quant", bytes).ok());
    strata_index* damaged = make(other);
    ASSERT_EQ(vt->load(damaged, &dir, &err), STRATA_OK) << err.message;
    EXPECT_NE(RawQuantized(vt, damaged, v.data), want);
    bool warned = false;
    for (const std::string& line : host.logs()) {
      warned |= line.find("quantized codes re-encoded") != std::string::npos &&
                line.find("checksum mismatch") != std::string::npos;
    }
    EXPECT_TRUE(warned);
    for (strata_index* idx : {built, loaded, refit, damaged}) vt->destroy(idx);
    mem_vt->close_fs(fs);
  }
}

}  // namespace
