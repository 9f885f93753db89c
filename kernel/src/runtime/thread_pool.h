// thread_pool.h: the kernel's executors: a fixed worker pool with ParallelFor, and timers.
//
// Concurrency: all methods are thread-safe. ParallelFor may be called from a pool worker: the
// caller takes part in the work, so nested use cannot deadlock.
#ifndef STRATA_KERNEL_RUNTIME_THREAD_POOL_H_
#define STRATA_KERNEL_RUNTIME_THREAD_POOL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace strata::kernel {

// Units of work ParallelFor calls count (total += n when a call starts, done += 1 per item
// finished), for the optimizer's progress: installed on the calling thread by
// ScopedWorkCounter, so a plugin's parallel build is counted without knowing about it.
struct WorkCounter {
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> total{0};
};
class ScopedWorkCounter {
 public:
  explicit ScopedWorkCounter(WorkCounter* counter);
  ~ScopedWorkCounter();
  ScopedWorkCounter(const ScopedWorkCounter&) = delete;
  ScopedWorkCounter& operator=(const ScopedWorkCounter&) = delete;

 private:
  WorkCounter* previous_;
};

class ThreadPool {
 public:
  explicit ThreadPool(uint32_t threads);
  ~ThreadPool();  // finishes queued work, joins workers
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Submit(std::function<void()> fn);
  // fn(i) for i in [0, n) on at most max_threads threads (0 = all workers + caller); counted
  // in the calling thread's WorkCounter, if any.
  void ParallelFor(uint32_t n, const std::function<void(uint32_t)>& fn, uint32_t max_threads = 0);
  uint32_t size() const { return static_cast<uint32_t>(workers_.size()); }

 private:
  void Work();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// One thread running delayed and periodic callbacks in deadline order.
class TimerService {
 public:
  TimerService();
  ~TimerService();
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  uint64_t Start(uint64_t delay_ms, uint64_t period_ms, std::function<void()> fn);
  // When Cancel returns, the callback is not running and will not run again (unless Cancel is
  // called from inside that very callback, which is allowed).
  void Cancel(uint64_t id);

 private:
  using Clock = std::chrono::steady_clock;
  struct Timer {
    Clock::time_point due;
    uint64_t period_ms;
    std::function<void()> fn;
  };
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Timer> timers_;
  uint64_t next_id_ = 1;
  uint64_t running_ = 0;  // id whose callback is executing, 0 = none
  std::thread::id runner_id_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_RUNTIME_THREAD_POOL_H_
