// host.hpp: C++ wrapper over the kernel's strata_host_api (C++17).
#ifndef STRATA_SDK_HOST_HPP_
#define STRATA_SDK_HOST_HPP_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "strata/abi/strata_host.h"
#include "strata/sdk/status.hpp"

namespace strata::sdk {

class Host {
 public:
  Host() = default;
  explicit Host(const strata_host_api* api) : api_(api) {}

  bool valid() const { return api_ != nullptr; }
  const strata_host_api* raw() const { return api_; }

  // True when the host's table is new enough to contain the slot M and the slot is set, e.g.
  // host.Has<&strata_host_api::timer_start>(). Slots appended in later ABI minors read as absent
  // on older kernels.
  template <auto M>
  bool Has() const {
    if (api_ == nullptr) return false;
    static const strata_host_api probe{};
    const char* base = reinterpret_cast<const char*>(&probe);
    const size_t end =
        static_cast<size_t>(reinterpret_cast<const char*>(&(probe.*M)) - base) + sizeof(probe.*M);
    if (api_->struct_size < end) return false;
    return (api_->*M) != decltype(probe.*M){};
  }

  // Peer transport, inbound: hands a message received from `from` on `channel` to the kernel.
  Status DeliverPeer(uint32_t channel, uint64_t from, const uint8_t* p, size_t n) const {
    if (api_ == nullptr || api_->deliver_peer_message == nullptr) {
      return Unavailable("the host takes no peer messages");
    }
    strata_error err{};
    return Status::FromAbi(api_->deliver_peer_message(api_, channel, from, p, n, &err), &err);
  }
  void Log(int32_t level, const char* plugin, const std::string& message) const {
    if (Has<&strata_host_api::log>()) api_->log(api_, level, plugin, message.c_str());
  }

  // Runs fn(i) for i in [0, n) on the host's pool (or inline without a host).
  Status ParallelFor(uint32_t n, const std::function<void(uint32_t)>& fn,
                     uint32_t max_threads = 0) const {
    if (!Has<&strata_host_api::parallel_for>()) {
      for (uint32_t i = 0; i < n; ++i) fn(i);
      return Status::Ok();
    }
    strata_error err{};
    auto thunk = [](void* ctx, uint32_t i) {
      (*static_cast<const std::function<void(uint32_t)>*>(ctx))(i);
    };
    int32_t rc = api_->parallel_for(api_, n, thunk, const_cast<std::function<void(uint32_t)>*>(&fn),
                                    max_threads, &err);
    return Status::FromAbi(rc, &err);
  }

  // Calls the kernel service and waits for the answer: the response bytes, or the status the
  // kernel answered with. For frontends that serve one request per thread.
  Result<std::string> CallSync(uint32_t method, const std::string& request,
                               uint32_t access = STRATA_ACCESS_READ_WRITE,
                               int64_t deadline_unix_ms = 0) const {
    if (!Has<&strata_host_api::call>()) return Unavailable("the host offers no kernel service");
    strata_call call{};
    call.struct_size = sizeof(call);
    call.method = method;
    call.request = reinterpret_cast<const uint8_t*>(request.data());
    call.request_len = request.size();
    call.access = access;
    call.deadline_unix_ms = deadline_unix_ms;
    struct Answer {
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      int32_t code = STRATA_OK;
      std::string message, body;
    } answer;
    api_->call(
        api_, &call,
        [](void* user, int32_t code, const char* msg, const uint8_t* p, size_t n) {
          auto* a = static_cast<Answer*>(user);
          std::lock_guard<std::mutex> lock(a->mu);
          a->code = code;
          a->message = msg ? msg : "";
          a->body.assign(reinterpret_cast<const char*>(p), n);
          a->done = true;
          a->cv.notify_one();
        },
        &answer);
    std::unique_lock<std::mutex> lock(answer.mu);
    answer.cv.wait(lock, [&] { return answer.done; });
    if (answer.code != STRATA_OK)
      return Status(static_cast<StatusCode>(answer.code), answer.message);
    return std::move(answer.body);
  }

  // Reads a configuration value ("service.http_port"); NOT_FOUND when unset.
  Result<std::string> Config(const std::string& key) const {
    if (!Has<&strata_host_api::config_get>()) return NotFound("no configuration available");
    std::vector<char> buf(256);
    for (int attempt = 0; attempt < 2; ++attempt) {
      size_t needed = 0;
      strata_error err{};
      int32_t rc = api_->config_get(api_, key.c_str(), buf.data(), buf.size(), &needed, &err);
      if (rc == STRATA_OK) return std::string(buf.data());
      if (rc != STRATA_OUT_OF_RANGE) return Status::FromAbi(rc, &err);
      buf.resize(needed);
    }
    return Internal("config value for " + key + " kept growing");
  }

 private:
  const strata_host_api* api_ = nullptr;
};

// The host handed to this plugin library's manifest init(). One per library: the SDK is
// compiled with hidden visibility into every plugin, so this is never shared across plugins.
inline Host& PluginHost() {
  static Host host;
  return host;
}

}  // namespace strata::sdk

#endif  // STRATA_SDK_HOST_HPP_
