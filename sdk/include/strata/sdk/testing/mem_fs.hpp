// mem_fs.hpp: an in-memory storage backend for tests (C++17). Thread-safe; no mmap.
// It is the fake host's storage and passes the storage conformance suite itself.
#ifndef STRATA_SDK_TESTING_MEM_FS_HPP_
#define STRATA_SDK_TESTING_MEM_FS_HPP_

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "strata/sdk/storage_plugin.hpp"

namespace strata::sdk::testing {

class MemFile;

// Paths are normalised without leading/trailing '/'; "" is the root directory.
class MemFs {
 public:
  struct Node {
    std::mutex mu;
    std::string data;
  };

  static Result<std::unique_ptr<MemFs>> Open(const std::string&, const Params&) {
    return std::make_unique<MemFs>();
  }

  Result<std::unique_ptr<MemFile>> OpenFile(const std::string& path, uint32_t flags);

  Status List(const std::string& dir, std::vector<DirEntry>* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!dir.empty() && dirs_.count(dir) == 0) return NotFound("list " + dir + ": no such dir");
    const std::string prefix = dir.empty() ? "" : dir + "/";
    for (auto& [path, node] : files_) {
      if (IsChild(prefix, path)) {
        std::lock_guard<std::mutex> nl(node->mu);
        out->push_back({path.substr(prefix.size()), node->data.size(), false});
      }
    }
    for (const std::string& d : dirs_) {
      if (IsChild(prefix, d)) out->push_back({d.substr(prefix.size()), 0, true});
    }
    return Status::Ok();
  }
  Status MakeDirs(const std::string& dir) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t pos = 0; pos != std::string::npos && !dir.empty();) {
      pos = dir.find('/', pos + 1);
      std::string part = dir.substr(0, pos);
      if (files_.count(part)) return AlreadyExists("mkdir " + dir + ": " + part + " is a file");
      dirs_.insert(part);
    }
    return Status::Ok();
  }
  Status Remove(const std::string& path, bool recursive) {
    std::lock_guard<std::mutex> lock(mu_);
    if (files_.erase(path) > 0) return Status::Ok();
    if (dirs_.count(path) == 0) return NotFound("remove " + path + ": no such file or directory");
    const std::string prefix = path + "/";
    bool has_children = false;
    for (auto& f : files_) has_children |= f.first.rfind(prefix, 0) == 0;
    for (auto& d : dirs_) has_children |= d.rfind(prefix, 0) == 0;
    if (has_children && !recursive) return FailedPrecondition("remove " + path + ": not empty");
    for (auto it = files_.begin(); it != files_.end();) {
      it = it->first.rfind(prefix, 0) == 0 ? files_.erase(it) : std::next(it);
    }
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      it = it->rfind(prefix, 0) == 0 ? dirs_.erase(it) : std::next(it);
    }
    dirs_.erase(path);
    return Status::Ok();
  }
  Status Rename(const std::string& from, const std::string& to) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(from);
    if (it == files_.end()) return NotFound("rename " + from + ": no such file");
    if (!ParentExists(to)) return NotFound("rename to " + to + ": no parent directory");
    files_[to] = it->second;
    files_.erase(from);
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!dir.empty() && dirs_.count(dir) == 0) return NotFound("sync_dir " + dir);
    return Status::Ok();
  }
  Result<void*> Lock(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!locks_.insert(path).second) {
      return FailedPrecondition("lock " + path + ": already held by another owner");
    }
    EnsureFileLocked(path);
    return static_cast<void*>(new std::string(path));
  }
  void Unlock(void* handle) {
    auto* path = static_cast<std::string*>(handle);
    std::lock_guard<std::mutex> lock(mu_);
    locks_.erase(*path);
    delete path;
  }
  Status Stat(const std::string& path, bool* is_dir, uint64_t* size) {
    std::lock_guard<std::mutex> lock(mu_);
    if (path.empty() || dirs_.count(path)) {
      *is_dir = true;
      return Status::Ok();
    }
    auto it = files_.find(path);
    if (it == files_.end()) return NotFound("stat " + path + ": no such file or directory");
    std::lock_guard<std::mutex> nl(it->second->mu);
    *size = it->second->data.size();
    return Status::Ok();
  }

 private:
  static bool IsChild(const std::string& prefix, const std::string& path) {
    return path.size() > prefix.size() && path.rfind(prefix, 0) == 0 &&
           path.find('/', prefix.size()) == std::string::npos;
  }
  bool ParentExists(const std::string& path) const {
    std::string parent = ParentDir(path);
    return parent.empty() || dirs_.count(parent) > 0;
  }
  std::shared_ptr<Node> EnsureFileLocked(const std::string& path) {
    auto& node = files_[path];
    if (!node) node = std::make_shared<Node>();
    return node;
  }

  friend class MemFile;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Node>> files_;
  std::set<std::string> dirs_;
  std::set<std::string> locks_;
};

class MemFile {
 public:
  explicit MemFile(std::shared_ptr<MemFs::Node> node, bool writable)
      : node_(std::move(node)), writable_(writable) {}

  Result<uint64_t> ReadAt(uint64_t off, void* buf, uint64_t len) {
    std::lock_guard<std::mutex> lock(node_->mu);
    if (off >= node_->data.size()) return uint64_t{0};
    uint64_t n = std::min<uint64_t>(len, node_->data.size() - off);
    std::memcpy(buf, node_->data.data() + off, n);
    return n;
  }
  Status WriteAt(uint64_t off, const void* p, uint64_t len) {
    if (!writable_) return FailedPrecondition("file opened read-only");
    std::lock_guard<std::mutex> lock(node_->mu);
    if (node_->data.size() < off + len) node_->data.resize(off + len);
    std::memcpy(node_->data.data() + off, p, len);
    return Status::Ok();
  }
  Result<uint64_t> Append(const void* p, uint64_t len) {
    if (!writable_) return FailedPrecondition("file opened read-only");
    std::lock_guard<std::mutex> lock(node_->mu);
    uint64_t at = node_->data.size();
    node_->data.append(static_cast<const char*>(p), len);
    return at;
  }
  Status Truncate(uint64_t len) {
    if (!writable_) return FailedPrecondition("file opened read-only");
    std::lock_guard<std::mutex> lock(node_->mu);
    node_->data.resize(len);
    return Status::Ok();
  }
  Status Sync(bool) { return Status::Ok(); }
  Result<uint64_t> Size() {
    std::lock_guard<std::mutex> lock(node_->mu);
    return static_cast<uint64_t>(node_->data.size());
  }

 private:
  std::shared_ptr<MemFs::Node> node_;
  bool writable_;
};

inline Result<std::unique_ptr<MemFile>> MemFs::OpenFile(const std::string& path, uint32_t flags) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dirs_.count(path)) return FailedPrecondition("open " + path + ": is a directory");
  auto it = files_.find(path);
  if (it == files_.end()) {
    if (!(flags & STRATA_OPEN_CREATE)) return NotFound("open " + path + ": no such file");
    if (!ParentExists(path)) return NotFound("open " + path + ": no parent directory");
    it = files_.emplace(path, std::make_shared<Node>()).first;
  } else if ((flags & STRATA_OPEN_CREATE) && (flags & STRATA_OPEN_EXCLUSIVE)) {
    return AlreadyExists("open " + path + ": exists");
  }
  if (flags & STRATA_OPEN_TRUNCATE) {
    std::lock_guard<std::mutex> nl(it->second->mu);
    it->second->data.clear();
  }
  return std::make_unique<MemFile>(it->second, (flags & STRATA_OPEN_WRITE) != 0);
}

// The in-memory backend's vtable.
inline const strata_storage_vtable* MemFsVtable() {
  return StoragePlugin<MemFs, MemFile>::Vtable();
}

}  // namespace strata::sdk::testing

#endif  // STRATA_SDK_TESTING_MEM_FS_HPP_
