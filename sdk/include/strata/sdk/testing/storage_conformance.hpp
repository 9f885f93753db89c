// storage_conformance.hpp: the GoogleTest battery every storage backend must pass (C++17).
//
// Include in exactly one test source, then instantiate with your backend:
//   INSTANTIATE_TEST_SUITE_P(MyFs, StorageConformance,
//       ::testing::Values(strata::sdk::testing::StorageTarget{"myfs", vtable, caps, root_fn}));
// root_fn returns a fresh, empty root directory for each test.
#ifndef STRATA_SDK_TESTING_STORAGE_CONFORMANCE_HPP_
#define STRATA_SDK_TESTING_STORAGE_CONFORMANCE_HPP_

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "strata/abi/strata_storage.h"
#include "strata/sdk/status.hpp"

namespace strata::sdk::testing {

struct StorageTarget {
  std::string name;
  const strata_storage_vtable* vt = nullptr;
  uint64_t capabilities = 0;
  std::function<std::string()> make_root;
};

inline void PrintTo(const StorageTarget& t, std::ostream* os) { *os << t.name; }

class StorageConformance : public ::testing::TestWithParam<StorageTarget> {
 protected:
  void SetUp() override {
    vt_ = GetParam().vt;
    ASSERT_NE(vt_, nullptr);
    ASSERT_GE(vt_->struct_size, sizeof(strata_storage_vtable));
    root_ = GetParam().make_root ? GetParam().make_root() : std::string();
    ASSERT_EQ(vt_->open_fs(root_.c_str(), nullptr, &fs_, &err_), STRATA_OK) << err_.message;
  }
  void TearDown() override {
    if (fs_ != nullptr) vt_->close_fs(fs_);
  }

  strata_file* OpenOrFail(const std::string& path, uint32_t flags) {
    strata_file* f = nullptr;
    int32_t rc = vt_->open(fs_, path.c_str(), flags, &f, &err_);
    EXPECT_EQ(rc, STRATA_OK) << path << ": " << err_.message;
    return rc == STRATA_OK ? f : nullptr;
  }
  std::string ReadAll(const std::string& path) {
    strata_file* f = OpenOrFail(path, STRATA_OPEN_READ);
    if (f == nullptr) return "<open failed>";
    uint64_t size = 0;
    EXPECT_EQ(vt_->size(f, &size, &err_), STRATA_OK);
    std::string out(size, '\0');
    uint64_t n = 0;
    EXPECT_EQ(vt_->read_at(f, 0, out.data(), size, &n, &err_), STRATA_OK);
    EXPECT_EQ(n, size);
    vt_->close(f);
    return out;
  }
  void Write(const std::string& path, const std::string& data) {
    strata_file* f =
        OpenOrFail(path, STRATA_OPEN_WRITE | STRATA_OPEN_CREATE | STRATA_OPEN_TRUNCATE);
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(vt_->write_at(f, 0, data.data(), data.size(), &err_), STRATA_OK) << err_.message;
    ASSERT_EQ(vt_->sync(f, 0, &err_), STRATA_OK) << err_.message;
    vt_->close(f);
  }
  std::vector<std::pair<std::string, bool>> List(const std::string& dir, int32_t* rc = nullptr) {
    std::vector<std::pair<std::string, bool>> out;
    auto emit = [](void* ctx, const char* name, uint64_t, uint8_t is_dir) {
      static_cast<std::vector<std::pair<std::string, bool>>*>(ctx)->push_back({name, is_dir != 0});
    };
    int32_t r = vt_->list(fs_, dir.c_str(), emit, &out, &err_);
    if (rc != nullptr) *rc = r;
    std::sort(out.begin(), out.end());
    return out;
  }
  bool Has(uint64_t cap) const { return (GetParam().capabilities & cap) != 0; }

  const strata_storage_vtable* vt_ = nullptr;
  strata_fs* fs_ = nullptr;
  strata_error err_{};
  std::string root_;
};

TEST_P(StorageConformance, WriteThenReadBack) {
  Write("a.bin", "hello, strata");
  EXPECT_EQ(ReadAll("a.bin"), "hello, strata");
}

TEST_P(StorageConformance, OpenMissingWithoutCreateIsNotFound) {
  strata_file* f = nullptr;
  EXPECT_EQ(vt_->open(fs_, "missing.bin", STRATA_OPEN_READ, &f, &err_), STRATA_NOT_FOUND);
  EXPECT_NE(std::string(err_.message).find("missing.bin"), std::string::npos) << err_.message;
}

TEST_P(StorageConformance, ExclusiveCreateRefusesExistingFile) {
  Write("x.bin", "1");
  strata_file* f = nullptr;
  EXPECT_EQ(vt_->open(fs_, "x.bin", STRATA_OPEN_WRITE | STRATA_OPEN_CREATE | STRATA_OPEN_EXCLUSIVE,
                      &f, &err_),
            STRATA_ALREADY_EXISTS);
}

TEST_P(StorageConformance, AppendReturnsOffsetsAndReadPastEndIsShort) {
  strata_file* f = OpenOrFail("log", STRATA_OPEN_WRITE | STRATA_OPEN_READ | STRATA_OPEN_CREATE);
  ASSERT_NE(f, nullptr);
  uint64_t at = 99;
  ASSERT_EQ(vt_->append(f, "abc", 3, &at, &err_), STRATA_OK);
  EXPECT_EQ(at, 0u);
  ASSERT_EQ(vt_->append(f, "defg", 4, &at, &err_), STRATA_OK);
  EXPECT_EQ(at, 3u);
  uint64_t size = 0;
  ASSERT_EQ(vt_->size(f, &size, &err_), STRATA_OK);
  EXPECT_EQ(size, 7u);
  char buf[16] = {};
  uint64_t n = 0;
  ASSERT_EQ(vt_->read_at(f, 5, buf, sizeof(buf), &n, &err_), STRATA_OK);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(std::string(buf, n), "fg");
  ASSERT_EQ(vt_->read_at(f, 100, buf, sizeof(buf), &n, &err_), STRATA_OK);
  EXPECT_EQ(n, 0u);
  ASSERT_EQ(vt_->sync(f, 1, &err_), STRATA_OK);
  vt_->close(f);
}

TEST_P(StorageConformance, WriteAtExtendsAndOverwrites) {
  strata_file* f = OpenOrFail("w", STRATA_OPEN_WRITE | STRATA_OPEN_READ | STRATA_OPEN_CREATE);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(vt_->write_at(f, 4, "xy", 2, &err_), STRATA_OK);
  ASSERT_EQ(vt_->write_at(f, 0, "ab", 2, &err_), STRATA_OK);
  vt_->close(f);
  EXPECT_EQ(ReadAll("w"), std::string("ab\0\0xy", 6));
}

TEST_P(StorageConformance, TruncateShrinksAndGrows) {
  Write("t", "0123456789");
  strata_file* f = OpenOrFail("t", STRATA_OPEN_WRITE | STRATA_OPEN_READ);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(vt_->truncate(f, 4, &err_), STRATA_OK);
  uint64_t size = 0;
  ASSERT_EQ(vt_->size(f, &size, &err_), STRATA_OK);
  EXPECT_EQ(size, 4u);
  ASSERT_EQ(vt_->truncate(f, 6, &err_), STRATA_OK);
  vt_->close(f);
  EXPECT_EQ(ReadAll("t"), std::string("0123\0\0", 6));
}

TEST_P(StorageConformance, OpenWithTruncateEmptiesFile) {
  Write("tt", "content");
  strata_file* f = OpenOrFail("tt", STRATA_OPEN_WRITE | STRATA_OPEN_TRUNCATE);
  ASSERT_NE(f, nullptr);
  vt_->close(f);
  EXPECT_EQ(ReadAll("tt"), "");
}

TEST_P(StorageConformance, MkdirListAndStat) {
  ASSERT_EQ(vt_->mkdir(fs_, "d1/d2/d3", &err_), STRATA_OK) << err_.message;
  ASSERT_EQ(vt_->mkdir(fs_, "d1/d2/d3", &err_), STRATA_OK) << "mkdir must be idempotent";
  Write("d1/f.txt", "12345");
  Write("d1/d2/g.txt", "1");
  auto entries = List("d1");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], std::make_pair(std::string("d2"), true));
  EXPECT_EQ(entries[1], std::make_pair(std::string("f.txt"), false));
  uint8_t is_dir = 9;
  uint64_t size = 0;
  ASSERT_EQ(vt_->stat(fs_, "d1/f.txt", &is_dir, &size, &err_), STRATA_OK);
  EXPECT_EQ(is_dir, 0);
  EXPECT_EQ(size, 5u);
  ASSERT_EQ(vt_->stat(fs_, "d1/d2", &is_dir, nullptr, &err_), STRATA_OK);
  EXPECT_EQ(is_dir, 1);
  EXPECT_EQ(vt_->stat(fs_, "d1/nope", nullptr, nullptr, &err_), STRATA_NOT_FOUND);
  auto root = List("");
  EXPECT_NE(std::find(root.begin(), root.end(), std::make_pair(std::string("d1"), true)),
            root.end());
}

TEST_P(StorageConformance, RemoveFileAndDirectory) {
  ASSERT_EQ(vt_->mkdir(fs_, "r/sub", &err_), STRATA_OK);
  Write("r/sub/f", "x");
  Write("r/g", "y");
  EXPECT_EQ(vt_->remove(fs_, "r/g", 0, &err_), STRATA_OK);
  EXPECT_EQ(vt_->stat(fs_, "r/g", nullptr, nullptr, &err_), STRATA_NOT_FOUND);
  EXPECT_NE(vt_->remove(fs_, "r", 0, &err_), STRATA_OK) << "non-recursive remove of a full dir";
  EXPECT_EQ(vt_->remove(fs_, "r", 1, &err_), STRATA_OK) << err_.message;
  EXPECT_EQ(vt_->stat(fs_, "r", nullptr, nullptr, &err_), STRATA_NOT_FOUND);
  EXPECT_EQ(vt_->remove(fs_, "r", 1, &err_), STRATA_NOT_FOUND);
}

TEST_P(StorageConformance, RenameReplacesTargetAtomically) {
  Write("old", "new content");
  Write("target", "previous");
  ASSERT_EQ(vt_->rename(fs_, "old", "target", &err_), STRATA_OK) << err_.message;
  ASSERT_EQ(vt_->sync_dir(fs_, "", &err_), STRATA_OK);
  EXPECT_EQ(ReadAll("target"), "new content");
  EXPECT_EQ(vt_->stat(fs_, "old", nullptr, nullptr, &err_), STRATA_NOT_FOUND);
  EXPECT_EQ(vt_->rename(fs_, "old", "other", &err_), STRATA_NOT_FOUND);
}

TEST_P(StorageConformance, AtomicSaveReplacesContentAndLeavesNoTemp) {
  ASSERT_EQ(vt_->mkdir(fs_, "m", &err_), STRATA_OK);
  ASSERT_EQ(vt_->atomic_save(fs_, "m/manifest", "v1", 2, &err_), STRATA_OK) << err_.message;
  ASSERT_EQ(vt_->atomic_save(fs_, "m/manifest", "version2", 8, &err_), STRATA_OK);
  EXPECT_EQ(ReadAll("m/manifest"), "version2");
  auto entries = List("m");
  ASSERT_EQ(entries.size(), 1u) << "atomic_save left extra files behind";
  EXPECT_EQ(entries[0].first, "manifest");
}

TEST_P(StorageConformance, LockIsExclusive) {
  void* lock = nullptr;
  ASSERT_EQ(vt_->lock(fs_, "LOCK", &lock, &err_), STRATA_OK) << err_.message;
  void* second = nullptr;
  EXPECT_EQ(vt_->lock(fs_, "LOCK", &second, &err_), STRATA_FAILED_PRECONDITION);
  vt_->unlock(fs_, lock);
  ASSERT_EQ(vt_->lock(fs_, "LOCK", &second, &err_), STRATA_OK) << "lock must be free again";
  vt_->unlock(fs_, second);
}

TEST_P(StorageConformance, BatchReadReturnsEveryRange) {
  std::string data(4096, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  Write("batch", data);
  strata_file* f = OpenOrFail("batch", STRATA_OPEN_READ);
  ASSERT_NE(f, nullptr);
  if (vt_->read_batch == nullptr) {
    EXPECT_FALSE(Has(STRATA_STORAGE_CAP_BATCH_READ)) << "BATCH_READ advertised but slot is NULL";
    vt_->close(f);
    return;
  }
  std::vector<std::string> bufs(3, std::string(100, '\0'));
  strata_read_req reqs[3] = {{0, 100, bufs[0].data(), 0, -1, 0},
                             {4000, 100, bufs[1].data(), 0, -1, 0},
                             {1234, 50, bufs[2].data(), 0, -1, 0}};
  ASSERT_EQ(vt_->read_batch(f, reqs, 3, sizeof(strata_read_req), &err_), STRATA_OK);
  EXPECT_EQ(reqs[0].done, 100u);
  EXPECT_EQ(reqs[1].done, 96u);
  EXPECT_EQ(reqs[2].done, 50u);
  for (auto& r : reqs) EXPECT_EQ(r.code, STRATA_OK);
  EXPECT_EQ(bufs[0], data.substr(0, 100));
  EXPECT_EQ(bufs[1].substr(0, 96), data.substr(4000, 96));
  EXPECT_EQ(bufs[2].substr(0, 50), data.substr(1234, 50));
  vt_->close(f);
}

TEST_P(StorageConformance, MapShowsFileContent) {
  if (!Has(STRATA_STORAGE_CAP_MMAP)) {
    GTEST_SKIP() << GetParam().name << " does not advertise MMAP";
  }
  ASSERT_NE(vt_->map, nullptr);
  std::string data(10000, 'q');
  data[9999] = 'z';
  Write("mapped", data);
  strata_file* f = OpenOrFail("mapped", STRATA_OPEN_READ);
  ASSERT_NE(f, nullptr);
  strata_mapping m{};
  m.struct_size = sizeof(m);
  ASSERT_EQ(vt_->map(f, 0, data.size(), 0, &m, &err_), STRATA_OK) << err_.message;
  ASSERT_EQ(m.len, data.size());
  EXPECT_EQ(std::string(static_cast<const char*>(m.data), m.len), data);
  EXPECT_EQ(vt_->advise(&m, STRATA_ADVICE_WILLNEED, &err_), STRATA_OK);
  vt_->unmap(&m);
  vt_->close(f);
}

TEST_P(StorageConformance, ConcurrentReadersSeeConsistentData) {
  std::string data(1 << 16, '\0');
  std::mt19937 rng(7);
  for (char& c : data) c = static_cast<char>(rng());
  Write("shared", data);
  strata_file* f = OpenOrFail("shared", STRATA_OPEN_READ);
  ASSERT_NE(f, nullptr);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937 local(t);
      std::string buf(512, '\0');
      for (int i = 0; i < 500; ++i) {
        uint64_t off = local() % (data.size() - buf.size());
        uint64_t n = 0;
        strata_error e{};
        if (vt_->read_at(f, off, buf.data(), buf.size(), &n, &e) != STRATA_OK || n != buf.size() ||
            std::memcmp(buf.data(), data.data() + off, n) != 0) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& t : readers) t.join();
  vt_->close(f);
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace strata::sdk::testing

#endif  // STRATA_SDK_TESTING_STORAGE_CONFORMANCE_HPP_
