#include "storage/leveldb_env.h"

#include <leveldb/env.h>
#include <leveldb/status.h>

#include <cstdarg>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace strata::kernel {
namespace {

leveldb::Status ToLevelDb(const Status& s) {
  if (s.ok()) return leveldb::Status::OK();
  if (s.code() == StatusCode::kNotFound) return leveldb::Status::NotFound(s.message());
  return leveldb::Status::IOError(s.message());
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string Base(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

class SequentialFile final : public leveldb::SequentialFile {
 public:
  explicit SequentialFile(std::unique_ptr<File> f) : f_(std::move(f)) {}
  leveldb::Status Read(size_t n, leveldb::Slice* result, char* scratch) override {
    Result<uint64_t> got = f_->ReadAt(pos_, scratch, n);
    if (!got.ok()) return ToLevelDb(got.status());
    pos_ += *got;
    *result = leveldb::Slice(scratch, static_cast<size_t>(*got));
    return leveldb::Status::OK();
  }
  leveldb::Status Skip(uint64_t n) override {
    pos_ += n;
    return leveldb::Status::OK();
  }

 private:
  std::unique_ptr<File> f_;
  uint64_t pos_ = 0;
};

class RandomAccessFile final : public leveldb::RandomAccessFile {
 public:
  explicit RandomAccessFile(std::unique_ptr<File> f) : f_(std::move(f)) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    Result<uint64_t> got = f_->ReadAt(offset, scratch, n);
    if (!got.ok()) return ToLevelDb(got.status());
    *result = leveldb::Slice(scratch, static_cast<size_t>(*got));
    return leveldb::Status::OK();
  }

 private:
  std::unique_ptr<File> f_;
};

// Appends are buffered (64 KiB) and written on Flush, Sync and Close.
class WritableFile final : public leveldb::WritableFile {
 public:
  WritableFile(FileSystem fs, std::string path, std::unique_ptr<File> f)
      : fs_(fs), path_(std::move(path)), f_(std::move(f)) {}
  ~WritableFile() override { Close(); }
  leveldb::Status Append(const leveldb::Slice& data) override {
    buf_.append(data.data(), data.size());
    if (buf_.size() >= (64u << 10)) return Flush();
    return leveldb::Status::OK();
  }
  leveldb::Status Close() override {
    if (f_ == nullptr) return leveldb::Status::OK();
    leveldb::Status s = Flush();
    f_.reset();
    return s;
  }
  leveldb::Status Flush() override {
    if (buf_.empty() || f_ == nullptr) return leveldb::Status::OK();
    Result<uint64_t> at = f_->Append(buf_.data(), buf_.size());
    if (!at.ok()) return ToLevelDb(at.status());
    buf_.clear();
    return leveldb::Status::OK();
  }
  leveldb::Status Sync() override {
    // The directory is synced first: at a file's first sync, so that a new file (a log that
    // takes synced writes, a table file) is found after a crash at all (LevelDB itself syncs
    // no directory for them); and at every MANIFEST sync, so that the table files a MANIFEST
    // record names are in the directory before the record is on disk (a crash between the
    // record's sync and the directory's left a MANIFEST naming a table file that was gone).
    if (!dir_synced_ || Base(path_).rfind("MANIFEST", 0) == 0) {
      leveldb::Status dir = ToLevelDb(fs_.SyncDir(Parent(path_)));
      if (!dir.ok()) return dir;
      dir_synced_ = true;
    }
    leveldb::Status s = Flush();
    if (!s.ok()) return s;
    if (f_ != nullptr) {
      Status synced = f_->Sync(true);
      if (!synced.ok()) return ToLevelDb(synced);
    }
    return leveldb::Status::OK();
  }

 private:
  FileSystem fs_;
  std::string path_;
  std::unique_ptr<File> f_;
  std::string buf_;
  bool dir_synced_ = false;  // its directory synced since the file was opened
};

class NullLogger final : public leveldb::Logger {
 public:
  void Logv(const char*, std::va_list) override {}
};

class StorageEnv final : public leveldb::EnvWrapper {
 public:
  explicit StorageEnv(FileSystem fs) : EnvWrapper(leveldb::Env::Default()), fs_(fs) {}

  leveldb::Status NewSequentialFile(const std::string& name,
                                    leveldb::SequentialFile** out) override {
    Result<std::unique_ptr<File>> f = fs_.Open(name, STRATA_OPEN_READ);
    if (!f.ok()) return ToLevelDb(f.status());
    *out = new SequentialFile(std::move(f).value());
    return leveldb::Status::OK();
  }
  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** out) override {
    Result<std::unique_ptr<File>> f = fs_.Open(name, STRATA_OPEN_READ);
    if (!f.ok()) return ToLevelDb(f.status());
    *out = new RandomAccessFile(std::move(f).value());
    return leveldb::Status::OK();
  }
  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** out) override {
    return OpenWritable(name, STRATA_OPEN_WRITE | STRATA_OPEN_CREATE | STRATA_OPEN_TRUNCATE, out);
  }
  leveldb::Status NewAppendableFile(const std::string& name, leveldb::WritableFile** out) override {
    return OpenWritable(name, STRATA_OPEN_WRITE | STRATA_OPEN_CREATE, out);
  }
  bool FileExists(const std::string& name) override {
    Result<bool> e = fs_.Exists(name);
    return e.ok() && *e;
  }
  leveldb::Status GetChildren(const std::string& dir, std::vector<std::string>* out) override {
    Result<std::vector<DirEntry>> list = fs_.List(dir);
    if (!list.ok()) return ToLevelDb(list.status());
    out->clear();
    for (const DirEntry& e : *list) out->push_back(e.name);
    return leveldb::Status::OK();
  }
  leveldb::Status RemoveFile(const std::string& name) override {
    return ToLevelDb(fs_.Remove(name, false));
  }
  leveldb::Status CreateDir(const std::string& dir) override {
    return ToLevelDb(fs_.MakeDirs(dir));
  }
  leveldb::Status RemoveDir(const std::string& dir) override {
    return ToLevelDb(fs_.Remove(dir, false));
  }
  leveldb::Status GetFileSize(const std::string& name, uint64_t* size) override {
    Result<std::unique_ptr<File>> f = fs_.Open(name, STRATA_OPEN_READ);
    if (!f.ok()) return ToLevelDb(f.status());
    Result<uint64_t> n = (*f)->Size();
    if (!n.ok()) return ToLevelDb(n.status());
    *size = *n;
    return leveldb::Status::OK();
  }
  leveldb::Status RenameFile(const std::string& from, const std::string& to) override {
    return ToLevelDb(fs_.Rename(from, to));
  }
  leveldb::Status LockFile(const std::string& name, leveldb::FileLock** lock) override {
    std::lock_guard<std::mutex> guard(mu_);
    if (!locked_.insert(name).second) {
      return leveldb::Status::IOError(name + ": already locked by this process");
    }
    Result<std::unique_ptr<File>> f =
        fs_.Open(name, STRATA_OPEN_WRITE | STRATA_OPEN_CREATE);  // LevelDB expects the file
    if (!f.ok()) {
      locked_.erase(name);
      return ToLevelDb(f.status());
    }
    *lock = new Lock(name);
    return leveldb::Status::OK();
  }
  leveldb::Status UnlockFile(leveldb::FileLock* lock) override {
    auto* l = static_cast<Lock*>(lock);
    {
      std::lock_guard<std::mutex> guard(mu_);
      locked_.erase(l->name);
    }
    delete l;
    return leveldb::Status::OK();
  }
  leveldb::Status NewLogger(const std::string&, leveldb::Logger** out) override {
    *out = new NullLogger();
    return leveldb::Status::OK();
  }

 private:
  struct Lock final : leveldb::FileLock {
    explicit Lock(std::string n) : name(std::move(n)) {}
    std::string name;
  };
  leveldb::Status OpenWritable(const std::string& name, uint32_t flags,
                               leveldb::WritableFile** out) {
    Result<std::unique_ptr<File>> f = fs_.Open(name, flags);
    if (!f.ok()) return ToLevelDb(f.status());
    *out = new WritableFile(fs_, name, std::move(f).value());
    return leveldb::Status::OK();
  }

  FileSystem fs_;
  std::mutex mu_;
  std::set<std::string> locked_;
};

}  // namespace

std::unique_ptr<leveldb::Env> NewStorageEnv(FileSystem fs) {
  return std::make_unique<StorageEnv>(fs);
}

}  // namespace strata::kernel
