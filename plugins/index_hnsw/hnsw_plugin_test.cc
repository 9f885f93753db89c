// The built plugin through its C ABI on a fake host: max_indexing_threads bounds the build's
// parallelism (the host's parallel_for sees at most that many workers at once) and the graph
// still answers; bad values are refused at create.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "strata/abi/strata_index.h"
#include "strata/abi/strata_plugin.h"
#include "strata/sdk/params.hpp"
#include "strata/sdk/testing/fake_host.hpp"

namespace {

const strata_index_vtable* HnswVtable() {
  static const strata_index_vtable* vt = [] {
    void* lib = dlopen(HNSW_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return static_cast<const strata_index_vtable*>(nullptr);
    auto fn = reinterpret_cast<strata_plugin_manifest_fn>(
        dlsym(lib, STRATA_PLUGIN_MANIFEST_PREFIX "index_hnsw"));
    if (fn == nullptr) return static_cast<const strata_index_vtable*>(nullptr);
    const strata_plugin_manifest* m = fn();
    for (uint32_t i = 0; i < m->plugin_count; ++i) {
      if (m->plugins[i].kind == STRATA_KIND_INDEX) {
        return static_cast<const strata_index_vtable*>(m->plugins[i].vtable);
      }
    }
    return static_cast<const strata_index_vtable*>(nullptr);
  }();
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
    EXPECT_GE(host.max_parallelism_seen(), 1u);
    EXPECT_LE(host.max_parallelism_seen(), limit) << "the build used more threads than allowed";
    // The graph answers: stored vectors find themselves first (an approximate index: nearly
    // always).
    int found = 0;
    for (uint32_t q = 0; q < 100; ++q) {
      strata_search_request req{};
      req.struct_size = sizeof(req);
      req.n_queries = 1;
      req.queries = &v.data[size_t{q} * 37 * Vectors::kDim];
      req.top_k = 1;
      uint32_t id = 0, count = 0;
      float score = 0;
      strata_search_result res{};
      res.struct_size = sizeof(res);
      res.ids = &id;
      res.scores = &score;
      res.counts = &count;
      ASSERT_EQ(vt->search(idx, &req, &res, &err), STRATA_OK) << err.message;
      ASSERT_EQ(count, 1u);
      found += id == q * 37;
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

}  // namespace
