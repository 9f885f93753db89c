// registry.h: discovers, validates, initialises and lists plugins.
//
// Loading happens on the startup thread only (dlopen is not thread-safe everywhere). Libraries
// stay loaded for the life of the process, refused ones included: Strata never calls dlclose in
// production (gRPC/protobuf state and g++ unique symbols make unloading unsafe).
//
// Concurrency: not thread-safe; build it at startup, then read it from any thread.
#ifndef STRATA_KERNEL_PLUGIN_REGISTRY_H_
#define STRATA_KERNEL_PLUGIN_REGISTRY_H_

#include <string>
#include <vector>

#include "strata/abi/strata_host.h"
#include "strata/abi/strata_plugin.h"
#include "strata/sdk/status.hpp"

namespace strata::kernel {

enum class PluginState { kLoaded, kInitialised, kDisabled, kRefused };
const char* PluginStateName(PluginState s);

// One plugin (one strata_plugin_info) or, for a refused file, the file itself.
struct PluginRecord {
  std::string path;  // the library file, or "<built-in>"
  uint32_t kind = 0;
  std::string name;  // empty when the file was refused before its manifest was read
  std::string version;
  std::string description;
  uint64_t capabilities = 0;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  uint32_t tier = 0;
  const void* vtable = nullptr;
  PluginState state = PluginState::kRefused;
  std::string reason;  // why refused / disabled
  int library = -1;    // index into the registry's libraries

  std::string Id() const;  // "index/hnsw"
};

class PluginRegistry {
 public:
  explicit PluginRegistry(std::string kernel_build_id);
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;
  ~PluginRegistry();  // calls Shutdown(); libraries stay mapped

  // A manifest linked into the executable (built-ins and vendor builds). Same validation.
  void AddStatic(const std::string& label, strata_plugin_manifest_fn fn);
  // Loads one file; a refusal is recorded (see records()), never thrown. Returns the outcome.
  Status LoadFile(const std::string& path);
  // Loads every libstrata_*.so directly in dir, in name order. A missing dir is skipped.
  void ScanDir(const std::string& dir);

  // Initialises the libraries providing the enabled plugins ("kind/name"; empty = all) in the
  // order storage -> index -> consensus -> frontend. A plugin whose init fails is refused with
  // its message. Fails when an enabled id names no loaded plugin.
  Status Init(const std::vector<std::string>& enable, const strata_host_api* host);
  // Calls each initialised library's shutdown() in reverse init order. Idempotent.
  void Shutdown();

  // The initialised plugin of this kind and name, or nullptr.
  const PluginRecord* Find(uint32_t kind, const std::string& name) const;
  std::vector<const PluginRecord*> OfKind(uint32_t kind) const;
  const std::vector<PluginRecord>& records() const { return records_; }
  // The `strata --plugins` table.
  std::string FormatTable() const;

 private:
  struct Library {
    std::string path;
    const strata_plugin_manifest* manifest = nullptr;
    bool initialised = false;
  };
  Status AddManifest(const std::string& path, const strata_plugin_manifest* m);
  void Refuse(const std::string& path, const std::string& plugin_abi, const Status& why);

  std::string build_id_;
  std::vector<Library> libraries_;
  std::vector<int> init_order_;
  std::vector<PluginRecord> records_;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_PLUGIN_REGISTRY_H_
