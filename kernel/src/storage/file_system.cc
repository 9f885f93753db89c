#include "storage/file_system.h"

namespace strata::kernel {

File::~File() { vt_->close(f_); }

Result<uint64_t> File::ReadAt(uint64_t off, void* buf, uint64_t len) const {
  strata_error err{};
  uint64_t n = 0;
  int32_t rc = vt_->read_at(f_, off, buf, len, &n, &err);
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
  return n;
}

Status File::ReadExact(uint64_t off, void* buf, uint64_t len) const {
  STRATA_ASSIGN_OR_RETURN(uint64_t n, ReadAt(off, buf, len));
  if (n != len) {
    return DataLoss(path_ + ": short read at offset " + std::to_string(off) + " (" +
                    std::to_string(n) + " of " + std::to_string(len) + " bytes)");
  }
  return Status::Ok();
}

Status File::WriteAt(uint64_t off, const void* p, uint64_t len) {
  strata_error err{};
  return Status::FromAbi(vt_->write_at(f_, off, p, len, &err), &err);
}

Result<uint64_t> File::Append(const void* p, uint64_t len) {
  strata_error err{};
  uint64_t at = 0;
  int32_t rc = vt_->append(f_, p, len, &at, &err);
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
  return at;
}

Status File::Truncate(uint64_t len) {
  strata_error err{};
  return Status::FromAbi(vt_->truncate(f_, len, &err), &err);
}

Status File::Sync(bool data_only) {
  strata_error err{};
  return Status::FromAbi(vt_->sync(f_, data_only ? 1 : 0, &err), &err);
}

Result<uint64_t> File::Size() const {
  strata_error err{};
  uint64_t size = 0;
  int32_t rc = vt_->size(f_, &size, &err);
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
  return size;
}

Result<std::unique_ptr<File>> FileSystem::Open(const std::string& path, uint32_t flags) const {
  strata_error err{};
  strata_file* f = nullptr;
  int32_t rc = vt_->open(fs_, path.c_str(), flags, &f, &err);
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
  return std::make_unique<File>(vt_, f, path);
}

Result<std::vector<DirEntry>> FileSystem::List(const std::string& dir) const {
  std::vector<DirEntry> out;
  strata_error err{};
  auto emit = [](void* ctx, const char* name, uint64_t size, uint8_t is_dir) {
    static_cast<std::vector<DirEntry>*>(ctx)->push_back({name, size, is_dir != 0});
  };
  int32_t rc = vt_->list(fs_, dir.c_str(), emit, &out, &err);
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
  return out;
}

Status FileSystem::MakeDirs(const std::string& dir) const {
  strata_error err{};
  return Status::FromAbi(vt_->mkdir(fs_, dir.c_str(), &err), &err);
}

Status FileSystem::Remove(const std::string& path, bool recursive) const {
  strata_error err{};
  return Status::FromAbi(vt_->remove(fs_, path.c_str(), recursive ? 1 : 0, &err), &err);
}

Status FileSystem::Rename(const std::string& from, const std::string& to) const {
  strata_error err{};
  return Status::FromAbi(vt_->rename(fs_, from.c_str(), to.c_str(), &err), &err);
}

Status FileSystem::SyncDir(const std::string& dir) const {
  strata_error err{};
  return Status::FromAbi(vt_->sync_dir(fs_, dir.c_str(), &err), &err);
}

Status FileSystem::AtomicSave(const std::string& path, const std::string& data) const {
  strata_error err{};
  return Status::FromAbi(vt_->atomic_save(fs_, path.c_str(), data.data(), data.size(), &err), &err);
}

Result<std::string> FileSystem::ReadAll(const std::string& path) const {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f, Open(path, STRATA_OPEN_READ));
  STRATA_ASSIGN_OR_RETURN(uint64_t size, f->Size());
  std::string data(size, '\0');
  STRATA_RETURN_IF_ERROR(f->ReadExact(0, data.data(), size));
  return data;
}

Result<bool> FileSystem::Exists(const std::string& path) const {
  strata_error err{};
  int32_t rc = vt_->stat(fs_, path.c_str(), nullptr, nullptr, &err);
  if (rc == STRATA_NOT_FOUND) return false;
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
  return true;
}

Result<std::unique_ptr<OwnedFs>> OwnedFs::Open(const strata_storage_vtable* vt,
                                               const std::string& root) {
  strata_error err{};
  strata_fs* fs = nullptr;
  int32_t rc = vt->open_fs(root.c_str(), nullptr, &fs, &err);
  if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
  return std::unique_ptr<OwnedFs>(new OwnedFs(vt, fs));
}

OwnedFs::~OwnedFs() { vt_->close_fs(fs_); }

}  // namespace strata::kernel
