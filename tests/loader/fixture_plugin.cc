// One source, many loader fixtures: compile definitions turn it into a good plugin or into each
// kind of bad one (see tests/loader/CMakeLists.txt).
#include <memory>
#include <string>

#include "strata/abi/strata_plugin.h"
#include "strata/sdk/frontend_plugin.hpp"
#include "strata/sdk/index_plugin.hpp"

namespace {

class FixtureIndex : public strata::sdk::IndexPlugin<FixtureIndex> {
 public:
  static strata::Result<std::unique_ptr<FixtureIndex>> Create(const strata::sdk::Host&,
                                                              const strata::sdk::Params&,
                                                              const strata::sdk::VectorSource&) {
    return std::make_unique<FixtureIndex>();
  }
  strata::Status Build(const strata::sdk::Filter&, const strata::sdk::Cancel& c) {
    return c.Check("build");
  }
  strata::Status Search(const strata::sdk::SearchRequest&, strata::sdk::SearchOutput&) const {
    return strata::Status::Ok();
  }
  strata::Status Save(const strata::sdk::Dir&) const { return strata::Status::Ok(); }
  strata::Status Load(const strata::sdk::Dir&) { return strata::Status::Ok(); }
};

class FixtureFrontend {
 public:
  static strata::Result<std::unique_ptr<FixtureFrontend>> Create(const strata::sdk::Host&,
                                                                 const strata::sdk::Params&) {
    return std::make_unique<FixtureFrontend>();
  }
  strata::Status Start() { return strata::Status::Ok(); }
  void Stop(int64_t) {}
};

#ifdef FIXTURE_UNDEFINED
extern "C" int strata_fixture_symbol_nobody_defines(void);
#endif

strata::Status FixtureInit(const strata::sdk::Host& host) {
#ifdef FIXTURE_UNDEFINED
  if (strata_fixture_symbol_nobody_defines() != 0) return strata::Internal("unreachable");
#endif
  host.Log(STRATA_LOG_INFO, FIXTURE_NAME, std::string("init ") + FIXTURE_NAME);
#ifdef FIXTURE_INIT_FAILS
  return strata::FailedPrecondition("fixture refuses to start: license key missing");
#else
  return strata::Status::Ok();
#endif
}

void FixtureShutdown() {
  strata::sdk::PluginHost().Log(STRATA_LOG_INFO, FIXTURE_NAME,
                                std::string("shutdown ") + FIXTURE_NAME);
}

}  // namespace

#ifdef FIXTURE_NO_MANIFEST
[[maybe_unused]] auto* const kUnusedHooks = std::make_pair(&FixtureInit, &FixtureShutdown).first;
// Carries the marker, so it passes the pre-flight check, but exports no manifest function.
extern "C" __attribute__((section(STRATA_PLUGIN_SECTION), used))
const strata_plugin_marker strata_fixture_marker = {
    {'S', 'T', 'R', 'A', 'T', 'A', 'P', 'L', 'G', '1'}, 1, 0, STRATA_TIER_STABLE, {0, 0, 0}};
extern "C" __attribute__((visibility("default"))) int strata_fixture_unrelated(void) { return 1; }
#else
#include "strata/sdk/manifest.hpp"
#ifdef FIXTURE_FRONTEND
STRATA_PLUGIN_MANIFEST_WITH_HOOKS(FIXTURE_TIER, FixtureInit, FixtureShutdown,
                                  STRATA_FRONTEND_PLUGIN(FIXTURE_NAME, "0.0.1", "loader fixture",
                                                         FixtureFrontend, 0))
#else
STRATA_PLUGIN_MANIFEST_WITH_HOOKS(FIXTURE_TIER, FixtureInit, FixtureShutdown,
                                  STRATA_INDEX_PLUGIN(FIXTURE_NAME, "0.0.1", "loader fixture",
                                                      FixtureIndex,
                                                      STRATA_INDEX_CAP_F32 | STRATA_INDEX_CAP_L2))
#endif
#endif
