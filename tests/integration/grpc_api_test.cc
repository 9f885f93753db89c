// The gRPC API against the real server process, through the generated C++ stubs: identity and
// health, collections, points, errors with their codes, API keys, gzip, deadlines, size limit,
// server reflection (through stubs generated here from the reflection protos).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <regex>
#include <set>

#include "collections_service.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "health_check.grpc.pb.h"
#include "points_service.grpc.pb.h"
#include "qdrant.grpc.pb.h"
#include "server_process.h"

namespace {

using strata_test::ServerProcess;

class GrpcApiTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> extra_env = {}) {
    char tmpl[] = "/tmp/strata-grpc-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::vector<std::string> env = {
        "STRATA__STORAGE__STORAGE_PATH=" + dir_ + "/storage", "STRATA__SERVICE__GRPC_PORT=0",
        "STRATA__SERVICE__HOST=127.0.0.1", "STRATA__SERVICE__MAX_REQUEST_SIZE_MB=1"};
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    server_ = std::make_unique<ServerProcess>(std::vector<std::string>{}, env, dir_ + "/log");
    ASSERT_TRUE(server_->WaitForLog("ready")) << server_->log();
    std::smatch m;
    std::string log = server_->log();
    ASSERT_TRUE(std::regex_search(log, m, std::regex("gRPC listening on 127.0.0.1:([0-9]+)")))
        << log;
    target_ = "127.0.0.1:" + m[1].str();
    channel_ = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    collections_ = qdrant::Collections::NewStub(channel_);
    points_ = qdrant::Points::NewStub(channel_);
  }
  void TearDown() override {
    if (server_) {
      // The channel stays connected: stopping must not wait for clients to hang up.
      auto start = std::chrono::steady_clock::now();
      server_->Signal(SIGTERM);
      EXPECT_EQ(server_->Wait(std::chrono::seconds(20)), 0) << server_->log();
      EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3))
          << "a connected client must not hold up the shutdown";
      if (getenv("SHOW_LOG")) std::fprintf(stderr, "%s", server_->log().c_str());
    }
    points_.reset();
    collections_.reset();
    channel_.reset();
    std::filesystem::remove_all(dir_);
  }
  grpc::Status CreateCollection(const std::string& name, grpc::ClientContext* ctx = nullptr) {
    qdrant::CreateCollection req;
    req.set_collection_name(name);
    req.mutable_vectors_config()->mutable_params()->set_size(4);
    req.mutable_vectors_config()->mutable_params()->set_distance(qdrant::Cosine);
    qdrant::CollectionOperationResponse resp;
    grpc::ClientContext local;
    return collections_->Create(ctx ? ctx : &local, req, &resp);
  }
  qdrant::UpsertPoints Points(const std::string& coll, int n) {
    qdrant::UpsertPoints req;
    req.set_collection_name(coll);
    req.set_wait(true);
    for (int i = 0; i < n; ++i) {
      auto* p = req.add_points();
      p->mutable_id()->set_num(i);
      for (float x : {1.f * i, 1.f, 0.f, 0.5f}) {
        p->mutable_vectors()->mutable_vector()->mutable_dense()->add_data(x);
      }
      (*p->mutable_payload())["color"].set_string_value(i % 2 ? "red" : "blue");
    }
    return req;
  }

  std::string dir_, target_;
  std::unique_ptr<ServerProcess> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<qdrant::Collections::Stub> collections_;
  std::unique_ptr<qdrant::Points::Stub> points_;
};

TEST_F(GrpcApiTest, HealthCheckAndStandardHealth) {
  StartServer();
  auto qd = qdrant::Qdrant::NewStub(channel_);
  grpc::ClientContext ctx;
  qdrant::HealthCheckReply reply;
  ASSERT_TRUE(qd->HealthCheck(&ctx, qdrant::HealthCheckRequest(), &reply).ok());
  EXPECT_EQ(reply.version(), "1.19.0");
  EXPECT_NE(reply.title().find("strata"), std::string::npos);
  EXPECT_EQ(reply.commit().size(), 40u);
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext hctx;
  grpc::health::v1::HealthCheckResponse hresp;
  ASSERT_TRUE(health->Check(&hctx, grpc::health::v1::HealthCheckRequest(), &hresp).ok());
  EXPECT_EQ(hresp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_F(GrpcApiTest, CollectionsAndPointsEndToEnd) {
  StartServer();
  ASSERT_TRUE(CreateCollection("docs").ok());
  grpc::Status dup = CreateCollection("docs");
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  {
    grpc::ClientContext ctx;
    qdrant::PointsOperationResponse resp;
    ASSERT_TRUE(points_->Upsert(&ctx, Points("docs", 30), &resp).ok());
    EXPECT_EQ(resp.result().status(), qdrant::Completed);
  }
  {
    grpc::ClientContext ctx;
    qdrant::QueryPoints q;
    q.set_collection_name("docs");
    for (float x : {29.f, 1.f, 0.f, 0.5f})
      q.mutable_query()->mutable_nearest()->mutable_dense()->add_data(x);
    q.set_limit(3);
    auto* c = q.mutable_filter()->add_must()->mutable_field();
    c->set_key("color");
    c->mutable_match()->set_keyword("red");
    q.mutable_with_payload()->set_enable(true);
    qdrant::QueryResponse resp;
    ASSERT_TRUE(points_->Query(&ctx, q, &resp).ok());
    ASSERT_EQ(resp.result_size(), 3);
    EXPECT_EQ(resp.result(0).id().num(), 29u);
    for (const auto& p : resp.result()) EXPECT_EQ(p.payload().at("color").string_value(), "red");
  }
  {
    grpc::ClientContext ctx;
    qdrant::CountPoints req;
    req.set_collection_name("docs");
    qdrant::CountResponse resp;
    ASSERT_TRUE(points_->Count(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.result().count(), 30u);
  }
  {
    grpc::ClientContext ctx;
    qdrant::ScrollPoints req;
    req.set_collection_name("docs");
    req.set_limit(12);
    qdrant::ScrollResponse resp;
    ASSERT_TRUE(points_->Scroll(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.result_size(), 12);
    EXPECT_EQ(resp.next_page_offset().num(), 12u);
  }
}

// The legacy recommend/discover rpcs answer like the universal query they map to.
TEST_F(GrpcApiTest, LegacyRecommendAndDiscoverRpcsMatchTheUniversalQuery) {
  StartServer();
  ASSERT_TRUE(CreateCollection("docs").ok());
  {
    grpc::ClientContext ctx;
    qdrant::PointsOperationResponse resp;
    ASSERT_TRUE(points_->Upsert(&ctx, Points("docs", 30), &resp).ok());
  }
  auto ids = [](const auto& points) {
    std::vector<uint64_t> out;
    for (const auto& p : points) out.push_back(p.id().num());
    return out;
  };
  auto query = [&](const qdrant::Query& in, uint64_t limit) {
    grpc::ClientContext ctx;
    qdrant::QueryPoints q;
    q.set_collection_name("docs");
    *q.mutable_query() = in;
    q.set_limit(limit);
    qdrant::QueryResponse resp;
    EXPECT_TRUE(points_->Query(&ctx, q, &resp).ok());
    return ids(resp.result());
  };
  // Recommend (best_score) alone and in a batch.
  qdrant::RecommendPoints rec;
  rec.set_collection_name("docs");
  rec.add_positive()->set_num(20);
  rec.add_negative()->set_num(3);
  rec.set_strategy(qdrant::BestScore);
  rec.set_limit(5);
  qdrant::Query as_query;
  as_query.mutable_recommend()->add_positive()->mutable_id()->set_num(20);
  as_query.mutable_recommend()->add_negative()->mutable_id()->set_num(3);
  as_query.mutable_recommend()->set_strategy(qdrant::BestScore);
  const std::vector<uint64_t> want = query(as_query, 5);
  ASSERT_EQ(want.size(), 5u);
  {
    grpc::ClientContext ctx;
    qdrant::RecommendBatchPoints batch;
    batch.set_collection_name("docs");
    *batch.add_recommend_points() = rec;
    *batch.add_recommend_points() = rec;
    batch.mutable_recommend_points(1)->set_limit(2);
    qdrant::RecommendBatchResponse resp;
    ASSERT_TRUE(points_->RecommendBatch(&ctx, batch, &resp).ok());
    ASSERT_EQ(resp.result_size(), 2);
    EXPECT_EQ(ids(resp.result(0).result()), want);
    EXPECT_EQ(ids(resp.result(1).result()), std::vector<uint64_t>(want.begin(), want.begin() + 2));
  }
  {
    grpc::ClientContext ctx;
    qdrant::RecommendPointGroups g;
    g.set_collection_name("docs");
    g.add_positive()->set_num(20);
    g.set_group_by("color");
    g.set_limit(2);
    g.set_group_size(2);
    qdrant::RecommendGroupsResponse resp;
    ASSERT_TRUE(points_->RecommendGroups(&ctx, g, &resp).ok());
    ASSERT_EQ(resp.result().groups_size(), 2);
    for (const auto& grp : resp.result().groups()) EXPECT_EQ(grp.hits_size(), 2);
  }
  // Discover: target 25, context (positive 28, negative 1).
  qdrant::DiscoverPoints disc;
  disc.set_collection_name("docs");
  disc.mutable_target()->mutable_single()->mutable_id()->set_num(25);
  auto* pair = disc.add_context();
  pair->mutable_positive()->mutable_id()->set_num(28);
  pair->mutable_negative()->mutable_id()->set_num(1);
  disc.set_limit(4);
  qdrant::Query dq;
  dq.mutable_discover()->mutable_target()->mutable_id()->set_num(25);
  auto* qp = dq.mutable_discover()->mutable_context()->add_pairs();
  qp->mutable_positive()->mutable_id()->set_num(28);
  qp->mutable_negative()->mutable_id()->set_num(1);
  const std::vector<uint64_t> want_disc = query(dq, 4);
  ASSERT_EQ(want_disc.size(), 4u);
  for (uint64_t id : want_disc) EXPECT_TRUE(id != 25 && id != 28 && id != 1) << id;
  {
    grpc::ClientContext ctx;
    qdrant::DiscoverResponse resp;
    ASSERT_TRUE(points_->Discover(&ctx, disc, &resp).ok());
    EXPECT_EQ(ids(resp.result()), want_disc);
  }
  {
    grpc::ClientContext ctx;
    qdrant::DiscoverBatchPoints batch;
    batch.set_collection_name("docs");
    *batch.add_discover_points() = disc;
    qdrant::DiscoverBatchResponse resp;
    ASSERT_TRUE(points_->DiscoverBatch(&ctx, batch, &resp).ok());
    ASSERT_EQ(resp.result_size(), 1);
    EXPECT_EQ(ids(resp.result(0).result()), want_disc);
  }
  {
    grpc::ClientContext ctx;
    qdrant::DiscoverPoints bad = disc;
    bad.mutable_context(0)->clear_negative();
    qdrant::DiscoverResponse resp;
    grpc::Status st = points_->Discover(&ctx, bad, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find("context[0].negative"), std::string::npos)
        << st.error_message();
  }
}

TEST_F(GrpcApiTest, ErrorsCarryTheKernelsCodesAndMessages) {
  StartServer();
  {
    grpc::ClientContext ctx;
    qdrant::GetCollectionInfoRequest req;
    req.set_collection_name("missing");
    qdrant::GetCollectionInfoResponse resp;
    grpc::Status s = collections_->Get(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(s.error_message(), "Collection `missing` doesn't exist!");
  }
  ASSERT_TRUE(CreateCollection("c").ok());
  {
    grpc::ClientContext ctx;
    qdrant::UpsertPoints req = Points("c", 1);
    req.mutable_points(0)->mutable_vectors()->mutable_vector()->mutable_dense()->add_data(9);
    qdrant::PointsOperationResponse resp;
    grpc::Status s = points_->Upsert(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("expected 4, got 5"), std::string::npos) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    qdrant::FacetCounts req;
    req.set_collection_name("c");
    qdrant::FacetResponse resp;
    grpc::Status s = points_->Facet(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("key"), std::string::npos) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    qdrant::SearchMatrixPoints req;
    req.set_collection_name("c");
    qdrant::SearchMatrixPairsResponse resp;
    grpc::Status s = points_->SearchMatrixPairs(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_NE(s.error_message().find("qdrant.Points/SearchMatrixPairs"), std::string::npos)
        << s.error_message();
  }
}

TEST_F(GrpcApiTest, GzipRequestsDeadlinesAndSizeLimit) {
  StartServer();
  {
    grpc::ClientContext ctx;
    ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    ASSERT_TRUE(CreateCollection("z", &ctx).ok()) << "gzip-compressed requests are accepted";
  }
  {
    grpc::ClientContext ctx;
    ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    qdrant::PointsOperationResponse resp;
    EXPECT_TRUE(points_->Upsert(&ctx, Points("z", 50), &resp).ok());
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
    qdrant::CountPoints req;
    req.set_collection_name("z");
    qdrant::CountResponse resp;
    EXPECT_EQ(points_->Count(&ctx, req, &resp).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  {
    grpc::ClientContext ctx;
    qdrant::UpsertPoints big = Points("z", 1);
    (*big.mutable_points(0)->mutable_payload())["blob"].set_string_value(std::string(2 << 20, 'x'));
    qdrant::PointsOperationResponse resp;
    grpc::Status s = points_->Upsert(&ctx, big, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }
}

TEST_F(GrpcApiTest, ApiKeysAndReadOnlyKeys) {
  StartServer({"STRATA__SERVICE__API_KEY=secret", "STRATA__SERVICE__READ_ONLY_API_KEY=reader"});
  {
    grpc::ClientContext ctx;
    qdrant::ListCollectionsRequest req;
    qdrant::ListCollectionsResponse resp;
    EXPECT_EQ(collections_->List(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("api-key", "wrong");
    EXPECT_EQ(CreateCollection("a", &ctx).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("api-key", "secret");
    EXPECT_TRUE(CreateCollection("a", &ctx).ok());
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer reader");
    grpc::Status s = CreateCollection("b", &ctx);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer reader");
    qdrant::ListCollectionsRequest req;
    qdrant::ListCollectionsResponse resp;
    ASSERT_TRUE(collections_->List(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.collections_size(), 1);
  }
  {
    // Health checks need no key.
    auto qd = qdrant::Qdrant::NewStub(channel_);
    grpc::ClientContext ctx;
    qdrant::HealthCheckReply reply;
    EXPECT_TRUE(qd->HealthCheck(&ctx, qdrant::HealthCheckRequest(), &reply).ok());
  }
  {
    // Reflection needs a key (either one).
    namespace refl = grpc::reflection::v1alpha;
    auto stub = refl::ServerReflection::NewStub(channel_);
    for (const char* key : {"", "reader"}) {
      grpc::ClientContext ctx;
      if (*key) ctx.AddMetadata("api-key", key);
      auto stream = stub->ServerReflectionInfo(&ctx);
      refl::ServerReflectionRequest req;
      req.set_list_services("");
      stream->Write(req);
      stream->WritesDone();
      refl::ServerReflectionResponse resp;
      const bool got = stream->Read(&resp);
      grpc::Status s = stream->Finish();
      if (*key) {
        EXPECT_TRUE(s.ok() && got) << s.error_message();
        EXPECT_EQ(resp.list_services_response().service_size(), 7);
      } else {
        EXPECT_FALSE(got);
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      }
    }
  }
}

// Server reflection, as grpcurl and IDEs use it: list the services, fetch the descriptors of
// one, build a descriptor pool from what came back and drive a real call with dynamic messages.
TEST_F(GrpcApiTest, ServerReflectionDescribesTheApiWellEnoughToCallIt) {
  StartServer();
  namespace refl = grpc::reflection::v1alpha;
  namespace pb = google::protobuf;
  auto stub = refl::ServerReflection::NewStub(channel_);
  grpc::ClientContext ctx;
  auto stream = stub->ServerReflectionInfo(&ctx);
  auto ask = [&](const refl::ServerReflectionRequest& req) {
    refl::ServerReflectionResponse resp;
    EXPECT_TRUE(stream->Write(req));
    EXPECT_TRUE(stream->Read(&resp));
    EXPECT_EQ(resp.original_request().SerializeAsString(), req.SerializeAsString());
    return resp;
  };

  refl::ServerReflectionRequest req;
  req.set_host("localhost");
  req.set_list_services("*");
  refl::ServerReflectionResponse resp = ask(req);
  EXPECT_EQ(resp.valid_host(), "localhost");
  std::set<std::string> services;
  for (const auto& s : resp.list_services_response().service()) services.insert(s.name());
  EXPECT_EQ(services, (std::set<std::string>{"qdrant.Qdrant", "qdrant.Collections", "qdrant.Points",
                                             "qdrant.Snapshots", "grpc.health.v1.Health",
                                             "grpc.reflection.v1.ServerReflection",
                                             "grpc.reflection.v1alpha.ServerReflection"}));

  // Every service resolves to its file plus imports; the pool built from them describes each
  // service exactly as the compiled protos do.
  pb::SimpleDescriptorDatabase db;
  std::set<std::string> files;
  for (const std::string& service : services) {
    req.Clear();
    req.set_file_containing_symbol(service);
    resp = ask(req);
    ASSERT_GT(resp.file_descriptor_response().file_descriptor_proto_size(), 0) << service;
    for (const std::string& bytes : resp.file_descriptor_response().file_descriptor_proto()) {
      pb::FileDescriptorProto file;
      ASSERT_TRUE(file.ParseFromString(bytes));
      if (files.insert(file.name()).second) {
        ASSERT_TRUE(db.Add(file)) << file.name();
      }
    }
  }
  EXPECT_TRUE(files.count("points.proto") && files.count("google/protobuf/timestamp.proto"));
  pb::DescriptorPool pool(&db);
  for (const char* name : {"qdrant.Qdrant", "qdrant.Collections", "qdrant.Points",
                           "qdrant.Snapshots", "grpc.health.v1.Health"}) {
    const pb::ServiceDescriptor* got = pool.FindServiceByName(name);
    const pb::ServiceDescriptor* want =
        pb::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(got, nullptr) << name;
    ASSERT_NE(want, nullptr) << name;
    EXPECT_EQ(got->DebugString(), want->DebugString());
  }
  const pb::MethodDescriptor* create = pool.FindMethodByName("qdrant.Collections.Create");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->input_type()->full_name(), "qdrant.CreateCollection");
  // A nested symbol (a field) resolves to its file too.
  req.Clear();
  req.set_file_containing_symbol("qdrant.SearchPoints.vector");
  resp = ask(req);
  ASSERT_GT(resp.file_descriptor_response().file_descriptor_proto_size(), 0);
  pb::FileDescriptorProto first;
  ASSERT_TRUE(first.ParseFromString(resp.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(first.name(), "points.proto");

  // A call built only from the reflected descriptors.
  pb::DynamicMessageFactory factory(&pool);
  std::unique_ptr<pb::Message> call(factory.GetPrototype(create->input_type())->New());
  ASSERT_TRUE(pb::TextFormat::ParseFromString(
      "collection_name: 'reflected' vectors_config { params { size: 4 distance: Dot } }",
      call.get()));
  grpc::GenericStub generic(channel_);
  grpc::ClientContext call_ctx;
  std::string bytes = call->SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&call_ctx, "/qdrant.Collections/Create", grpc::StubOptions(), &request,
                    &response, [&](grpc::Status s) { done.set_value(s); });
  grpc::Status s = done.get_future().get();
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string out;
  for (const grpc::Slice& sl : slices)
    out.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  std::unique_ptr<pb::Message> answer(factory.GetPrototype(create->output_type())->New());
  ASSERT_TRUE(answer->ParseFromString(out));
  const pb::FieldDescriptor* result = create->output_type()->FindFieldByName("result");
  ASSERT_NE(result, nullptr);
  EXPECT_TRUE(answer->GetReflection()->GetBool(*answer, result));
  {
    grpc::ClientContext c;
    qdrant::CollectionExistsRequest er;
    er.set_collection_name("reflected");
    qdrant::CollectionExistsResponse eresp;
    ASSERT_TRUE(collections_->CollectionExists(&c, er, &eresp).ok());
    EXPECT_TRUE(eresp.result().exists());
  }

  // Unknown names and empty requests are answered with an error, and the stream goes on.
  req.Clear();
  req.set_file_containing_symbol("qdrant.NoSuchThing");
  resp = ask(req);
  EXPECT_EQ(resp.error_response().error_code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_NE(resp.error_response().error_message().find("qdrant.NoSuchThing"), std::string::npos);
  req.Clear();
  req.set_file_by_filename("nope.proto");
  EXPECT_EQ(ask(req).error_response().error_code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  req.Clear();
  EXPECT_EQ(ask(req).error_response().error_code(),
            static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  req.Clear();
  req.set_file_by_filename("collections_service.proto");
  resp = ask(req);
  std::set<std::string> names;
  for (const std::string& b : resp.file_descriptor_response().file_descriptor_proto()) {
    pb::FileDescriptorProto f;
    ASSERT_TRUE(f.ParseFromString(b));
    names.insert(f.name());
  }
  EXPECT_EQ(names, (std::set<std::string>{"collections_service.proto", "collections.proto",
                                          "json_with_int.proto", "qdrant_common.proto",
                                          "google/protobuf/timestamp.proto"}));
  req.Clear();
  req.set_all_extension_numbers_of_type("qdrant.PointStruct");
  resp = ask(req);
  EXPECT_EQ(resp.all_extension_numbers_response().base_type_name(), "qdrant.PointStruct");
  EXPECT_EQ(resp.all_extension_numbers_response().extension_number_size(), 0);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  // v1 (what current grpcurl asks first) answers the same way and describes itself.
  namespace refl1 = grpc::reflection::v1;
  auto stub1 = refl1::ServerReflection::NewStub(channel_);
  grpc::ClientContext ctx1;
  auto stream1 = stub1->ServerReflectionInfo(&ctx1);
  refl1::ServerReflectionRequest req1;
  req1.set_file_containing_symbol("grpc.reflection.v1.ServerReflection");
  ASSERT_TRUE(stream1->Write(req1));
  refl1::ServerReflectionResponse resp1;
  ASSERT_TRUE(stream1->Read(&resp1));
  ASSERT_EQ(resp1.file_descriptor_response().file_descriptor_proto_size(), 1);
  pb::FileDescriptorProto self;
  ASSERT_TRUE(self.ParseFromString(resp1.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(self.name(), "grpc/reflection/v1/reflection.proto");
  EXPECT_EQ(self.service(0).method(0).name(), "ServerReflectionInfo");
  stream1->WritesDone();
  EXPECT_TRUE(stream1->Finish().ok());
}

}  // namespace
