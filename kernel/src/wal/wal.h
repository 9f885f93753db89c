// wal.h: a shard's write-ahead log (format: wal_format.md beside this file).
//
// Concurrency: thread-safe. Append serialises writers; Sync may be called by many threads at
// once and they share fsyncs (group commit). Replay and TruncatePrefix take the same lock.
#ifndef STRATA_KERNEL_WAL_WAL_H_
#define STRATA_KERNEL_WAL_WAL_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_system.h"

namespace strata::kernel {

enum class WalSync { kAlways, kNever };

struct WalOptions {
  uint64_t segment_capacity = 32ull << 20;  // wal_capacity_mb
  WalSync sync = WalSync::kAlways;
};

// What Open found.
struct WalRecovery {
  uint64_t first_seq = 0;  // 0 when empty
  uint64_t last_seq = 0;
  uint64_t dropped_tail_bytes = 0;  // a torn tail was truncated when > 0
  std::string tail_segment;         // the segment that was truncated
  std::vector<std::string> ignored_files;
};

class Wal {
 public:
  static constexpr uint32_t kMaxRecord = 64u << 20;

  // Opens (creating when missing) the WAL in `dir` and recovers it (see wal_format.md).
  static Result<std::unique_ptr<Wal>> Open(FileSystem fs, std::string dir, WalOptions options,
                                           WalRecovery* recovery = nullptr);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Writes one record and returns its sequence number. Not durable until Sync.
  Result<uint64_t> Append(std::string_view payload);
  // The same record, its payload given in two pieces (prefix then body), copied once.
  Result<uint64_t> Append(std::string_view prefix, std::string_view body);
  // Makes every record up to `seq` durable (a no-op under WalSync::kNever).
  Status Sync(uint64_t seq);
  // Append + Sync: when it returns OK the record is acknowledged per the sync policy.
  Result<uint64_t> AppendDurable(std::string_view payload);

  // Calls fn for every record with seq >= from, in order. fn's error stops the replay.
  Status Replay(uint64_t from,
                const std::function<Status(uint64_t seq, std::string_view payload)>& fn) const;
  // Deletes whole segments whose records are all < before (never the last segment).
  Status TruncatePrefix(uint64_t before);
  // For a WAL that holds no record: the next record gets sequence number `next` (a shard
  // restored from a snapshot taken at next - 1). A no-op when numbering is already there;
  // FAILED_PRECONDITION when records exist.
  Status SkipTo(uint64_t next);

  uint64_t first_seq() const;
  uint64_t last_seq() const;
  size_t segment_count() const;

 private:
  struct Segment {
    uint64_t first_seq;
    std::string path;
  };
  Wal(FileSystem fs, std::string dir, WalOptions options);
  Status Recover(WalRecovery* recovery);
  Status StartSegment(uint64_t first_seq);
  std::string SegmentPath(uint64_t first_seq) const;

  FileSystem fs_;
  std::string dir_;
  WalOptions options_;
  mutable std::mutex mu_;
  std::condition_variable sync_cv_;
  std::vector<Segment> segments_;
  std::shared_ptr<File> active_;  // the last segment, open for appends
  uint64_t active_size_ = 0;
  uint64_t first_seq_ = 0;
  uint64_t next_seq_ = 1;
  uint64_t durable_seq_ = 0;
  bool syncing_ = false;
  Status failed_;  // a failed write or sync poisons the log: later appends are refused
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_WAL_WAL_H_
