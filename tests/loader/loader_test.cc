// Every way the loader refuses a library, each asserting that the message names the file, the
// versions and the fix; plus the happy path, init order and the `strata --plugins` table.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "plugin/registry.h"
#include "strata/abi/strata_frontend.h"
#include "strata/abi/strata_index.h"
#include "strata/sdk/testing/fake_host.hpp"

namespace strata::kernel {
namespace {

// What the refusals print for this build's ABI (the fixtures are built with it too).
const std::string kServerAbi = "server ABI 1." + std::to_string(STRATA_ABI_MINOR);
const std::string kPluginAbi = "plugin ABI 1." + std::to_string(STRATA_ABI_MINOR);

std::string Fixture(const std::string& file) { return std::string(FIXTURE_DIR) + "/" + file; }

// Loads one file into a fresh registry and returns the refusal text (or "" when accepted).
std::string RefusalOf(PluginRegistry& registry, const std::string& path) {
  Status s = registry.LoadFile(path);
  if (s.ok()) return "";
  EXPECT_EQ(registry.records().back().state, PluginState::kRefused);
  EXPECT_EQ(registry.records().back().reason, s.message()) << "the table shows the same reason";
  return s.message();
}

void ExpectMentions(const std::string& message, std::initializer_list<std::string> parts) {
  for (const std::string& p : parts) {
    EXPECT_NE(message.find(p), std::string::npos) << "missing '" << p << "' in: " << message;
  }
}

class LoaderTest : public ::testing::Test {
 protected:
  sdk::testing::FakeHost host_;  // outlives the registry, whose destructor runs shutdown hooks
  PluginRegistry registry_{KERNEL_BUILD_ID};
};

TEST_F(LoaderTest, LoadsAGoodPluginAndItsVtableWorks) {
  ASSERT_TRUE(registry_.LoadFile(Fixture("libstrata_index_fixture_good.so")).ok());
  ASSERT_TRUE(registry_.Init({}, host_.api()).ok());
  const PluginRecord* r = registry_.Find(STRATA_KIND_INDEX, "fixture");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->version, "0.0.1");
  EXPECT_EQ(r->tier, STRATA_TIER_STABLE);
  auto* vt = static_cast<const strata_index_vtable*>(r->vtable);
  float v[2] = {1, 2};
  strata_vector_source src{sizeof(src), STRATA_DTYPE_F32, 2,       STRATA_METRIC_L2, 1, 0, v,
                           8,           nullptr,          nullptr, nullptr};
  strata_index* idx = nullptr;
  strata_error err{};
  ASSERT_EQ(vt->create(host_.api(), nullptr, &src, &idx, &err), STRATA_OK) << err.message;
  EXPECT_EQ(vt->build(idx, nullptr, nullptr, &err), STRATA_OK);
  vt->destroy(idx);
}

TEST_F(LoaderTest, RefusesTextFileNamedSo) {
  std::string path = Fixture("libstrata_index_text.so");
  ExpectMentions(RefusalOf(registry_, path),
                 {path, "plugin ABI unknown", kServerAbi, "not an ELF shared library",
                  "checked without loading"});
}

TEST_F(LoaderTest, RefusesLibraryWithoutMarker) {
  std::string path = Fixture("libstrata_index_notplugin.so");
  ExpectMentions(RefusalOf(registry_, path),
                 {path, kServerAbi, "no strata_plugin section", "checked without loading",
                  "build it with strata_add_plugin()"});
}

TEST_F(LoaderTest, RefusesWrongMajorBeforeLoading) {
  std::string path = Fixture("libstrata_index_fixture_major.so");
  ExpectMentions(RefusalOf(registry_, path),
                 {path, "plugin ABI 2.", kServerAbi, "major versions must match",
                  "marker checked without loading", "rebuild the plugin against StrataSdk 1.x"});
}

TEST_F(LoaderTest, RefusesNewerMinor) {
  std::string path = Fixture("libstrata_index_fixture_minor.so");
  ExpectMentions(RefusalOf(registry_, path),
                 {path, "plugin ABI 1.9", kServerAbi, "needs plugin ABI 1.9",
                  "upgrade the server or rebuild the plugin against StrataSdk <= 1." +
                      std::to_string(STRATA_ABI_MINOR)});
}

TEST_F(LoaderTest, RefusesLibraryWithoutManifest) {
  std::string path = Fixture("libstrata_index_fixture_nomanifest.so");
  ExpectMentions(RefusalOf(registry_, path),
                 {path, "plugin ABI 1.0" /* its hand-written marker */, kServerAbi,
                  "exports no strata_plugin_manifest_<kind>_<name>",
                  "strata_plugin_manifest_index_fixture_nomanifest",
                  "strata_add_plugin() and STRATA_PLUGIN_MANIFEST"});
}

TEST_F(LoaderTest, RefusesDuplicateName) {
  std::string first = Fixture("libstrata_index_fixture_good.so");
  std::string second = Fixture("libstrata_index_fixture_copy.so");
  ASSERT_TRUE(registry_.LoadFile(first).ok());
  ExpectMentions(RefusalOf(registry_, second),
                 {second, kPluginAbi, kServerAbi, "duplicate plugin index/fixture",
                  "already provided by " + first, "remove one of the two files"});
}

TEST_F(LoaderTest, RefusesPluginWhoseInitFails) {
  std::string path = Fixture("libstrata_index_fixture_initfail.so");
  ASSERT_TRUE(registry_.LoadFile(path).ok()) << "validation passes; init is what fails";
  Status s = registry_.Init({"index/fixture_initfail"}, host_.api());
  ASSERT_FALSE(s.ok());
  ExpectMentions(s.message(), {path, kPluginAbi, kServerAbi, "init failed", "license key missing",
                               "remove the plugin from plugins.enable"});
  EXPECT_EQ(registry_.Find(STRATA_KIND_INDEX, "fixture_initfail"), nullptr);
}

TEST_F(LoaderTest, RefusesUndefinedSymbolWithDlerrorText) {
  std::string path = Fixture("libstrata_index_fixture_undef.so");
  ExpectMentions(RefusalOf(registry_, path),
                 {path, kPluginAbi, kServerAbi, "undefined symbol",
                  "strata_fixture_symbol_nobody_defines", "rebuild it against this server"});
}

TEST_F(LoaderTest, RefusesBundleFromAnotherBuild) {
  std::string path = Fixture("libstrata_index_fixture_bundle.so");
  ExpectMentions(
      RefusalOf(registry_, path),
      {path, kPluginAbi, kServerAbi, "built for strata-0.0.0-otherbuild",
       std::string("this server is ") + KERNEL_BUILD_ID, "rebuild it together with the server"});
}

TEST_F(LoaderTest, EnablingAMissingPluginNamesItAndTheRefusals) {
  (void)registry_.LoadFile(Fixture("libstrata_index_text.so"));
  Status s = registry_.Init({"index/hnsw"}, host_.api());
  ASSERT_FALSE(s.ok());
  ExpectMentions(s.message(), {"index/hnsw", "plugins.enable", "libstrata_index_text.so"});
}

TEST_F(LoaderTest, InitsStorageIndexFrontendInOrderAndShutsDownInReverse) {
  // Load the frontend first: the init order must not depend on load order.
  ASSERT_TRUE(registry_.LoadFile(Fixture("libstrata_frontend_fixture_front.so")).ok());
  ASSERT_TRUE(registry_.LoadFile(Fixture("libstrata_index_fixture_good.so")).ok());
  ASSERT_TRUE(registry_.Init({}, host_.api()).ok());
  registry_.Shutdown();
  std::vector<std::string> logs = host_.logs();
  ASSERT_EQ(logs.size(), 4u);
  EXPECT_NE(logs[0].find("init fixture"), std::string::npos) << logs[0];
  EXPECT_NE(logs[1].find("init fixture_front"), std::string::npos) << logs[1];
  EXPECT_NE(logs[2].find("shutdown fixture_front"), std::string::npos) << logs[2];
  EXPECT_NE(logs[3].find("shutdown fixture"), std::string::npos) << logs[3];
}

TEST_F(LoaderTest, ScanDirLoadsEveryCandidateAndRecordsRefusals) {
  registry_.ScanDir(FIXTURE_DIR);
  int refused = 0, loaded = 0;
  for (const PluginRecord& r : registry_.records()) {
    (r.state == PluginState::kRefused ? refused : loaded)++;
  }
  // good, front, initfail (init not run yet) load; copy is a duplicate of good.
  EXPECT_EQ(loaded, 3);
  EXPECT_EQ(refused, 8);
}

TEST(StrataBinaryTest, PluginsFlagPrintsTheTableWithReasons) {
  std::string cmd = std::string(STRATA_BINARY) + " --plugins --plugin-file " +
                    Fixture("libstrata_index_fixture_good.so") + " --plugin-file " +
                    Fixture("libstrata_index_fixture_minor.so") + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 512> buf;
  while (fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  ExpectMentions(out, {"STATUS", "KIND", "CAPS", "active    storage    posix",
                       "active    index      flat", "active    index      fixture",
                       "libstrata_index_fixture_good.so", "refused", "needs plugin ABI 1.9"});
}

}  // namespace
}  // namespace strata::kernel
