// manifest.h: the shard manifest `<shard>/manifest` (format in snapshot_format.md): which files
// make up the shard and which plugins wrote them. Written at every open and after every change
// it describes (payload placement, a saved index, a vacuum); read at open to refuse a manifest
// from a newer format and to keep a saved index from being loaded by another index plugin.
#ifndef STRATA_KERNEL_SHARD_MANIFEST_H_
#define STRATA_KERNEL_SHARD_MANIFEST_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "strata/sdk/status.hpp"

namespace strata::kernel {

struct ShardManifest {
  static constexpr uint32_t kVersion = 1;
  struct SegmentEntry {
    std::string kind;      // "appendable" (the only kind today)
    std::string image;     // its image file, relative to the shard directory
    std::string payloads;  // its payload store directory; empty: payloads in the image
    uint64_t layout = 0;   // offset layout id
  };
  std::string storage;       // the storage backend, "storage/<name> <version>"
  std::string index_plugin;  // the configured index plugin, "index/<name> <version>"; "" = none
  std::vector<SegmentEntry> segments;
  // Saved vector indexes: vector name -> the plugin that saved it ("index/<name> <version>").
  std::map<std::string, std::string> saved_indexes;

  std::string Encode() const;
  // DATA_LOSS for a damaged file; FAILED_PRECONDITION for a newer format version.
  static Result<ShardManifest> Decode(const std::string& bytes, const std::string& what);
};

// "index/hnsw 1.2.0" -> "index/hnsw": the part that must match for a saved index to load.
std::string PluginName(const std::string& id);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SHARD_MANIFEST_H_
