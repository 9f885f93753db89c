// snapshots.h: collection snapshots (format in snapshot_archive.md): tar archives of a
// collection's metadata and its shard's segment image, kept in the snapshots directory
// (storage.snapshots_path) as <collection>/<name>.snapshot with a <name>.snapshot.checksum
// (SHA-256, hex) beside each.
//
// The store only manages files; restoring an archive into a live collection is Toc's job
// (Toc::RecoverSnapshot), using UnpackSnapshot below.
// Concurrency: thread-safe.
#ifndef STRATA_KERNEL_COLLECTION_SNAPSHOTS_H_
#define STRATA_KERNEL_COLLECTION_SNAPSHOTS_H_

#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "collection/collection.h"
#include "snapshots_service.pb.h"
#include "storage/file_system.h"

namespace strata::kernel {

// A collection's archive taken out of a full snapshot into a temporary file.
struct FullSnapshotPart {
  std::string collection;
  std::string path;  // in the snapshots directory (remove with RemoveTemporary)
  std::unique_ptr<File> file;
};

class SnapshotStore {
 public:
  // fs is rooted at the snapshots directory, whose absolute path is `root` (file:// locations
  // must lie under it). Leftover temporaries and uploads from a previous run are removed.
  static Result<std::unique_ptr<SnapshotStore>> Open(FileSystem fs, std::string root);

  // Writes a new snapshot of c (its name: <collection>-<node>-<YYYY-MM-DD-HH-MM-SS>.snapshot).
  Result<qdrant::SnapshotDescription> Create(const Collection& c);
  // A full snapshot (full-snapshot-<YYYY-MM-DD-HH-MM-SS>.snapshot at the directory's top):
  // every collection's archive nested as collections/<name>.snapshot, and the alias table.
  // List / Delete / Read it with collection "".
  Result<qdrant::SnapshotDescription> CreateFull(
      const std::vector<std::shared_ptr<Collection>>& collections, const std::string& aliases);
  // Checks a full snapshot and copies out each collection's archive; *aliases: the alias table
  // entry (Toc's aliases.meta format).
  Result<std::vector<FullSnapshotPart>> UnpackFull(const File& archive, const std::string& what,
                                                   std::string* aliases);
  void RemoveTemporary(const std::string& path);
  // The collection's snapshots, oldest first (by creation time, then name).
  Result<std::vector<qdrant::SnapshotDescription>> List(const std::string& collection) const;
  // NOT_FOUND when there is no such snapshot.
  Status Delete(const std::string& collection, const std::string& name);
  // Up to max bytes of a snapshot from offset; *total is its size.
  Result<std::string> Read(const std::string& collection, const std::string& name, uint64_t offset,
                           uint32_t max, uint64_t* total) const;

  // Uploads: a client's archive written piece by piece (offset 0 starts it afresh), then
  // recovered from and removed.
  Status WriteUpload(const std::string& collection, const std::string& upload_id, uint64_t offset,
                     std::string_view data);
  Status RemoveUpload(const std::string& collection, const std::string& upload_id);

  // Opens the archive named by a recovery request: a file:// URI under the snapshots
  // directory, or an upload id. *what names it in errors.
  Result<std::unique_ptr<File>> OpenLocation(const std::string& location, std::string* what) const;
  Result<std::unique_ptr<File>> OpenUpload(const std::string& collection,
                                           const std::string& upload_id, std::string* what) const;

 private:
  SnapshotStore(FileSystem fs, std::string root);
  // Writes an archive with `write` under a fresh name <stem>-<date>.snapshot in dir (temporary
  // file, SHA-256, rename, checksum file) and describes it.
  Result<qdrant::SnapshotDescription> Publish(const std::string& dir, const std::string& stem,
                                              std::time_t now,
                                              const std::function<Result<uint64_t>(File&)>& write);
  Result<qdrant::SnapshotDescription> Describe(const std::string& collection,
                                               const std::string& name, uint64_t size) const;

  FileSystem fs_;
  std::string root_;
  uint64_t node_id_;
  std::mutex create_mu_;  // one snapshot is written at a time
};

// SHA-256 (lower-case hex) of the whole file.
Result<std::string> FileSha256(const File& f);

// Checks the archive (entries, collection metadata, every point record's CRC) and unpacks it as
// a collection directory `dir` in `dst`, ready for Collection::Open. Errors name `what`.
Status UnpackSnapshot(const File& archive, const std::string& what, FileSystem dst,
                      const std::string& dir);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_COLLECTION_SNAPSHOTS_H_
