#include "storage/fault_fs.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "storage/posix_fs.h"

namespace strata::kernel {
namespace {

class FaultFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-fault-XXXXXX";
    root_ = mkdtemp(tmpl);
    state_ = std::make_shared<FaultState>();
    fault_ = *OpenFaultFs(PosixStorageVtable(), root_, state_);
    plain_ = *OwnedFs::Open(PosixStorageVtable(), root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  FileSystem fs() { return fault_->view(); }

  std::string root_;
  std::shared_ptr<FaultState> state_;
  std::unique_ptr<OwnedFs> fault_;
  std::unique_ptr<OwnedFs> plain_;
};

TEST_F(FaultFsTest, CrashKeepsSyncedDataAndDropsTheRest) {
  ASSERT_TRUE(fs().MakeDirs("d").ok());
  ASSERT_TRUE(fs().SyncDir("").ok());
  auto f = *fs().Open("d/a", STRATA_OPEN_WRITE | STRATA_OPEN_CREATE);
  ASSERT_TRUE(f->Append("durable", 7).ok());
  ASSERT_TRUE(f->Sync(true).ok());
  ASSERT_TRUE(fs().SyncDir("d").ok());
  ASSERT_TRUE(f->Append(" lost", 5).ok());
  auto g = *fs().Open("d/b", STRATA_OPEN_WRITE | STRATA_OPEN_CREATE);  // dir never synced again
  ASSERT_TRUE(g->Append("gone", 4).ok());
  ASSERT_TRUE(g->Sync(true).ok());
  state_->Crash();
  EXPECT_EQ(*plain_->view().ReadAll("d/a"), "durable");
  EXPECT_FALSE(*plain_->view().Exists("d/b")) << "a file whose directory was not synced";
  EXPECT_EQ(f->Append("x", 1).status().code(), StatusCode::kUnavailable);
}

TEST_F(FaultFsTest, FailNthFailsExactlyThatOperation) {
  auto f = *fs().Open("x", STRATA_OPEN_WRITE | STRATA_OPEN_CREATE);
  state_->FailNth(2, StatusCode::kDataLoss);
  EXPECT_TRUE(f->Append("1", 1).ok());
  Result<uint64_t> second = f->Append("2", 1);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(second.status().message().find("injected"), std::string::npos);
  EXPECT_TRUE(f->Append("3", 1).ok());
  EXPECT_EQ(*plain_->view().ReadAll("x"), "13");
}

TEST_F(FaultFsTest, SpaceBudgetRunsOut) {
  auto f = *fs().Open("s", STRATA_OPEN_WRITE | STRATA_OPEN_CREATE);
  state_->SetSpaceBudget(8);
  EXPECT_TRUE(f->Append("12345", 5).ok());
  Result<uint64_t> full = f->Append("67890", 5);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("No space left"), std::string::npos);
}

}  // namespace
}  // namespace strata::kernel
