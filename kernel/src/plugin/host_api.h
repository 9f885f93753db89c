// host_api.h: the kernel's strata_host_api instance and the services behind it (executors,
// timers, configuration, logging, the kernel service, the active storage backend).
//
// Concurrency: the table is immutable once built; every entry is thread-safe.
#ifndef STRATA_KERNEL_PLUGIN_HOST_API_H_
#define STRATA_KERNEL_PLUGIN_HOST_API_H_

#include <memory>
#include <string>

#include "runtime/thread_pool.h"
#include "strata/abi/strata_host.h"

namespace strata::kernel {

class Config;
class KernelService;

class HostServices {
 public:
  // config and service must outlive this object. threads: pool size (0 = hardware threads).
  HostServices(const Config* config, const KernelService* service, std::string build_id,
               std::string version, uint32_t threads);
  ~HostServices();
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  const strata_host_api* api() const { return &api_; }
  void SetStorage(const strata_storage_vtable* storage, strata_fs* fs);
  ThreadPool& pool() { return pool_; }

 private:
  static HostServices& Self(const strata_host_api* host);

  const Config* config_;
  const KernelService* service_;
  std::string build_id_;
  std::string version_;
  ThreadPool pool_;
  TimerService timers_;
  strata_host_api api_{};
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_PLUGIN_HOST_API_H_
