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
// Bodies of at least this size are decoded while they arrive (UpsertStream).
constexpr size_t kStreamDecodeBytes = 64 << 10;

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

// An upsert body decoded while it arrives: Feed() with what came so far decodes the points
// that are in; Finish() with the whole body decodes the rest, exactly as FastDecodeUpsert
// would decode the whole, or declines. A large body then costs after its last byte only the
// decode of what its last reads brought, not of all of it.
class UpsertStream {
 public:
  // `first_margin`: bytes past the array's start wanted before the first point is tried
  // (later, twice the size of the last point read).
  explicit UpsertStream(size_t first_margin = 16 << 10);
  UpsertStream(const UpsertStream&) = delete;
  UpsertStream& operator=(const UpsertStream&) = delete;
  // The body's first so_far.size() bytes (each call a longer prefix of the same body). Stops
  // early once `stop()` (asked between points) says so: the caller has the rest waiting.
  void Feed(std::string_view so_far, const std::function<bool()>& stop = nullptr);
  // The whole body: true with the request in request(), false when the general path must read
  // it (nothing is kept then).
  bool Finish(std::string_view body, SplitWorker* worker);
  qdrant::UpsertPoints* request() const { return request_; }
  // Points Feed decoded.
  size_t streamed() const { return streamed_; }

 private:
  static google::protobuf::ArenaOptions ArenaOptions();
  enum class State { kStart, kPoints, kEnded, kWhole };
  google::protobuf::Arena arena_;
  qdrant::UpsertPoints* request_ = nullptr;
  State state_ = State::kStart;
  size_t pos_ = 0;  // where the next point starts (kPoints) or the array ended
  size_t margin_;   // bytes wanted past pos_ before a point is tried
  size_t streamed_ = 0;
};

// One JSON number at `*p` (strict JSON grammar), as the nearest double; advances `*p` past it.
// Exposed for tests.
bool ParseJsonDouble(const char** p, const char* end, double* out);
// The same number as a vector component: the float nearest to that double, read as the
// decoder reads components (with SSE4.1 where the CPU has it; `portable`: without).
bool ParseJsonFloat(const char** p, const char* end, float* out, bool portable = false);

}  // namespace strata::rest

#endif  // STRATA_PLUGINS_API_REST_FAST_UPSERT_H_
