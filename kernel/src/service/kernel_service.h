// kernel_service.h: the one entry every frontend reaches through host->call: decodes the method
// id, dispatches to the handler for it, and answers exactly once.
//
// Concurrency: thread-safe; calls may arrive from any frontend thread.
#ifndef STRATA_KERNEL_SERVICE_KERNEL_SERVICE_H_
#define STRATA_KERNEL_SERVICE_KERNEL_SERVICE_H_

#include <string>

#include "strata/abi/strata_host.h"

namespace strata::kernel {

// "Points/Upsert" for STRATA_METHOD_Points_Upsert, or "" for an unknown id.
std::string MethodName(uint32_t method);

struct ServiceInfo {
  std::string title;        // reported by HealthCheck
  std::string api_version;  // the Qdrant API version implemented
  std::string commit;       // source revision
};

class Toc;

class KernelService {
 public:
  // toc may be null (no storage yet): collection and point methods then answer UNAVAILABLE.
  explicit KernelService(ServiceInfo info, Toc* toc = nullptr)
      : info_(std::move(info)), toc_(toc) {}
  void set_toc(Toc* toc) { toc_ = toc; }
  // `done` is called exactly once, before or after Call returns.
  void Call(const strata_call& call, strata_call_done done, void* user) const;

 private:
  ServiceInfo info_;
  Toc* toc_;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SERVICE_KERNEL_SERVICE_H_
