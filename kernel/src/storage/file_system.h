// file_system.h: the kernel's C++ facade over whichever storage backend is active. Every
// durable byte the kernel writes goes through it (WAL, segments, manifests).
//
// Concurrency: FileSystem is thread-safe (as strata_fs is). One File supports concurrent reads;
// callers serialise writes to one File.
#ifndef STRATA_KERNEL_STORAGE_FILE_SYSTEM_H_
#define STRATA_KERNEL_STORAGE_FILE_SYSTEM_H_

#include <memory>
#include <string>
#include <vector>

#include "strata/abi/strata_storage.h"
#include "strata/sdk/status.hpp"
#include "strata/sdk/storage_plugin.hpp"

namespace strata::kernel {

using sdk::DirEntry;

// RAII over a strata_file; closes it when destroyed.
class File {
 public:
  File(const strata_storage_vtable* vt, strata_file* f, std::string path)
      : vt_(vt), f_(f), path_(std::move(path)) {}
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Reads up to len bytes; fewer only at end of file.
  Result<uint64_t> ReadAt(uint64_t off, void* buf, uint64_t len) const;
  // Reads exactly len bytes or fails with DATA_LOSS naming the file.
  Status ReadExact(uint64_t off, void* buf, uint64_t len) const;
  Status WriteAt(uint64_t off, const void* p, uint64_t len);
  Result<uint64_t> Append(const void* p, uint64_t len);
  Status Truncate(uint64_t len);
  Status Sync(bool data_only = true);
  Result<uint64_t> Size() const;
  const std::string& path() const { return path_; }

 private:
  const strata_storage_vtable* vt_;
  strata_file* f_;
  std::string path_;
};

// Non-owning view of a backend + fs.
class FileSystem {
 public:
  FileSystem(const strata_storage_vtable* vt, strata_fs* fs) : vt_(vt), fs_(fs) {}

  Result<std::unique_ptr<File>> Open(const std::string& path, uint32_t flags) const;
  Result<std::vector<DirEntry>> List(const std::string& dir) const;
  Status MakeDirs(const std::string& dir) const;
  Status Remove(const std::string& path, bool recursive) const;
  Status Rename(const std::string& from, const std::string& to) const;
  Status SyncDir(const std::string& dir) const;
  Status AtomicSave(const std::string& path, const std::string& data) const;
  Result<std::string> ReadAll(const std::string& path) const;
  Result<bool> Exists(const std::string& path) const;

  const strata_storage_vtable* vtable() const { return vt_; }
  strata_fs* fs() const { return fs_; }

 private:
  const strata_storage_vtable* vt_;
  strata_fs* fs_;
};

// An owned strata_fs opened on a root directory (closed on destruction).
class OwnedFs {
 public:
  static Result<std::unique_ptr<OwnedFs>> Open(const strata_storage_vtable* vt,
                                               const std::string& root);
  // Takes ownership of an already opened fs (closed with vt->close_fs).
  static std::unique_ptr<OwnedFs> Adopt(const strata_storage_vtable* vt, strata_fs* fs) {
    return std::unique_ptr<OwnedFs>(new OwnedFs(vt, fs));
  }
  ~OwnedFs();
  OwnedFs(const OwnedFs&) = delete;
  OwnedFs& operator=(const OwnedFs&) = delete;
  FileSystem view() const { return FileSystem(vt_, fs_); }
  const strata_storage_vtable* vtable() const { return vt_; }
  strata_fs* fs() const { return fs_; }

 private:
  OwnedFs(const strata_storage_vtable* vt, strata_fs* fs) : vt_(vt), fs_(fs) {}
  const strata_storage_vtable* vt_;
  strata_fs* fs_;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_STORAGE_FILE_SYSTEM_H_
