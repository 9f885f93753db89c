// storage_plugin.hpp: write a storage backend in C++ (C++17).
//
// A backend is two classes. FsImpl (one per data root, thread-safe):
//   static Result<std::unique_ptr<FsImpl>> Open(const std::string& root, const Params& cfg);
//   Result<std::unique_ptr<FileImpl>> OpenFile(const std::string& path, uint32_t flags);
//   Status List(const std::string& dir, std::vector<DirEntry>* out);
//   Status MakeDirs(const std::string& dir);
//   Status Remove(const std::string& path, bool recursive);
//   Status Rename(const std::string& from, const std::string& to);
//   Status SyncDir(const std::string& dir);
//   Result<void*> Lock(const std::string& path);   void Unlock(void* lock);
//   Status Stat(const std::string& path, bool* is_dir, uint64_t* size);
// optional: Status AtomicSave(const std::string& path, const void* p, uint64_t len);
//   (the SDK's default writes "<path>.tmp-strata", syncs, renames and syncs the directory)
//
// FileImpl (concurrent reads; writes serialised by the caller):
//   Result<uint64_t> ReadAt(uint64_t off, void* buf, uint64_t len);
//   Status WriteAt(uint64_t off, const void* p, uint64_t len);
//   Result<uint64_t> Append(const void* p, uint64_t len);     // returns the offset written at
//   Status Truncate(uint64_t len);   Status Sync(bool data_only);   Result<uint64_t> Size();
// optional (MMAP): Status Map(uint64_t off, uint64_t len, bool writable, strata_mapping* out);
//   static void Unmap(strata_mapping* m);   static Status Advise(strata_mapping* m, int32_t a);
#ifndef STRATA_SDK_STORAGE_PLUGIN_HPP_
#define STRATA_SDK_STORAGE_PLUGIN_HPP_

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/abi/strata_storage.h"
#include "strata/sdk/guard.hpp"
#include "strata/sdk/params.hpp"
#include "strata/sdk/status.hpp"
#include "strata/sdk/storage_view.hpp"

namespace strata::sdk {

struct DirEntry {
  std::string name;
  uint64_t size = 0;
  bool is_dir = false;
};

// Name of the temporary file the default atomic_save writes; backends and recovery code treat
// files ending in this suffix as garbage to delete, never as data.
inline constexpr const char* kAtomicTempSuffix = ".tmp-strata";

inline std::string ParentDir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

namespace detail {
template <class T, class = void>
struct HasMap : std::false_type {};
template <class T>
struct HasMap<T, std::void_t<decltype(std::declval<T&>().Map(
                     0ull, 0ull, false, static_cast<strata_mapping*>(0)))>> : std::true_type {};
template <class T, class = void>
struct HasAtomicSave : std::false_type {};
template <class T>
struct HasAtomicSave<T, std::void_t<decltype(std::declval<T&>().AtomicSave(
                            std::string(), static_cast<const void*>(0), 0ull))>> : std::true_type {
};
}  // namespace detail

template <class FsImpl, class FileImpl>
class StoragePlugin {
 public:
  static const strata_storage_vtable* Vtable() noexcept {
    constexpr bool kMap = detail::HasMap<FileImpl>::value;
    static const strata_storage_vtable table = {
        sizeof(strata_storage_vtable),
        0,
        &OpenFs,
        &CloseFs,
        &Open,
        &Close,
        &ReadAt,
        &ReadBatch,
        &WriteAt,
        &Append,
        &Truncate,
        &Sync,
        &Size,
        kMap ? &Map : nullptr,
        kMap ? &Unmap : nullptr,
        kMap ? &Advise : nullptr,
        &List,
        &MakeDirs,
        &Remove,
        &Rename,
        &SyncDir,
        &AtomicSave,
        &Lock,
        &Unlock,
        &Stat,
    };
    return &table;
  }

 private:
  static FsImpl& Fs(strata_fs* fs) { return *reinterpret_cast<FsImpl*>(fs); }
  static FileImpl& File(strata_file* f) { return *reinterpret_cast<FileImpl*>(f); }

  static int32_t OpenFs(const char* root, const strata_kv* cfg, strata_fs** out,
                        strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<FsImpl> fs,
                              FsImpl::Open(root ? root : "", Params(cfg)));
      *out = reinterpret_cast<strata_fs*>(fs.release());
      return Status::Ok();
    });
  }
  static void CloseFs(strata_fs* fs) noexcept { delete &Fs(fs); }
  static int32_t Open(strata_fs* fs, const char* path, uint32_t flags, strata_file** out,
                      strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<FileImpl> f, Fs(fs).OpenFile(path, flags));
      *out = reinterpret_cast<strata_file*>(f.release());
      return Status::Ok();
    });
  }
  static void Close(strata_file* f) noexcept { delete &File(f); }
  static int32_t ReadAt(strata_file* f, uint64_t off, void* buf, uint64_t len, uint64_t* n,
                        strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(uint64_t got, File(f).ReadAt(off, buf, len));
      if (n != nullptr) *n = got;
      return Status::Ok();
    });
  }
  static int32_t ReadBatch(strata_file* f, strata_read_req* reqs, size_t n, size_t elem_size,
                           strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      Status first;
      for (size_t i = 0; i < n; ++i) {
        auto* r = reinterpret_cast<strata_read_req*>(reinterpret_cast<char*>(reqs) + i * elem_size);
        Result<uint64_t> got = File(f).ReadAt(r->offset, r->buf, r->len);
        r->code = got.ok() ? STRATA_OK : got.status().raw_code();
        r->done = got.ok() ? *got : 0;
        if (!got.ok() && first.ok()) first = got.status();
      }
      return first;
    });
  }
  static int32_t WriteAt(strata_file* f, uint64_t off, const void* p, uint64_t len,
                         strata_error* err) noexcept {
    return Guard(err, [&] { return File(f).WriteAt(off, p, len); });
  }
  static int32_t Append(strata_file* f, const void* p, uint64_t len, uint64_t* at,
                        strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(uint64_t where, File(f).Append(p, len));
      if (at != nullptr) *at = where;
      return Status::Ok();
    });
  }
  static int32_t Truncate(strata_file* f, uint64_t len, strata_error* err) noexcept {
    return Guard(err, [&] { return File(f).Truncate(len); });
  }
  static int32_t Sync(strata_file* f, uint8_t data_only, strata_error* err) noexcept {
    return Guard(err, [&] { return File(f).Sync(data_only != 0); });
  }
  static int32_t Size(strata_file* f, uint64_t* out, strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(*out, File(f).Size());
      return Status::Ok();
    });
  }
  static int32_t Map(strata_file* f, uint64_t off, uint64_t len, uint8_t writable,
                     strata_mapping* out, strata_error* err) noexcept {
    if constexpr (detail::HasMap<FileImpl>::value) {
      return Guard(err, [&] { return File(f).Map(off, len, writable != 0, out); });
    } else {
      return SetError(err, STRATA_UNIMPLEMENTED, "map not supported");
    }
  }
  static void Unmap(strata_mapping* m) noexcept {
    if constexpr (detail::HasMap<FileImpl>::value) FileImpl::Unmap(m);
  }
  static int32_t Advise(strata_mapping* m, int32_t advice, strata_error* err) noexcept {
    if constexpr (detail::HasMap<FileImpl>::value) {
      return Guard(err, [&] { return FileImpl::Advise(m, advice); });
    } else {
      return SetError(err, STRATA_UNIMPLEMENTED, "advise not supported");
    }
  }
  static int32_t List(strata_fs* fs, const char* dir, strata_list_emit emit, void* ctx,
                      strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      std::vector<DirEntry> entries;
      STRATA_RETURN_IF_ERROR(Fs(fs).List(dir ? dir : "", &entries));
      for (const DirEntry& e : entries) emit(ctx, e.name.c_str(), e.size, e.is_dir ? 1 : 0);
      return Status::Ok();
    });
  }
  static int32_t MakeDirs(strata_fs* fs, const char* dir, strata_error* err) noexcept {
    return Guard(err, [&] { return Fs(fs).MakeDirs(dir ? dir : ""); });
  }
  static int32_t Remove(strata_fs* fs, const char* path, uint8_t recursive,
                        strata_error* err) noexcept {
    return Guard(err, [&] { return Fs(fs).Remove(path, recursive != 0); });
  }
  static int32_t Rename(strata_fs* fs, const char* from, const char* to,
                        strata_error* err) noexcept {
    return Guard(err, [&] { return Fs(fs).Rename(from, to); });
  }
  static int32_t SyncDir(strata_fs* fs, const char* dir, strata_error* err) noexcept {
    return Guard(err, [&] { return Fs(fs).SyncDir(dir ? dir : ""); });
  }
  static int32_t AtomicSave(strata_fs* fs, const char* path, const void* p, uint64_t len,
                            strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      if constexpr (detail::HasAtomicSave<FsImpl>::value) {
        return Fs(fs).AtomicSave(path, p, len);
      } else {
        return DefaultAtomicSave(Fs(fs), path, p, len);
      }
    });
  }
  static Status DefaultAtomicSave(FsImpl& fs, const std::string& path, const void* p,
                                  uint64_t len) {
    const std::string tmp = path + kAtomicTempSuffix;
    {
      STRATA_ASSIGN_OR_RETURN(
          std::unique_ptr<FileImpl> f,
          fs.OpenFile(tmp, STRATA_OPEN_WRITE | STRATA_OPEN_CREATE | STRATA_OPEN_TRUNCATE));
      STRATA_RETURN_IF_ERROR(f->WriteAt(0, p, len));
      STRATA_RETURN_IF_ERROR(f->Sync(false));
    }
    STRATA_RETURN_IF_ERROR(fs.Rename(tmp, path));
    return fs.SyncDir(ParentDir(path));
  }
  static int32_t Lock(strata_fs* fs, const char* path, void** out_lock,
                      strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      STRATA_ASSIGN_OR_RETURN(*out_lock, Fs(fs).Lock(path));
      return Status::Ok();
    });
  }
  static void Unlock(strata_fs* fs, void* lock) noexcept { Fs(fs).Unlock(lock); }
  static int32_t Stat(strata_fs* fs, const char* path, uint8_t* is_dir, uint64_t* size,
                      strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      bool d = false;
      uint64_t s = 0;
      STRATA_RETURN_IF_ERROR(Fs(fs).Stat(path, &d, &s));
      if (is_dir != nullptr) *is_dir = d ? 1 : 0;
      if (size != nullptr) *size = s;
      return Status::Ok();
    });
  }
};

}  // namespace strata::sdk

#endif  // STRATA_SDK_STORAGE_PLUGIN_HPP_
