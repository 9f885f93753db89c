// load_gen: the same operations in-process and through the frontends, to measure what the
// network layer adds. Starts nothing itself: point it at a running server for grpc/rest.
//
//   load_gen inproc <storage dir>          in-process, through KernelService (no network)
//   load_gen grpc   <host:port>            gRPC stubs
//   load_gen rest   <host> <port>          REST/JSON over HTTP/1.1 keep-alive
// Options: --dim 768 --points 100000 --batch 256 --searches 2000 --concurrency 1,8,32
//          --upsert-concurrency 1,2 (client connections sharing the batches)
//          --payloads cold|cached (payload.memory of the collection; cold = on disk, the
//          default as in Qdrant)
//          --json js|python (REST bodies: 6 significant digits and "," as a JavaScript client
//          writes short decimals, or the 17 digits and ", " of Python's json on a float32
//          array's tolist())
//
// Prints upsert throughput (points/s) and, per concurrency, search throughput and p50/p99
// latency. Vectors are random, fixed seed; the collection is dropped and re-created each run,
// with indexing_threshold 0 (no background index build competing for the cores), so every
// mode measures the same exact work and the difference is the API layer.
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collection/toc.h"
#include "collections_service.grpc.pb.h"
#include "points_service.grpc.pb.h"
#include "service/kernel_service.h"
#include "storage/posix_fs.h"
#include "strata/abi/strata_methods.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr const char* kCollection = "load_gen";

// payload.memory of the benchmark collection (--payloads).
bool g_payloads_cold = true;
// REST bodies as Python's json writes them (--json python).
bool g_python_json = false;

struct Options {
  uint32_t dim = 768;
  uint32_t points = 100000;
  uint32_t batch = 256;
  uint32_t searches = 2000;
  std::vector<int> concurrency = {1, 8, 32};
  std::vector<int> upsert_concurrency = {1, 2};
};

// One client connection able to run the benchmark's operations.
class Client {
 public:
  virtual ~Client() = default;
  virtual void Reset(uint32_t dim) = 0;
  // Encodes one upsert batch (outside the timed region), then sends an encoded batch.
  virtual std::string Encode(const std::vector<float>& data, uint64_t first, uint32_t n,
                             uint32_t dim) = 0;
  virtual void Upsert(const std::string& encoded) = 0;
  virtual void Search(const std::vector<float>& q) = 0;
  // The server's accelerated-upsert counters (REST /metrics): decode and kernel seconds.
  virtual bool UpsertCost(double* decode_s, double* kernel_s) { return false; }
};

std::string UpsertJson(const std::vector<float>& data, uint64_t first, uint32_t n, uint32_t dim) {
  std::string s = "{\"points\":[";
  char buf[32];
  for (uint32_t i = 0; i < n; ++i) {
    if (i) s += ',';
    s += "{\"id\":" + std::to_string(first + i) + ",\"vector\":[";
    for (uint32_t d = 0; d < dim; ++d) {
      if (d) s += g_python_json ? ", " : ",";
      const float x = data[(size_t(first) + i) * dim + d];
      s.append(buf, g_python_json ? std::snprintf(buf, sizeof(buf), "%.17g", double{x})
                                  : std::snprintf(buf, sizeof(buf), "%.6g", x));
    }
    s += "],\"payload\":{\"n\":" + std::to_string(first + i) + "}}";
  }
  return s + "]}";
}

qdrant::UpsertPoints UpsertProto(const std::vector<float>& data, uint64_t first, uint32_t n,
                                 uint32_t dim) {
  qdrant::UpsertPoints req;
  req.set_collection_name(kCollection);
  req.set_wait(true);
  for (uint32_t i = 0; i < n; ++i) {
    auto* p = req.add_points();
    p->mutable_id()->set_num(first + i);
    const float* v = &data[(size_t(first) + i) * dim];
    p->mutable_vectors()->mutable_vector()->mutable_dense()->mutable_data()->Add(v, v + dim);
    (*p->mutable_payload())["n"].set_integer_value(static_cast<int64_t>(first + i));
  }
  return req;
}

class InprocClient : public Client {
 public:
  explicit InprocClient(strata::kernel::KernelService* service) : service_(service) {}
  void Reset(uint32_t dim) override {
    qdrant::DeleteCollection del;
    del.set_collection_name(kCollection);
    Call(STRATA_METHOD_Collections_Delete, del.SerializeAsString());
    qdrant::CreateCollection c;
    c.set_collection_name(kCollection);
    c.mutable_vectors_config()->mutable_params()->set_size(dim);
    c.mutable_vectors_config()->mutable_params()->set_distance(qdrant::Cosine);
    c.mutable_optimizers_config()->set_indexing_threshold(0);  // exact everywhere: API cost only
    c.mutable_payload()->set_memory(g_payloads_cold ? qdrant::Cold : qdrant::Cached);
    Call(STRATA_METHOD_Collections_Create, c.SerializeAsString());
  }
  std::string Encode(const std::vector<float>& data, uint64_t first, uint32_t n,
                     uint32_t dim) override {
    return UpsertProto(data, first, n, dim).SerializeAsString();
  }
  void Upsert(const std::string& encoded) override { Call(STRATA_METHOD_Points_Upsert, encoded); }
  void Search(const std::vector<float>& q) override {
    qdrant::QueryPoints req;
    req.set_collection_name(kCollection);
    req.mutable_query()->mutable_nearest()->mutable_dense()->mutable_data()->Add(q.begin(),
                                                                                 q.end());
    req.set_limit(10);
    Call(STRATA_METHOD_Points_Query, req.SerializeAsString());
  }

 private:
  void Call(uint32_t method, const std::string& bytes) {
    strata_call call{};
    call.struct_size = sizeof(call);
    call.method = method;
    call.request = reinterpret_cast<const uint8_t*>(bytes.data());
    call.request_len = bytes.size();
    service_->Call(
        call,
        [](void*, int32_t code, const char* msg, const uint8_t*, size_t) {
          if (code != STRATA_OK && code != STRATA_NOT_FOUND)
            std::fprintf(stderr, "call failed: %s\n", msg);
        },
        nullptr);
  }
  strata::kernel::KernelService* service_;
};

class GrpcClient : public Client {
 public:
  explicit GrpcClient(const std::string& target) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);  // one connection per client
    auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    collections_ = qdrant::Collections::NewStub(channel);
    points_ = qdrant::Points::NewStub(channel);
  }
  void Reset(uint32_t dim) override {
    grpc::ClientContext c1, c2;
    qdrant::DeleteCollection del;
    del.set_collection_name(kCollection);
    qdrant::CollectionOperationResponse r;
    collections_->Delete(&c1, del, &r);
    qdrant::CreateCollection c;
    c.set_collection_name(kCollection);
    c.mutable_vectors_config()->mutable_params()->set_size(dim);
    c.mutable_vectors_config()->mutable_params()->set_distance(qdrant::Cosine);
    c.mutable_optimizers_config()->set_indexing_threshold(0);  // exact everywhere: API cost only
    c.mutable_payload()->set_memory(g_payloads_cold ? qdrant::Cold : qdrant::Cached);
    collections_->Create(&c2, c, &r);
  }
  std::string Encode(const std::vector<float>& data, uint64_t first, uint32_t n,
                     uint32_t dim) override {
    return UpsertProto(data, first, n, dim).SerializeAsString();
  }
  void Upsert(const std::string& encoded) override {
    grpc::ClientContext ctx;
    qdrant::UpsertPoints req;
    req.ParseFromString(encoded);  // the stub wants a message; parsing is client-side cost
    qdrant::PointsOperationResponse r;
    grpc::Status s = points_->Upsert(&ctx, req, &r);
    if (!s.ok()) std::fprintf(stderr, "upsert: %s\n", s.error_message().c_str());
  }
  void Search(const std::vector<float>& q) override {
    grpc::ClientContext ctx;
    qdrant::QueryPoints req;
    req.set_collection_name(kCollection);
    req.mutable_query()->mutable_nearest()->mutable_dense()->mutable_data()->Add(q.begin(),
                                                                                 q.end());
    req.set_limit(10);
    qdrant::QueryResponse r;
    grpc::Status s = points_->Query(&ctx, req, &r);
    if (!s.ok()) std::fprintf(stderr, "query: %s\n", s.error_message().c_str());
  }

 private:
  std::unique_ptr<qdrant::Collections::Stub> collections_;
  std::unique_ptr<qdrant::Points::Stub> points_;
};

class RestClient : public Client {
 public:
  RestClient(const std::string& host, const std::string& port) : stream_(io_), host_(host) {
    tcp::resolver resolver(io_);
    stream_.connect(resolver.resolve(host, port));
  }
  void Reset(uint32_t dim) override {
    Request(http::verb::delete_, std::string("/collections/") + kCollection, "");
    Request(http::verb::put, std::string("/collections/") + kCollection,
            "{\"vectors\":{\"size\":" + std::to_string(dim) +
                ",\"distance\":\"Cosine\"},\"optimizers_config\":{\"indexing_threshold\":0}," +
                "\"payload\":{\"memory\":\"" + (g_payloads_cold ? "cold" : "cached") + "\"}}");
  }
  std::string Encode(const std::vector<float>& data, uint64_t first, uint32_t n,
                     uint32_t dim) override {
    return UpsertJson(data, first, n, dim);
  }
  void Upsert(const std::string& encoded) override {
    Request(http::verb::put, std::string("/collections/") + kCollection + "/points?wait=true",
            encoded);
  }
  void Search(const std::vector<float>& q) override {
    std::string body = "{\"limit\":10,\"query\":[";
    char buf[32];
    for (size_t d = 0; d < q.size(); ++d) {
      if (d) body += ',';
      body.append(buf, std::snprintf(buf, sizeof(buf), "%.6g", q[d]));
    }
    body += "]}";
    Request(http::verb::post, std::string("/collections/") + kCollection + "/points/query", body);
  }
  bool UpsertCost(double* decode_s, double* kernel_s) override {
    const std::string m = Request(http::verb::get, "/metrics", "");
    auto value = [&](const std::string& name, double* out) {
      const size_t at = m.find("\n" + name + " ");
      if (at == std::string::npos) return false;
      *out = std::atof(m.c_str() + at + name.size() + 2);
      return true;
    };
    return value("rest_upsert_decode_seconds_total", decode_s) &&
           value("rest_upsert_kernel_seconds_total", kernel_s);
  }

 private:
  std::string Request(http::verb verb, const std::string& target, const std::string& body) {
    // The body is sent from where it was encoded (outside the timed region), not copied.
    http::request<http::span_body<const char>> req{verb, target, 11};
    req.set(http::field::host, host_);
    req.set(http::field::content_type, "application/json");
    req.body() = http::span_body<const char>::value_type(body.data(), body.size());
    req.prepare_payload();
    http::write(stream_, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream_, buffer, res);
    if (res.result_int() >= 400 && res.result_int() != 404) {
      std::fprintf(stderr, "%s: %d %s\n", target.c_str(), res.result_int(),
                   res.body().substr(0, 200).c_str());
    }
    return std::move(res.body());
  }
  boost::asio::io_context io_;
  beast::tcp_stream stream_;
  std::string host_;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1)))];
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(
        stderr, "usage: load_gen inproc <dir> | grpc <host:port> | rest <host> <port> [options]\n");
    return 2;
  }
  const std::string mode = argv[1];
  int first_opt = mode == "rest" ? 4 : 3;
  Options o;
  for (int i = first_opt; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--dim") o.dim = std::atoi(argv[i + 1]);
    if (k == "--points") o.points = std::atoi(argv[i + 1]);
    if (k == "--batch") o.batch = std::atoi(argv[i + 1]);
    if (k == "--searches") o.searches = std::atoi(argv[i + 1]);
    if (k == "--concurrency") o.concurrency = ParseList(argv[i + 1]);
    if (k == "--upsert-concurrency") o.upsert_concurrency = ParseList(argv[i + 1]);
    if (k == "--payloads") g_payloads_cold = std::string(argv[i + 1]) != "cached";
    if (k == "--json") g_python_json = std::string(argv[i + 1]) == "python";
  }
  std::unique_ptr<strata::kernel::OwnedFs> fs;
  std::unique_ptr<strata::kernel::Toc> toc;
  std::unique_ptr<strata::kernel::KernelService> service;
  std::function<std::unique_ptr<Client>()> make;
  if (mode == "inproc") {
    fs = *strata::kernel::OwnedFs::Open(strata::kernel::PosixStorageVtable(), argv[2]);
    toc = *strata::kernel::Toc::Open(fs->view(), strata::kernel::ShardOptions{});
    service =
        std::make_unique<strata::kernel::KernelService>(strata::kernel::ServiceInfo{}, toc.get());
    make = [&] { return std::make_unique<InprocClient>(service.get()); };
  } else if (mode == "grpc") {
    std::string target = argv[2];
    make = [target] { return std::make_unique<GrpcClient>(target); };
  } else if (mode == "rest") {
    std::string host = argv[2], port = argv[3];
    make = [host, port] { return std::make_unique<RestClient>(host, port); };
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }

  std::mt19937 rng(42);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> data(static_cast<size_t>(o.points) * o.dim);
  for (float& x : data) x = g(rng);
  auto client = make();
  std::vector<std::string> encoded;
  for (uint32_t first = 0; first < o.points; first += o.batch) {
    encoded.push_back(client->Encode(data, first, std::min(o.batch, o.points - first), o.dim));
  }
  Clock::time_point start;
  double secs = 0;
  for (int conc : o.upsert_concurrency) {
    client->Reset(o.dim);  // the last run's collection stays for the searches
    std::vector<std::unique_ptr<Client>> writers;
    for (int i = 0; i < conc; ++i) writers.push_back(make());
    std::atomic<size_t> next{0};
    double decode0 = 0, kernel0 = 0;
    const bool costs = client->UpsertCost(&decode0, &kernel0);
    start = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < conc; ++t) {
      threads.emplace_back([&, t] {
        for (size_t i = next++; i < encoded.size(); i = next++) writers[t]->Upsert(encoded[i]);
      });
    }
    for (auto& t : threads) t.join();
    secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%s: upsert %u x %u-d in batches of %u, %d connection(s): %.0f points/s\n",
                mode.c_str(), o.points, o.dim, o.batch, conc, o.points / secs);
    double decode1 = 0, kernel1 = 0;
    if (costs && client->UpsertCost(&decode1, &kernel1)) {
      // Shares of the connections' time (each connection waits for one request at a time).
      const double busy = secs * conc, batches = static_cast<double>(encoded.size());
      std::printf(
          "%s:   per batch: JSON decode %.2f ms (%.0f%% of the time), kernel %.2f ms "
          "(%.0f%%)\n",
          mode.c_str(), 1e3 * (decode1 - decode0) / batches, 100 * (decode1 - decode0) / busy,
          1e3 * (kernel1 - kernel0) / batches, 100 * (kernel1 - kernel0) / busy);
    }
  }

  std::vector<std::vector<float>> queries(256, std::vector<float>(o.dim));
  for (auto& q : queries) {
    for (float& x : q) x = g(rng);
  }
  for (int conc : o.concurrency) {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < conc; ++i) clients.push_back(make());
    std::vector<std::vector<double>> lat(conc);
    std::atomic<uint32_t> next{0};
    start = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < conc; ++t) {
      threads.emplace_back([&, t] {
        for (uint32_t i = next++; i < o.searches; i = next++) {
          auto s = Clock::now();
          clients[t]->Search(queries[i % queries.size()]);
          lat[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - s).count());
        }
      });
    }
    for (auto& t : threads) t.join();
    secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
    std::printf(
        "%s: search (exact, %u points) concurrency %d: %.0f qps, p50 %.2f ms, p99 %.2f ms\n",
        mode.c_str(), o.points, conc, o.searches / secs, Percentile(all, 0.5),
        Percentile(all, 0.99));
  }
  return 0;
}
