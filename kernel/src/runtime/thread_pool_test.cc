#include "runtime/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>

namespace strata::kernel {
namespace {

TEST(ThreadPoolTest, ParallelForCoversEveryIndexOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.ParallelFor(1000, [&](uint32_t i) { ++hits[i]; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPoolTest, AWorkCounterCountsTheCallingThreadsParallelFors) {
  ThreadPool pool(3);
  WorkCounter counter;
  std::atomic<uint64_t> seen_done{0};
  {
    ScopedWorkCounter scope(&counter);
    pool.ParallelFor(100, [](uint32_t) {});
    // Items finished before this one are counted while the call runs.
    pool.ParallelFor(1, [&](uint32_t) { seen_done = counter.done.load(); });
  }
  EXPECT_EQ(counter.total.load(), 101u);
  EXPECT_EQ(counter.done.load(), 101u);
  EXPECT_EQ(seen_done.load(), 100u);
  pool.ParallelFor(10, [](uint32_t) {});  // outside the scope: not counted
  EXPECT_EQ(counter.total.load(), 101u);
}

TEST(ThreadPoolTest, MaxThreadsIsRespected) {
  ThreadPool pool(4);
  std::atomic<int> active{0}, peak{0};
  pool.ParallelFor(
      64,
      [&](uint32_t) {
        int now = ++active;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --active;
      },
      2);
  EXPECT_LE(peak.load(), 2);
}

TEST(ThreadPoolTest, NestedParallelForFromWorkersCompletes) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  pool.ParallelFor(4, [&](uint32_t) { pool.ParallelFor(10, [&](uint32_t) { ++total; }); });
  EXPECT_EQ(total.load(), 40);
}

TEST(ThreadPoolTest, SubmitRunsEveryTaskBeforeDestruction) {
  std::atomic<int> done{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) pool.Submit([&] { ++done; });
  }
  EXPECT_EQ(done.load(), 100);
}

TEST(TimerServiceTest, OneShotAndPeriodicAndCancel) {
  TimerService timers;
  std::promise<void> fired;
  timers.Start(5, 0, [&] { fired.set_value(); });
  EXPECT_EQ(fired.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);

  std::atomic<int> ticks{0};
  uint64_t id = timers.Start(0, 2, [&] { ++ticks; });
  while (ticks.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  timers.Cancel(id);
  int after_cancel = ticks.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ticks.load(), after_cancel) << "a cancelled timer must not run again";
}

}  // namespace
}  // namespace strata::kernel
