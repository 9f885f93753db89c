// manifest.hpp: the one-line plugin manifest (C++17).
//
//   STRATA_PLUGIN_MANIFEST(STRATA_TIER_STABLE,
//       STRATA_INDEX_PLUGIN("flat", "0.1.0", "exact search", FlatIndex, caps));
//
// expands to the library's marker record (section "strata_plugin") and its exported manifest
// function strata_plugin_manifest_<STRATA_PLUGIN_ID>. STRATA_PLUGIN_ID (e.g. index_flat) is a
// compile definition set by strata_add_plugin(). Several STRATA_*_PLUGIN entries may be listed.
// STRATA_PLUGIN_MANIFEST_WITH_HOOKS additionally names init/shutdown functions:
//   Status MyInit(const strata::sdk::Host& host);   void MyShutdown();
#ifndef STRATA_SDK_MANIFEST_HPP_
#define STRATA_SDK_MANIFEST_HPP_

#include "strata/abi/strata_consensus.h"
#include "strata/abi/strata_frontend.h"
#include "strata/abi/strata_index.h"
#include "strata/abi/strata_plugin.h"
#include "strata/abi/strata_storage.h"
#include "strata/sdk/guard.hpp"
#include "strata/sdk/host.hpp"

#ifndef STRATA_PLUGIN_ID
#error "STRATA_PLUGIN_ID must be defined (strata_add_plugin() sets it to <kind>_<name>)"
#endif

#ifndef STRATA_PLUGIN_BUILD_ID
#define STRATA_PLUGIN_BUILD_ID "external"
#endif

// Lets tests build libraries that claim another ABI version; plugins never set these.
#ifndef STRATA_PLUGIN_ABI_MAJOR
#define STRATA_PLUGIN_ABI_MAJOR STRATA_ABI_MAJOR
#endif
#ifndef STRATA_PLUGIN_ABI_MINOR
#define STRATA_PLUGIN_ABI_MINOR STRATA_ABI_MINOR
#endif

#define STRATA_MANIFEST_SYMBOL STRATA_CONCAT_(strata_plugin_manifest_, STRATA_PLUGIN_ID)

#define STRATA_PLUGIN_INFO_(KIND, NAME, VERSION, DESCRIPTION, CAPS, VTABLE) \
  strata_plugin_info {                                                      \
    sizeof(strata_plugin_info), KIND, NAME, VERSION, DESCRIPTION, CAPS,     \
        static_cast<const void*>(VTABLE)                                    \
  }

#define STRATA_INDEX_PLUGIN(NAME, VERSION, DESCRIPTION, IMPL, CAPS)        \
  STRATA_PLUGIN_INFO_(STRATA_KIND_INDEX, NAME, VERSION, DESCRIPTION, CAPS, \
                      ::strata::sdk::IndexPlugin<IMPL>::Vtable())
#define STRATA_STORAGE_PLUGIN(NAME, VERSION, DESCRIPTION, FS_IMPL, FILE_IMPL, CAPS) \
  STRATA_PLUGIN_INFO_(STRATA_KIND_STORAGE, NAME, VERSION, DESCRIPTION, CAPS,        \
                      (::strata::sdk::StoragePlugin<FS_IMPL, FILE_IMPL>::Vtable()))
#define STRATA_FRONTEND_PLUGIN(NAME, VERSION, DESCRIPTION, IMPL, CAPS)        \
  STRATA_PLUGIN_INFO_(STRATA_KIND_FRONTEND, NAME, VERSION, DESCRIPTION, CAPS, \
                      ::strata::sdk::FrontendPlugin<IMPL>::Vtable())
#define STRATA_CONSENSUS_PLUGIN(NAME, VERSION, DESCRIPTION, IMPL, CAPS)        \
  STRATA_PLUGIN_INFO_(STRATA_KIND_CONSENSUS, NAME, VERSION, DESCRIPTION, CAPS, \
                      ::strata::sdk::ConsensusPlugin<IMPL>::Vtable())

namespace strata::sdk::detail {
inline ::strata::Status NoInitHook(const Host&) { return ::strata::Status::Ok(); }
inline void NoShutdownHook() {}
}  // namespace strata::sdk::detail

#define STRATA_PLUGIN_MANIFEST(TIER, ...)                                    \
  STRATA_PLUGIN_MANIFEST_WITH_HOOKS(TIER, ::strata::sdk::detail::NoInitHook, \
                                    ::strata::sdk::detail::NoShutdownHook, __VA_ARGS__)

#define STRATA_PLUGIN_MANIFEST_WITH_HOOKS(TIER, INIT_FN, SHUTDOWN_FN, ...)               \
  extern "C" {                                                                           \
  __attribute__((section(STRATA_PLUGIN_SECTION), used, aligned(1)))                      \
  const strata_plugin_marker STRATA_CONCAT_(strata_plugin_marker_, STRATA_PLUGIN_ID) = { \
      {'S', 'T', 'R', 'A', 'T', 'A', 'P', 'L', 'G', '1'},                                \
      STRATA_PLUGIN_ABI_MAJOR,                                                           \
      STRATA_PLUGIN_ABI_MINOR,                                                           \
      static_cast<uint8_t>(TIER),                                                        \
      {0, 0, 0}};                                                                        \
  STRATA_EXPORT const strata_plugin_manifest* STRATA_MANIFEST_SYMBOL(void);              \
  }                                                                                      \
  namespace {                                                                            \
  int32_t StrataManifestInit(const strata_host_api* host, strata_error* err) noexcept {  \
    return ::strata::sdk::Guard(err, [&]() -> ::strata::Status {                         \
      ::strata::sdk::PluginHost() = ::strata::sdk::Host(host);                           \
      return INIT_FN(::strata::sdk::PluginHost());                                       \
    });                                                                                  \
  }                                                                                      \
  void StrataManifestShutdown(void) noexcept { SHUTDOWN_FN(); }                          \
  }                                                                                      \
  const strata_plugin_manifest* STRATA_MANIFEST_SYMBOL(void) {                           \
    static const strata_plugin_info infos[] = {__VA_ARGS__};                             \
    static const strata_plugin_manifest manifest = {                                     \
        sizeof(strata_plugin_manifest),                                                  \
        STRATA_PLUGIN_ABI_MAJOR,                                                         \
        STRATA_PLUGIN_ABI_MINOR,                                                         \
        TIER,                                                                            \
        static_cast<uint32_t>(sizeof(infos) / sizeof(infos[0])),                         \
        STRATA_PLUGIN_BUILD_ID,                                                          \
        infos,                                                                           \
        &StrataManifestInit,                                                             \
        &StrataManifestShutdown};                                                        \
    return &manifest;                                                                    \
  }

#endif  // STRATA_SDK_MANIFEST_HPP_
