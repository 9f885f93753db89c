// disk_payloads.h: a shard's payloads kept on disk (collection params.on_disk_payload) in a
// LevelDB database whose files go through the storage backend (storage/leveldb_env.h).
// Format and recovery rules: disk_payloads.md.
//
// Records are keyed by point id and carry the version (WAL sequence number) of the change that
// wrote them. Changes are staged and committed as one LevelDB batch per write request, so after
// a crash the database holds, per request, all of its changes or none. Commits are not synced:
// the WAL is the durable record, and the shard syncs the store before a snapshot lets the WAL
// go. Concurrency: Read may run on many threads at once; staging and Commit need the caller's
// exclusive lock (the shard's apply step), which also keeps readers from seeing staged changes.
#ifndef STRATA_KERNEL_SEGMENT_DISK_PAYLOADS_H_
#define STRATA_KERNEL_SEGMENT_DISK_PAYLOADS_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "segment/filter.h"
#include "segment/point_id.h"
#include "storage/file_system.h"

namespace leveldb {
class Cache;
class DB;
class Env;
class FilterPolicy;
}  // namespace leveldb

namespace strata::kernel {

class DiskPayloads {
 public:
  // Opens (creating when missing) the database in directory `dir` of `fs`.
  static Result<std::unique_ptr<DiskPayloads>> Open(FileSystem fs, const std::string& dir);
  // Every store shares one LevelDB block cache (storage.payload_cache_mb; 64 MiB until set):
  // memory for cached payload blocks stays bounded however many collections there are. Stores
  // opened later use the new size.
  static void SetSharedCacheBytes(size_t bytes);
  ~DiskPayloads();
  DiskPayloads(const DiskPayloads&) = delete;
  DiskPayloads& operator=(const DiskPayloads&) = delete;

  // The point's payload and the version that wrote it (staged changes first); false when there
  // is no record. A read error is returned as is.
  Result<bool> Read(const ExternalId& id, PayloadMap* out, uint64_t* version) const;
  // The version of the committed record, ignoring staged changes; 0 when there is none.
  Result<uint64_t> CommittedVersion(const ExternalId& id) const;
  bool IsStaged(const ExternalId& id) const { return staged_.count(id) != 0; }
  // Encodes the record at once (the caller's map is not kept).
  void StagePut(const ExternalId& id, uint64_t version, const PayloadMap& payload);
  void StageErase(const ExternalId& id);
  void DiscardStaged() { staged_.clear(); }
  // Writes the staged changes as one batch (not synced) and forgets them.
  Status Commit();
  // Makes every committed change durable.
  Status Sync();
  // Every record: the committed ones in key order (integer ids ascending, then UUIDs), those of
  // the write in progress (staged) instead of theirs, after them. Reads sequentially without
  // filling the block cache.
  Status ForEach(
      const std::function<void(const ExternalId&, uint64_t version, const PayloadMap&)>& fn) const;
  // The first commit error (the store no longer matches the segment until the shard reopens
  // and replays its WAL); OK while none happened.
  Status failure() const;
  // Records a failure seen by a user of the store (a read that failed); any thread.
  void Fail(const Status& s) const;

  static std::string Key(const ExternalId& id);

 private:
  DiskPayloads();
  // The committed record (out may be null: the version only); false when there is none.
  Result<bool> ReadCommitted(const ExternalId& id, PayloadMap* out, uint64_t* version) const;
  struct Staged {
    bool erase = false;
    std::string value;  // the encoded record (version + payload) unless erase
  };
  std::unique_ptr<leveldb::Env> env_;
  std::unique_ptr<const leveldb::FilterPolicy> bloom_;
  std::shared_ptr<leveldb::Cache> cache_;  // the shared block cache
  std::unique_ptr<leveldb::DB> db_;        // last: closed before the Env, filter and cache go
  std::unordered_map<ExternalId, Staged, ExternalIdHash> staged_;
  mutable std::mutex failure_mu_;
  mutable Status failure_;  // guarded by failure_mu_
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SEGMENT_DISK_PAYLOADS_H_
