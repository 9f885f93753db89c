// fast_upsert.h: a direct JSON -> qdrant::UpsertPoints decoder for the common REST upsert body,
// {"points": [{"id": ..., "vector": [numbers], "payload": {...}}, ...]}, without building a DOM.
//
// It is only an accelerator: it either decodes the whole body into exactly what the general
// path (RapidJSON DOM + json_codec) would produce, or answers false and the caller takes the
// general path, which also words every error. Anything unusual (named or sparse vectors, the
// batch form, shard keys, unknown or repeated fields, malformed JSON) answers false.
#ifndef STRATA_PLUGINS_API_REST_FAST_UPSERT_H_
#define STRATA_PLUGINS_API_REST_FAST_UPSERT_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "points.pb.h"

namespace strata::rest {

// Bodies of at least this size, decoded into an arena-allocated message with a SplitWorker at
// hand, are split in two and decoded on two threads (see FastDecodeUpsert).
constexpr size_t kParallelDecodeBytes = 256 << 10;

// One standing thread that decodes the second half of large bodies. A standing thread, not one
// per request: a fresh thread often waits for the scheduler to move it to the idle core, which
// cost most of the gain. The owner destroys it (joining the thread) when it stops.
class SplitWorker {
 public:
  SplitWorker();
  ~SplitWorker();
  SplitWorker(const SplitWorker&) = delete;
  SplitWorker& operator=(const SplitWorker&) = delete;
  // Runs `job` on the worker when it is idle (true; then Wait() before using what it wrote);
  // false when it is busy with another request's half.
  bool TryStart(std::function<void()> job);
  void Wait();
  // How much of a body of `body_bytes` the worker should take: half, less what the caller
  // decodes while the worker wakes up (from the moving averages Record keeps).
  size_t TailBytes(size_t body_bytes);
  // One split decode: the worker started `wake_ns` after it was asked; the caller decoded
  // `head_bytes` in `head_ns`.
  void Record(int64_t wake_ns, size_t head_bytes, int64_t head_ns);

 private:
  void Loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stopping_ = false;
  double wake_ns_ = 0;         // moving average of the worker's wake-up delay
  double bytes_per_ns_ = 0.8;  // moving average of the decode speed (about 0.8 GB/s)
  std::thread thread_;
};

bool FastDecodeUpsert(std::string_view body, qdrant::UpsertPoints* out,
                      SplitWorker* worker = nullptr);

// One JSON number at `*p` (strict JSON grammar), as the nearest double; advances `*p` past it.
// Exposed for tests.
bool ParseJsonDouble(const char** p, const char* end, double* out);
// The same number as a vector component: the float nearest to that double, read as the
// decoder reads components (with SSE4.1 where the CPU has it; `portable`: without).
bool ParseJsonFloat(const char** p, const char* end, float* out, bool portable = false);

}  // namespace strata::rest

#endif  // STRATA_PLUGINS_API_REST_FAST_UPSERT_H_
