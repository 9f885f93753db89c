// storage_view.hpp: C++ helpers over a strata_storage_vtable + strata_fs (C++17).
// Used by plugins that persist (index files) and by the kernel's own storage facade.
#ifndef STRATA_SDK_STORAGE_VIEW_HPP_
#define STRATA_SDK_STORAGE_VIEW_HPP_

#include <memory>
#include <string>
#include <vector>

#include "strata/abi/strata_storage.h"
#include "strata/sdk/status.hpp"

namespace strata::sdk {

inline std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

// A whole file mapped read-only through the backend's map(); unmapped and closed with the object.
class MappedFile {
 public:
  MappedFile(const strata_storage_vtable* storage, strata_file* file, const strata_mapping& m)
      : storage_(storage), file_(file), map_(m) {}
  ~MappedFile() {
    storage_->unmap(&map_);
    storage_->close(file_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const char* data() const { return static_cast<const char*>(map_.data); }
  uint64_t size() const { return map_.len; }

 private:
  const strata_storage_vtable* storage_;
  strata_file* file_;
  strata_mapping map_;
};

// A directory inside a storage backend. Borrowed: the backend and fs must outlive it.
class Dir {
 public:
  Dir() = default;
  Dir(const strata_storage_vtable* storage, strata_fs* fs, std::string prefix)
      : storage_(storage), fs_(fs), prefix_(std::move(prefix)) {}
  explicit Dir(const strata_dir* d)
      : storage_(d ? d->storage : nullptr),
        fs_(d ? d->fs : nullptr),
        prefix_(d && d->prefix ? d->prefix : "") {}

  bool valid() const { return storage_ != nullptr && fs_ != nullptr; }
  const std::string& prefix() const { return prefix_; }
  std::string Path(const std::string& name) const { return JoinPath(prefix_, name); }

  // Fills a strata_dir whose prefix points into this object (valid while it lives).
  strata_dir ToAbi() const {
    strata_dir d{};
    d.struct_size = sizeof(strata_dir);
    d.storage = storage_;
    d.fs = fs_;
    d.prefix = prefix_.c_str();
    return d;
  }

  Status MakeDirs() const {
    strata_error err{};
    return Status::FromAbi(storage_->mkdir(fs_, prefix_.c_str(), &err), &err);
  }

  // Durably replaces `name` with `data` (write temp, sync, rename, sync dir).
  Status WriteFile(const std::string& name, const void* data, size_t len) const {
    strata_error err{};
    std::string path = Path(name);
    return Status::FromAbi(storage_->atomic_save(fs_, path.c_str(), data, len, &err), &err);
  }
  Status WriteFile(const std::string& name, const std::string& data) const {
    return WriteFile(name, data.data(), data.size());
  }

  // Reads the whole of `name`.
  Result<std::string> ReadFile(const std::string& name) const {
    std::string path = Path(name);
    strata_error err{};
    strata_file* f = nullptr;
    uint64_t size = 0;
    int32_t rc = OpenToRead(path, &f, &size, &err);
    if (f == nullptr) return Status::FromAbi(rc, &err);
    std::string out;
    if (rc == STRATA_OK) {
      out.resize(size);
      uint64_t n = 0;
      rc = storage_->read_at(f, 0, out.data(), size, &n, &err);
      if (rc == STRATA_OK && n != size) {
        rc = SetError(&err, STRATA_DATA_LOSS, ("short read of " + path).c_str());
      }
    }
    storage_->close(f);
    if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
    return out;
  }

  // Maps the whole of `name` read-only. UNIMPLEMENTED when the backend cannot map (its map
  // slot is empty): read the file instead.
  Result<std::unique_ptr<MappedFile>> MapFile(const std::string& name) const {
    if (!STRATA_HAS(storage_, unmap) || storage_->map == nullptr || storage_->unmap == nullptr) {
      return Unimplemented("the storage backend cannot map files");
    }
    std::string path = Path(name);
    strata_error err{};
    strata_file* f = nullptr;
    uint64_t size = 0;
    int32_t rc = OpenToRead(path, &f, &size, &err);
    if (f == nullptr) return Status::FromAbi(rc, &err);
    strata_mapping m{};
    m.struct_size = sizeof(m);
    if (rc == STRATA_OK) rc = storage_->map(f, 0, size, 0, &m, &err);
    if (rc != STRATA_OK) {
      storage_->close(f);
      return Status::FromAbi(rc, &err);
    }
    return std::make_unique<MappedFile>(storage_, f, m);
  }

  Result<bool> Exists(const std::string& name) const {
    std::string path = Path(name);
    strata_error err{};
    int32_t rc = storage_->stat(fs_, path.c_str(), nullptr, nullptr, &err);
    if (rc == STRATA_NOT_FOUND) return false;
    if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
    return true;
  }

 private:
  // Opens path for reading (*f stays null when that fails) and asks its size; the result code.
  int32_t OpenToRead(const std::string& path, strata_file** f, uint64_t* size,
                     strata_error* err) const {
    int32_t rc = storage_->open(fs_, path.c_str(), STRATA_OPEN_READ, f, err);
    if (rc != STRATA_OK) {
      *f = nullptr;
      return rc;
    }
    return storage_->size(*f, size, err);
  }

  const strata_storage_vtable* storage_ = nullptr;
  strata_fs* fs_ = nullptr;
  std::string prefix_;
};

}  // namespace strata::sdk

#endif  // STRATA_SDK_STORAGE_VIEW_HPP_
