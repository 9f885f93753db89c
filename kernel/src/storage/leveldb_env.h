// leveldb_env.h: a leveldb::Env whose files go through a Strata storage backend.
//
// LevelDB databases opened with this Env keep every file (tables, logs, MANIFEST, CURRENT,
// LOCK) wherever the selected storage plugin puts data, relative to that backend's root, and
// the fault-injecting backend can crash them in tests. Sync() syncs the file; for a MANIFEST it
// also syncs the directory (as LevelDB's own POSIX Env does, so a new manifest's entry is
// durable). Locks are per process (the server already holds the storage directory's lock).
// Threads, the clock and sleeping come from leveldb::Env::Default(); LevelDB's info log is
// dropped (errors reach callers through leveldb::Status).
#ifndef STRATA_KERNEL_STORAGE_LEVELDB_ENV_H_
#define STRATA_KERNEL_STORAGE_LEVELDB_ENV_H_

#include <memory>

#include "storage/file_system.h"

namespace leveldb {
class Env;
}

namespace strata::kernel {

// The Env borrows `fs`; keep the backend open while any database uses the Env.
std::unique_ptr<leveldb::Env> NewStorageEnv(FileSystem fs);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_STORAGE_LEVELDB_ENV_H_
