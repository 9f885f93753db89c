// guard.hpp: the one place where C++ exceptions are turned into ABI codes (C++17).
// Every SDK thunk runs its body through Guard(), and is itself noexcept, so nothing unwinds
// through a C frame.
#ifndef STRATA_SDK_GUARD_HPP_
#define STRATA_SDK_GUARD_HPP_

#include <exception>
#include <new>

#include "strata/sdk/status.hpp"

namespace strata::sdk {

// Runs fn (returning Status) and converts the outcome to an ABI code, filling err on failure.
template <class Fn>
int32_t Guard(strata_error* err, Fn&& fn) noexcept {
  try {
    return fn().ExportTo(err);
  } catch (const std::bad_alloc&) {
    return SetError(err, STRATA_RESOURCE_EXHAUSTED, "out of memory");
  } catch (const std::exception& e) {
    return SetError(err, STRATA_INTERNAL, e.what());
  } catch (...) {
    return SetError(err, STRATA_INTERNAL, "unknown exception");
  }
}

}  // namespace strata::sdk

#endif  // STRATA_SDK_GUARD_HPP_
