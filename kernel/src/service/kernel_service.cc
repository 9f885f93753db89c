#include "service/kernel_service.h"

#include "strata/abi/strata_methods.h"

namespace strata::kernel {

std::string MethodName(uint32_t method) {
  switch (method) {
#define STRATA_METHOD_NAME_CASE(id, service, rpc, req, resp) \
  case id:                                                    \
    return #service "/" #rpc;
    STRATA_METHOD_LIST(STRATA_METHOD_NAME_CASE)
#undef STRATA_METHOD_NAME_CASE
    default:
      return "";
  }
}

void KernelService::Call(const strata_call& call, strata_call_done done, void* user) const {
  const std::string name = MethodName(call.method);
  if (name.empty()) {
    std::string msg = "unknown method id " + std::to_string(call.method);
    done(user, STRATA_UNIMPLEMENTED, msg.c_str(), nullptr, 0);
    return;
  }
  std::string msg = "qdrant." + name + " is not implemented yet by this Strata server";
  done(user, STRATA_UNIMPLEMENTED, msg.c_str(), nullptr, 0);
}

}  // namespace strata::kernel
