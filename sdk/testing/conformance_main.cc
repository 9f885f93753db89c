// conformance_main.cc: runs the SDK's conformance suites against a built plugin library.
// Usage: <exe> --plugin=/path/libstrata_<kind>_<name>.so [--params=k=v,k=v] [--min-recall=0.9]
// Built by strata_add_plugin_conformance_test(); installed with the SDK.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "strata/abi/strata_plugin.h"
#include "strata/sdk/testing/index_conformance.hpp"
#include "strata/sdk/testing/storage_conformance.hpp"

namespace {

using strata::sdk::testing::IndexTarget;
using strata::sdk::testing::StorageTarget;

std::vector<IndexTarget>& IndexTargets() {
  static std::vector<IndexTarget> targets;
  return targets;
}
std::vector<StorageTarget>& StorageTargets() {
  static std::vector<StorageTarget> targets;
  return targets;
}

std::string TempRoot() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/strata-conformance-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return "/nonexistent-temp-dir";
  return buf.data();
}

// libstrata_index_flat.so -> index_flat
std::string PluginIdFromPath(const std::string& path) {
  std::string file = path.substr(path.rfind('/') + 1);
  const std::string prefix = "libstrata_";
  if (file.rfind(prefix, 0) != 0) return "";
  file = file.substr(prefix.size());
  return file.substr(0, file.find(".so"));
}

int Load(const std::string& path, const std::string& params, double min_recall) {
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "cannot load %s: %s\n", path.c_str(), dlerror());
    return 1;
  }
  std::string symbol = STRATA_PLUGIN_MANIFEST_PREFIX + PluginIdFromPath(path);
  auto fn = reinterpret_cast<strata_plugin_manifest_fn>(dlsym(lib, symbol.c_str()));
  if (fn == nullptr) {
    std::fprintf(stderr, "%s exports no %s\n", path.c_str(), symbol.c_str());
    return 1;
  }
  const strata_plugin_manifest* m = fn();
  static strata::sdk::testing::FakeHost* init_host = new strata::sdk::testing::FakeHost();
  if (m->init != nullptr) {
    strata_error err{};
    if (m->init(init_host->api(), &err) != STRATA_OK) {
      std::fprintf(stderr, "%s: init failed: %s\n", path.c_str(), err.message);
      return 1;
    }
  }
  strata::sdk::OwnedParams owned;
  size_t start = 0;
  while (start < params.size()) {
    size_t comma = params.find(',', start);
    std::string kv =
        params.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) owned.Set(kv.substr(0, eq), kv.substr(eq + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (uint32_t i = 0; i < m->plugin_count; ++i) {
    const strata_plugin_info& info = m->plugins[i];
    if (info.kind == STRATA_KIND_INDEX) {
      IndexTargets().push_back({info.name, static_cast<const strata_index_vtable*>(info.vtable),
                                info.capabilities, owned, min_recall});
    } else if (info.kind == STRATA_KIND_STORAGE) {
      StorageTargets().push_back({info.name, static_cast<const strata_storage_vtable*>(info.vtable),
                                  info.capabilities, &TempRoot});
    }
  }
  return 0;
}

}  // namespace

namespace strata::sdk::testing {
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(IndexConformance);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StorageConformance);
INSTANTIATE_TEST_SUITE_P(Plugin, IndexConformance, ::testing::ValuesIn(IndexTargets()),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Plugin, StorageConformance, ::testing::ValuesIn(StorageTargets()),
                         [](const auto& info) { return info.param.name; });
}  // namespace strata::sdk::testing

int main(int argc, char** argv) {
  // The plugin is loaded before InitGoogleTest, which evaluates the ValuesIn() generators.
  std::string plugin, params;
  double min_recall = 0.9;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--plugin=", 0) == 0) plugin = a.substr(9);
    if (a.rfind("--params=", 0) == 0) params = a.substr(9);
    if (a.rfind("--min-recall=", 0) == 0) min_recall = std::atof(a.c_str() + 13);
  }
  if (plugin.empty()) {
    std::fprintf(stderr, "usage: %s --plugin=<lib.so> [--params=k=v,...] [--min-recall=r]\n",
                 argv[0]);
    return 2;
  }
  if (int rc = Load(plugin, params, min_recall); rc != 0) return rc;
  if (IndexTargets().empty() && StorageTargets().empty()) {
    std::fprintf(stderr, "%s has no index or storage plugin to test\n", plugin.c_str());
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
