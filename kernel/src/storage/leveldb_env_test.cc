// LevelDB through a Strata storage backend: it works end to end, and with the fault-injecting
// backend a crash keeps every write that LevelDB was asked to sync.
#include "storage/leveldb_env.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>
#include <stdlib.h>

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

}  // namespace
}  // namespace strata::kernel
