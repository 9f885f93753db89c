// params.hpp: read-only C++ views over small ABI value types (C++17): key/value parameters and
// cancellation tokens.
#ifndef STRATA_SDK_PARAMS_HPP_
#define STRATA_SDK_PARAMS_HPP_

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "strata/abi/strata_abi.h"
#include "strata/sdk/status.hpp"

namespace strata::sdk {

// Borrowed view over a strata_kv; lookups are linear (lists are short).
class Params {
 public:
  Params() = default;
  explicit Params(const strata_kv* kv) : kv_(kv) {}

  std::optional<std::string> Get(const char* key) const {
    if (kv_ == nullptr || kv_->items == nullptr) return std::nullopt;
    for (uint32_t i = 0; i < kv_->count; ++i) {
      const strata_kv_pair& p = kv_->items[i];
      if (p.key != nullptr && std::strcmp(p.key, key) == 0) {
        return std::string(p.value ? p.value : "");
      }
    }
    return std::nullopt;
  }
  std::string GetString(const char* key, const std::string& fallback) const {
    auto v = Get(key);
    return v ? *v : fallback;
  }
  // Missing key -> fallback; a value that is not an integer -> INVALID_ARGUMENT naming the key.
  Result<int64_t> GetInt(const char* key, int64_t fallback) const {
    auto v = Get(key);
    if (!v) return fallback;
    char* end = nullptr;
    long long n = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0') {
      return InvalidArgument(std::string("parameter '") + key + "' must be an integer, got '" + *v +
                             "'");
    }
    return static_cast<int64_t>(n);
  }
  Result<double> GetDouble(const char* key, double fallback) const {
    auto v = Get(key);
    if (!v) return fallback;
    char* end = nullptr;
    double d = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0') {
      return InvalidArgument(std::string("parameter '") + key + "' must be a number, got '" + *v +
                             "'");
    }
    return d;
  }
  // Missing key -> fallback; true/1/yes or false/0/no (as YAML spells booleans); anything else
  // -> INVALID_ARGUMENT naming the key.
  Result<bool> GetBool(const char* key, bool fallback) const {
    auto v = Get(key);
    if (!v) return fallback;
    if (*v == "true" || *v == "1" || *v == "yes") return true;
    if (*v == "false" || *v == "0" || *v == "no") return false;
    return InvalidArgument(std::string("parameter '") + key + "' must be true or false, got '" +
                           *v + "'");
  }
  const strata_kv* raw() const { return kv_; }

 private:
  const strata_kv* kv_ = nullptr;
};

// Owns key/value strings and exposes them as a strata_kv (for hosts and tests building params).
class OwnedParams {
 public:
  OwnedParams() = default;
  OwnedParams(std::initializer_list<std::pair<std::string, std::string>> init) {
    for (auto& [k, v] : init) Set(k, v);
  }
  OwnedParams(const OwnedParams& o) : values_(o.values_) {}
  OwnedParams& operator=(const OwnedParams& o) {
    values_ = o.values_;
    return *this;
  }
  void Set(const std::string& key, const std::string& value) { values_[key] = value; }
  // The returned pointer stays valid until this object is modified or destroyed.
  const strata_kv* Get() const {
    pairs_.clear();
    for (auto& [k, v] : values_) pairs_.push_back({k.c_str(), v.c_str()});
    kv_.struct_size = sizeof(strata_kv);
    kv_.count = static_cast<uint32_t>(pairs_.size());
    kv_.items = pairs_.data();
    return &kv_;
  }

 private:
  std::map<std::string, std::string> values_;
  mutable std::vector<strata_kv_pair> pairs_;
  mutable strata_kv kv_{};
};

inline int64_t UnixMillisNow() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Borrowed view over a strata_cancel (NULL means "never cancelled").
class Cancel {
 public:
  Cancel() = default;
  explicit Cancel(const strata_cancel* c) : c_(c) {}
  bool IsCancelled() const {
    if (c_ == nullptr) return false;
    if (c_->is_cancelled != nullptr && c_->is_cancelled(c_->ctx) != 0) return true;
    return c_->deadline_unix_ms != 0 && UnixMillisNow() >= c_->deadline_unix_ms;
  }
  // CANCELLED (or DEADLINE_EXCEEDED) when the token fired, OK otherwise.
  Status Check(const char* what) const {
    if (c_ == nullptr) return Status::Ok();
    if (c_->is_cancelled != nullptr && c_->is_cancelled(c_->ctx) != 0) {
      return Cancelled(std::string(what) + " cancelled");
    }
    if (c_->deadline_unix_ms != 0 && UnixMillisNow() >= c_->deadline_unix_ms) {
      return Status(StatusCode::kDeadlineExceeded, std::string(what) + " passed its deadline");
    }
    return Status::Ok();
  }
  const strata_cancel* raw() const { return c_; }

 private:
  const strata_cancel* c_ = nullptr;
};

}  // namespace strata::sdk

#endif  // STRATA_SDK_PARAMS_HPP_
