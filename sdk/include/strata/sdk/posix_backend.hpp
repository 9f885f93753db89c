// posix_backend.hpp: a POSIX file backend for the storage ABI (C++17), header-only.
//
// The kernel's built-in "storage/posix" is BasicPosixFs<PosixFile>; backends that only change
// part of the behaviour (storage_mmap adds mapping) derive from PosixFile and reuse the rest.
// Files: pread/pwrite/fsync/fdatasync. Directories: mkdir -p, fsync of the directory fd.
// Locks: flock(LOCK_EX | LOCK_NB) on a lock file, so a second owner, in this process or another,
// is refused, and the lock dies with the process.
#ifndef STRATA_SDK_POSIX_BACKEND_HPP_
#define STRATA_SDK_POSIX_BACKEND_HPP_

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "strata/sdk/storage_plugin.hpp"

namespace strata::sdk {

class PosixFile {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() { ::close(fd_); }

  Result<uint64_t> ReadAt(uint64_t off, void* buf, uint64_t len) {
    uint64_t done = 0;
    while (done < len) {
      ssize_t n = ::pread(fd_, static_cast<char*>(buf) + done, len - done, off + done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("read", path_, errno);
      if (n == 0) break;
      done += static_cast<uint64_t>(n);
    }
    return done;
  }
  Status WriteAt(uint64_t off, const void* p, uint64_t len) {
    uint64_t done = 0;
    while (done < len) {
      ssize_t n = ::pwrite(fd_, static_cast<const char*>(p) + done, len - done, off + done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("write", path_, errno);
      done += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }
  Result<uint64_t> Append(const void* p, uint64_t len) {
    STRATA_ASSIGN_OR_RETURN(uint64_t at, Size());
    STRATA_RETURN_IF_ERROR(WriteAt(at, p, len));
    return at;
  }
  Status Truncate(uint64_t len) {
    if (::ftruncate(fd_, static_cast<off_t>(len)) != 0) return IoError("truncate", path_, errno);
    return Status::Ok();
  }
  Status Sync(bool data_only) {
    int rc = data_only ? ::fdatasync(fd_) : ::fsync(fd_);
    if (rc != 0) return IoError("fsync", path_, errno);
    return Status::Ok();
  }
  Result<uint64_t> Size() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return IoError("stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

 protected:
  int fd_;
  std::string path_;
};

template <class File>
class BasicPosixFs {
 public:
  explicit BasicPosixFs(std::string root) : root_(std::move(root)) {}

  static Result<std::unique_ptr<BasicPosixFs>> Open(const std::string& root, const Params&) {
    if (root.empty()) return InvalidArgument("posix storage needs a root directory");
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    if (ec) return IoError("mkdir", root, ec.value());
    return std::make_unique<BasicPosixFs>(root);
  }

  Result<std::unique_ptr<File>> OpenFile(const std::string& path, uint32_t flags) {
    int oflags = O_CLOEXEC;
    oflags |= (flags & STRATA_OPEN_WRITE) ? O_RDWR : O_RDONLY;
    if (flags & STRATA_OPEN_CREATE) oflags |= O_CREAT;
    if (flags & STRATA_OPEN_TRUNCATE) oflags |= O_TRUNC;
    if (flags & STRATA_OPEN_EXCLUSIVE) oflags |= O_EXCL;
    std::string full = Full(path);
    int fd = ::open(full.c_str(), oflags, 0644);
    if (fd < 0) return IoError("open", full, errno);
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd);
      return FailedPrecondition("open " + full + ": is a directory");
    }
    return std::make_unique<File>(fd, full);
  }
  Status List(const std::string& dir, std::vector<DirEntry>* out) {
    std::string full = Full(dir);
    DIR* d = ::opendir(full.c_str());
    if (d == nullptr) return IoError("list", full, errno);
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      if (::fstatat(::dirfd(d), e->d_name, &st, 0) != 0) continue;  // vanished meanwhile
      out->push_back({name, static_cast<uint64_t>(st.st_size), S_ISDIR(st.st_mode)});
    }
    ::closedir(d);
    return Status::Ok();
  }
  Status MakeDirs(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(Full(dir), ec);
    if (ec) return IoError("mkdir", Full(dir), ec.value());
    return Status::Ok();
  }
  Status Remove(const std::string& path, bool recursive) {
    std::string full = Full(path);
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(full, ec))) {
      return NotFound("remove " + full + ": no such file or directory");
    }
    if (recursive) {
      std::filesystem::remove_all(full, ec);
    } else {
      std::filesystem::remove(full, ec);
    }
    if (ec) {
      if (ec == std::errc::directory_not_empty) {
        return FailedPrecondition("remove " + full + ": directory not empty");
      }
      return IoError("remove", full, ec.value());
    }
    return Status::Ok();
  }
  Status Rename(const std::string& from, const std::string& to) {
    if (::rename(Full(from).c_str(), Full(to).c_str()) != 0) {
      return IoError("rename " + Full(from) + " to", Full(to), errno);
    }
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) {
    std::string full = Full(dir);
    int fd = ::open(full.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return IoError("open dir", full, errno);
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0) return IoError("fsync dir", full, saved);
    return Status::Ok();
  }
  Result<void*> Lock(const std::string& path) {
    std::string full = Full(path);
    int fd = ::open(full.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return IoError("open lock file", full, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int saved = errno;
      ::close(fd);
      if (saved == EWOULDBLOCK) {
        return FailedPrecondition("lock " + full + " is held by another process (or owner)");
      }
      return IoError("lock", full, saved);
    }
    return reinterpret_cast<void*>(static_cast<intptr_t>(fd) + 1);  // never NULL
  }
  void Unlock(void* lock) {
    int fd = static_cast<int>(reinterpret_cast<intptr_t>(lock) - 1);
    ::flock(fd, LOCK_UN);
    ::close(fd);
  }
  Status Stat(const std::string& path, bool* is_dir, uint64_t* size) {
    std::string full = Full(path);
    struct stat st {};
    if (::stat(full.c_str(), &st) != 0) return IoError("stat", full, errno);
    *is_dir = S_ISDIR(st.st_mode);
    *size = static_cast<uint64_t>(st.st_size);
    return Status::Ok();
  }

 private:
  std::string Full(const std::string& rel) const { return rel.empty() ? root_ : root_ + "/" + rel; }
  std::string root_;
};

}  // namespace strata::sdk

#endif  // STRATA_SDK_POSIX_BACKEND_HPP_
