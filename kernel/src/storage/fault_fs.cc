#include "storage/fault_fs.h"

#include "strata/sdk/storage_plugin.hpp"

namespace strata::kernel {

void FaultState::Attach(const strata_storage_vtable* inner, strata_fs* inner_fs) {
  std::lock_guard<std::mutex> lock(mu_);
  inner_ = inner;
  inner_fs_ = inner_fs;
}

void FaultState::Crash() {
  std::lock_guard<std::mutex> lock(mu_);
  CrashLocked();
}

void FaultState::CrashLocked() {
  dead_ = true;
  for (auto& [path, t] : files_) {
    strata_error err{};
    if (!t.durable_entry) {
      inner_->remove(inner_fs_, path.c_str(), 0, &err);
      continue;
    }
    strata_file* f = nullptr;
    if (inner_->open(inner_fs_, path.c_str(), STRATA_OPEN_WRITE, &f, &err) != STRATA_OK) continue;
    uint64_t size = 0;
    if (inner_->size(f, &size, &err) == STRATA_OK && size > t.synced_size) {
      inner_->truncate(f, t.synced_size, &err);
    }
    inner_->close(f);
  }
  files_.clear();
}

void FaultState::Kill() {
  std::lock_guard<std::mutex> lock(mu_);
  dead_ = true;
  files_.clear();  // what was written is as durable as a killed process leaves it
}

void FaultState::CrashBeforeNth(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_at_ = n > 0 ? ops_ + n : 0;
}

void FaultState::Revive() {
  std::lock_guard<std::mutex> lock(mu_);
  dead_ = false;
  fail_at_ = 0;
  crash_at_ = 0;
  space_left_ = -1;
}

void FaultState::FailNth(int64_t n, StatusCode code) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_at_ = n > 0 ? ops_ + n : 0;
  fail_code_ = code;
}

void FaultState::SetSpaceBudget(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  space_left_ = bytes;
}

int64_t FaultState::operations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_;
}

Status FaultState::BeforeOp(const char* op, const std::string& path, bool mutating) {
  std::lock_guard<std::mutex> lock(mu_);
  ++ops_;
  if (crash_at_ != 0 && ops_ == crash_at_) {
    crash_at_ = 0;
    CrashLocked();
    return Unavailable(std::string(op) + " " + path + ": simulated crash, process is gone");
  }
  if (dead_ && mutating) {
    return Unavailable(std::string(op) + " " + path + ": simulated crash, process is gone");
  }
  if (fail_at_ != 0 && ops_ == fail_at_) {
    fail_at_ = 0;
    return Status(fail_code_, std::string(op) + " " + path + ": injected failure");
  }
  return Status::Ok();
}

Status FaultState::ChargeWrite(const std::string& path, uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (space_left_ < 0) return Status::Ok();
  if (static_cast<int64_t>(bytes) > space_left_) {
    space_left_ = 0;
    return ResourceExhausted("write " + path + ": No space left on device (injected)");
  }
  space_left_ -= static_cast<int64_t>(bytes);
  return Status::Ok();
}

void FaultState::OnCreate(const std::string& path, const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[path] = Tracked{0, false, dir};
}

void FaultState::OnOpenExisting(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.count(path) == 0) files_[path] = Tracked{size, true, sdk::ParentDir(path)};
}

Status FaultState::OnSync(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  // A crash while the sync was under way: it never returned (what it wrote may or may not
  // have reached the disk; the crash dropped it).
  if (dead_) return Unavailable("sync " + path + ": simulated crash, process is gone");
  auto it = files_.find(path);
  if (it != files_.end()) it->second.synced_size = size;
  return Status::Ok();
}

Status FaultState::OnSyncDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dead_) return Unavailable("sync " + dir + ": simulated crash, process is gone");
  for (auto& [path, t] : files_) {
    if (t.dir == dir) t.durable_entry = true;
  }
  return Status::Ok();
}

void FaultState::OnRemove(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(path);
}

void FaultState::OnRename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(from);
  if (it == files_.end()) {
    files_.erase(to);
    return;
  }
  Tracked t = it->second;
  t.durable_entry = true;  // model: renames are durable at once
  t.dir = sdk::ParentDir(to);
  files_.erase(it);
  files_[to] = t;
}

namespace {

class FaultFile {
 public:
  FaultFile(std::unique_ptr<File> inner, std::string path, std::shared_ptr<FaultState> state)
      : inner_(std::move(inner)), path_(std::move(path)), state_(std::move(state)) {}

  Result<uint64_t> ReadAt(uint64_t off, void* buf, uint64_t len) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("read", path_, false));
    return inner_->ReadAt(off, buf, len);
  }
  Status WriteAt(uint64_t off, const void* p, uint64_t len) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("write", path_, true));
    STRATA_RETURN_IF_ERROR(state_->ChargeWrite(path_, len));
    return inner_->WriteAt(off, p, len);
  }
  Result<uint64_t> Append(const void* p, uint64_t len) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("append", path_, true));
    STRATA_RETURN_IF_ERROR(state_->ChargeWrite(path_, len));
    return inner_->Append(p, len);
  }
  Status Truncate(uint64_t len) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("truncate", path_, true));
    return inner_->Truncate(len);
  }
  Status Sync(bool data_only) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("sync", path_, true));
    STRATA_RETURN_IF_ERROR(inner_->Sync(data_only));
    STRATA_ASSIGN_OR_RETURN(uint64_t size, inner_->Size());
    return state_->OnSync(path_, size);
  }
  Result<uint64_t> Size() { return inner_->Size(); }

 private:
  std::unique_ptr<File> inner_;
  std::string path_;
  std::shared_ptr<FaultState> state_;
};

class FaultFs {
 public:
  FaultFs(std::unique_ptr<OwnedFs> inner, std::shared_ptr<FaultState> state)
      : inner_(std::move(inner)), state_(std::move(state)) {}

  static Result<std::unique_ptr<FaultFs>> Open(const std::string&, const sdk::Params&) {
    return Unimplemented("the fault fs is opened with OpenFaultFs()");
  }

  Result<std::unique_ptr<FaultFile>> OpenFile(const std::string& path, uint32_t flags) {
    const bool mutating = (flags & (STRATA_OPEN_WRITE | STRATA_OPEN_CREATE)) != 0;
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("open", path, mutating));
    STRATA_ASSIGN_OR_RETURN(bool existed, fs().Exists(path));
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs().Open(path, flags));
    if (!existed) {
      state_->OnCreate(path, sdk::ParentDir(path));
    } else if (mutating) {
      STRATA_ASSIGN_OR_RETURN(uint64_t size, f->Size());
      state_->OnOpenExisting(path, (flags & STRATA_OPEN_TRUNCATE) ? 0 : size);
    }
    return std::make_unique<FaultFile>(std::move(f), path, state_);
  }
  Status List(const std::string& dir, std::vector<DirEntry>* out) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("list", dir, false));
    STRATA_ASSIGN_OR_RETURN(*out, fs().List(dir));
    return Status::Ok();
  }
  Status MakeDirs(const std::string& dir) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("mkdir", dir, true));
    return fs().MakeDirs(dir);
  }
  Status Remove(const std::string& path, bool recursive) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("remove", path, true));
    STRATA_RETURN_IF_ERROR(fs().Remove(path, recursive));
    state_->OnRemove(path);
    return Status::Ok();
  }
  Status Rename(const std::string& from, const std::string& to) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("rename", from, true));
    STRATA_RETURN_IF_ERROR(fs().Rename(from, to));
    state_->OnRename(from, to);
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) {
    STRATA_RETURN_IF_ERROR(state_->BeforeOp("sync_dir", dir, true));
    STRATA_RETURN_IF_ERROR(fs().SyncDir(dir));
    return state_->OnSyncDir(dir);
  }
  Result<void*> Lock(const std::string& path) {
    strata_error err{};
    void* lock = nullptr;
    int32_t rc = inner_->vtable()->lock(inner_->fs(), path.c_str(), &lock, &err);
    if (rc != STRATA_OK) return Status::FromAbi(rc, &err);
    return lock;
  }
  void Unlock(void* lock) { inner_->vtable()->unlock(inner_->fs(), lock); }
  Status Stat(const std::string& path, bool* is_dir, uint64_t* size) {
    strata_error err{};
    uint8_t d = 0;
    int32_t rc = inner_->vtable()->stat(inner_->fs(), path.c_str(), &d, size, &err);
    *is_dir = d != 0;
    return Status::FromAbi(rc, &err);
  }

 private:
  FileSystem fs() const { return inner_->view(); }
  std::unique_ptr<OwnedFs> inner_;
  std::shared_ptr<FaultState> state_;
};

}  // namespace

Result<std::unique_ptr<OwnedFs>> OpenFaultFs(const strata_storage_vtable* inner_vt,
                                             const std::string& root,
                                             std::shared_ptr<FaultState> state) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<OwnedFs> inner, OwnedFs::Open(inner_vt, root));
  state->Attach(inner->vtable(), inner->fs());
  auto* fault = new FaultFs(std::move(inner), std::move(state));
  return OwnedFs::Adopt(sdk::StoragePlugin<FaultFs, FaultFile>::Vtable(),
                        reinterpret_cast<strata_fs*>(fault));
}

}  // namespace strata::kernel
