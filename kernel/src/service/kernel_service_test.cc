#include "service/kernel_service.h"

#include <gtest/gtest.h>

#include <string>

#include "qdrant.pb.h"
#include "strata/abi/strata_methods.h"

namespace strata::kernel {
namespace {

struct Answer {
  int calls = 0;
  int32_t code = -1;
  std::string message;
  std::string response;
};

Answer Call(const KernelService& service, uint32_t method, const std::string& request) {
  Answer a;
  strata_call call{};
  call.struct_size = sizeof(call);
  call.method = method;
  call.request = reinterpret_cast<const uint8_t*>(request.data());
  call.request_len = request.size();
  service.Call(
      call,
      [](void* user, int32_t code, const char* message, const uint8_t* resp, size_t len) {
        auto* a = static_cast<Answer*>(user);
        ++a->calls;
        a->code = code;
        a->message = message ? message : "";
        a->response.assign(reinterpret_cast<const char*>(resp), len);
      },
      &a);
  return a;
}

const ServiceInfo kInfo{"strata test", "1.19.0", std::string(40, 'a')};

TEST(KernelServiceTest, HealthCheckReportsIdentity) {
  KernelService service(kInfo);
  Answer a = Call(service, STRATA_METHOD_Qdrant_HealthCheck, "");
  ASSERT_EQ(a.calls, 1);
  ASSERT_EQ(a.code, STRATA_OK) << a.message;
  qdrant::HealthCheckReply reply;
  ASSERT_TRUE(reply.ParseFromString(a.response));
  EXPECT_EQ(reply.title(), "strata test");
  EXPECT_EQ(reply.version(), "1.19.0");
  EXPECT_EQ(reply.commit().size(), 40u);
}

TEST(KernelServiceTest, MalformedRequestIsInvalidArgument) {
  KernelService service(kInfo);
  Answer a = Call(service, STRATA_METHOD_Qdrant_HealthCheck, std::string("\xff\xff\xff", 3));
  EXPECT_EQ(a.code, STRATA_INVALID_ARGUMENT);
  EXPECT_NE(a.message.find("qdrant.HealthCheckRequest"), std::string::npos) << a.message;
}

TEST(KernelServiceTest, WithoutStorageMethodsAreUnavailableNamingTheRpc) {
  KernelService service(kInfo);
  Answer a = Call(service, STRATA_METHOD_Points_Upsert, "");
  EXPECT_EQ(a.calls, 1);
  EXPECT_EQ(a.code, STRATA_UNAVAILABLE);
  EXPECT_NE(a.message.find("qdrant.Points/Upsert"), std::string::npos) << a.message;
  Answer unknown = Call(service, 9999, "");
  EXPECT_EQ(unknown.code, STRATA_UNIMPLEMENTED);
  EXPECT_NE(unknown.message.find("9999"), std::string::npos);
}

}  // namespace
}  // namespace strata::kernel
