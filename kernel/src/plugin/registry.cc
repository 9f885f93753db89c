#include "plugin/registry.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>

// Boost.DLL 1.74: define before including so dll::fs is std::filesystem (no Boost.Filesystem),
// and include <string>/<vector> first (library_info.hpp is not self-contained under g++ 12).
#define BOOST_DLL_USE_STD_FS
#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <string>
#include <vector>

#include "plugin/abi_check.h"
#include "plugin/elf_marker.h"

namespace strata::kernel {
namespace {

// Libraries are kept here for the life of the process and never unloaded.
std::vector<boost::dll::shared_library*>& KeptLibraries() {
  static auto* kept = new std::vector<boost::dll::shared_library*>();
  return *kept;
}

// libstrata_index_hnsw.so -> index_hnsw
std::string IdFromFileName(const std::string& path) {
  std::string file = std::filesystem::path(path).filename().string();
  const std::string prefix = "libstrata_";
  if (file.rfind(prefix, 0) != 0) return "";
  file = file.substr(prefix.size());
  size_t so = file.find(".so");
  return so == std::string::npos ? file : file.substr(0, so);
}

// Finds the manifest symbol: the one named after the file, else any exported manifest symbol
// Boost.DLL's section reader lists (it sees only unstripped files in Boost 1.74).
std::string FindManifestSymbol(const boost::dll::shared_library& lib, const std::string& path) {
  std::string expected = STRATA_PLUGIN_MANIFEST_PREFIX + IdFromFileName(path);
  if (!IdFromFileName(path).empty() && lib.has(expected)) return expected;
  try {
    boost::dll::library_info info(path, /*throw_if_not_native=*/false);
    for (const std::string& sym : info.symbols()) {
      if (sym.rfind(STRATA_PLUGIN_MANIFEST_PREFIX, 0) == 0 && lib.has(sym)) return sym;
    }
  } catch (const std::exception&) {
    // Not parseable: fall through to "no manifest".
  }
  return "";
}

std::string AbiText(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace

const char* PluginStateName(PluginState s) {
  switch (s) {
    case PluginState::kLoaded:
      return "loaded";
    case PluginState::kInitialised:
      return "active";
    case PluginState::kDisabled:
      return "disabled";
    case PluginState::kRefused:
      return "refused";
  }
  return "?";
}

std::string PluginRecord::Id() const { return std::string(KindName(kind)) + "/" + name; }

PluginRegistry::PluginRegistry(std::string kernel_build_id)
    : build_id_(std::move(kernel_build_id)) {}

PluginRegistry::~PluginRegistry() { Shutdown(); }

static std::string RefusalText(const std::string& path, const std::string& plugin_abi,
                               const std::string& why) {
  return "refusing " + path + " (plugin ABI " + plugin_abi + ", server ABI " +
         std::to_string(STRATA_ABI_MAJOR) + "." + std::to_string(STRATA_ABI_MINOR) + "): " + why;
}

void PluginRegistry::Refuse(const std::string& path, const std::string& plugin_abi,
                            const Status& why) {
  PluginRecord r;
  r.path = path;
  r.state = PluginState::kRefused;
  r.reason = RefusalText(path, plugin_abi, why.message());
  records_.push_back(std::move(r));
}

void PluginRegistry::AddStatic(const std::string& label, strata_plugin_manifest_fn fn) {
  const strata_plugin_manifest* m = fn();
  Status s = AddManifest(label, m);
  if (!s.ok()) Refuse(label, m ? AbiText(m->abi_major, m->abi_minor) : "unknown", s);
}

Status PluginRegistry::LoadFile(const std::string& raw_path) {
  std::error_code fs_ec;
  std::string path =
      std::filesystem::weakly_canonical(std::filesystem::absolute(raw_path, fs_ec), fs_ec).string();
  std::string plugin_abi = "unknown";
  auto refuse = [&](const Status& s) {
    Refuse(path, plugin_abi, s);
    return Status(s.code(), RefusalText(path, plugin_abi, s.message()));
  };
  // 1. Pre-flight: read the marker from the file without running any of its code.
  Result<strata_plugin_marker> marker = ReadPluginMarker(path);
  if (!marker.ok()) return refuse(marker.status());
  plugin_abi = AbiText(marker->abi_major, marker->abi_minor);
  Status version = CheckAbiVersion(marker->abi_major, marker->abi_minor);
  if (!version.ok()) return refuse(version.WithContext("marker checked without loading"));

  // 2. Load with RTLD_NOW | RTLD_LOCAL. Boost 1.74 reports every failure as "Bad file
  //    descriptor"; the real reason is in dlerror() right afterwards.
  boost::dll::fs::error_code ec;
  auto* lib = new boost::dll::shared_library();
  dlerror();
  lib->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec || !lib->is_loaded()) {
    const char* why = dlerror();
    delete lib;
    return refuse(FailedPrecondition(
        std::string("cannot load: ") + (why ? why : ec.message()) +
        "; the library references something this process does not provide: rebuild it against "
        "this server's SDK and libraries (strata_add_plugin links with --no-undefined to catch "
        "this at build time)"));
  }
  KeptLibraries().push_back(lib);  // never dlclose

  // 3. Manifest.
  std::string symbol = FindManifestSymbol(*lib, path);
  if (symbol.empty()) {
    return refuse(FailedPrecondition(
        "exports no " STRATA_PLUGIN_MANIFEST_PREFIX "<kind>_<name> function (expected " +
        std::string(STRATA_PLUGIN_MANIFEST_PREFIX) + IdFromFileName(path) +
        " for this file name); build it with strata_add_plugin() and STRATA_PLUGIN_MANIFEST"));
  }
  auto fn = lib->get<const strata_plugin_manifest*()>(symbol);
  const strata_plugin_manifest* m = fn();
  if (m != nullptr) plugin_abi = AbiText(m->abi_major, m->abi_minor);
  Status s = AddManifest(path, m);
  if (!s.ok()) return refuse(s);
  return Status::Ok();
}

Status PluginRegistry::AddManifest(const std::string& path, const strata_plugin_manifest* m) {
  if (m == nullptr) return FailedPrecondition("its manifest function returned NULL");
  if (m->struct_size < sizeof(strata_plugin_manifest)) {
    return FailedPrecondition(
        "its manifest is " + std::to_string(m->struct_size) + " bytes, smaller than ABI 1.0's " +
        std::to_string(sizeof(strata_plugin_manifest)) + "; rebuild it with the StrataSdk");
  }
  STRATA_RETURN_IF_ERROR(CheckAbiVersion(m->abi_major, m->abi_minor));
  STRATA_RETURN_IF_ERROR(CheckTier(m->tier, m->build_id, build_id_));
  if (m->plugin_count == 0 || m->plugins == nullptr) {
    return FailedPrecondition("its manifest lists no plugin");
  }
  // Validate every entry before accepting any, so a library is all-or-nothing.
  for (uint32_t i = 0; i < m->plugin_count; ++i) {
    const strata_plugin_info& info = m->plugins[i];
    Status s = CheckPluginInfo(info);
    if (!s.ok()) {
      return s.WithContext(std::string("plugin #") + std::to_string(i) +
                           (info.name ? std::string(" (") + info.name + ")" : std::string()));
    }
    std::string id = std::string(KindName(info.kind)) + "/" + info.name;
    for (const PluginRecord& r : records_) {
      if (r.state != PluginState::kRefused && r.kind == info.kind && r.name == info.name) {
        return FailedPrecondition("duplicate plugin " + id + ": already provided by " + r.path +
                                  "; remove one of the two files or rename the plugin");
      }
    }
  }
  int library = static_cast<int>(libraries_.size());
  libraries_.push_back({path, m, false});
  for (uint32_t i = 0; i < m->plugin_count; ++i) {
    const strata_plugin_info& info = m->plugins[i];
    PluginRecord r;
    r.path = path;
    r.kind = info.kind;
    r.name = info.name;
    r.version = info.version;
    r.description = info.description ? info.description : "";
    r.capabilities = info.capabilities;
    r.abi_major = m->abi_major;
    r.abi_minor = m->abi_minor;
    r.tier = m->tier;
    r.vtable = info.vtable;
    r.state = PluginState::kLoaded;
    r.library = library;
    records_.push_back(std::move(r));
  }
  return Status::Ok();
}

void PluginRegistry::ScanDir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("libstrata_", 0) == 0 && name.find(".so") != std::string::npos &&
        entry.is_regular_file(ec)) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    (void)LoadFile(f);  // refusals are recorded in records_ and shown by --plugins
  }
}

Status PluginRegistry::Init(const std::vector<std::string>& enable, const strata_host_api* host) {
  // Which libraries to initialise, and the first rank (kind order) each provides.
  std::map<int, int> rank_of_library;
  for (const std::string& id : enable) {
    bool found = false;
    for (const PluginRecord& r : records_) found |= r.state == PluginState::kLoaded && r.Id() == id;
    if (!found) {
      std::string refused;
      for (const PluginRecord& r : records_) {
        if (r.state == PluginState::kRefused) refused += "\n  " + r.reason;
      }
      return NotFound("plugin " + id + " is enabled in plugins.enable but was not loaded" +
                      (refused.empty() ? std::string("; check plugins.dirs and plugins.files")
                                       : "; refused libraries:" + refused));
    }
  }
  for (PluginRecord& r : records_) {
    if (r.state != PluginState::kLoaded) continue;
    bool wanted = enable.empty() || std::find(enable.begin(), enable.end(), r.Id()) != enable.end();
    if (!wanted) {
      r.state = PluginState::kDisabled;
      r.reason = "not listed in plugins.enable";
      continue;
    }
    int rank = KindInitRank(r.kind);
    auto it = rank_of_library.find(r.library);
    if (it == rank_of_library.end() || rank < it->second) rank_of_library[r.library] = rank;
  }
  std::vector<std::pair<int, int>> order;  // (rank, library)
  for (auto [lib, rank] : rank_of_library) order.push_back({rank, lib});
  std::stable_sort(order.begin(), order.end());
  for (auto [rank, lib] : order) {
    Library& L = libraries_[lib];
    strata_error err{};
    int32_t rc = L.manifest->init ? L.manifest->init(host, &err) : STRATA_OK;
    for (PluginRecord& r : records_) {
      if (r.library != lib || r.state != PluginState::kLoaded) continue;
      if (rc == STRATA_OK) {
        r.state = PluginState::kInitialised;
      } else {
        r.state = PluginState::kRefused;
        r.reason = RefusalText(L.path, AbiText(r.abi_major, r.abi_minor),
                               std::string("init failed: ") +
                                   (err.message[0] ? err.message : "no message") +
                                   "; the plugin stays disabled: fix what the message names or "
                                   "remove the plugin from plugins.enable");
      }
    }
    if (rc == STRATA_OK) {
      L.initialised = true;
      init_order_.push_back(lib);
    }
  }
  for (const std::string& id : enable) {
    for (const PluginRecord& r : records_) {
      if (r.Id() == id && r.state == PluginState::kRefused) return FailedPrecondition(r.reason);
    }
  }
  return Status::Ok();
}

void PluginRegistry::Shutdown() {
  for (auto it = init_order_.rbegin(); it != init_order_.rend(); ++it) {
    Library& L = libraries_[*it];
    if (L.initialised && L.manifest->shutdown) L.manifest->shutdown();
    L.initialised = false;
  }
  init_order_.clear();
}

const PluginRecord* PluginRegistry::Find(uint32_t kind, const std::string& name) const {
  for (const PluginRecord& r : records_) {
    if (r.kind == kind && r.name == name && r.state == PluginState::kInitialised) return &r;
  }
  return nullptr;
}

std::vector<const PluginRecord*> PluginRegistry::OfKind(uint32_t kind) const {
  std::vector<const PluginRecord*> out;
  for (const PluginRecord& r : records_) {
    if (r.kind == kind && r.state == PluginState::kInitialised) out.push_back(&r);
  }
  return out;
}

std::string PluginRegistry::FormatTable() const {
  std::ostringstream out;
  out << "STATUS    KIND       NAME             VERSION   ABI   TIER    CAPS                PATH\n";
  for (const PluginRecord& r : records_) {
    char caps[24];
    std::snprintf(caps, sizeof(caps), "0x%016llx", static_cast<unsigned long long>(r.capabilities));
    char line[512];
    std::snprintf(
        line, sizeof(line), "%-9s %-10s %-16s %-9s %-5s %-7s %-19s %s\n", PluginStateName(r.state),
        r.name.empty() ? "-" : KindName(r.kind), r.name.empty() ? "-" : r.name.c_str(),
        r.version.empty() ? "-" : r.version.c_str(),
        r.name.empty() ? "-"
                       : (std::to_string(r.abi_major) + "." + std::to_string(r.abi_minor)).c_str(),
        r.name.empty() ? "-" : TierName(r.tier), r.name.empty() ? "-" : caps, r.path.c_str());
    out << line;
    if (!r.reason.empty()) out << "          reason: " << r.reason << "\n";
  }
  return out.str();
}

}  // namespace strata::kernel
