// fake_host.hpp: an in-process strata_host_api for plugin tests (C++17).
//
// Provides logging (kept for assertions), parallel_for on real threads, submit, cancellation,
// configuration from a map, an in-memory storage backend, and a pluggable call handler.
// Timers are not provided (the slots are NULL, so Host::Has<> reports them absent).
#ifndef STRATA_SDK_TESTING_FAKE_HOST_HPP_
#define STRATA_SDK_TESTING_FAKE_HOST_HPP_

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "strata/abi/strata_host.h"
#include "strata/sdk/testing/mem_fs.hpp"

namespace strata::sdk::testing {

class FakeHost {
 public:
  using CallHandler = std::function<void(const strata_call*, strata_call_done, void*)>;

  FakeHost() {
    storage_ = MemFsVtable();
    strata_error err{};
    storage_->open_fs("", nullptr, &fs_, &err);
    api_.struct_size = sizeof(strata_host_api);
    api_.abi_major = STRATA_ABI_MAJOR;
    api_.abi_minor = STRATA_ABI_MINOR;
    api_.build_id = "fake-host";
    api_.version = "0.0.0-fake";
    api_.host_ctx = this;
    api_.log = &LogThunk;
    api_.metric_add = &MetricThunk;
    api_.call = &CallThunk;
    api_.submit = &SubmitThunk;
    api_.parallel_for = &ParallelForThunk;
    api_.is_cancelled = &IsCancelledThunk;
    api_.config_get = &ConfigThunk;
    api_.deliver_peer_message = &DeliverThunk;
    api_.storage = storage_;
    api_.fs = fs_;
  }
  ~FakeHost() {
    for (std::thread& t : submitted_) t.join();
    storage_->close_fs(fs_);
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const strata_host_api* api() const { return &api_; }
  const strata_storage_vtable* storage() const { return storage_; }
  strata_fs* fs() const { return fs_; }

  void SetConfig(const std::string& key, const std::string& value) { config_[key] = value; }
  void SetCallHandler(CallHandler h) { handler_ = std::move(h); }
  // Receives peer messages (channel, from, bytes); its return is the delivery's status code.
  using DeliverHandler = std::function<int32_t(uint32_t, uint64_t, const std::string&)>;
  void SetDeliverHandler(DeliverHandler h) {
    std::lock_guard<std::mutex> lock(mu_);
    deliver_ = std::move(h);
  }
  void set_threads(uint32_t n) { threads_ = n; }

  std::vector<std::string> logs() {
    std::lock_guard<std::mutex> lock(mu_);
    return logs_;
  }
  uint32_t max_parallelism_seen() const { return max_parallel_.load(); }

 private:
  static FakeHost* Self(const strata_host_api* host) {
    return static_cast<FakeHost*>(host->host_ctx);
  }
  static void LogThunk(const strata_host_api* host, int32_t level, const char* plugin,
                       const char* message) {
    std::lock_guard<std::mutex> lock(Self(host)->mu_);
    Self(host)->logs_.push_back(std::to_string(level) + " " + (plugin ? plugin : "?") + ": " +
                                (message ? message : ""));
  }
  static void MetricThunk(const strata_host_api*, const char*, const char*, double) {}
  static int32_t DeliverThunk(const strata_host_api* host, uint32_t channel, uint64_t from,
                              const uint8_t* p, size_t n, strata_error* err) {
    DeliverHandler h;
    {
      std::lock_guard<std::mutex> lock(Self(host)->mu_);
      h = Self(host)->deliver_;
    }
    if (!h) return SetError(err, STRATA_UNAVAILABLE, "the fake host takes no peer messages");
    const int32_t rc = h(channel, from, std::string(reinterpret_cast<const char*>(p), n));
    if (rc != STRATA_OK) return SetError(err, rc, "the receiver refused the message");
    return STRATA_OK;
  }
  static void CallThunk(const strata_host_api* host, const strata_call* call, strata_call_done done,
                        void* user) {
    if (Self(host)->handler_) {
      Self(host)->handler_(call, done, user);
    } else {
      done(user, STRATA_UNIMPLEMENTED, "fake host: no call handler", nullptr, 0);
    }
  }
  static void SubmitThunk(const strata_host_api* host, uint32_t, void (*fn)(void*), void* arg) {
    std::lock_guard<std::mutex> lock(Self(host)->mu_);
    Self(host)->submitted_.emplace_back([fn, arg] { fn(arg); });
  }
  static int32_t ParallelForThunk(const strata_host_api* host, uint32_t n,
                                  void (*fn)(void*, uint32_t), void* ctx, uint32_t max_threads,
                                  strata_error*) {
    uint32_t threads = Self(host)->threads_;
    if (max_threads != 0) threads = std::min(threads, max_threads);
    threads = std::max<uint32_t>(1, std::min(threads, n));
    std::atomic<uint32_t> next{0};
    std::atomic<uint32_t> active{0};
    auto worker = [&] {
      uint32_t now = ++active;
      uint32_t seen = Self(host)->max_parallel_.load();
      while (now > seen && !Self(host)->max_parallel_.compare_exchange_weak(seen, now)) {
      }
      for (uint32_t i = next++; i < n; i = next++) fn(ctx, i);
      --active;
    };
    std::vector<std::thread> pool;
    for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();
    return STRATA_OK;
  }
  static uint8_t IsCancelledThunk(const strata_host_api*, const strata_cancel* c) {
    return c != nullptr && c->is_cancelled != nullptr && c->is_cancelled(c->ctx) ? 1 : 0;
  }
  static int32_t ConfigThunk(const strata_host_api* host, const char* key, char* buf, size_t cap,
                             size_t* needed, strata_error* err) {
    auto it = Self(host)->config_.find(key);
    if (it == Self(host)->config_.end()) {
      return SetError(err, STRATA_NOT_FOUND, (std::string("no config key ") + key).c_str());
    }
    if (needed != nullptr) *needed = it->second.size() + 1;
    if (cap < it->second.size() + 1) return SetError(err, STRATA_OUT_OF_RANGE, "buffer too small");
    std::memcpy(buf, it->second.c_str(), it->second.size() + 1);
    return STRATA_OK;
  }

  strata_host_api api_{};
  const strata_storage_vtable* storage_ = nullptr;
  strata_fs* fs_ = nullptr;
  std::map<std::string, std::string> config_;
  CallHandler handler_;
  DeliverHandler deliver_;
  uint32_t threads_ = std::max(2u, std::thread::hardware_concurrency());
  std::atomic<uint32_t> max_parallel_{0};
  std::mutex mu_;
  std::vector<std::string> logs_;
  std::vector<std::thread> submitted_;
};

}  // namespace strata::sdk::testing

#endif  // STRATA_SDK_TESTING_FAKE_HOST_HPP_
