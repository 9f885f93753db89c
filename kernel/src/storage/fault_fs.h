// fault_fs.h: a fault-injecting storage backend for tests. It wraps another backend and can
//  - simulate a crash: every byte not made durable (file data not synced, files created in a
//    directory not synced since) is dropped, and the "dead" process can write nothing more;
//  - fail the Nth operation from now;
//  - run out of space (ENOSPC -> RESOURCE_EXHAUSTED) after a byte budget.
// Model limits: overwrites inside an already-synced range are assumed durable once written (the
// kernel only appends to or atomically replaces files), renames are durable at once.
//
// Concurrency: thread-safe, like every backend.
#ifndef STRATA_KERNEL_STORAGE_FAULT_FS_H_
#define STRATA_KERNEL_STORAGE_FAULT_FS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "storage/file_system.h"

namespace strata::kernel {

class FaultState {
 public:
  // Drops everything not durable and refuses further writes until Revive().
  void Crash();
  // A killed process: every byte written so far stays (the OS has it), nothing more is
  // written until Revive().
  void Kill();
  void Revive();
  // The `n`th operation from now (1 = the next) fails with `code`; 0 disables.
  void FailNth(int64_t n, StatusCode code = StatusCode::kInternal);
  // A crash just before the `n`th operation from now (1 = the next), whichever thread makes
  // it: what is not durable then is dropped, and that operation and every later write fail.
  // 0 disables.
  void CrashBeforeNth(int64_t n);
  // Writes fail with RESOURCE_EXHAUSTED once this many more bytes have been written.
  void SetSpaceBudget(int64_t bytes);
  int64_t operations() const;

  // Used by the backend.
  Status BeforeOp(const char* op, const std::string& path, bool mutating);
  Status ChargeWrite(const std::string& path, uint64_t bytes);
  void OnCreate(const std::string& path, const std::string& dir);
  void OnOpenExisting(const std::string& path, uint64_t size);
  // After the sync itself: fails when a crash came while it was under way.
  Status OnSync(const std::string& path, uint64_t size);
  Status OnSyncDir(const std::string& dir);
  void OnRemove(const std::string& path);
  void OnRename(const std::string& from, const std::string& to);
  void Attach(const strata_storage_vtable* inner, strata_fs* inner_fs);

 private:
  struct Tracked {
    uint64_t synced_size = 0;
    bool durable_entry = true;  // false until its directory is synced after creation
    std::string dir;
  };
  mutable std::mutex mu_;
  std::map<std::string, Tracked> files_;
  const strata_storage_vtable* inner_ = nullptr;
  strata_fs* inner_fs_ = nullptr;
  bool dead_ = false;
  int64_t ops_ = 0;
  void CrashLocked();
  int64_t fail_at_ = 0;
  int64_t crash_at_ = 0;
  StatusCode fail_code_ = StatusCode::kInternal;
  int64_t space_left_ = -1;  // -1 = unlimited
};

// Opens a fault-injecting fs over `inner_vt` rooted at `root`, controlled by `state`.
Result<std::unique_ptr<OwnedFs>> OpenFaultFs(const strata_storage_vtable* inner_vt,
                                             const std::string& root,
                                             std::shared_ptr<FaultState> state);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_STORAGE_FAULT_FS_H_
