// Crash safety: (1) a real process upserting with wait=true is killed with SIGKILL at random
// moments; (2) the fault-injecting backend drops every unsynced byte at a random moment. After
// each restart every acknowledged point is present with its payload and vector, and every batch
// is all-or-nothing. Payloads are on disk (Qdrant's default) for the killed process; the fault
// test alternates on disk and in memory.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "collection/toc.h"
#include "crash_common.h"
#include "storage/fault_fs.h"
#include "storage/posix_fs.h"
#include "strata/abi/strata_methods.h"

namespace strata::kernel {
namespace {

// Checks the directory: returns the set of complete batches present; fails the test on any
// partially present batch or wrong content. marks: the batches were written by crash_writer
// (crash::WriterRequest): batch b's points carry "next": b + 1 exactly when batch b + 1 is
// present.
std::set<uint64_t> VerifyBatches(const std::string& root, uint64_t max_batch, bool marks = false) {
  std::set<uint64_t> present;
  std::map<uint64_t, int64_t> next;  // batch -> its points' "next" (-1: absent)
  auto fs = OwnedFs::Open(PosixStorageVtable(), root);
  EXPECT_TRUE(fs.ok());
  ShardOptions options;
  options.snapshot_every_ops = crash::kSnapshotEveryOps;
  auto toc = Toc::Open((*fs)->view(), options);
  EXPECT_TRUE(toc.ok()) << toc.status().ToString();
  if (!toc.ok()) return present;
  auto coll = (*toc)->Find(crash::kCollection);
  if (!coll.ok()) return present;  // killed before the collection existed
  for (uint64_t b = 0; b <= max_batch; ++b) {
    qdrant::GetPoints get;
    get.set_collection_name(crash::kCollection);
    for (uint64_t id = b * crash::kBatch; id < (b + 1) * crash::kBatch; ++id) {
      get.add_ids()->set_num(id);
    }
    get.mutable_with_payload()->set_enable(true);
    get.mutable_with_vectors()->set_enable(true);
    qdrant::GetResponse resp;
    EXPECT_TRUE((*coll)->shard().Get(get, &resp).ok());
    if (resp.result_size() == 0) continue;
    EXPECT_EQ(resp.result_size(), static_cast<int>(crash::kBatch)) << "batch " << b << " is torn";
    for (const auto& p : resp.result()) {
      uint64_t id = p.id().num();
      EXPECT_EQ(p.payload().at("batch").integer_value(), static_cast<int64_t>(b));
      const auto mark = p.payload().find("next");
      const int64_t n = mark == p.payload().end() ? -1 : mark->second.integer_value();
      if (next.count(b) == 0) next[b] = n;
      EXPECT_EQ(next[b], n) << "batch " << b << " is marked partly";
      EXPECT_EQ(p.payload().at("tag").string_value(), "point-" + std::to_string(id));
      const auto& v = p.vectors().vector().dense().data();
      EXPECT_EQ(v.size(), static_cast<int>(crash::kDim));
      for (int d = 0; d < v.size(); ++d) EXPECT_EQ(v[d], crash::Component(id, d)) << id;
    }
    present.insert(b);
  }
  if (marks) {
    for (uint64_t b : present) {
      const int64_t want = present.count(b + 1) ? static_cast<int64_t>(b + 1) : -1;
      EXPECT_EQ(next[b], want) << "batch " << b << ": the filtered mark of batch " << b + 1;
    }
  }
  return present;
}

TEST(CrashTest, KilledWriterProcessLosesNoAcknowledgedBatch) {
  char tmpl[] = "/tmp/strata-crash-XXXXXX";
  std::string root = mkdtemp(tmpl);
  std::mt19937 rng(1234);
  uint64_t next_batch = 0;
  uint64_t total_acked = 0;
  for (int round = 0; round < 24; ++round) {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_t pid = fork();
    if (pid == 0) {
      dup2(out[1], 1);
      close(out[0]);
      std::string first = std::to_string(next_batch);
      execl(CRASH_WRITER, CRASH_WRITER, root.c_str(), first.c_str(), nullptr);
      _exit(127);
    }
    close(out[1]);
    std::atomic<uint64_t> last_ack{UINT64_MAX};
    std::thread reader([&] {
      FILE* f = fdopen(out[0], "r");
      char line[64];
      while (fgets(line, sizeof(line), f)) {
        unsigned long long b = 0;
        if (std::sscanf(line, "ACK %llu", &b) == 1) last_ack = b;
      }
      fclose(f);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 200));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    reader.join();
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped on its own in round " << round;
    const uint64_t acked = last_ack.load();
    std::set<uint64_t> present = VerifyBatches(root, next_batch + 100000, /*marks=*/true);
    if (acked != UINT64_MAX) {
      for (uint64_t b = next_batch; b <= acked; ++b) {
        ASSERT_TRUE(present.count(b))
            << "round " << round << ": acknowledged batch " << b << " is missing";
      }
      total_acked += acked + 1 - next_batch;
    }
    // Continue after everything on disk (an unacknowledged but durable batch may be present).
    if (!present.empty()) next_batch = *present.rbegin() + 1;
  }
  std::printf("acknowledged batches across 24 kills: %llu\n",
              static_cast<unsigned long long>(total_acked));
  EXPECT_GT(total_acked, 24u) << "the writer must make progress between kills";
  std::filesystem::remove_all(root);
}

TEST(CrashTest, DroppedUnsyncedDataLosesNoAcknowledgedBatch) {
  std::mt19937 rng(99);
  for (int round = 0; round < 20; ++round) {
    char tmpl[] = "/tmp/strata-faultcrash-XXXXXX";
    std::string root = mkdtemp(tmpl);
    auto state = std::make_shared<FaultState>();
    uint64_t acked = 0;
    bool any = false;
    {
      auto fs = *OpenFaultFs(PosixStorageVtable(), root, state);
      ShardOptions opts;
      opts.snapshot_every_ops = 7;  // snapshots and WAL truncation happen mid-run too
      auto toc = *Toc::Open(fs->view(), opts);
      // Payloads on disk in odd rounds, in memory in even ones.
      ASSERT_TRUE(toc->Create(crash::CreateRequest(round % 2 == 1)).ok());
      auto coll = *toc->Find(crash::kCollection);
      const int crash_after = 1 + static_cast<int>(rng() % 40);
      for (uint64_t b = 0;; ++b) {
        if (static_cast<int>(b) == crash_after) {
          // An in-flight write racing the crash: whatever it managed stays unacknowledged.
          std::thread racer([&] {
            (void)coll->shard().Write(STRATA_METHOD_Points_Upsert,
                                      crash::BatchRequest(b).SerializeAsString());
          });
          std::this_thread::sleep_for(std::chrono::microseconds(rng() % 300));
          state->Crash();
          racer.join();
          break;
        }
        ASSERT_TRUE(
            coll->shard()
                .Write(STRATA_METHOD_Points_Upsert, crash::BatchRequest(b).SerializeAsString())
                .ok());
        acked = b;
        any = true;
      }
    }  // the dead process's objects go away; their writes are refused
    std::set<uint64_t> present = VerifyBatches(root, 1000);
    if (any) {
      for (uint64_t b = 0; b <= acked; ++b) {
        ASSERT_TRUE(present.count(b))
            << "round " << round << ": acknowledged batch " << b << " lost";
      }
    }
    std::filesystem::remove_all(root);
  }
}

}  // namespace
}  // namespace strata::kernel
