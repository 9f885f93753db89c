// consensus_plugin.hpp: write a consensus plugin in C++ (C++17).
//
// Impl provides:
//   static Result<std::unique_ptr<Impl>> Create(const Params& cfg, const strata_consensus_host* h);
//   Status Start();   void Stop();
//   void Propose(const uint8_t* op, size_t n, strata_propose_done done, void* user);
//   Status Step(uint64_t from_peer, const uint8_t* msg, size_t n);
//   void ChangeMembership(uint32_t op, uint64_t peer, const char* uri, strata_propose_done done,
//                         void* user);
//   Status GetStatus(strata_consensus_status* out);
#ifndef STRATA_SDK_CONSENSUS_PLUGIN_HPP_
#define STRATA_SDK_CONSENSUS_PLUGIN_HPP_

#include <memory>
#include <utility>

#include "strata/abi/strata_consensus.h"
#include "strata/sdk/guard.hpp"
#include "strata/sdk/params.hpp"

namespace strata::sdk {

template <class Impl>
class ConsensusPlugin {
 public:
  static const strata_consensus_vtable* Vtable() noexcept {
    static const strata_consensus_vtable table = {
        sizeof(strata_consensus_vtable),
        0,
        &CreateThunk,
        &DestroyThunk,
        &StartThunk,
        &StopThunk,
        &ProposeThunk,
        &StepThunk,
        &ChangeMembershipThunk,
        &StatusThunk,
    };
    return &table;
  }

 private:
  static Impl& Self(strata_consensus* c) { return *reinterpret_cast<Impl*>(c); }
  static int32_t CreateThunk(const strata_kv* cfg, const strata_consensus_host* h,
                             strata_consensus** out, strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, Impl::Create(Params(cfg), h));
      *out = reinterpret_cast<strata_consensus*>(impl.release());
      return Status::Ok();
    });
  }
  static void DestroyThunk(strata_consensus* c) noexcept { delete &Self(c); }
  static int32_t StartThunk(strata_consensus* c, strata_error* err) noexcept {
    return Guard(err, [&] { return Self(c).Start(); });
  }
  static void StopThunk(strata_consensus* c) noexcept { Self(c).Stop(); }
  static void ProposeThunk(strata_consensus* c, const uint8_t* op, size_t n,
                           strata_propose_done done, void* user) noexcept {
    Self(c).Propose(op, n, done, user);
  }
  static int32_t StepThunk(strata_consensus* c, uint64_t from, const uint8_t* msg, size_t n,
                           strata_error* err) noexcept {
    return Guard(err, [&] { return Self(c).Step(from, msg, n); });
  }
  static void ChangeMembershipThunk(strata_consensus* c, uint32_t op, uint64_t peer,
                                    const char* uri, strata_propose_done done,
                                    void* user) noexcept {
    Self(c).ChangeMembership(op, peer, uri, done, user);
  }
  static int32_t StatusThunk(strata_consensus* c, strata_consensus_status* out,
                             strata_error* err) noexcept {
    return Guard(err, [&] { return Self(c).GetStatus(out); });
  }
};

}  // namespace strata::sdk

#endif  // STRATA_SDK_CONSENSUS_PLUGIN_HPP_
