// The proto library against the kernel's method table: every method id names a real rpc with
// the right request/response types, every public rpc has an id, and json_with_int keeps integers
// and doubles apart on the wire.
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "json_with_int.pb.h"
#include "points.pb.h"
#include "qdrant.pb.h"
#include "strata/abi/strata_methods.h"
#include "strata_internal.pb.h"

namespace {

using google::protobuf::DescriptorPool;

struct MethodEntry {
  int id;
  const char* service;
  const char* rpc;
  const char* request;
  const char* response;
};

const MethodEntry kMethods[] = {
#define STRATA_METHOD_ENTRY(id, service, rpc, req, resp) {id, #service, #rpc, #req, #resp},
    STRATA_METHOD_LIST(STRATA_METHOD_ENTRY)
#undef STRATA_METHOD_ENTRY
};

TEST(ProtoTest, EveryMethodIdNamesARealRpcWithItsTypes) {
  // Touch one message per file so the generated descriptors are linked in and registered.
  qdrant::HealthCheckReply reply;
  qdrant::UpsertPoints upsert;
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  for (const MethodEntry& m : kMethods) {
    const auto* service = pool->FindServiceByName(std::string("qdrant.") + m.service);
    ASSERT_NE(service, nullptr) << m.service;
    const auto* method = service->FindMethodByName(m.rpc);
    ASSERT_NE(method, nullptr) << m.service << "/" << m.rpc;
    EXPECT_EQ(method->input_type()->full_name(), std::string("qdrant.") + m.request) << m.rpc;
    EXPECT_EQ(method->output_type()->full_name(), std::string("qdrant.") + m.response) << m.rpc;
  }
}

TEST(ProtoTest, EveryPublicRpcHasAMethodId) {
  qdrant::HealthCheckReply reply;
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  std::set<std::string> ids;
  for (const MethodEntry& m : kMethods) ids.insert(std::string(m.service) + "/" + m.rpc);
  size_t rpcs = 0;
  for (const char* name : {"Qdrant", "Collections", "Points", "Snapshots"}) {
    const auto* service = pool->FindServiceByName(std::string("qdrant.") + name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      ++rpcs;
      EXPECT_TRUE(ids.count(std::string(name) + "/" + service->method(i)->name()))
          << name << "/" << service->method(i)->name() << " has no STRATA_METHOD id";
    }
  }
  EXPECT_EQ(rpcs, 51u) << "Qdrant 1.19 serves 1 + 14 + 30 + 6 public rpcs";
  EXPECT_EQ(ids.size(), rpcs);
}

// Strata's own methods: ids apart from the Qdrant ones, messages in package strata, never a
// Qdrant service's rpc.
TEST(ProtoTest, InternalMethodsNameStrataMessages) {
  const MethodEntry internal[] = {
#define STRATA_METHOD_ENTRY(id, service, rpc, req, resp) {id, #service, #rpc, #req, #resp},
      STRATA_INTERNAL_METHOD_LIST(STRATA_METHOD_ENTRY)
#undef STRATA_METHOD_ENTRY
  };
  strata::SnapshotReadRequest touch;  // links the generated descriptors in
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  std::set<int> public_ids;
  for (const MethodEntry& m : kMethods) public_ids.insert(m.id);
  for (const MethodEntry& m : internal) {
    EXPECT_GE(m.id, 1000) << m.rpc;
    EXPECT_FALSE(public_ids.count(m.id)) << m.rpc;
    EXPECT_NE(pool->FindMessageTypeByName(std::string("strata.") + m.request), nullptr) << m.rpc;
    EXPECT_NE(pool->FindMessageTypeByName(std::string("strata.") + m.response), nullptr) << m.rpc;
  }
}

TEST(ProtoTest, IntegerAndDoubleValuesStayDistinct) {
  qdrant::Value v;
  v.set_integer_value(42);
  std::string wire = v.SerializeAsString();
  qdrant::Value back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.kind_case(), qdrant::Value::kIntegerValue);
  v.set_double_value(42.0);
  ASSERT_TRUE(back.ParseFromString(v.SerializeAsString()));
  EXPECT_EQ(back.kind_case(), qdrant::Value::kDoubleValue);
}

TEST(ProtoTest, HealthCheckReplyFieldNumbersMatchTheContract) {
  const auto* d = qdrant::HealthCheckReply::descriptor();
  EXPECT_EQ(d->FindFieldByName("title")->number(), 1);
  EXPECT_EQ(d->FindFieldByName("version")->number(), 2);
  EXPECT_EQ(d->FindFieldByName("commit")->number(), 3);
  EXPECT_TRUE(d->FindFieldByName("commit")->has_presence());
}

}  // namespace
