#include "service/kernel_service.h"

#include "qdrant.pb.h"
#include "strata/abi/strata_methods.h"

namespace strata::kernel {

std::string MethodName(uint32_t method) {
  switch (method) {
#define STRATA_METHOD_NAME_CASE(id, service, rpc, req, resp) \
  case id:                                                   \
    return #service "/" #rpc;
    STRATA_METHOD_LIST(STRATA_METHOD_NAME_CASE)
#undef STRATA_METHOD_NAME_CASE
    default:
      return "";
  }
}

namespace {

// Parses the request bytes of `call` into `msg`; false (and INVALID_ARGUMENT sent) on failure.
template <class Message>
bool ParseRequest(const strata_call& call, Message* msg, strata_call_done done, void* user) {
  if (msg->ParseFromArray(call.request, static_cast<int>(call.request_len))) return true;
  std::string text = "request body is not a valid " + msg->GetTypeName() + " message";
  done(user, STRATA_INVALID_ARGUMENT, text.c_str(), nullptr, 0);
  return false;
}

template <class Message>
void Reply(const Message& msg, strata_call_done done, void* user) {
  std::string bytes = msg.SerializeAsString();
  done(user, STRATA_OK, "", reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

void KernelService::Call(const strata_call& call, strata_call_done done, void* user) const {
  if (call.method == STRATA_METHOD_Qdrant_HealthCheck) {
    qdrant::HealthCheckRequest request;
    if (!ParseRequest(call, &request, done, user)) return;
    qdrant::HealthCheckReply reply;
    reply.set_title(info_.title);
    reply.set_version(info_.api_version);
    reply.set_commit(info_.commit);
    Reply(reply, done, user);
    return;
  }
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
