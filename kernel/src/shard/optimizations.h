// optimizations.h: what a shard's optimizer is doing and has done, for Qdrant's
// GET /collections/{name}/optimizations (running, completed, with a progress tree whose steps
// count done / total units of work).
//
// Concurrency: every method is thread-safe. The optimizer thread starts and finishes runs and
// adds steps; counters may be bumped from any thread (a plugin's parallel build through
// WorkCounter); readers take consistent copies.
#ifndef STRATA_KERNEL_SHARD_OPTIMIZATIONS_H_
#define STRATA_KERNEL_SHARD_OPTIMIZATIONS_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/thread_pool.h"

namespace strata::kernel {

// A copy of one step of an optimization (the root is the optimization itself).
struct ProgressView {
  std::string name;
  int64_t started_ms = 0;   // unix milliseconds; 0: not started
  int64_t finished_ms = 0;  // 0: still running
  std::optional<uint64_t> done, total;
  std::vector<ProgressView> children;
};

struct OptimizationView {
  std::string uuid;       // also the segment's identity once it finishes (Qdrant's meaning)
  std::string optimizer;  // "indexing", "vacuum", "payload_links"
  enum class Status { kOptimizing, kDone, kCancelled, kError } status = Status::kOptimizing;
  std::string message;  // why it was cancelled or failed
  std::string segment_uuid;
  uint64_t segment_points = 0;
  ProgressView progress;
};

class OptimizationLog {
 public:
  class Run;
  // One step of a run: counted through its WorkCounter (ParallelFor on the optimizer thread
  // while a ScopedWorkCounter for it is installed) or set directly.
  class Step {
   public:
    WorkCounter* counter() { return &counter_; }
    void SetTotal(uint64_t total) { counter_.total.store(total, std::memory_order_relaxed); }
    void Add(uint64_t done) { counter_.done.fetch_add(done, std::memory_order_relaxed); }

   private:
    friend class OptimizationLog;
    std::string name_;
    int64_t started_ms_ = 0, finished_ms_ = 0;  // guarded by the log's mutex
    bool counted_ = false;                      // done / total are reported
    WorkCounter counter_;
  };

  // Starts tracking one optimization of the segment `segment_uuid` holding `points` points.
  std::shared_ptr<Run> Start(const std::string& optimizer, const std::string& segment_uuid,
                             uint64_t points);
  // A new step of `run` (the previous step, if any, is finished). counted: it reports done /
  // total.
  Step* AddStep(Run* run, const std::string& name, bool counted);
  // Ends a run (its open step too); it moves to the completed list (the newest kMaxCompleted).
  void Finish(Run* run, OptimizationView::Status status, const std::string& message = "");

  std::vector<OptimizationView> Running() const;
  // Newest first, at most `limit`.
  std::vector<OptimizationView> Completed(size_t limit) const;

  static constexpr size_t kMaxCompleted = 64;

 private:
  ProgressView ViewOf(const Step& s) const;
  OptimizationView ViewOf(const Run& r) const;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Run>> running_;
  std::deque<std::shared_ptr<Run>> completed_;  // newest first
};

class OptimizationLog::Run {
 public:
  const std::string& uuid() const { return view_.uuid; }  // fixed at Start

 private:
  friend class OptimizationLog;
  OptimizationView view_;  // uuid, optimizer, status, message, segment (guarded by the log)
  int64_t started_ms_ = 0, finished_ms_ = 0;
  std::deque<Step> steps_;  // deque: Step pointers stay valid as steps are added
};

// A random version-4 UUID (for optimizations and segment identities).
std::string RandomUuid();
int64_t UnixMillis();

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SHARD_OPTIMIZATIONS_H_
