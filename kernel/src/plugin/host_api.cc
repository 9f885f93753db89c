#include "plugin/host_api.h"

#include <cstring>
#include <thread>

#include "common/logging.h"
#include "server/config.h"
#include "service/kernel_service.h"
#include "strata/sdk/params.hpp"

namespace strata::kernel {
namespace {

uint32_t DefaultThreads(uint32_t requested) {
  if (requested != 0) return requested;
  uint32_t hw = std::thread::hardware_concurrency();
  return hw == 0 ? 2 : hw;
}

}  // namespace

HostServices& HostServices::Self(const strata_host_api* host) {
  return *static_cast<HostServices*>(host->host_ctx);
}

HostServices::HostServices(const Config* config, const KernelService* service, std::string build_id,
                           std::string version, uint32_t threads)
    : config_(config),
      service_(service),
      build_id_(std::move(build_id)),
      version_(std::move(version)),
      pool_(DefaultThreads(threads)) {
  api_.struct_size = sizeof(strata_host_api);
  api_.abi_major = STRATA_ABI_MAJOR;
  api_.abi_minor = STRATA_ABI_MINOR;
  api_.build_id = build_id_.c_str();
  api_.version = version_.c_str();
  api_.host_ctx = this;
  api_.log = [](const strata_host_api*, int32_t level, const char* plugin, const char* message) {
    LogLevel l = level <= STRATA_LOG_DEBUG  ? LogLevel::kDebug
                 : level == STRATA_LOG_INFO ? LogLevel::kInfo
                 : level == STRATA_LOG_WARN ? LogLevel::kWarn
                                            : LogLevel::kError;
    Logger::Log(l, plugin ? plugin : "plugin", message ? message : "");
  };
  api_.metric_add = [](const strata_host_api*, const char*, const char*, double) {};
  api_.call = [](const strata_host_api* host, const strata_call* call, strata_call_done done,
                 void* user) {
    if (call == nullptr) {
      done(user, STRATA_INVALID_ARGUMENT, "call: NULL request", nullptr, 0);
      return;
    }
    Self(host).service_->Call(*call, done, user);
  };
  api_.call_stream = [](const strata_host_api*, const strata_call* call,
                        int32_t (*)(void*, const uint8_t*, size_t), strata_call_done done,
                        void* user) {
    done(user, STRATA_UNIMPLEMENTED, "no streaming method is implemented yet", nullptr, 0);
  };
  api_.deliver_peer_message = [](const strata_host_api*, uint32_t channel, uint64_t, const uint8_t*,
                                 size_t, strata_error* err) -> int32_t {
    return SetError(err, STRATA_UNAVAILABLE,
                    ("no receiver for peer channel " + std::to_string(channel) +
                     " (cluster mode is not implemented yet)")
                        .c_str());
  };
  api_.submit = [](const strata_host_api* host, uint32_t, void (*fn)(void*), void* arg) {
    Self(host).pool_.Submit([fn, arg] { fn(arg); });
  };
  api_.parallel_for = [](const strata_host_api* host, uint32_t n, void (*fn)(void*, uint32_t),
                         void* ctx, uint32_t max_threads, strata_error*) -> int32_t {
    Self(host).pool_.ParallelFor(
        n, [fn, ctx](uint32_t i) { fn(ctx, i); }, max_threads);
    return STRATA_OK;
  };
  api_.is_cancelled = [](const strata_host_api*, const strata_cancel* c) -> uint8_t {
    return sdk::Cancel(c).IsCancelled() ? 1 : 0;
  };
  api_.timer_start = [](const strata_host_api* host, uint64_t delay, uint64_t period,
                        void (*fn)(void*), void* arg) -> uint64_t {
    return Self(host).timers_.Start(delay, period, [fn, arg] { fn(arg); });
  };
  api_.timer_cancel = [](const strata_host_api* host, uint64_t id) {
    Self(host).timers_.Cancel(id);
  };
  api_.config_get = [](const strata_host_api* host, const char* key, char* buf, size_t cap,
                       size_t* needed, strata_error* err) -> int32_t {
    const Config* config = Self(host).config_;
    std::optional<std::string> v = config ? config->Get(key ? key : "") : std::nullopt;
    if (!v) {
      return SetError(
          err, STRATA_NOT_FOUND,
          (std::string("configuration key ") + (key ? key : "") + " is not set").c_str());
    }
    if (needed != nullptr) *needed = v->size() + 1;
    if (buf == nullptr || cap < v->size() + 1) {
      return SetError(err, STRATA_OUT_OF_RANGE, "buffer too small for the configuration value");
    }
    std::memcpy(buf, v->c_str(), v->size() + 1);
    return STRATA_OK;
  };
}

HostServices::~HostServices() = default;

void HostServices::SetStorage(const strata_storage_vtable* storage, strata_fs* fs) {
  api_.storage = storage;
  api_.fs = fs;
}

}  // namespace strata::kernel
