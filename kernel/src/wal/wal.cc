#include "wal/wal.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"

namespace strata::kernel {
namespace {

constexpr char kMagic[8] = {'S', 'T', 'R', 'W', 'A', 'L', '0', '1'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kHeaderSize = 32;
constexpr uint64_t kRecordHeader = 16;

uint64_t Align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

std::string EncodeHeader(uint64_t first_seq) {
  std::string h(kHeaderSize, '\0');
  std::memcpy(h.data(), kMagic, 8);
  StoreLe<uint32_t>(h.data() + 8, kVersion);
  StoreLe<uint64_t>(h.data() + 16, first_seq);
  StoreLe<uint32_t>(h.data() + 24, Crc32c(h.data(), 24));
  return h;
}

// Checks the record at `off` of `data`; on success sets *len and returns true.
bool ValidRecord(const std::string& data, uint64_t off, uint64_t expect_seq, uint32_t* len) {
  if (off + kRecordHeader > data.size()) return false;
  uint32_t n = LoadLe<uint32_t>(data.data() + off);
  if (n == 0 || n > Wal::kMaxRecord || off + kRecordHeader + n > data.size()) return false;
  uint32_t crc = LoadLe<uint32_t>(data.data() + off + 4);
  if (crc != Crc32c(data.data() + off + 8, 8 + n)) return false;
  if (LoadLe<uint64_t>(data.data() + off + 8) != expect_seq) return false;
  *len = n;
  return true;
}

// True when some aligned offset after `from` holds a record with a sequence number > after_seq:
// then the bad record at `from` is corruption in the middle, not a torn tail.
bool AnyValidRecordAfter(const std::string& data, uint64_t from, uint64_t after_seq) {
  for (uint64_t off = Align8(from + 8); off + kRecordHeader <= data.size(); off += 8) {
    uint64_t seq = LoadLe<uint64_t>(data.data() + off + 8);
    uint32_t len = 0;
    if (seq > after_seq && ValidRecord(data, off, seq, &len)) return true;
  }
  return false;
}

bool ParseSegmentName(const std::string& name, uint64_t* first_seq) {
  if (name.size() != 4 + 20 + 4 || name.rfind("wal-", 0) != 0 || name.compare(24, 4, ".log") != 0) {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 4; i < 24; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *first_seq = v;
  return true;
}

}  // namespace

Wal::Wal(FileSystem fs, std::string dir, WalOptions options)
    : fs_(fs), dir_(std::move(dir)), options_(options) {}

Wal::~Wal() = default;

std::string Wal::SegmentPath(uint64_t first_seq) const {
  char name[40];
  std::snprintf(name, sizeof(name), "wal-%020llu.log", static_cast<unsigned long long>(first_seq));
  return sdk::JoinPath(dir_, name);
}

Result<std::unique_ptr<Wal>> Wal::Open(FileSystem fs, std::string dir, WalOptions options,
                                       WalRecovery* recovery) {
  std::unique_ptr<Wal> wal(new Wal(fs, std::move(dir), options));
  WalRecovery local;
  STRATA_RETURN_IF_ERROR(wal->Recover(recovery ? recovery : &local));
  return wal;
}

Status Wal::Recover(WalRecovery* rec) {
  STRATA_RETURN_IF_ERROR(fs_.MakeDirs(dir_));
  STRATA_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs_.List(dir_));
  std::vector<Segment> found;
  for (const DirEntry& e : entries) {
    uint64_t first = 0;
    if (!e.is_dir && ParseSegmentName(e.name, &first)) {
      found.push_back({first, sdk::JoinPath(dir_, e.name)});
    } else {
      rec->ignored_files.push_back(sdk::JoinPath(dir_, e.name));
    }
  }
  std::sort(found.begin(), found.end(),
            [](const Segment& a, const Segment& b) { return a.first_seq < b.first_seq; });

  uint64_t next = 0;
  uint64_t valid_end = 0;
  for (size_t i = 0; i < found.size(); ++i) {
    const Segment& seg = found[i];
    const bool last = i + 1 == found.size();
    STRATA_ASSIGN_OR_RETURN(std::string data, fs_.ReadAll(seg.path));
    bool header_ok = data.size() >= kHeaderSize && std::memcmp(data.data(), kMagic, 8) == 0 &&
                     LoadLe<uint32_t>(data.data() + 24) == Crc32c(data.data(), 24);
    if (!header_ok) {
      bool blank = data.find_first_not_of('\0') == std::string::npos;
      if (last && (data.size() < kHeaderSize || blank)) {
        // A segment whose creation was cut short: it never held a record. Its name still says
        // which record it was to start with.
        STRATA_RETURN_IF_ERROR(fs_.Remove(seg.path, false));
        if (i == 0) next = seg.first_seq;
        rec->dropped_tail_bytes += data.size();
        rec->tail_segment = seg.path;
        break;
      }
      return DataLoss(seg.path + ": bad WAL segment header; the shard's log is corrupt");
    }
    uint32_t version = LoadLe<uint32_t>(data.data() + 8);
    if (version != kVersion) {
      return FailedPrecondition(seg.path + ": WAL format version " + std::to_string(version) +
                                " is not supported (this build reads version 1)");
    }
    uint64_t first = LoadLe<uint64_t>(data.data() + 16);
    if (first != seg.first_seq) {
      return DataLoss(seg.path + ": header says first record " + std::to_string(first) +
                      ", the file name says " + std::to_string(seg.first_seq));
    }
    if (i > 0 && first != next) {
      return DataLoss(seg.path + ": starts at record " + std::to_string(first) +
                      " but the previous segment ends before " + std::to_string(next) +
                      " (records are missing)");
    }
    next = first;
    uint64_t off = kHeaderSize;
    while (off < data.size()) {
      uint32_t len = 0;
      if (ValidRecord(data, off, next, &len)) {
        off += Align8(kRecordHeader + len);
        ++next;
        continue;
      }
      bool tail_is_padding = data.find_first_not_of('\0', off) == std::string::npos;
      if (!tail_is_padding && (!last || AnyValidRecordAfter(data, off, next - 1))) {
        return DataLoss(seg.path + ": corrupt WAL record at offset " + std::to_string(off) +
                        " (record " + std::to_string(next) +
                        ") with valid records after it; the shard's log is corrupt");
      }
      if (!last && tail_is_padding) break;
      // A torn tail: truncate to the last valid record.
      rec->dropped_tail_bytes += data.size() - off;
      rec->tail_segment = seg.path;
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs_.Open(seg.path, STRATA_OPEN_WRITE));
      STRATA_RETURN_IF_ERROR(f->Truncate(off));
      STRATA_RETURN_IF_ERROR(f->Sync(false));
      break;
    }
    valid_end = std::min<uint64_t>(off, data.size());
    segments_.push_back(seg);
  }

  if (segments_.empty()) {
    next_seq_ = next == 0 ? 1 : next;
    STRATA_RETURN_IF_ERROR(StartSegment(next_seq_));
  } else {
    next_seq_ = next;
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f,
                            fs_.Open(segments_.back().path, STRATA_OPEN_READ | STRATA_OPEN_WRITE));
    active_ = std::move(f);
    active_size_ = valid_end;
  }
  first_seq_ = segments_.front().first_seq;
  durable_seq_ = next_seq_ - 1;
  rec->first_seq = next_seq_ > first_seq_ ? first_seq_ : 0;
  rec->last_seq = next_seq_ - 1;
  return Status::Ok();
}

Status Wal::StartSegment(uint64_t first_seq) {
  const std::string path = SegmentPath(first_seq);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f,
                          fs_.Open(path, STRATA_OPEN_READ | STRATA_OPEN_WRITE | STRATA_OPEN_CREATE |
                                             STRATA_OPEN_TRUNCATE));
  std::string header = EncodeHeader(first_seq);
  STRATA_RETURN_IF_ERROR(f->WriteAt(0, header.data(), header.size()));
  STRATA_RETURN_IF_ERROR(f->Sync(false));
  STRATA_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  segments_.push_back({first_seq, path});
  active_ = std::move(f);
  active_size_ = kHeaderSize;
  return Status::Ok();
}

Result<uint64_t> Wal::Append(std::string_view payload) { return Append({}, payload); }

Result<uint64_t> Wal::Append(std::string_view prefix, std::string_view body) {
  const size_t payload_size = prefix.size() + body.size();
  if (payload_size == 0 || payload_size > kMaxRecord) {
    return InvalidArgument("WAL record of " + std::to_string(payload_size) +
                           " bytes (must be 1 .. " + std::to_string(kMaxRecord) + ")");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!failed_.ok()) return failed_;
  const uint64_t size = Align8(kRecordHeader + payload_size);
  if (active_size_ > kHeaderSize && active_size_ + size > options_.segment_capacity) {
    // Rotate: the full segment is made durable first, so only the last segment can be torn.
    Status s = active_->Sync(true);
    if (s.ok()) s = StartSegment(next_seq_);
    if (!s.ok()) {
      failed_ = s;
      return s;
    }
    durable_seq_ = next_seq_ - 1;
  }
  // Every byte is written below (header, payload, zero padding), so no zero-fill first.
  std::unique_ptr<char[]> rec(new char[size]);
  StoreLe<uint32_t>(rec.get(), static_cast<uint32_t>(payload_size));
  StoreLe<uint64_t>(rec.get() + 8, next_seq_);
  if (!prefix.empty()) std::memcpy(rec.get() + kRecordHeader, prefix.data(), prefix.size());
  std::memcpy(rec.get() + kRecordHeader + prefix.size(), body.data(), body.size());
  std::memset(rec.get() + kRecordHeader + payload_size, 0, size - kRecordHeader - payload_size);
  StoreLe<uint32_t>(rec.get() + 4, Crc32c(rec.get() + 8, 8 + payload_size));
  Status s = active_->WriteAt(active_size_, rec.get(), size);
  if (!s.ok()) {
    // Cut any partial record so the file ends on a record boundary; if that fails too, the log
    // refuses further writes rather than risk appending after garbage.
    if (!active_->Truncate(active_size_).ok()) failed_ = s;
    return s;
  }
  active_size_ += size;
  return next_seq_++;
}

Status Wal::Sync(uint64_t seq) {
  if (options_.sync == WalSync::kNever) return Status::Ok();
  std::unique_lock<std::mutex> lock(mu_);
  while (durable_seq_ < seq) {
    if (!failed_.ok()) return failed_;
    if (syncing_) {
      sync_cv_.wait(lock);
      continue;
    }
    syncing_ = true;
    const uint64_t target = next_seq_ - 1;
    std::shared_ptr<File> file = active_;
    lock.unlock();
    Status s = file->Sync(true);
    lock.lock();
    syncing_ = false;
    if (!s.ok()) {
      failed_ = s;  // fsync failure: the page cache state is unknown; stop accepting writes
      sync_cv_.notify_all();
      return s;
    }
    durable_seq_ = std::max(durable_seq_, target);
    sync_cv_.notify_all();
  }
  return Status::Ok();
}

Result<uint64_t> Wal::AppendDurable(std::string_view payload) {
  STRATA_ASSIGN_OR_RETURN(uint64_t seq, Append(payload));
  STRATA_RETURN_IF_ERROR(Sync(seq));
  return seq;
}

Status Wal::Replay(uint64_t from,
                   const std::function<Status(uint64_t, std::string_view)>& fn) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < segments_.size(); ++i) {
    const uint64_t next_first = i + 1 < segments_.size() ? segments_[i + 1].first_seq : next_seq_;
    if (next_first <= from) continue;
    STRATA_ASSIGN_OR_RETURN(std::string data, fs_.ReadAll(segments_[i].path));
    uint64_t seq = segments_[i].first_seq;
    uint64_t off = kHeaderSize;
    const uint64_t end = i + 1 == segments_.size() ? active_size_ : data.size();
    while (off < end && seq < next_first) {
      uint32_t len = 0;
      if (!ValidRecord(data, off, seq, &len)) {
        return DataLoss(segments_[i].path + ": record " + std::to_string(seq) +
                        " changed since the log was opened");
      }
      if (seq >= from) {
        STRATA_RETURN_IF_ERROR(fn(seq, std::string_view(data.data() + off + kRecordHeader, len)));
      }
      off += Align8(kRecordHeader + len);
      ++seq;
    }
  }
  return Status::Ok();
}

Status Wal::TruncatePrefix(uint64_t before) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t drop = 0;
  while (drop + 1 < segments_.size() && segments_[drop + 1].first_seq <= before) ++drop;
  for (size_t i = 0; i < drop; ++i) STRATA_RETURN_IF_ERROR(fs_.Remove(segments_[i].path, false));
  if (drop > 0) {
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(drop));
    first_seq_ = segments_.front().first_seq;
    STRATA_RETURN_IF_ERROR(fs_.SyncDir(dir_));
  }
  return Status::Ok();
}

Status Wal::SkipTo(uint64_t next) {
  std::lock_guard<std::mutex> lock(mu_);
  if (next <= next_seq_) return Status::Ok();
  if (next_seq_ > first_seq_) {
    return FailedPrecondition(dir_ + ": the WAL holds records; its numbering cannot move");
  }
  // Every segment is empty. They go first: a crash before the new one exists leaves an empty
  // WAL that starts at 1 again, and the caller skips again at the next open.
  for (const Segment& s : segments_) STRATA_RETURN_IF_ERROR(fs_.Remove(s.path, false));
  segments_.clear();
  active_.reset();
  Status s = StartSegment(next);
  if (!s.ok()) {
    failed_ = s;
    return s;
  }
  first_seq_ = next_seq_ = next;
  durable_seq_ = next - 1;
  return Status::Ok();
}

uint64_t Wal::first_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_ > first_seq_ ? first_seq_ : 0;
}

uint64_t Wal::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_ - 1;
}

size_t Wal::segment_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return segments_.size();
}

}  // namespace strata::kernel
