#include "segment/disk_payloads.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <google/protobuf/arena.h>

#include "common/coding.h"
#include "storage/leveldb_env.h"

namespace strata::kernel {
namespace {

constexpr char kNumTag = 1;
constexpr char kUuidTag = 2;
// Per store: the memtable (before a flush to a table file) and the table files kept open (the
// minimum LevelDB accepts), so many collections stay cheap in memory and file descriptors.
constexpr size_t kWriteBufferBytes = 2u << 20;
constexpr int kMaxOpenFiles = 74;

std::mutex cache_mu;
std::shared_ptr<leveldb::Cache>& SharedCache() {
  static std::shared_ptr<leveldb::Cache> cache(leveldb::NewLRUCache(64u << 20));
  return cache;
}

Status FromLevelDb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return DataLoss(what + ": " + s.ToString());
  return Internal(what + ": " + s.ToString());
}

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// The record value: the version, then the payload in qdrant.Struct's wire format (field 1, one
// map entry {1: key, 2: value} per member), written straight from the map (no Struct copy).
std::string EncodeValue(uint64_t version, const PayloadMap& payload) {
  std::string out;
  AppendLe<uint64_t>(&out, version);
  std::string value;
  for (const auto& [key, v] : payload) {
    value.clear();
    v.AppendToString(&value);
    std::string entry;
    entry.push_back(0x0a);  // field 1, length-delimited: the key
    AppendVarint(&entry, key.size());
    entry += key;
    entry.push_back(0x12);  // field 2, length-delimited: the value
    AppendVarint(&entry, value.size());
    entry += value;
    out.push_back(0x0a);  // Struct.fields
    AppendVarint(&out, entry.size());
    out += entry;
  }
  return out;
}

bool DecodeValue(const std::string& bytes, uint64_t* version, PayloadMap* payload) {
  if (bytes.size() < 8) return false;
  *version = LoadLe<uint64_t>(bytes.data());
  if (payload == nullptr) return true;
  qdrant::Struct s;
  if (!s.ParseFromArray(bytes.data() + 8, static_cast<int>(bytes.size() - 8))) return false;
  payload->swap(*s.mutable_fields());
  return true;
}

bool DecodeKey(const leveldb::Slice& key, ExternalId* id) {
  if (key.size() == 9 && key[0] == kNumTag) {
    uint64_t n = 0;
    for (size_t i = 1; i < 9; ++i) n = (n << 8) | static_cast<uint8_t>(key[i]);
    *id = ExternalId::Num(n);
    return true;
  }
  if (key.size() == 17 && key[0] == kUuidTag) {
    id->is_uuid = true;
    for (size_t i = 0; i < 16; ++i) id->uuid[i] = static_cast<uint8_t>(key[i + 1]);
    return true;
  }
  return false;
}

}  // namespace

std::string DiskPayloads::Key(const ExternalId& id) {
  std::string key;
  if (id.is_uuid) {
    key.push_back(kUuidTag);
    key.append(reinterpret_cast<const char*>(id.uuid.data()), id.uuid.size());
  } else {
    key.push_back(kNumTag);  // big-endian, so keys sort like the numbers
    for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(id.num >> shift));
  }
  return key;
}

void DiskPayloads::SetSharedCacheBytes(size_t bytes) {
  std::lock_guard<std::mutex> lock(cache_mu);
  SharedCache().reset(leveldb::NewLRUCache(bytes));  // open stores keep the old one
}

Result<std::unique_ptr<DiskPayloads>> DiskPayloads::Open(FileSystem fs, const std::string& dir) {
  std::unique_ptr<DiskPayloads> store(new DiskPayloads());
  store->env_ = NewStorageEnv(fs);
  store->bloom_.reset(leveldb::NewBloomFilterPolicy(10));
  {
    std::lock_guard<std::mutex> lock(cache_mu);
    store->cache_ = SharedCache();
  }
  leveldb::Options o;
  o.env = store->env_.get();
  o.create_if_missing = true;
  o.filter_policy = store->bloom_.get();
  o.block_cache = store->cache_.get();
  o.write_buffer_size = kWriteBufferBytes;
  o.max_open_files = kMaxOpenFiles;
  leveldb::DB* db = nullptr;
  STRATA_RETURN_IF_ERROR(FromLevelDb(leveldb::DB::Open(o, dir, &db), dir));
  store->db_.reset(db);
  return store;
}

DiskPayloads::DiskPayloads() = default;
DiskPayloads::~DiskPayloads() { db_.reset(); }

Result<bool> DiskPayloads::ReadCommitted(const ExternalId& id, PayloadMap* out,
                                         uint64_t* version) const {
  std::string bytes;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), Key(id), &bytes);
  if (s.IsNotFound()) return false;
  STRATA_RETURN_IF_ERROR(FromLevelDb(s, "payload of point " + id.ToString()));
  if (!DecodeValue(bytes, version, out)) {
    return DataLoss("payload of point " + id.ToString() + ": undecodable record");
  }
  return true;
}

Result<bool> DiskPayloads::Read(const ExternalId& id, PayloadMap* out, uint64_t* version) const {
  auto staged = staged_.find(id);
  if (staged == staged_.end()) return ReadCommitted(id, out, version);
  if (staged->second.erase) return false;
  if (!DecodeValue(staged->second.value, version, out)) {
    return Internal("payload of point " + id.ToString() + ": staged record undecodable");
  }
  return true;
}

Result<uint64_t> DiskPayloads::CommittedVersion(const ExternalId& id) const {
  uint64_t version = 0;
  STRATA_ASSIGN_OR_RETURN(bool found, ReadCommitted(id, nullptr, &version));
  return found ? version : uint64_t{0};
}

void DiskPayloads::StagePut(const ExternalId& id, uint64_t version, const PayloadMap& payload) {
  Staged& s = staged_[id];
  s.erase = false;
  s.value = EncodeValue(version, payload);
}

void DiskPayloads::StageErase(const ExternalId& id) {
  Staged& s = staged_[id];
  s.erase = true;
  s.value.clear();
}

Status DiskPayloads::failure() const {
  std::lock_guard<std::mutex> lock(failure_mu_);
  return failure_;
}

void DiskPayloads::Fail(const Status& s) const {
  std::lock_guard<std::mutex> lock(failure_mu_);
  if (failure_.ok()) failure_ = s;
}

Status DiskPayloads::Commit() {
  if (staged_.empty()) return failure();
  leveldb::WriteBatch batch;
  for (const auto& [id, s] : staged_) {
    if (s.erase) {
      batch.Delete(Key(id));
    } else {
      batch.Put(Key(id), s.value);
    }
  }
  staged_.clear();
  Status st = FromLevelDb(db_->Write(leveldb::WriteOptions(), &batch), "payload store write");
  if (!st.ok()) Fail(st);
  return failure();
}

Status DiskPayloads::Sync() {
  leveldb::WriteOptions sync;
  sync.sync = true;
  leveldb::WriteBatch empty;  // a synced write syncs the log holding every earlier one
  return FromLevelDb(db_->Write(sync, &empty), "payload store sync");
}

Status DiskPayloads::ForEach(
    const std::function<void(const ExternalId&, uint64_t, const PayloadMap&)>& fn) const {
  leveldb::ReadOptions sequential;
  sequential.fill_cache = false;  // a scan must not evict what point reads keep warm
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(sequential));
  // Payloads are decoded onto an arena, dropped every few hundred records: a scan allocates
  // in blocks instead of once per map node.
  google::protobuf::Arena arena;
  size_t on_arena = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ExternalId id;
    const leveldb::Slice value = it->value();
    if (!DecodeKey(it->key(), &id) || value.size() < 8) {
      return DataLoss("payload store: undecodable record");
    }
    if (staged_.count(id) != 0) continue;  // a change of the write in progress wins
    if (++on_arena == 512) {
      arena.Reset();
      on_arena = 0;
    }
    auto* record = google::protobuf::Arena::CreateMessage<qdrant::Struct>(&arena);
    if (!record->ParseFromArray(value.data() + 8, static_cast<int>(value.size() - 8))) {
      return DataLoss("payload store: undecodable record");
    }
    fn(id, LoadLe<uint64_t>(value.data()), record->fields());
  }
  STRATA_RETURN_IF_ERROR(FromLevelDb(it->status(), "payload store scan"));
  for (const auto& [id, s] : staged_) {
    if (s.erase) continue;
    uint64_t version = 0;
    PayloadMap payload;
    if (!DecodeValue(s.value, &version, &payload)) return Internal("staged record undecodable");
    fn(id, version, payload);
  }
  return Status::Ok();
}

}  // namespace strata::kernel
