// api_grpc: Qdrant's gRPC API on service.grpc_port (6334).
//
// A generic pass-through: every rpc of qdrant.Qdrant / Collections / Points / Snapshots is looked
// up in the kernel's method table (strata_methods.h) and its request bytes go to host->call
// unchanged; the kernel owns all semantics. grpc.health.v1.Health/Check is answered here from the
// kernel's HealthCheck; server reflection (v1 and v1alpha) from descriptors embedded at build
// time (reflection.cc). The plugin compiles no .proto file and needs only the C ABI (STABLE).
//
// Threads: gRPC's callback threads only parse and route; kernel calls run on this plugin's own
// worker pool (service.max_workers, 0 = hardware threads). Stop() shuts the server down with
// the deadline (draining in-flight calls), then joins the workers.
// Security: with service.api_key set, calls need it in `api-key` or `authorization: Bearer`
// metadata (UNAUTHENTICATED otherwise); service.read_only_api_key grants reads only. Health
// checks need no key. Optional TLS: service.enable_tls with tls.cert / tls.key.
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "reflection.h"
#include "strata/abi/strata_methods.h"
#include "strata/sdk/frontend_plugin.hpp"
#include "strata/sdk/manifest.hpp"

namespace {

using strata::Result;
using strata::Status;
namespace sdk = strata::sdk;

constexpr const char* kLog = "frontend/grpc";
constexpr const char* kHealthMethod = "/grpc.health.v1.Health/Check";

const std::map<std::string, uint32_t>& MethodTable() {
  static const auto* table = new std::map<std::string, uint32_t>{
#define STRATA_GRPC_ROUTE(id, service, rpc, req, resp) {"/qdrant." #service "/" #rpc, id},
      STRATA_METHOD_LIST(STRATA_GRPC_ROUTE)
#undef STRATA_GRPC_ROUTE
  };
  return *table;
}

// The bytes of a received message, in one piece.
std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::string bytes;
  std::vector<grpc::Slice> slices;
  if (buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices)
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

class WorkerPool {
 public:
  explicit WorkerPool(unsigned n) {
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~WorkerPool() { Stop(); }
  void Submit(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }
  // Runs what is queued, then joins every worker.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

struct Settings {
  std::string address;
  std::string api_key;
  std::string read_only_api_key;
  int max_request_mb = 32;
  unsigned workers = 0;
  bool tls = false;
  std::string cert_file, key_file;
  // Peer transport (cluster mode): its own server on cluster.p2p.port.
  bool cluster = false;
  std::string p2p_address;
  uint64_t peer_id = 0;
};

class GrpcFrontend;

constexpr const char* kPeerMethod = "/strata.peer.v1.Peer/Deliver";
constexpr const char* kPeerChannelKey = "strata-channel";
constexpr const char* kPeerFromKey = "strata-from";

// One inbound peer message: read it, hand it to the host, answer with the host's verdict.
class PeerRpc : public grpc::ServerGenericBidiReactor {
 public:
  PeerRpc(GrpcFrontend* fe, grpc::GenericCallbackServerContext* ctx);
  void OnReadDone(bool ok) override;
  void OnDone() override { delete this; }

 private:
  GrpcFrontend* fe_;
  grpc::GenericCallbackServerContext* ctx_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class PeerService : public grpc::CallbackGenericService {
 public:
  explicit PeerService(GrpcFrontend* fe) : fe_(fe) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new PeerRpc(fe_, ctx);
  }

 private:
  GrpcFrontend* fe_;
};

// Outbound messages to one (peer, channel): sent one at a time, so they arrive in order.
struct PeerLink {
  struct Pending {
    std::string bytes;
    strata_call_done done;
    void* user;
  };
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  std::mutex mu;
  std::deque<Pending> queue;
  bool busy = false;
};

class GrpcFrontend;

// One rpc: read the single request message, call the kernel, write the answer, finish.
class Rpc : public grpc::ServerGenericBidiReactor {
 public:
  Rpc(GrpcFrontend* fe, grpc::GenericCallbackServerContext* ctx);
  void OnReadDone(bool ok) override;
  void OnDone() override;

 private:
  void Answer(int32_t code, const char* message, const uint8_t* bytes, size_t n);

  GrpcFrontend* fe_;
  grpc::GenericCallbackServerContext* ctx_;
  uint32_t method_ = 0;
  bool health_ = false;
  uint32_t access_ = STRATA_ACCESS_READ_WRITE;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

// A server reflection stream: each request is answered in order from the embedded descriptors,
// until the client closes its side. Not counted as in flight: a client may keep the stream open
// indefinitely, and Stop() cancels it.
class ReflectionRpc : public grpc::ServerGenericBidiReactor {
 public:
  ReflectionRpc(GrpcFrontend* fe, grpc::GenericCallbackServerContext* ctx);
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class GrpcFrontend : public grpc::CallbackGenericService {
 public:
  static Result<std::unique_ptr<GrpcFrontend>> Create(const sdk::Host& host,
                                                      const sdk::Params& cfg) {
    auto fe = std::make_unique<GrpcFrontend>();
    fe->host_ = host;
    Settings& s = fe->settings_;
    STRATA_ASSIGN_OR_RETURN(int64_t port, cfg.GetInt("service.grpc_port", 6334));
    if (port < 0 || port > 65535) {
      return strata::InvalidArgument("service.grpc_port: " + std::to_string(port) +
                                     " is not a port number");
    }
    std::string host_name = cfg.GetString("service.host", "0.0.0.0");
    s.address = (host_name.find(':') != std::string::npos ? "[" + host_name + "]" : host_name) +
                ":" + std::to_string(port);
    s.api_key = cfg.GetString("service.api_key", "");
    s.read_only_api_key = cfg.GetString("service.read_only_api_key", "");
    STRATA_ASSIGN_OR_RETURN(int64_t mb, cfg.GetInt("service.max_request_size_mb", 32));
    if (mb < 1) return strata::InvalidArgument("service.max_request_size_mb: must be >= 1");
    s.max_request_mb = static_cast<int>(mb);
    STRATA_ASSIGN_OR_RETURN(int64_t workers, cfg.GetInt("service.max_workers", 0));
    s.workers = workers > 0 ? static_cast<unsigned>(workers)
                            : std::max(2u, std::thread::hardware_concurrency());
    STRATA_ASSIGN_OR_RETURN(s.tls, cfg.GetBool("service.enable_tls", false));
    s.cert_file = cfg.GetString("tls.cert", "");
    s.key_file = cfg.GetString("tls.key", "");
    if (s.tls && (s.cert_file.empty() || s.key_file.empty())) {
      return strata::InvalidArgument("service.enable_tls is on but tls.cert or tls.key is not set");
    }
    STRATA_ASSIGN_OR_RETURN(s.cluster, cfg.GetBool("cluster.enabled", false));
    STRATA_ASSIGN_OR_RETURN(int64_t p2p, cfg.GetInt("cluster.p2p.port", 6335));
    if (p2p < 0 || p2p > 65535) {
      return strata::InvalidArgument("cluster.p2p.port: " + std::to_string(p2p) +
                                     " is not a port number");
    }
    s.p2p_address = (host_name.find(':') != std::string::npos ? "[" + host_name + "]" : host_name) +
                    ":" + std::to_string(p2p);
    STRATA_ASSIGN_OR_RETURN(int64_t peer_id, cfg.GetInt("cluster.peer_id", 0));
    s.peer_id = static_cast<uint64_t>(peer_id);
    return fe;
  }

  Status Start() {
    std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
    if (settings_.tls) {
      grpc::SslServerCredentialsOptions opts;
      STRATA_ASSIGN_OR_RETURN(std::string cert, ReadText(settings_.cert_file, "tls.cert"));
      STRATA_ASSIGN_OR_RETURN(std::string key, ReadText(settings_.key_file, "tls.key"));
      opts.pem_key_cert_pairs.push_back({key, cert});
      creds = grpc::SslServerCredentials(opts);
    }
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(settings_.address, creds, &port);
    builder.SetMaxReceiveMessageSize(settings_.max_request_mb * 1024 * 1024);
    builder.SetMaxSendMessageSize(-1);
    builder.RegisterCallbackGenericService(this);
    workers_ = std::make_unique<WorkerPool>(settings_.workers);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port == 0) {
      workers_->Stop();
      return strata::Unavailable("cannot listen on " + settings_.address +
                                 " (in use, or not an address of this host); change "
                                 "service.host or service.grpc_port");
    }
    port_ = port;
    host_.Log(STRATA_LOG_INFO, kLog,
              "gRPC listening on " + settings_.address.substr(0, settings_.address.rfind(':')) +
                  ":" + std::to_string(port) + (settings_.tls ? " (TLS)" : ""));
    if (settings_.cluster) {
      peer_service_ = std::make_unique<PeerService>(this);
      grpc::ServerBuilder peers;
      int p2p_port = 0;
      peers.AddListeningPort(settings_.p2p_address, grpc::InsecureServerCredentials(), &p2p_port);
      peers.SetMaxReceiveMessageSize(-1);
      peers.RegisterCallbackGenericService(peer_service_.get());
      peer_server_ = peers.BuildAndStart();
      if (peer_server_ == nullptr || p2p_port == 0) {
        return strata::Unavailable("cannot listen on " + settings_.p2p_address +
                                   " for peers; change cluster.p2p.port");
      }
      host_.Log(STRATA_LOG_INFO, kLog,
                "peer transport listening on " +
                    settings_.p2p_address.substr(0, settings_.p2p_address.rfind(':')) + ":" +
                    std::to_string(p2p_port));
    }
    return Status::Ok();
  }

  // Outbound peer message: queued per (peer, channel), sent in order, `done` once each.
  void SendPeer(uint32_t channel, uint64_t peer, const char* uri, const uint8_t* p, size_t n,
                strata_call_done done, void* user) {
    if (!settings_.cluster || stopping_) {
      done(user, STRATA_UNAVAILABLE,
           stopping_ ? "the frontend is stopping" : "cluster mode is off (cluster.enabled)",
           nullptr, 0);
      return;
    }
    std::shared_ptr<PeerLink> link;
    {
      std::lock_guard<std::mutex> lock(links_mu_);
      std::shared_ptr<PeerLink>& slot = links_[{peer, channel}];
      if (slot == nullptr) {
        slot = std::make_shared<PeerLink>();
        slot->channel = grpc::CreateChannel(uri, grpc::InsecureChannelCredentials());
        slot->stub = std::make_unique<grpc::GenericStub>(slot->channel);
      }
      link = slot;
    }
    bool start = false;
    {
      std::lock_guard<std::mutex> lock(link->mu);
      link->queue.push_back({std::string(reinterpret_cast<const char*>(p), n), done, user});
      if (!link->busy) {
        link->busy = true;
        start = true;
      }
    }
    if (start) SendNext(link, channel);
  }

  void DeliverInbound(grpc::GenericCallbackServerContext* ctx, const grpc::ByteBuffer& request,
                      grpc::ServerGenericBidiReactor* rpc) {
    const auto& md = ctx->client_metadata();
    auto ch = md.find(kPeerChannelKey), from = md.find(kPeerFromKey);
    if (ch == md.end() || from == md.end()) {
      rpc->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               "peer message without strata-channel / strata-from metadata"));
      return;
    }
    const uint32_t channel = static_cast<uint32_t>(
        std::strtoul(std::string(ch->second.data(), ch->second.size()).c_str(), nullptr, 10));
    const uint64_t peer =
        std::strtoull(std::string(from->second.data(), from->second.size()).c_str(), nullptr, 10);
    const std::string bytes = Flatten(request);
    Status s = host_.DeliverPeer(channel, peer, reinterpret_cast<const uint8_t*>(bytes.data()),
                                 bytes.size());
    rpc->Finish(s.ok() ? grpc::Status::OK
                       : grpc::Status(static_cast<grpc::StatusCode>(s.code()), s.message()));
  }

  void Stop(int64_t deadline_unix_ms) {
    if (server_ == nullptr) return;
    auto deadline =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(deadline_unix_ms));
    // Drain our in-flight calls ourselves, then shut down at once: gRPC's own Shutdown(deadline)
    // also waits for idle client connections to go away (seconds, with connected clients).
    stopping_ = true;
    while (in_flight_.load() > 0 && std::chrono::system_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    server_->Shutdown(std::chrono::system_clock::now());  // cancels whatever is left
    if (peer_server_ != nullptr) {
      peer_server_->Shutdown(std::chrono::system_clock::now());
      peer_server_->Wait();
      peer_server_.reset();
    }
    workers_->Stop();
    server_->Wait();
    server_.reset();
    // Outbound sends still queued get their answer (those in flight finish on their own).
    std::map<std::pair<uint64_t, uint32_t>, std::shared_ptr<PeerLink>> links;
    {
      std::lock_guard<std::mutex> lock(links_mu_);
      links.swap(links_);
    }
    for (auto& [key, link] : links) {
      std::deque<PeerLink::Pending> left;
      {
        std::lock_guard<std::mutex> lock(link->mu);
        left.swap(link->queue);
      }
      for (auto& m : left) m.done(m.user, STRATA_UNAVAILABLE, "the frontend stopped", nullptr, 0);
    }
    while (sends_in_flight_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    host_.Log(STRATA_LOG_INFO, kLog, "gRPC stopped");
  }

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    if (strata_grpc::IsReflectionMethod(ctx->method())) return new ReflectionRpc(this, ctx);
    return new Rpc(this, ctx);
  }

  // Authentication: OK and the access level, or the refusal.
  grpc::Status Authenticate(const grpc::GenericCallbackServerContext& ctx, uint32_t* access) const {
    *access = STRATA_ACCESS_READ_WRITE;
    if (settings_.api_key.empty() && settings_.read_only_api_key.empty()) return grpc::Status::OK;
    std::string presented;
    const auto& md = ctx.client_metadata();
    auto key = md.find("api-key");
    if (key != md.end()) {
      presented.assign(key->second.data(), key->second.size());
    } else {
      auto auth = md.find("authorization");
      if (auth != md.end()) {
        std::string v(auth->second.data(), auth->second.size());
        if (v.rfind("Bearer ", 0) == 0) presented = v.substr(7);
      }
    }
    if (!settings_.api_key.empty() && presented == settings_.api_key) return grpc::Status::OK;
    if (!settings_.read_only_api_key.empty() && presented == settings_.read_only_api_key) {
      *access = STRATA_ACCESS_READ_ONLY;
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        presented.empty()
                            ? "Must provide an API key or an Authorization bearer token"
                            : "Invalid API key or token");
  }

  const sdk::Host& host() const { return host_; }
  WorkerPool& workers() { return *workers_; }
  std::atomic<int>& in_flight() { return in_flight_; }
  bool stopping() const { return stopping_.load(); }

 private:
  static Result<std::string> ReadText(const std::string& path, const std::string& key) {
    std::ifstream in(path);
    if (!in) return strata::NotFound(key + ": cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Sends the next queued message of `link`; its completion sends the one after.
  void SendNext(const std::shared_ptr<PeerLink>& link, uint32_t channel) {
    PeerLink::Pending next;
    {
      std::lock_guard<std::mutex> lock(link->mu);
      if (link->queue.empty()) {
        link->busy = false;
        return;
      }
      next = std::move(link->queue.front());
      link->queue.pop_front();
    }
    struct Call {
      grpc::ClientContext ctx;
      grpc::ByteBuffer request, response;
      PeerLink::Pending msg;
    };
    auto call = std::make_shared<Call>();
    call->msg = std::move(next);
    call->ctx.AddMetadata(kPeerChannelKey, std::to_string(channel));
    call->ctx.AddMetadata(kPeerFromKey, std::to_string(settings_.peer_id));
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(call->msg.bytes.data(), call->msg.bytes.size());
    call->request = grpc::ByteBuffer(&slice, 1);
    ++sends_in_flight_;
    link->stub->UnaryCall(&call->ctx, kPeerMethod, grpc::StubOptions(), &call->request,
                          &call->response, [this, link, channel, call](grpc::Status st) {
                            call->msg.done(
                                call->msg.user,
                                st.ok() ? STRATA_OK : static_cast<int32_t>(st.error_code()),
                                st.ok() ? nullptr : st.error_message().c_str(), nullptr, 0);
                            SendNext(link, channel);
                            --sends_in_flight_;
                          });
  }

  sdk::Host host_;
  Settings settings_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<PeerService> peer_service_;
  std::unique_ptr<grpc::Server> peer_server_;
  std::mutex links_mu_;
  std::map<std::pair<uint64_t, uint32_t>, std::shared_ptr<PeerLink>> links_;
  std::atomic<int> sends_in_flight_{0};
  int port_ = 0;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> stopping_{false};
};

Rpc::Rpc(GrpcFrontend* fe, grpc::GenericCallbackServerContext* ctx) : fe_(fe), ctx_(ctx) {
  fe_->in_flight()++;
  if (fe_->stopping()) {
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
    return;
  }
  const std::string& name = ctx->method();
  if (name == kHealthMethod) {
    health_ = true;
    method_ = STRATA_METHOD_Qdrant_HealthCheck;
  } else {
    auto it = MethodTable().find(name);
    if (it == MethodTable().end()) {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          "method " + name + " is not part of the Qdrant API served here"));
      return;
    }
    method_ = it->second;
    if (method_ != STRATA_METHOD_Qdrant_HealthCheck) {
      grpc::Status auth = fe_->Authenticate(*ctx, &access_);
      if (!auth.ok()) {
        Finish(auth);
        return;
      }
    }
  }
  StartRead(&request_);
}

void Rpc::OnReadDone(bool ok) {
  if (!ok) {
    Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the call carried no request message"));
    return;
  }
  fe_->workers().Submit([this] {
    std::string bytes = Flatten(request_);
    if (health_) bytes.clear();  // grpc.health.v1 request: the kernel's HealthCheck takes none
    strata_call call{};
    call.struct_size = sizeof(call);
    call.method = method_;
    call.request = reinterpret_cast<const uint8_t*>(bytes.data());
    call.request_len = bytes.size();
    call.access = access_;
    auto deadline = ctx_->deadline();
    if (deadline != std::chrono::system_clock::time_point::max()) {
      call.deadline_unix_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline.time_since_epoch())
              .count();
    }
    const strata_host_api* host = fe_->host().raw();
    host->call(
        host, &call,
        [](void* user, int32_t code, const char* message, const uint8_t* p, size_t n) {
          static_cast<Rpc*>(user)->Answer(code, message, p, n);
        },
        this);
  });
}

void Rpc::Answer(int32_t code, const char* message, const uint8_t* bytes, size_t n) {
  if (code != STRATA_OK) {
    Finish(grpc::Status(static_cast<grpc::StatusCode>(code), message ? message : ""));
    return;
  }
  if (health_) {
    static const uint8_t kServing[2] = {0x08, 0x01};  // HealthCheckResponse{status: SERVING}
    bytes = kServing;
    n = sizeof(kServing);
  }
  grpc::Slice slice(bytes, n);
  response_ = grpc::ByteBuffer(&slice, 1);
  StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
}

void Rpc::OnDone() {
  fe_->in_flight()--;
  delete this;
}

ReflectionRpc::ReflectionRpc(GrpcFrontend* fe, grpc::GenericCallbackServerContext* ctx) {
  if (fe->stopping()) {
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
    return;
  }
  uint32_t access = 0;
  grpc::Status auth = fe->Authenticate(*ctx, &access);  // either key may describe the API
  if (!auth.ok()) {
    Finish(auth);
    return;
  }
  StartRead(&request_);
}

void ReflectionRpc::OnReadDone(bool ok) {
  if (!ok) {  // the client finished its requests
    Finish(grpc::Status::OK);
    return;
  }
  std::string answer = strata_grpc::AnswerReflection(Flatten(request_));
  grpc::Slice slice(answer);
  response_ = grpc::ByteBuffer(&slice, 1);
  StartWrite(&response_);
}

void ReflectionRpc::OnWriteDone(bool ok) {
  if (!ok) {
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
    return;
  }
  StartRead(&request_);
}

PeerRpc::PeerRpc(GrpcFrontend* fe, grpc::GenericCallbackServerContext* ctx) : fe_(fe), ctx_(ctx) {
  if (ctx->method() != kPeerMethod) {
    Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "the peer port serves only " + std::string(kPeerMethod)));
    return;
  }
  StartRead(&request_);
}

void PeerRpc::OnReadDone(bool ok) {
  if (!ok) {
    Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the call carried no message"));
    return;
  }
  fe_->DeliverInbound(ctx_, request_, this);
}

}  // namespace

STRATA_PLUGIN_MANIFEST(STRATA_TIER_STABLE,
                       STRATA_FRONTEND_PLUGIN("grpc", "0.1.0",
                                              "Qdrant-compatible gRPC API and peer transport",
                                              GrpcFrontend,
                                              STRATA_FRONTEND_CAP_PUBLIC_API |
                                                  STRATA_FRONTEND_CAP_PEER_TRANSPORT))
