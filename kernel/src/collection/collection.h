// collection.h: one collection: its configuration (as Qdrant reports it), its payload schema and
// its shard. Strata runs one local shard per collection; shard_number and replication settings
// are accepted and echoed for the cluster work to come.
//
// On disk: <dir>/collection.meta (format in collection.cc) and <dir>/0/ (the shard).
// Concurrency: thread-safe; the shard synchronises itself, the metadata has its own mutex.
#ifndef STRATA_KERNEL_COLLECTION_COLLECTION_H_
#define STRATA_KERNEL_COLLECTION_COLLECTION_H_

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "collections.pb.h"
#include "shard/local_shard.h"

namespace strata::kernel {

// Fills Qdrant's defaults under a CreateCollection request and validates it; every error names
// the field. The result is what GET collection reports as `config`.
Result<qdrant::CollectionConfig> ConfigFromCreate(const qdrant::CreateCollection& req);
// The segment's vector specs of a configuration.
Result<std::vector<VectorSpec>> SpecsOf(const qdrant::CollectionConfig& config);
// Qdrant's collection name rule; INVALID_ARGUMENT naming the field otherwise.
Status ValidateCollectionName(const std::string& name, const std::string& field);

class Collection {
 public:
  // Creates the collection's files (dir must not exist yet) or opens existing ones.
  static Result<std::unique_ptr<Collection>> Create(FileSystem fs, std::string dir,
                                                    std::string name,
                                                    const qdrant::CollectionConfig& config,
                                                    ShardOptions options);
  static Result<std::unique_ptr<Collection>> Open(FileSystem fs, std::string dir, std::string name,
                                                  ShardOptions options);

  const std::string& name() const { return name_; }
  LocalShard& shard() { return *shard_; }
  const LocalShard& shard() const { return *shard_; }

  void Info(qdrant::CollectionInfo* out) const;
  // The strict mode settings and the payload fields with an index (service/strict_mode.h);
  // false when strict mode is off.
  bool StrictMode(qdrant::StrictModeConfig* strict, std::set<std::string>* indexed) const;
  // Whether strict mode is on, without copying its settings (the upsert path asks every time).
  bool StrictModeEnabled() const;
  Status Update(const qdrant::UpdateCollection& req);
  Status CreateFieldIndex(const qdrant::CreateFieldIndexCollection& req);
  Status DeleteFieldIndex(const std::string& field);
  // The collection.meta file's bytes (configuration and payload schema), as saved.
  std::string EncodeMeta() const;
  // Decodes and checks collection.meta bytes; errors name `what`.
  static Result<qdrant::CollectionInfo> DecodeMeta(const std::string& file,
                                                   const std::string& what);
  static constexpr const char* kMetaFileName = "collection.meta";
  static constexpr const char* kShardDirName = "0";

  // Deleted (its directory renamed away): nothing writes under the old path any more (see
  // LocalShard::Drop); metadata changes are refused.
  void Drop();

 private:
  Collection(FileSystem fs, std::string dir, std::string name)
      : fs_(fs), dir_(std::move(dir)), name_(std::move(name)) {}
  Status SaveMeta() const;  // requires mu_
  std::string EncodeMetaLocked() const;
  Status LoadMeta();
  // Hands the payload schema to the shard's payload indexes (requires mu_ or construction).
  void ApplyFieldIndexes();

  FileSystem fs_;
  std::string dir_;
  std::string name_;
  mutable std::mutex mu_;
  qdrant::CollectionInfo meta_;  // config + payload_schema are persisted
  std::unique_ptr<LocalShard> shard_;
  bool dropped_ = false;  // guarded by mu_
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_COLLECTION_COLLECTION_H_
