#include "wal/wal.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "common/crc32c.h"
#include "storage/fault_fs.h"
#include "storage/posix_fs.h"

namespace strata::kernel {
namespace {

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-wal-XXXXXX";
    root_ = mkdtemp(tmpl);
    fs_ = *OwnedFs::Open(PosixStorageVtable(), root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<Wal> OpenWal(WalRecovery* rec = nullptr, uint64_t capacity = 1 << 20) {
    WalOptions o;
    o.segment_capacity = capacity;
    Result<std::unique_ptr<Wal>> w = Wal::Open(fs_->view(), "wal", o, rec);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(w).value() : nullptr;
  }
  std::vector<std::string> ReplayAll(const Wal& wal, uint64_t from = 1) {
    std::vector<std::string> out;
    uint64_t expect = 0;
    Status s = wal.Replay(from, [&](uint64_t seq, std::string_view p) {
      if (expect != 0) EXPECT_EQ(seq, expect);
      expect = seq + 1;
      out.emplace_back(p);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  std::vector<std::string> SegmentFiles() {
    std::vector<std::string> files;
    for (auto& e : std::filesystem::directory_iterator(root_ + "/wal")) {
      files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }
  static std::string Payload(int i) {
    return "record-" + std::to_string(i) + std::string(i % 13, 'x');
  }

  std::string root_;
  std::unique_ptr<OwnedFs> fs_;
};

TEST_F(WalTest, AppendReplayAcrossReopenAndRotation) {
  {
    auto wal = OpenWal(nullptr, 4096);
    for (int i = 0; i < 500; ++i) ASSERT_EQ(*wal->AppendDurable(Payload(i)), uint64_t(i + 1));
    EXPECT_GT(wal->segment_count(), 3u) << "small capacity must rotate";
  }
  WalRecovery rec;
  auto wal = OpenWal(&rec, 4096);
  EXPECT_EQ(rec.first_seq, 1u);
  EXPECT_EQ(rec.last_seq, 500u);
  EXPECT_EQ(rec.dropped_tail_bytes, 0u);
  auto all = ReplayAll(*wal);
  ASSERT_EQ(all.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(all[i], Payload(i));
  EXPECT_EQ(ReplayAll(*wal, 451).size(), 50u);
  EXPECT_EQ(*wal->AppendDurable("after reopen"), 501u);
}

TEST_F(WalTest, TruncatePrefixDropsWholeOldSegmentsOnly) {
  auto wal = OpenWal(nullptr, 2048);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(wal->AppendDurable(Payload(i)).ok());
  size_t before = wal->segment_count();
  ASSERT_TRUE(wal->TruncatePrefix(200).ok());
  EXPECT_LT(wal->segment_count(), before);
  EXPECT_LE(wal->first_seq(), 200u);
  auto rest = ReplayAll(*wal, wal->first_seq());
  EXPECT_EQ(rest.back(), Payload(299));
  ASSERT_TRUE(wal->TruncatePrefix(1000).ok());
  EXPECT_EQ(wal->segment_count(), 1u) << "the last segment is never deleted";
  wal.reset();
  WalRecovery rec;
  wal = OpenWal(&rec, 2048);
  EXPECT_EQ(rec.last_seq, 300u);
  EXPECT_EQ(*wal->AppendDurable("x"), 301u) << "numbering continues after truncation";
}

TEST_F(WalTest, TornTailIsTruncatedWithAWarningAndWritingGoesOn) {
  {
    auto wal = OpenWal();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(wal->AppendDurable(Payload(i)).ok());
  }
  std::string last = SegmentFiles().back();
  {
    std::ofstream out(last, std::ios::app | std::ios::binary);
    std::string partial = std::string("\x40\x00\x00\x00\x12\x34", 6) + "half a rec";
    out.write(partial.data(), static_cast<std::streamsize>(partial.size()));
  }
  WalRecovery rec;
  auto wal = OpenWal(&rec);
  EXPECT_EQ(rec.last_seq, 10u);
  EXPECT_EQ(rec.dropped_tail_bytes, 16u);
  EXPECT_EQ(rec.tail_segment, "wal/" + std::filesystem::path(last).filename().string());
  EXPECT_EQ(*wal->AppendDurable("eleven"), 11u);
  wal.reset();
  WalRecovery again;
  wal = OpenWal(&again);
  EXPECT_EQ(again.dropped_tail_bytes, 0u);
  EXPECT_EQ(ReplayAll(*wal).back(), "eleven");
}

TEST_F(WalTest, CorruptionInTheMiddleIsDataLossNamingFileAndOffset) {
  {
    auto wal = OpenWal();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(wal->AppendDurable(Payload(i)).ok());
  }
  std::string last = SegmentFiles().back();
  {
    std::fstream f(last, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(32 + 16 + 2);  // inside the first record's payload
    f.put('#');
  }
  WalOptions o;
  Result<std::unique_ptr<Wal>> w = Wal::Open(fs_->view(), "wal", o);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(w.status().message().find("offset 32"), std::string::npos) << w.status().message();
  EXPECT_NE(w.status().message().find("wal-00000000000000000001.log"), std::string::npos);
}

TEST_F(WalTest, CorruptionInAnOlderSegmentIsDataLoss) {
  {
    auto wal = OpenWal(nullptr, 1024);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(wal->AppendDurable(Payload(i)).ok());
  }
  std::string first = SegmentFiles().front();
  // Cut into the last record itself (not only its padding).
  std::filesystem::resize_file(first, std::filesystem::file_size(first) - 20);
  Result<std::unique_ptr<Wal>> w = Wal::Open(fs_->view(), "wal", WalOptions{1024});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kDataLoss) << w.status().ToString();
}

TEST_F(WalTest, ForeignAndTemporaryFilesDoNotBlockStartup) {
  { OpenWal(); }
  std::ofstream(root_ + "/wal/wal-00000000000000000001.log.tmp-strata") << "half written";
  std::ofstream(root_ + "/wal/notes.txt") << "hello";
  WalRecovery rec;
  auto wal = OpenWal(&rec);
  ASSERT_NE(wal, nullptr);
  EXPECT_EQ(rec.ignored_files.size(), 2u);
}

TEST_F(WalTest, UnknownVersionIsRefused) {
  { OpenWal(); }
  std::string seg = SegmentFiles().front();
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    char header[32];
    f.read(header, 32);
    header[8] = 2;  // version 2, with a matching header CRC
    uint32_t crc = Crc32c(header, 24);
    std::memcpy(header + 24, &crc, 4);
    f.seekp(0);
    f.write(header, 32);
  }
  Result<std::unique_ptr<Wal>> w = Wal::Open(fs_->view(), "wal", WalOptions{});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(w.status().message().find("version 2"), std::string::npos);
}

TEST_F(WalTest, CrashDropsOnlyUnacknowledgedRecords) {
  auto state = std::make_shared<FaultState>();
  {
    auto fault = *OpenFaultFs(PosixStorageVtable(), root_, state);
    WalOptions o;
    o.segment_capacity = 2048;
    auto wal = *Wal::Open(fault->view(), "wal", o);
    for (int i = 0; i < 120; ++i) ASSERT_TRUE(wal->AppendDurable(Payload(i)).ok());
    for (int i = 120; i < 130; ++i) ASSERT_TRUE(wal->Append(Payload(i)).ok());  // not acked
    state->Crash();
    EXPECT_FALSE(wal->Append("after crash").ok()) << "a dead process writes nothing";
  }
  WalRecovery rec;
  auto wal = OpenWal(&rec, 2048);
  EXPECT_EQ(rec.last_seq, 120u) << "exactly the acknowledged records survive";
  auto all = ReplayAll(*wal);
  ASSERT_EQ(all.size(), 120u);
  EXPECT_EQ(all.back(), Payload(119));
}

TEST_F(WalTest, FailedSyncPoisonsTheLog) {
  auto state = std::make_shared<FaultState>();
  auto fault = *OpenFaultFs(PosixStorageVtable(), root_, state);
  auto wal = *Wal::Open(fault->view(), "wal", WalOptions{});
  ASSERT_TRUE(wal->AppendDurable("one").ok());
  ASSERT_TRUE(wal->Append("two").ok());
  state->FailNth(1, StatusCode::kInternal);  // the next operation: the sync
  EXPECT_FALSE(wal->Sync(2).ok());
  Result<uint64_t> after = wal->Append("three");
  EXPECT_FALSE(after.ok()) << "after a failed fsync the log must refuse writes";
}

TEST_F(WalTest, NoSpaceLeavesNoPartialRecord) {
  auto state = std::make_shared<FaultState>();
  {
    auto fault = *OpenFaultFs(PosixStorageVtable(), root_, state);
    auto wal = *Wal::Open(fault->view(), "wal", WalOptions{});
    ASSERT_TRUE(wal->AppendDurable("fits").ok());
    state->SetSpaceBudget(10);
    Result<uint64_t> big = wal->AppendDurable(std::string(100, 'z'));
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
    state->SetSpaceBudget(-1);
    EXPECT_EQ(*wal->AppendDurable("space again"), 2u);
  }
  WalRecovery rec;
  auto wal = OpenWal(&rec);
  EXPECT_EQ(rec.dropped_tail_bytes, 0u);
  EXPECT_EQ(ReplayAll(*wal), (std::vector<std::string>{"fits", "space again"}));
}

TEST_F(WalTest, ConcurrentWritersShareFsyncsAndGetUniqueSequenceNumbers) {
  auto wal = OpenWal(nullptr, 64 << 10);
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<uint64_t> seqs;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Result<uint64_t> s = wal->AppendDurable("t" + std::to_string(t) + "-" + std::to_string(i));
        ASSERT_TRUE(s.ok());
        std::lock_guard<std::mutex> l(mu);
        seqs.insert(*s);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seqs.size(), 800u);
  EXPECT_EQ(*seqs.rbegin(), 800u);
  EXPECT_EQ(ReplayAll(*wal).size(), 800u);
}

TEST_F(WalTest, RejectsEmptyAndOversizedRecords) {
  auto wal = OpenWal();
  EXPECT_EQ(wal->Append("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wal->Append(std::string(Wal::kMaxRecord + 1, 'a')).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(wal->last_seq(), 0u);
}

}  // namespace
}  // namespace strata::kernel

namespace strata::kernel {
namespace {

// A restored shard's empty WAL continues the numbering after its snapshot, across reopens.
TEST_F(WalTest, SkipToMovesTheNumberingOfAnEmptyLogOnly) {
  {
    std::unique_ptr<Wal> wal = OpenWal();
    ASSERT_TRUE(wal->SkipTo(1000).ok());
    EXPECT_EQ(wal->last_seq(), 999u);
    EXPECT_EQ(wal->first_seq(), 0u) << "still empty";
    Result<uint64_t> seq = wal->AppendDurable("a");
    ASSERT_TRUE(seq.ok());
    EXPECT_EQ(*seq, 1000u);
    EXPECT_EQ(wal->SkipTo(5000).code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(wal->SkipTo(10).ok()) << "backwards is a no-op";
  }
  EXPECT_EQ(SegmentFiles().size(), 1u) << "the empty segment before the skip is gone";
  WalRecovery rec;
  std::unique_ptr<Wal> wal = OpenWal(&rec);
  EXPECT_EQ(rec.first_seq, 1000u);
  EXPECT_EQ(rec.last_seq, 1000u);
  EXPECT_EQ(ReplayAll(*wal, 1000), std::vector<std::string>{"a"});
  ASSERT_EQ(*wal->AppendDurable("b"), 1001u);
}

}  // namespace
}  // namespace strata::kernel
