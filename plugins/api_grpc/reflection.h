// gRPC server reflection (grpc.reflection.v1 and v1alpha) for the services on the public port.
// The descriptors come from a FileDescriptorSet embedded at build time (see CMakeLists.txt);
// requests and responses are read and written by hand, so no reflection code is generated.
#ifndef STRATA_PLUGINS_API_GRPC_REFLECTION_H_
#define STRATA_PLUGINS_API_GRPC_REFLECTION_H_

#include <string>

namespace strata_grpc {

// True for /grpc.reflection.v1{,alpha}.ServerReflection/ServerReflectionInfo.
bool IsReflectionMethod(const std::string& method);

// Answers one serialized ServerReflectionRequest with a serialized ServerReflectionResponse.
// Unknown files or symbols and malformed requests are answered with an error_response (the
// stream goes on), as the reflection protocol asks.
std::string AnswerReflection(const std::string& request);

}  // namespace strata_grpc

#endif  // STRATA_PLUGINS_API_GRPC_REFLECTION_H_
