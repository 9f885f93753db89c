#include "collection/snapshots.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <random>
#include <set>

#include "collection/tar.h"
#include "common/logging.h"
#include "common/sha256.h"

namespace strata::kernel {
namespace {

constexpr const char* kSuffix = ".snapshot";
constexpr const char* kChecksumSuffix = ".checksum";
constexpr const char* kUploadPrefix = ".upload-";
constexpr const char* kManifest = "snapshot.meta";
constexpr const char* kFormat = "strata-collection-snapshot";
constexpr const char* kFullFormat = "strata-storage-snapshot";
constexpr const char* kAliasesEntry = "aliases.meta";
constexpr const char* kCollectionsDir = "collections/";
constexpr int kFormatVersion = 1;
constexpr uint64_t kChunk = 4u << 20;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A snapshot or upload name is one plain file name: never a path.
Status ValidateFileName(const std::string& name, const std::string& field) {
  if (name.empty() || name.size() > 255 || name[0] == '.' ||
      name.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
    return InvalidArgument(field + ": '" + name +
                           "' is not a snapshot name (one file name, not starting with '.')");
  }
  return Status::Ok();
}

Status ValidateUploadId(const std::string& id) {
  if (id.empty() || id.size() > 64 || !std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      })) {
    return InvalidArgument("upload_id: 1 to 64 letters, digits, '-' or '_'");
  }
  return Status::Ok();
}

std::string UtcStamp(std::time_t t, const char* format) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// `key=value` lines.
std::string ManifestValue(const std::string& text, const std::string& key) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (text.compare(at, key.size() + 1, key + "=") == 0) {
      return text.substr(at + key.size() + 1, end - at - key.size() - 1);
    }
    at = end + 1;
  }
  return "";
}

// Copies len bytes at `from` of `in` to `at` of `out`, 4 MiB at a time.
Status CopyRange(const File& in, uint64_t from, File& out, uint64_t at, uint64_t len) {
  std::string buf(static_cast<size_t>(std::min<uint64_t>(len, kChunk)), '\0');
  for (uint64_t done = 0; done < len;) {
    const uint64_t n = std::min<uint64_t>(kChunk, len - done);
    STRATA_RETURN_IF_ERROR(in.ReadExact(from + done, buf.data(), n));
    STRATA_RETURN_IF_ERROR(out.WriteAt(at + done, buf.data(), n));
    done += n;
  }
  return Status::Ok();
}

// A saved-index entry's path inside the shard directory ("index/<dir>/<file>"), or "" when the
// entry is not one (or tries to leave the directory).
std::string IndexEntryPath(const std::string& name) {
  const std::string prefix = std::string(Collection::kShardDirName) + "/index/";
  if (name.rfind(prefix, 0) != 0) return "";
  const std::string rel = name.substr(std::string(Collection::kShardDirName).size() + 1);
  size_t parts = 0;
  for (size_t at = 0; at <= rel.size();) {
    size_t slash = rel.find('/', at);
    if (slash == std::string::npos) slash = rel.size();
    const std::string part = rel.substr(at, slash - at);
    if (part.empty() || part == "." || part == "..") return "";
    ++parts;
    at = slash + 1;
  }
  return parts == 3 ? rel : "";
}

Result<std::string> ReadEntry(const File& f, const TarEntry& e, uint64_t limit,
                              const std::string& what) {
  if (e.size > limit) return DataLoss(what + ": entry '" + e.name + "' is implausibly large");
  std::string out(e.size, '\0');
  STRATA_RETURN_IF_ERROR(f.ReadExact(e.offset, out.data(), e.size));
  return out;
}

}  // namespace

Result<std::string> FileSha256(const File& f) {
  STRATA_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  Sha256 sha;
  std::string buf(static_cast<size_t>(std::min<uint64_t>(size, kChunk)), '\0');
  for (uint64_t at = 0; at < size;) {
    const uint64_t n = std::min<uint64_t>(kChunk, size - at);
    STRATA_RETURN_IF_ERROR(f.ReadExact(at, buf.data(), n));
    sha.Update(buf.data(), n);
    at += n;
  }
  return sha.HexDigest();
}

SnapshotStore::SnapshotStore(FileSystem fs, std::string root) : fs_(fs), root_(std::move(root)) {
  std::random_device rd;
  node_id_ = ((uint64_t{rd()} << 32) | rd()) % 9000000000000000ull + 1000000000000000ull;
}

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(FileSystem fs, std::string root) {
  std::unique_ptr<SnapshotStore> store(new SnapshotStore(fs, std::move(root)));
  STRATA_ASSIGN_OR_RETURN(std::vector<DirEntry> dirs, fs.List(""));
  for (const DirEntry& d : dirs) {
    if (!d.is_dir) {
      if (EndsWith(d.name, sdk::kAtomicTempSuffix)) {
        LogInfo("snapshots", "removing leftover " + d.name);
        (void)fs.Remove(d.name, false);
      }
      continue;
    }
    Result<std::vector<DirEntry>> files = fs.List(d.name);
    if (!files.ok()) continue;
    for (const DirEntry& f : *files) {
      if (f.name.rfind(kUploadPrefix, 0) == 0 || EndsWith(f.name, sdk::kAtomicTempSuffix)) {
        LogInfo("snapshots", "removing leftover " + d.name + "/" + f.name);
        (void)fs.Remove(sdk::JoinPath(d.name, f.name), false);
      }
    }
  }
  return store;
}

namespace {

// A collection's archive (format in snapshot_archive.md) written at `base` of f; its size.
Result<uint64_t> WriteCollectionArchive(const Collection& c, File& f, uint64_t base,
                                        std::time_t now, bool standalone) {
  TarWriter tar(&f, base);
  const std::string manifest =
      std::string("format=") + kFormat + "\nversion=" + std::to_string(kFormatVersion) +
      "\ncollection=" + c.name() + "\ncreated_unix=" + std::to_string(now) + "\n";
  STRATA_RETURN_IF_ERROR(tar.Add(kManifest, manifest, now));
  STRATA_RETURN_IF_ERROR(tar.Add(Collection::kMetaFileName, c.EncodeMeta(), now));
  STRATA_ASSIGN_OR_RETURN(
      uint64_t at,
      tar.Begin(sdk::JoinPath(Collection::kShardDirName, LocalShard::kImageFileName), now));
  uint64_t layout = 0;
  STRATA_ASSIGN_OR_RETURN(uint64_t image, c.shard().WriteImage(f, at, &layout));
  STRATA_RETURN_IF_ERROR(tar.End(image));
  // The saved vector indexes built on these very offsets: a recovery loads them instead of
  // rebuilding (the meta file of each last, as on disk).
  STRATA_RETURN_IF_ERROR(c.shard().ForEachSavedIndexFile(
      layout, [&](const std::string& rel, const File& in) -> Status {
        STRATA_ASSIGN_OR_RETURN(uint64_t size, in.Size());
        STRATA_ASSIGN_OR_RETURN(uint64_t to,
                                tar.Begin(sdk::JoinPath(Collection::kShardDirName, rel), now));
        STRATA_RETURN_IF_ERROR(CopyRange(in, 0, f, to, size));
        return tar.End(size);
      }));
  return tar.Finish(standalone);
}

}  // namespace

Result<qdrant::SnapshotDescription> SnapshotStore::Publish(
    const std::string& dir, const std::string& stem, std::time_t now,
    const std::function<Result<uint64_t>(File&)>& write) {
  STRATA_RETURN_IF_ERROR(fs_.MakeDirs(dir));
  const std::string base = stem + "-" + UtcStamp(now, "%Y-%m-%d-%H-%M-%S");
  std::string name = base + kSuffix;
  for (int n = 1;; ++n) {
    STRATA_ASSIGN_OR_RETURN(bool taken, fs_.Exists(sdk::JoinPath(dir, name)));
    if (!taken) break;
    name = base + "-" + std::to_string(n) + kSuffix;
  }
  const std::string path = sdk::JoinPath(dir, name);
  const std::string tmp = path + sdk::kAtomicTempSuffix;
  uint64_t size = 0;
  std::string checksum;
  Status s = [&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f,
                            fs_.Open(tmp, STRATA_OPEN_READ | STRATA_OPEN_WRITE |
                                              STRATA_OPEN_CREATE | STRATA_OPEN_TRUNCATE));
    STRATA_ASSIGN_OR_RETURN(size, write(*f));
    STRATA_ASSIGN_OR_RETURN(checksum, FileSha256(*f));
    return Status::Ok();
  }();
  if (s.ok()) s = fs_.Rename(tmp, path);
  if (!s.ok()) {
    (void)fs_.Remove(tmp, false);
    return s;
  }
  STRATA_RETURN_IF_ERROR(fs_.AtomicSave(path + kChecksumSuffix, checksum));
  STRATA_RETURN_IF_ERROR(fs_.SyncDir(dir));
  qdrant::SnapshotDescription d;
  d.set_name(name);
  d.mutable_creation_time()->set_seconds(now);
  d.set_size(static_cast<int64_t>(size));
  d.set_checksum(checksum);
  return d;
}

Result<qdrant::SnapshotDescription> SnapshotStore::Create(const Collection& c) {
  std::lock_guard<std::mutex> lock(create_mu_);
  const std::time_t now = std::time(nullptr);
  Result<qdrant::SnapshotDescription> d =
      Publish(c.name(), c.name() + "-" + std::to_string(node_id_), now,
              [&](File& f) { return WriteCollectionArchive(c, f, 0, now, true); });
  if (!d.ok()) return d.status().WithContext("snapshot of collection " + c.name());
  return d;
}

Result<qdrant::SnapshotDescription> SnapshotStore::CreateFull(
    const std::vector<std::shared_ptr<Collection>>& collections, const std::string& aliases) {
  std::lock_guard<std::mutex> lock(create_mu_);
  const std::time_t now = std::time(nullptr);
  Result<qdrant::SnapshotDescription> d =
      Publish("", "full-snapshot", now, [&](File& f) -> Result<uint64_t> {
        TarWriter tar(&f);
        const std::string manifest = std::string("format=") + kFullFormat +
                                     "\nversion=" + std::to_string(kFormatVersion) +
                                     "\ncreated_unix=" + std::to_string(now) + "\n";
        STRATA_RETURN_IF_ERROR(tar.Add(kManifest, manifest, now));
        STRATA_RETURN_IF_ERROR(tar.Add(kAliasesEntry, aliases, now));
        for (const std::shared_ptr<Collection>& c : collections) {
          STRATA_ASSIGN_OR_RETURN(
              uint64_t at, tar.Begin(std::string(kCollectionsDir) + c->name() + kSuffix, now));
          STRATA_ASSIGN_OR_RETURN(uint64_t size, WriteCollectionArchive(*c, f, at, now, false));
          STRATA_RETURN_IF_ERROR(tar.End(size));
        }
        return tar.Finish();
      });
  if (!d.ok()) return d.status().WithContext("full snapshot");
  return d;
}

Result<std::vector<FullSnapshotPart>> SnapshotStore::UnpackFull(const File& archive,
                                                                const std::string& what,
                                                                std::string* aliases) {
  STRATA_ASSIGN_OR_RETURN(std::vector<TarEntry> entries, ReadTar(archive, what));
  const TarEntry* manifest = nullptr;
  const TarEntry* alias_entry = nullptr;
  for (const TarEntry& e : entries) {
    if (e.name == kManifest) manifest = &e;
    if (e.name == kAliasesEntry) alias_entry = &e;
  }
  if (manifest == nullptr || alias_entry == nullptr) {
    return InvalidArgument(what + ": not a Strata full snapshot (no " + kManifest + " or " +
                           kAliasesEntry + ")");
  }
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadEntry(archive, *manifest, 64 << 10, what));
  if (ManifestValue(text, "format") != kFullFormat) {
    return InvalidArgument(what + ": " + kManifest + " does not name the format " + kFullFormat);
  }
  STRATA_ASSIGN_OR_RETURN(*aliases, ReadEntry(archive, *alias_entry, 64 << 20, what));
  std::vector<FullSnapshotPart> parts;
  static std::atomic<uint64_t> counter{0};
  for (const TarEntry& e : entries) {
    const std::string prefix = kCollectionsDir;
    if (e.type != '0' || e.name.rfind(prefix, 0) != 0 || !EndsWith(e.name, kSuffix)) continue;
    FullSnapshotPart part;
    part.collection =
        e.name.substr(prefix.size(), e.name.size() - prefix.size() - std::string(kSuffix).size());
    STRATA_RETURN_IF_ERROR(ValidateCollectionName(part.collection, what + ": " + e.name));
    // Each collection's archive goes to a temporary file of its own to be recovered from.
    part.path = ".restore-" + std::to_string(++counter) + sdk::kAtomicTempSuffix;
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> out,
                            fs_.Open(part.path, STRATA_OPEN_READ | STRATA_OPEN_WRITE |
                                                    STRATA_OPEN_CREATE | STRATA_OPEN_TRUNCATE));
    STRATA_RETURN_IF_ERROR(CopyRange(archive, e.offset, *out, 0, e.size));
    part.file = std::move(out);
    parts.push_back(std::move(part));
  }
  return parts;
}

void SnapshotStore::RemoveTemporary(const std::string& path) { (void)fs_.Remove(path, false); }

Result<qdrant::SnapshotDescription> SnapshotStore::Describe(const std::string& collection,
                                                            const std::string& name,
                                                            uint64_t size) const {
  const std::string path = sdk::JoinPath(collection, name);
  qdrant::SnapshotDescription d;
  d.set_name(name);
  d.set_size(static_cast<int64_t>(size));
  STRATA_ASSIGN_OR_RETURN(bool has_sum, fs_.Exists(path + kChecksumSuffix));
  if (has_sum) {
    STRATA_ASSIGN_OR_RETURN(std::string sum, fs_.ReadAll(path + kChecksumSuffix));
    while (!sum.empty() && std::isspace(static_cast<unsigned char>(sum.back()))) sum.pop_back();
    d.set_checksum(sum);
  }
  // The creation time is the manifest's (an archive that is not ours has none).
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs_.Open(path, STRATA_OPEN_READ));
  Result<std::vector<TarEntry>> entries = ReadTar(*f, path);
  if (entries.ok() && !entries->empty() && (*entries)[0].name == kManifest) {
    Result<std::string> manifest = ReadEntry(*f, (*entries)[0], 64 << 10, path);
    if (manifest.ok()) {
      const std::string created = ManifestValue(*manifest, "created_unix");
      if (!created.empty()) d.mutable_creation_time()->set_seconds(std::stoll(created));
    }
  }
  return d;
}

Result<std::vector<qdrant::SnapshotDescription>> SnapshotStore::List(
    const std::string& collection) const {
  std::vector<qdrant::SnapshotDescription> out;
  STRATA_ASSIGN_OR_RETURN(bool exists, fs_.Exists(collection));
  if (!exists) return out;
  STRATA_ASSIGN_OR_RETURN(std::vector<DirEntry> files, fs_.List(collection));
  for (const DirEntry& f : files) {
    if (f.is_dir || f.name[0] == '.' || !EndsWith(f.name, kSuffix)) continue;
    STRATA_ASSIGN_OR_RETURN(qdrant::SnapshotDescription d, Describe(collection, f.name, f.size));
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.creation_time().seconds(), a.name()) <
           std::make_pair(b.creation_time().seconds(), b.name());
  });
  return out;
}

namespace {
Status NoSuchSnapshot(const std::string& collection, const std::string& name) {
  return NotFound("Snapshot `" + name + "`" +
                  (collection.empty() ? "" : " of collection `" + collection + "`") +
                  " doesn't exist");
}
}  // namespace

Status SnapshotStore::Delete(const std::string& collection, const std::string& name) {
  STRATA_RETURN_IF_ERROR(ValidateFileName(name, "snapshot_name"));
  const std::string path = sdk::JoinPath(collection, name);
  STRATA_ASSIGN_OR_RETURN(bool exists, fs_.Exists(path));
  if (!exists) return NoSuchSnapshot(collection, name);
  STRATA_RETURN_IF_ERROR(fs_.Remove(path, false));
  STRATA_ASSIGN_OR_RETURN(bool has_sum, fs_.Exists(path + kChecksumSuffix));
  if (has_sum) STRATA_RETURN_IF_ERROR(fs_.Remove(path + kChecksumSuffix, false));
  return fs_.SyncDir(collection);
}

Result<std::string> SnapshotStore::Read(const std::string& collection, const std::string& name,
                                        uint64_t offset, uint32_t max, uint64_t* total) const {
  STRATA_RETURN_IF_ERROR(ValidateFileName(name, "snapshot_name"));
  const std::string path = sdk::JoinPath(collection, name);
  STRATA_ASSIGN_OR_RETURN(bool exists, fs_.Exists(path));
  if (!exists) return NoSuchSnapshot(collection, name);
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs_.Open(path, STRATA_OPEN_READ));
  STRATA_ASSIGN_OR_RETURN(*total, f->Size());
  if (offset > *total) return OutOfRange("offset: past the end of the snapshot");
  std::string out(static_cast<size_t>(std::min<uint64_t>(max, *total - offset)), '\0');
  if (!out.empty()) STRATA_RETURN_IF_ERROR(f->ReadExact(offset, out.data(), out.size()));
  return out;
}

Status SnapshotStore::WriteUpload(const std::string& collection, const std::string& upload_id,
                                  uint64_t offset, std::string_view data) {
  STRATA_RETURN_IF_ERROR(ValidateUploadId(upload_id));
  STRATA_RETURN_IF_ERROR(fs_.MakeDirs(collection));
  const std::string path = sdk::JoinPath(collection, kUploadPrefix + upload_id);
  uint32_t flags = STRATA_OPEN_READ | STRATA_OPEN_WRITE | STRATA_OPEN_CREATE;
  if (offset == 0) flags |= STRATA_OPEN_TRUNCATE;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> f, fs_.Open(path, flags));
  STRATA_ASSIGN_OR_RETURN(uint64_t size, f->Size());
  if (size != offset) {
    return InvalidArgument("offset: the upload holds " + std::to_string(size) +
                           " bytes; pieces must follow each other");
  }
  if (!data.empty()) STRATA_RETURN_IF_ERROR(f->WriteAt(offset, data.data(), data.size()));
  return Status::Ok();
}

Status SnapshotStore::RemoveUpload(const std::string& collection, const std::string& upload_id) {
  STRATA_RETURN_IF_ERROR(ValidateUploadId(upload_id));
  return fs_.Remove(sdk::JoinPath(collection, kUploadPrefix + upload_id), false);
}

Result<std::unique_ptr<File>> SnapshotStore::OpenUpload(const std::string& collection,
                                                        const std::string& upload_id,
                                                        std::string* what) const {
  STRATA_RETURN_IF_ERROR(ValidateUploadId(upload_id));
  const std::string path = sdk::JoinPath(collection, kUploadPrefix + upload_id);
  STRATA_ASSIGN_OR_RETURN(bool exists, fs_.Exists(path));
  if (!exists) return NotFound("upload_id: no upload named " + upload_id);
  *what = "the uploaded snapshot";
  return fs_.Open(path, STRATA_OPEN_READ);
}

Result<std::unique_ptr<File>> SnapshotStore::OpenLocation(const std::string& location,
                                                          std::string* what) const {
  namespace stdfs = std::filesystem;
  constexpr const char* kScheme = "file://";
  if (location.rfind(kScheme, 0) != 0) {
    return InvalidArgument("location: '" + location +
                           "' is not a file:// URI (http and https URLs are fetched by the "
                           "REST API, which then recovers from the download)");
  }
  std::string rest = location.substr(7);
  if (rest.rfind("localhost/", 0) == 0) rest = rest.substr(9);
  if (rest.empty() || rest[0] != '/') {
    return InvalidArgument("location: '" + location + "' must be file:///<absolute path>");
  }
  std::error_code ec;
  const stdfs::path wanted = stdfs::weakly_canonical(stdfs::path(PercentDecode(rest)), ec);
  const stdfs::path root = stdfs::weakly_canonical(stdfs::path(root_), ec);
  const stdfs::path rel = wanted.lexically_relative(root);
  if (ec || rel.empty() || rel == "." || *rel.begin() == "..") {
    return InvalidArgument("location: " + wanted.string() + " is outside the snapshots directory " +
                           root.string() +
                           "; only files under it can be recovered from (copy the file there, "
                           "or upload it)");
  }
  STRATA_ASSIGN_OR_RETURN(bool exists, fs_.Exists(rel.string()));
  if (!exists) return NotFound("location: snapshot file " + wanted.string() + " does not exist");
  *what = wanted.string();
  return fs_.Open(rel.string(), STRATA_OPEN_READ);
}

Status UnpackSnapshot(const File& archive, const std::string& what, FileSystem dst,
                      const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(std::vector<TarEntry> entries, ReadTar(archive, what));
  const std::string image_name =
      sdk::JoinPath(Collection::kShardDirName, LocalShard::kImageFileName);
  const TarEntry* manifest = nullptr;
  const TarEntry* meta = nullptr;
  const TarEntry* image = nullptr;
  for (const TarEntry& e : entries) {
    if (e.type != '0') continue;
    if (e.name == kManifest) manifest = &e;
    if (e.name == Collection::kMetaFileName) meta = &e;
    if (e.name == image_name) image = &e;
  }
  if (manifest == nullptr || meta == nullptr || image == nullptr) {
    return InvalidArgument(what + ": not a Strata collection snapshot (it needs the entries " +
                           kManifest + ", " + Collection::kMetaFileName + " and " + image_name +
                           ")");
  }
  STRATA_ASSIGN_OR_RETURN(std::string text, ReadEntry(archive, *manifest, 64 << 10, what));
  if (ManifestValue(text, "format") != kFormat) {
    return InvalidArgument(what + ": " + kManifest + " does not name the format " + kFormat);
  }
  if (ManifestValue(text, "version") != std::to_string(kFormatVersion)) {
    return FailedPrecondition(what + ": snapshot format version '" +
                              ManifestValue(text, "version") +
                              "' is not supported (this build restores version 1)");
  }
  STRATA_ASSIGN_OR_RETURN(std::string meta_bytes, ReadEntry(archive, *meta, 64 << 20, what));
  STRATA_RETURN_IF_ERROR(
      Collection::DecodeMeta(meta_bytes, what + ": " + Collection::kMetaFileName).status());
  STRATA_RETURN_IF_ERROR(
      LocalShard::VerifyImage(archive, image->offset, image->size, what + ": " + image_name));

  const std::string shard_dir = sdk::JoinPath(dir, Collection::kShardDirName);
  (void)dst.Remove(dir, true);
  STRATA_RETURN_IF_ERROR(dst.MakeDirs(shard_dir));
  STRATA_RETURN_IF_ERROR(dst.AtomicSave(sdk::JoinPath(dir, Collection::kMetaFileName), meta_bytes));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<File> out,
                          dst.Open(sdk::JoinPath(shard_dir, LocalShard::kImageFileName),
                                   STRATA_OPEN_WRITE | STRATA_OPEN_CREATE | STRATA_OPEN_TRUNCATE));
  STRATA_RETURN_IF_ERROR(CopyRange(archive, image->offset, *out, 0, image->size));
  STRATA_RETURN_IF_ERROR(out->Sync(false));
  // Saved vector indexes, when the archive has them (the shard loads one only if it matches
  // the restored offsets and configuration; its meta file, copied last, is the commit point).
  std::set<std::string> index_dirs;
  for (const TarEntry& e : entries) {
    const std::string rel = e.type == '0' ? IndexEntryPath(e.name) : "";
    if (rel.empty()) continue;
    const std::string to = sdk::JoinPath(shard_dir, rel);
    const std::string to_dir = to.substr(0, to.rfind('/'));
    if (index_dirs.insert(to_dir).second) STRATA_RETURN_IF_ERROR(dst.MakeDirs(to_dir));
    STRATA_ASSIGN_OR_RETURN(
        std::unique_ptr<File> file,
        dst.Open(to, STRATA_OPEN_WRITE | STRATA_OPEN_CREATE | STRATA_OPEN_TRUNCATE));
    STRATA_RETURN_IF_ERROR(CopyRange(archive, e.offset, *file, 0, e.size));
    STRATA_RETURN_IF_ERROR(file->Sync(false));
  }
  for (const std::string& d : index_dirs) STRATA_RETURN_IF_ERROR(dst.SyncDir(d));
  if (!index_dirs.empty()) STRATA_RETURN_IF_ERROR(dst.SyncDir(sdk::JoinPath(shard_dir, "index")));
  STRATA_RETURN_IF_ERROR(dst.SyncDir(shard_dir));
  return dst.SyncDir(dir);
}

}  // namespace strata::kernel
