// LevelDB through a Strata storage backend: it works end to end, and with the fault-injecting
// backend a crash keeps every write that LevelDB was asked to sync.
#include "storage/leveldb_env.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "storage/fault_fs.h"
#include "storage/posix_fs.h"

namespace strata::kernel {
namespace {

class LevelDbEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-ldb-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::unique_ptr<leveldb::DB> Open(leveldb::Env* env) {
    leveldb::Options o;
    o.env = env;
    o.create_if_missing = true;
    o.write_buffer_size = 64 << 10;  // small: force table files and compactions
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(o, "payloads", &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::unique_ptr<leveldb::DB>(db);
  }
  std::string root_;
};

TEST_F(LevelDbEnvTest, ReadsWritesCompactsAndReopensThroughTheBackend) {
  auto fs = *OwnedFs::Open(PosixStorageVtable(), root_);
  auto env = NewStorageEnv(fs->view());
  {
    auto db = Open(env.get());
    ASSERT_NE(db, nullptr);
    const std::string value(300, 'v');
    for (int i = 0; i < 5000; ++i) {
      ASSERT_TRUE(
          db->Put(leveldb::WriteOptions(), "key" + std::to_string(i), value + std::to_string(i))
              .ok());
    }
    for (int i = 0; i < 5000; i += 2) {
      ASSERT_TRUE(db->Delete(leveldb::WriteOptions(), "key" + std::to_string(i)).ok());
    }
    db->CompactRange(nullptr, nullptr);
    std::string got;
    ASSERT_TRUE(db->Get(leveldb::ReadOptions(), "key4999", &got).ok());
    EXPECT_EQ(got, value + "4999");
    EXPECT_TRUE(db->Get(leveldb::ReadOptions(), "key4998", &got).IsNotFound());
  }
  // The files are in the backend's root, where LevelDB's own layout puts them.
  EXPECT_TRUE(std::filesystem::exists(root_ + "/payloads/CURRENT"));
  bool has_table = false;
  for (const auto& e : std::filesystem::directory_iterator(root_ + "/payloads")) {
    has_table |= e.path().extension() == ".ldb";
  }
  EXPECT_TRUE(has_table);
  auto db = Open(env.get());
  ASSERT_NE(db, nullptr);
  std::string got;
  int found = 0;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++found;
  EXPECT_EQ(found, 2500);
  // A second open in the same process is refused by the lock.
  leveldb::Options o;
  o.env = env.get();
  leveldb::DB* second = nullptr;
  EXPECT_FALSE(leveldb::DB::Open(o, "payloads", &second).ok());
}

TEST_F(LevelDbEnvTest, ACrashKeepsEverySyncedWrite) {
  for (int round = 0; round < 5; ++round) {
    auto state = std::make_shared<FaultState>();
    auto fs = *OpenFaultFs(PosixStorageVtable(), root_, state);
    auto env = NewStorageEnv(fs->view());
    int synced = 0;
    {
      auto db = Open(env.get());
      ASSERT_NE(db, nullptr) << "round " << round;
      leveldb::WriteOptions sync;
      sync.sync = true;
      for (int i = 0; i < 300; ++i) {
        leveldb::WriteBatch b;
        b.Put("r" + std::to_string(round) + "-" + std::to_string(i), std::string(200, 'x'));
        ASSERT_TRUE(db->Write(sync, &b).ok());
        ++synced;
      }
      for (int i = 0; i < 300; ++i) {  // not synced: may be lost, must not corrupt anything
        db->Put(leveldb::WriteOptions(), "u" + std::to_string(round) + "-" + std::to_string(i),
                "y");
      }
      state->Crash();  // everything not durable is gone; the "dead" process writes nothing more
    }
    state->Revive();
    auto db = Open(env.get());
    ASSERT_NE(db, nullptr) << "round " << round;
    for (int r = 0; r <= round; ++r) {
      for (int i = 0; i < 300; ++i) {
        std::string got;
        ASSERT_TRUE(
            db->Get(leveldb::ReadOptions(), "r" + std::to_string(r) + "-" + std::to_string(i), &got)
                .ok())
            << "round " << round << ": lost synced write " << r << "-" << i;
        ASSERT_EQ(got.size(), 200u);
      }
    }
    EXPECT_EQ(synced, 300);
  }
}

// A crash before every single storage operation of a workload that flushes and compacts (on
// LevelDB's background thread too): each time the store reopens and holds every write that
// was acknowledged as synced. Found a MANIFEST record made durable before the directory entry
// of the table file it names.
TEST_F(LevelDbEnvTest, ACrashBeforeAnyOperationKeepsTheStoreOpenableAndTheSyncedWrites) {
  auto workload = [](leveldb::DB* db, int* acknowledged) {
    leveldb::WriteOptions sync;
    sync.sync = true;
    for (int i = 0; i < 40; ++i) {
      if (!db->Put(sync, "k" + std::to_string(i % 25), std::string(3000, 'a' + i % 26)).ok()) {
        return;
      }
      *acknowledged = i + 1;
    }
    db->CompactRange(nullptr, nullptr);
  };
  auto open = [](leveldb::Env* env, leveldb::DB** db) {
    leveldb::Options o;
    o.env = env;
    o.create_if_missing = true;
    o.write_buffer_size = 16 << 10;  // a table file every few writes
    return leveldb::DB::Open(o, "payloads", db);
  };
  // How many operations the whole workload makes.
  int64_t total = 0;
  {
    auto state = std::make_shared<FaultState>();
    auto fs = *OpenFaultFs(PosixStorageVtable(), root_ + "/count", state);
    auto env = NewStorageEnv(fs->view());
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(open(env.get(), &db).ok());
    int acknowledged = 0;
    workload(db, &acknowledged);
    delete db;
    total = state->operations();
  }
  ASSERT_GT(total, 100);
  for (int64_t n = 1; n <= total; ++n) {
    const std::string dir = root_ + "/" + std::to_string(n);
    std::filesystem::create_directories(dir);
    auto state = std::make_shared<FaultState>();
    auto fs = *OpenFaultFs(PosixStorageVtable(), dir, state);
    auto env = NewStorageEnv(fs->view());
    int acknowledged = 0;
    state->CrashBeforeNth(n);
    leveldb::DB* db = nullptr;
    if (open(env.get(), &db).ok()) {
      workload(db, &acknowledged);
      delete db;  // waits for the background work, which fails: the process is gone
    }
    state->Revive();
    leveldb::DB* reopened = nullptr;
    leveldb::Status s = open(env.get(), &reopened);
    ASSERT_TRUE(s.ok()) << "crash before operation " << n << " of " << total << ": "
                        << s.ToString();
    std::unique_ptr<leveldb::DB> held(reopened);
    for (int i = std::max(0, acknowledged - 25); i < acknowledged; ++i) {
      std::string got;
      ASSERT_TRUE(held->Get(leveldb::ReadOptions(), "k" + std::to_string(i % 25), &got).ok())
          << "crash before operation " << n << ": lost write " << i;
      // A later write of the same key may have made it too; never an older one.
      ASSERT_GE(got[0], 'a' + i % 26 - (i >= 26 ? 26 : 0)) << "operation " << n;
    }
    held.reset();
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace strata::kernel
