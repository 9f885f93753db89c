// toc.h: the table of contents: every collection and alias on this node.
//
// On disk under the storage root: collections/<name>/ (see collection.h) and aliases.meta.
// Creating writes into collections/.creating-<name> and renames it into place; deleting renames
// to collections/.deleted-<name>-<n> before removing, so a crash never leaves half a collection
// under a real name; leftovers are removed at startup. A collection whose files fail to load is
// quarantined (reported, not served) and the rest of the node serves.
// Concurrency: thread-safe. Collections are shared_ptr: an operation in flight keeps its
// collection alive while it is being deleted.
#ifndef STRATA_KERNEL_COLLECTION_TOC_H_
#define STRATA_KERNEL_COLLECTION_TOC_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collection/collection.h"

namespace strata::kernel {

class SnapshotStore;

class Toc {
 public:
  static Result<std::unique_ptr<Toc>> Open(FileSystem fs, ShardOptions options);
  ~Toc();

  // Where collection snapshots are kept; null (the default) = snapshots are not available.
  void SetSnapshotStore(std::unique_ptr<SnapshotStore> store);
  SnapshotStore* snapshots() const { return snapshots_.get(); }

  Status Create(const qdrant::CreateCollection& req);
  // false when no such collection existed.
  Result<bool> Delete(const std::string& name);
  // By name or alias; NOT_FOUND "Collection `x` doesn't exist!" otherwise.
  Result<std::shared_ptr<Collection>> Find(const std::string& name_or_alias) const;
  bool Exists(const std::string& name) const;
  std::vector<std::string> List() const;

  // Applies every action or none.
  Status UpdateAliases(const qdrant::ChangeAliases& req);
  std::vector<std::pair<std::string, std::string>> Aliases() const;  // (alias, collection)
  // Replaces (or creates) collection `name` with the one in a snapshot archive. The archive is
  // checked (and its SHA-256 compared when `checksum` is set) and unpacked beside the live
  // collection first, which serves until the swap; aliases to `name` stay. Errors name `what`.
  Status RecoverSnapshot(const std::string& name, const File& archive, const std::string& what,
                         const std::string& checksum);
  // Recovers every collection of a full snapshot (SnapshotStore::CreateFull), replacing
  // same-named ones, then the aliases whose collections exist. Errors name `what`.
  Status RecoverFullSnapshot(const File& archive, const std::string& what);
  // The alias table as aliases.meta holds it (also the full snapshot's entry).
  std::string EncodeAliases() const;
  // Collections that failed to load, with the reason.
  std::map<std::string, std::string> Quarantined() const;

 private:
  Toc(FileSystem fs, ShardOptions options);
  Status SaveAliases() const;  // requires mu_
  std::string EncodeAliasesLocked() const;
  static Result<std::map<std::string, std::string>> DecodeAliases(const std::string& file,
                                                                  const std::string& what);
  // Renames the collection's directory to a tomb and drops it from the table (requires mu_).
  Result<std::shared_ptr<Collection>> RetireLocked(const std::string& name, std::string* tomb);
  // Releases a retired collection and removes its tomb.
  void Bury(std::shared_ptr<Collection> victim, const std::string& tomb);
  std::string Dir(const std::string& name) const;

  FileSystem fs_;
  ShardOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Collection>> collections_;
  std::map<std::string, std::string> aliases_;  // alias -> collection
  std::map<std::string, std::string> quarantined_;
  uint64_t delete_counter_ = 0;
  std::unique_ptr<SnapshotStore> snapshots_;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_COLLECTION_TOC_H_
