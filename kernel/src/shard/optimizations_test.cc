#include "shard/optimizations.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace strata::kernel {
namespace {

TEST(OptimizationLogTest, RunsMoveFromRunningToCompletedNewestFirstWithTheirSteps) {
  OptimizationLog log;
  ThreadPool pool(2);
  std::shared_ptr<OptimizationLog::Run> a = log.Start("indexing", "seg-1", 100);
  OptimizationLog::Step* build = log.AddStep(a.get(), "build", true);
  {
    ScopedWorkCounter counted(build->counter());
    pool.ParallelFor(40, [](uint32_t) {});
  }
  ASSERT_EQ(log.Running().size(), 1u);
  const OptimizationView running = log.Running()[0];
  EXPECT_EQ(running.status, OptimizationView::Status::kOptimizing);
  EXPECT_EQ(running.progress.name, "indexing");
  ASSERT_EQ(running.progress.children.size(), 1u);
  EXPECT_EQ(running.progress.children[0].done, 40u);
  EXPECT_EQ(running.progress.children[0].total, 40u);
  EXPECT_EQ(running.progress.children[0].finished_ms, 0) << "still the open step";
  log.AddStep(a.get(), "save", false);  // finishes "build"
  log.Finish(a.get(), OptimizationView::Status::kDone);

  std::shared_ptr<OptimizationLog::Run> b = log.Start("vacuum", "seg-2", 7);
  log.Finish(b.get(), OptimizationView::Status::kError, "disk full");
  EXPECT_TRUE(log.Running().empty());
  const std::vector<OptimizationView> done = log.Completed(10);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].optimizer, "vacuum");  // newest first
  EXPECT_EQ(done[0].status, OptimizationView::Status::kError);
  EXPECT_EQ(done[0].message, "disk full");
  EXPECT_EQ(done[1].optimizer, "indexing");
  EXPECT_EQ(done[1].segment_uuid, "seg-1");
  EXPECT_EQ(done[1].segment_points, 100u);
  ASSERT_EQ(done[1].progress.children.size(), 2u);
  EXPECT_NE(done[1].progress.children[0].finished_ms, 0);
  EXPECT_FALSE(done[1].progress.children[1].done.has_value()) << "an uncounted step";
  EXPECT_GE(done[1].progress.finished_ms, done[1].progress.started_ms);
  EXPECT_EQ(log.Completed(1).size(), 1u);

  for (size_t i = 0; i < OptimizationLog::kMaxCompleted + 5; ++i) {
    log.Finish(log.Start("indexing", "s", 1).get(), OptimizationView::Status::kDone);
  }
  EXPECT_EQ(log.Completed(1000).size(), OptimizationLog::kMaxCompleted) << "bounded history";
}

TEST(OptimizationLogTest, UuidsAreRandomVersion4) {
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string u = RandomUuid();
    EXPECT_TRUE(std::regex_match(u, v4)) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace strata::kernel
