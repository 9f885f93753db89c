#include "runtime/thread_pool.h"

#include <atomic>

namespace strata::kernel {

ThreadPool::ThreadPool(uint32_t threads) {
  if (threads == 0) threads = 1;
  for (uint32_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::Submit(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void ThreadPool::Work() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

namespace {
thread_local WorkCounter* current_counter = nullptr;
}  // namespace

ScopedWorkCounter::ScopedWorkCounter(WorkCounter* counter) : previous_(current_counter) {
  current_counter = counter;
}

ScopedWorkCounter::~ScopedWorkCounter() { current_counter = previous_; }

void ThreadPool::ParallelFor(uint32_t n, const std::function<void(uint32_t)>& fn,
                             uint32_t max_threads) {
  if (n == 0) return;
  WorkCounter* counter = current_counter;
  if (counter != nullptr) {
    counter->total.fetch_add(n, std::memory_order_relaxed);
    const std::function<void(uint32_t)> counted = [&fn, counter](uint32_t i) {
      fn(i);
      counter->done.fetch_add(1, std::memory_order_relaxed);
    };
    ScopedWorkCounter none(nullptr);  // nested calls inside fn count for themselves only
    ParallelFor(n, counted, max_threads);
    return;
  }
  uint32_t helpers = size();
  if (max_threads != 0 && max_threads - 1 < helpers) helpers = max_threads - 1;
  if (helpers > n - 1) helpers = n - 1;
  struct Shared {
    std::atomic<uint32_t> next{0};
    std::mutex mu;
    std::condition_variable cv;
    uint32_t running = 0;  // helpers inside body()
    bool closed = false;   // the caller finished: helpers not started yet must not start
  };
  auto shared = std::make_shared<Shared>();
  auto body = [shared, n, &fn] {
    for (uint32_t i = shared->next++; i < n; i = shared->next++) fn(i);
  };
  for (uint32_t h = 0; h < helpers; ++h) {
    Submit([shared, body] {
      {
        std::lock_guard<std::mutex> lock(shared->mu);
        if (shared->closed) return;  // all work is done; `fn` may no longer exist
        ++shared->running;
      }
      body();
      std::lock_guard<std::mutex> lock(shared->mu);
      if (--shared->running == 0) shared->cv.notify_all();
    });
  }
  body();  // the caller works too, so nested calls from busy workers still make progress
  std::unique_lock<std::mutex> lock(shared->mu);
  shared->closed = true;
  shared->cv.wait(lock, [&] { return shared->running == 0; });
}

TimerService::TimerService() : thread_([this] { Run(); }) {}

TimerService::~TimerService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t TimerService::Start(uint64_t delay_ms, uint64_t period_ms, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_id_++;
  timers_[id] = {Clock::now() + std::chrono::milliseconds(delay_ms), period_ms, std::move(fn)};
  cv_.notify_all();
  return id;
}

void TimerService::Cancel(uint64_t id) {
  std::unique_lock<std::mutex> lock(mu_);
  timers_.erase(id);
  if (std::this_thread::get_id() == runner_id_) return;  // cancelling itself from its callback
  cv_.wait(lock, [&] { return running_ != id; });
}

void TimerService::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  runner_id_ = std::this_thread::get_id();
  while (!stopping_) {
    auto next = timers_.end();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (next == timers_.end() || it->second.due < next->second.due) next = it;
    }
    if (next == timers_.end()) {
      cv_.wait(lock);
      continue;
    }
    if (next->second.due > Clock::now()) {
      const Clock::time_point due = next->second.due;  // the node may be erased while we wait
      cv_.wait_until(lock, due);
      continue;
    }
    uint64_t id = next->first;
    std::function<void()> fn = next->second.fn;
    if (next->second.period_ms > 0) {
      next->second.due = Clock::now() + std::chrono::milliseconds(next->second.period_ms);
    } else {
      timers_.erase(next);
    }
    running_ = id;
    lock.unlock();
    fn();
    lock.lock();
    running_ = 0;
    cv_.notify_all();
  }
}

}  // namespace strata::kernel
