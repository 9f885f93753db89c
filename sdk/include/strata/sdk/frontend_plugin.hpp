// frontend_plugin.hpp: write an API frontend plugin in C++ (C++17).
//
// Impl provides:
//   static Result<std::unique_ptr<Impl>> Create(const Host& host, const Params& cfg);
//   Status Start();                     // bind sockets, start the plugin's own threads
//   void Stop(int64_t deadline_unix_ms); // stop accepting, drain, join every thread
// optional (PEER_TRANSPORT):
//   void SendPeer(uint32_t channel, uint64_t peer, const char* uri, const uint8_t* p, size_t n,
//                 strata_call_done done, void* user);
#ifndef STRATA_SDK_FRONTEND_PLUGIN_HPP_
#define STRATA_SDK_FRONTEND_PLUGIN_HPP_

#include <memory>
#include <type_traits>
#include <utility>

#include "strata/abi/strata_frontend.h"
#include "strata/sdk/guard.hpp"
#include "strata/sdk/host.hpp"
#include "strata/sdk/params.hpp"

namespace strata::sdk {

namespace detail {
template <class T, class = void>
struct HasSendPeer : std::false_type {};
template <class T>
struct HasSendPeer<T, std::void_t<decltype(std::declval<T&>().SendPeer(
                          0u, 0ull, nullptr, nullptr, size_t{0}, strata_call_done{}, nullptr))>>
    : std::true_type {};
}  // namespace detail

template <class Impl>
class FrontendPlugin {
 public:
  static const strata_frontend_vtable* Vtable() noexcept {
    static const strata_frontend_vtable table = {
        sizeof(strata_frontend_vtable),
        0,
        &CreateThunk,
        &StartThunk,
        &StopThunk,
        &DestroyThunk,
        detail::HasSendPeer<Impl>::value ? &SendPeerThunk : nullptr,
    };
    return &table;
  }

 private:
  static Impl& Self(strata_frontend* fe) { return *reinterpret_cast<Impl*>(fe); }
  static int32_t CreateThunk(const strata_host_api* host, const strata_kv* cfg,
                             strata_frontend** out, strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, Impl::Create(Host(host), Params(cfg)));
      *out = reinterpret_cast<strata_frontend*>(impl.release());
      return Status::Ok();
    });
  }
  static int32_t StartThunk(strata_frontend* fe, strata_error* err) noexcept {
    return Guard(err, [&] { return Self(fe).Start(); });
  }
  static void StopThunk(strata_frontend* fe, int64_t deadline) noexcept { Self(fe).Stop(deadline); }
  static void DestroyThunk(strata_frontend* fe) noexcept { delete &Self(fe); }
  static void SendPeerThunk(strata_frontend* fe, uint32_t channel, uint64_t peer, const char* uri,
                            const uint8_t* p, size_t n, strata_call_done done,
                            void* user) noexcept {
    if constexpr (detail::HasSendPeer<Impl>::value) {
      Self(fe).SendPeer(channel, peer, uri, p, n, done, user);
    } else {
      done(user, STRATA_UNIMPLEMENTED, "peer transport not supported", nullptr, 0);
    }
  }
};

}  // namespace strata::sdk

#endif  // STRATA_SDK_FRONTEND_PLUGIN_HPP_
