// The peer transport of the gRPC frontend plugin: two instances of the built library, each on
// its own fake host, send each other messages over loopback. Messages on one channel arrive in
// the order sent with the sender's peer id; a receiver's refusal and an unreachable peer come
// back through `done`.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "strata/abi/strata_frontend.h"
#include "strata/abi/strata_plugin.h"
#include "strata/sdk/params.hpp"
#include "strata/sdk/testing/fake_host.hpp"

namespace {

const strata_frontend_vtable* GrpcVtable() {
  static const strata_frontend_vtable* vt = [] {
    void* lib = dlopen(GRPC_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return static_cast<const strata_frontend_vtable*>(nullptr);
    auto fn = reinterpret_cast<strata_plugin_manifest_fn>(
        dlsym(lib, STRATA_PLUGIN_MANIFEST_PREFIX "frontend_grpc"));
    if (fn == nullptr) return static_cast<const strata_frontend_vtable*>(nullptr);
    const strata_plugin_manifest* m = fn();
    for (uint32_t i = 0; i < m->plugin_count; ++i) {
      if (m->plugins[i].kind == STRATA_KIND_FRONTEND) {
        return static_cast<const strata_frontend_vtable*>(m->plugins[i].vtable);
      }
    }
    return static_cast<const strata_frontend_vtable*>(nullptr);
  }();
  return vt;
}

// One node: a fake host, the plugin instance on it, and what it received.
struct Node {
  strata::sdk::testing::FakeHost host;
  strata_frontend* fe = nullptr;
  std::string p2p;  // "127.0.0.1:port"
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::tuple<uint32_t, uint64_t, std::string>> got;

  bool Start(uint64_t peer_id) {
    host.SetDeliverHandler([this](uint32_t channel, uint64_t from, const std::string& msg) {
      if (msg == "refuse me") return static_cast<int32_t>(STRATA_FAILED_PRECONDITION);
      std::lock_guard<std::mutex> lock(mu);
      got.emplace_back(channel, from, msg);
      cv.notify_all();
      return static_cast<int32_t>(STRATA_OK);
    });
    strata::sdk::OwnedParams cfg{{"service.host", "127.0.0.1"},
                                 {"service.grpc_port", "0"},
                                 {"cluster.enabled", "true"},
                                 {"cluster.p2p.port", "0"},
                                 {"cluster.peer_id", std::to_string(peer_id)}};
    strata_error err{};
    if (GrpcVtable()->create(host.api(), cfg.Get(), &fe, &err) != STRATA_OK) return false;
    if (GrpcVtable()->start(fe, &err) != STRATA_OK) return false;
    std::regex listening("peer transport listening on ([0-9.]+:[0-9]+)");
    for (const std::string& line : host.logs()) {
      std::smatch m;
      if (std::regex_search(line, m, listening)) p2p = m[1];
    }
    return !p2p.empty();
  }
  ~Node() {
    if (fe != nullptr) {
      const int64_t deadline = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() +
                               2000;
      GrpcVtable()->stop(fe, deadline);
      GrpcVtable()->destroy(fe);
    }
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(20), [&] { return got.size() >= n; });
  }
};

// Outcomes reported through `done`, in completion order.
struct Outcomes {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<int32_t, std::string>> codes;
  static void Done(void* user, int32_t code, const char* message, const uint8_t*, size_t) {
    auto* self = static_cast<Outcomes*>(user);
    std::lock_guard<std::mutex> lock(self->mu);
    self->codes.emplace_back(code, message ? message : "");
    self->cv.notify_all();
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return codes.size() >= n; });
  }
};

void Send(Node& from, uint32_t channel, uint64_t to_peer, const std::string& uri,
          const std::string& msg, Outcomes* out) {
  GrpcVtable()->send_peer(from.fe, channel, to_peer, uri.c_str(),
                          reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), &Outcomes::Done,
                          out);
}

TEST(PeerTransportTest, MessagesArriveInOrderWithTheSenderAndFailuresAreReported) {
  ASSERT_NE(GrpcVtable(), nullptr) << "cannot load " << GRPC_PLUGIN;
  ASSERT_NE(GrpcVtable()->send_peer, nullptr);
  Node a, b;
  ASSERT_TRUE(a.Start(1)) << "node a did not start";
  ASSERT_TRUE(b.Start(2)) << "node b did not start";

  Outcomes sent;
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) Send(a, 7, 2, b.p2p, "m" + std::to_string(i), &sent);
  Send(b, 3, 1, a.p2p, "hello from b", &sent);  // and the other way, another channel
  ASSERT_TRUE(b.WaitFor(kMessages));
  ASSERT_TRUE(a.WaitFor(1));
  ASSERT_TRUE(sent.WaitFor(kMessages + 1));
  for (const auto& [code, message] : sent.codes) EXPECT_EQ(code, STRATA_OK) << message;
  {
    std::lock_guard<std::mutex> lock(b.mu);
    ASSERT_EQ(b.got.size(), static_cast<size_t>(kMessages));
    for (int i = 0; i < kMessages; ++i) {
      EXPECT_EQ(std::get<0>(b.got[i]), 7u);
      EXPECT_EQ(std::get<1>(b.got[i]), 1u) << "the sender's peer id";
      EXPECT_EQ(std::get<2>(b.got[i]), "m" + std::to_string(i)) << "delivered in order";
    }
  }
  EXPECT_EQ(std::get<2>(a.got[0]), "hello from b");
  EXPECT_EQ(std::get<1>(a.got[0]), 2u);

  // The receiver's refusal comes back with its code; later messages still flow.
  Outcomes refused;
  Send(a, 7, 2, b.p2p, "refuse me", &refused);
  Send(a, 7, 2, b.p2p, "after", &refused);
  ASSERT_TRUE(refused.WaitFor(2));
  EXPECT_EQ(refused.codes[0].first, STRATA_FAILED_PRECONDITION) << refused.codes[0].second;
  EXPECT_EQ(refused.codes[1].first, STRATA_OK);

  // A peer nobody listens on: UNAVAILABLE (or the deadline), never a hang.
  Outcomes lost;
  Send(a, 1, 9, "127.0.0.1:1", "nobody home", &lost);
  ASSERT_TRUE(lost.WaitFor(1));
  EXPECT_TRUE(lost.codes[0].first == STRATA_UNAVAILABLE ||
              lost.codes[0].first == STRATA_DEADLINE_EXCEEDED)
      << lost.codes[0].first << " " << lost.codes[0].second;
}

TEST(PeerTransportTest, WithoutClusterModeSendingIsRefused) {
  ASSERT_NE(GrpcVtable(), nullptr);
  strata::sdk::testing::FakeHost host;
  strata::sdk::OwnedParams cfg{{"service.host", "127.0.0.1"}, {"service.grpc_port", "0"}};
  strata_frontend* fe = nullptr;
  strata_error err{};
  ASSERT_EQ(GrpcVtable()->create(host.api(), cfg.Get(), &fe, &err), STRATA_OK);
  ASSERT_EQ(GrpcVtable()->start(fe, &err), STRATA_OK);
  Outcomes out;
  const std::string msg = "x";
  GrpcVtable()->send_peer(fe, 1, 2, "127.0.0.1:1", reinterpret_cast<const uint8_t*>(msg.data()),
                          msg.size(), &Outcomes::Done, &out);
  ASSERT_TRUE(out.WaitFor(1));
  EXPECT_EQ(out.codes[0].first, STRATA_UNAVAILABLE);
  EXPECT_NE(out.codes[0].second.find("cluster.enabled"), std::string::npos);
  GrpcVtable()->stop(fe, 0);
  GrpcVtable()->destroy(fe);
}

}  // namespace
