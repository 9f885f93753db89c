#include "server/server.h"

#include <dlfcn.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "collection/snapshots.h"
#include "collection/toc.h"
#include "common/logging.h"
#include "plugin/abi_check.h"
#include "plugin/builtin.h"
#include "plugin/host_api.h"
#include "plugin/registry.h"
#include "segment/disk_payloads.h"
#include "server/build_info.h"
#include "server/config.h"
#include "service/kernel_service.h"
#include "strata/abi/strata_frontend.h"
#include "strata/abi/strata_index.h"
#include "strata/sdk/params.hpp"

namespace strata::kernel {
namespace {

constexpr const char* kTarget = "strata";
constexpr const char* kLockFile = ".lock";

std::unique_ptr<PluginRegistry> LoadPlugins(const ServerSettings& s, const ServerOptions& o) {
  auto registry = std::make_unique<PluginRegistry>(StrataBuildId());
  registry->AddStatic("<built-in>", &strata_plugin_manifest_builtin);
  std::vector<std::string> dirs = s.plugin_dirs;
  if (dirs.empty() && !o.exe_dir.empty()) dirs.push_back(o.exe_dir + "/../lib/strata/plugins");
  for (const std::string& d : dirs) registry->ScanDir(d);
  std::vector<std::string> files = s.plugin_files;
  files.insert(files.end(), o.extra_plugin_files.begin(), o.extra_plugin_files.end());
  for (const std::string& f : files) (void)registry->LoadFile(f);  // refusals are recorded
  for (const PluginRecord& r : registry->records()) {
    if (r.state == PluginState::kRefused) LogWarn(kTarget, r.reason);
  }
  return registry;
}

// A running frontend plugin instance.
struct Frontend {
  const PluginRecord* record;
  const strata_frontend_vtable* vt;
  strata_frontend* instance;
};

}  // namespace

std::string StrataVersion() { return STRATA_VERSION; }
std::string StrataBuildId() { return STRATA_BUILD_ID; }

int RunServer(const ServerOptions& options) {
  Result<Config> config = Config::Load(options.config_file, Config::ProcessEnvironment());
  if (!config.ok()) {
    LogError(kTarget, "configuration: " + config.status().message());
    return 2;
  }
  Result<ServerSettings> settings = ReadServerSettings(*config);
  if (!settings.ok()) {
    LogError(kTarget, "configuration: " + settings.status().message());
    return 2;
  }
  Logger::Configure(*ParseLogLevel(settings->log_level), settings->log_json);

  KernelService service(ServiceInfo{"strata - vector search engine (Qdrant API compatible)",
                                    STRATA_QDRANT_API_VERSION, STRATA_GIT_SHA});
  HostServices host(&*config, &service, StrataBuildId(), StrataVersion(), 0);
  std::unique_ptr<PluginRegistry> registry = LoadPlugins(*settings, options);
  Status init = registry->Init(settings->plugin_enable, host.api());

  if (options.list_plugins) {
    std::fputs(registry->FormatTable().c_str(), stdout);
    if (!init.ok()) std::fprintf(stdout, "error: %s\n", init.message().c_str());
    return init.ok() ? 0 : 1;
  }
  if (!init.ok()) {
    LogError(kTarget, init.message());
    return 1;
  }

  // Storage: the configured backend, holding the directory's lock for the server's life.
  const PluginRecord* backend = registry->Find(STRATA_KIND_STORAGE, settings->storage_backend);
  if (backend == nullptr) {
    LogError(kTarget, "storage.backend: no active storage plugin named '" +
                          settings->storage_backend + "' (see `strata --plugins`)");
    return 1;
  }
  auto* storage = static_cast<const strata_storage_vtable*>(backend->vtable);
  strata_error err{};
  strata_fs* fs = nullptr;
  if (storage->open_fs(settings->storage_path.c_str(), nullptr, &fs, &err) != STRATA_OK) {
    LogError(kTarget,
             "cannot open storage directory " + settings->storage_path + ": " + err.message);
    return 1;
  }
  void* lock = nullptr;
  if (storage->lock(fs, kLockFile, &lock, &err) != STRATA_OK) {
    LogError(kTarget, "storage directory " + settings->storage_path +
                          " is in use by another Strata server (" + err.message +
                          "); stop that server or set storage.storage_path to another directory");
    storage->close_fs(fs);
    return 1;
  }
  host.SetStorage(storage, fs);
  DiskPayloads::SetSharedCacheBytes(static_cast<size_t>(settings->payload_cache_mb) << 20);
  ShardOptions shard_options;
  shard_options.storage_backend = "storage/" + backend->name + " " + backend->version;
  shard_options.wal.sync = settings->wal_sync_always ? WalSync::kAlways : WalSync::kNever;
  // The vector index the optimizer builds: HNSW when its plugin is active, else exact search.
  if (const PluginRecord* index = registry->Find(STRATA_KIND_INDEX, "hnsw")) {
    shard_options.index = static_cast<const strata_index_vtable*>(index->vtable);
    shard_options.host = host.api();
    shard_options.index_plugin = "index/" + index->name + " " + index->version;
    LogInfo(kTarget, "vector index: index/hnsw " + index->version);
  } else {
    LogWarn(kTarget, "no index/hnsw plugin active: searches are exact (brute force)");
  }
  Result<std::unique_ptr<Toc>> toc = Toc::Open(FileSystem(storage, fs), shard_options);
  if (!toc.ok()) {
    LogError(kTarget, "cannot open the collections in " + settings->storage_path + ": " +
                          toc.status().message());
    storage->unlock(fs, lock);
    storage->close_fs(fs);
    return 1;
  }
  // Snapshots: their own directory, through the same backend.
  std::unique_ptr<OwnedFs> snapshots_fs;
  {
    std::error_code ec;
    std::filesystem::create_directories(settings->snapshots_path, ec);
    Result<std::unique_ptr<OwnedFs>> sfs = OwnedFs::Open(storage, settings->snapshots_path);
    Result<std::unique_ptr<SnapshotStore>> store =
        sfs.ok() ? SnapshotStore::Open(
                       (*sfs)->view(),
                       std::filesystem::absolute(settings->snapshots_path, ec).lexically_normal())
                 : Result<std::unique_ptr<SnapshotStore>>(sfs.status());
    if (store.ok()) {
      snapshots_fs = std::move(sfs).value();
      (*toc)->SetSnapshotStore(std::move(store).value());
    } else {
      LogWarn(kTarget, "snapshots are not available: storage.snapshots_path " +
                           settings->snapshots_path + ": " + store.status().message());
    }
  }
  if (!options.storage_snapshot.empty()) {
    // A full snapshot named on the command line: recovered before anything is served.
    const std::filesystem::path file = std::filesystem::absolute(options.storage_snapshot);
    Result<std::unique_ptr<OwnedFs>> dir = OwnedFs::Open(storage, file.parent_path().string());
    Result<std::unique_ptr<File>> f =
        dir.ok() ? (*dir)->view().Open(file.filename().string(), STRATA_OPEN_READ)
                 : Result<std::unique_ptr<File>>(dir.status());
    Status recovered = f.ok() ? (*toc)->RecoverFullSnapshot(**f, file.string()) : f.status();
    if (!recovered.ok()) {
      LogError(kTarget, "--storage-snapshot " + file.string() + ": " + recovered.message());
      toc->reset();
      storage->unlock(fs, lock);
      storage->close_fs(fs);
      return 1;
    }
  }
  service.set_toc(toc->get());
  LogInfo(kTarget, std::to_string((*toc)->List().size()) + " collection(s) loaded; WAL sync " +
                       (settings->wal_sync_always ? "always" : "never"));
  // jemalloc, when the build linked it, replaces malloc and brings mallctl with it.
  const char* allocator = dlsym(RTLD_DEFAULT, "mallctl") != nullptr ? "jemalloc" : "glibc malloc";
  LogInfo(kTarget, "Strata " + StrataVersion() + " (Qdrant API " + STRATA_QDRANT_API_VERSION +
                       ") storage " + settings->storage_path + " via storage/" +
                       settings->storage_backend + "; allocator " + allocator);

  // Block the shutdown signals before any plugin starts threads, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::vector<Frontend> frontends;
  int exit_code = 0;
  for (const PluginRecord* r : registry->OfKind(STRATA_KIND_FRONTEND)) {
    auto* vt = static_cast<const strata_frontend_vtable*>(r->vtable);
    sdk::OwnedParams cfg;
    for (const auto& [k, v] : config->Section("service")) cfg.Set("service." + k, v);
    for (const auto& [k, v] : config->Section("cluster")) cfg.Set("cluster." + k, v);
    for (const auto& [k, v] : config->Section("tls")) cfg.Set("tls." + k, v);
    strata_frontend* fe = nullptr;
    if (vt->create(host.api(), cfg.Get(), &fe, &err) != STRATA_OK ||
        vt->start(fe, &err) != STRATA_OK) {
      LogError(kTarget, r->Id() + " failed to start: " + err.message);
      if (fe != nullptr) vt->destroy(fe);
      exit_code = 1;
      break;
    }
    frontends.push_back({r, vt, fe});
    LogInfo(kTarget, r->Id() + " started");
  }
  if (exit_code == 0) {
    if (frontends.empty()) {
      LogWarn(kTarget, "no frontend plugin is active: the server answers no API request");
    }
    LogInfo(kTarget, "ready; send SIGINT or SIGTERM to stop");
    int sig = 0;
    sigwait(&signals, &sig);
    LogInfo(kTarget,
            std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  }

  // Reverse order: frontends (drain, join), plugins' shutdown hooks, storage.
  const int64_t deadline = sdk::UnixMillisNow() + settings->shutdown_timeout_sec * 1000;
  for (auto it = frontends.rbegin(); it != frontends.rend(); ++it) {
    it->vt->stop(it->instance, deadline);
    it->vt->destroy(it->instance);
    LogInfo(kTarget, it->record->Id() + " stopped");
  }
  service.set_toc(nullptr);
  toc->reset();  // final snapshots
  registry->Shutdown();
  storage->unlock(fs, lock);
  storage->close_fs(fs);
  LogInfo(kTarget, "stopped");
  return exit_code;
}

}  // namespace strata::kernel
