// aliases.meta (little-endian): magic "STRALIA1" (8), format version u32 = 1, CRC-32C u32 of the
// body, body = serialized qdrant.ListAliasesResponse (alias -> collection). Atomic save.
#include "collection/toc.h"

#include <cstring>

#include "collection/snapshots.h"
#include "common/crc32c.h"
#include "common/logging.h"

namespace strata::kernel {
namespace {

constexpr char kAliasMagic[8] = {'S', 'T', 'R', 'A', 'L', 'I', 'A', '1'};
constexpr const char* kRoot = "collections";
constexpr const char* kAliasFile = "aliases.meta";
constexpr const char* kCreating = ".creating-";
constexpr const char* kDeleted = ".deleted-";

Status NotFoundCollection(const std::string& name) {
  return NotFound("Collection `" + name + "` doesn't exist!");
}

}  // namespace

Toc::Toc(FileSystem fs, ShardOptions options) : fs_(fs), options_(std::move(options)) {}
Toc::~Toc() = default;

void Toc::SetSnapshotStore(std::unique_ptr<SnapshotStore> store) { snapshots_ = std::move(store); }

std::string Toc::Dir(const std::string& name) const { return sdk::JoinPath(kRoot, name); }

Result<std::unique_ptr<Toc>> Toc::Open(FileSystem fs, ShardOptions options) {
  std::unique_ptr<Toc> toc(new Toc(fs, options));
  STRATA_RETURN_IF_ERROR(fs.MakeDirs(kRoot));
  STRATA_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, fs.List(kRoot));
  for (const DirEntry& e : entries) {
    if (!e.is_dir) continue;
    if (e.name.rfind(kCreating, 0) == 0 || e.name.rfind(kDeleted, 0) == 0) {
      LogInfo("toc", "removing leftover " + e.name + " from an interrupted create or delete");
      STRATA_RETURN_IF_ERROR(fs.Remove(toc->Dir(e.name), true));
      continue;
    }
    Result<std::unique_ptr<Collection>> c = Collection::Open(fs, toc->Dir(e.name), e.name, options);
    if (!c.ok()) {
      LogError("toc", "collection " + e.name + " is quarantined: " + c.status().message() +
                          "; the rest of the server serves");
      toc->quarantined_[e.name] = c.status().message();
      continue;
    }
    toc->collections_[e.name] = std::shared_ptr<Collection>(std::move(c).value());
  }
  STRATA_ASSIGN_OR_RETURN(bool has_aliases, fs.Exists(kAliasFile));
  if (has_aliases) {
    STRATA_ASSIGN_OR_RETURN(std::string file, fs.ReadAll(kAliasFile));
    STRATA_ASSIGN_OR_RETURN(toc->aliases_, DecodeAliases(file, kAliasFile));
  }
  return toc;
}

std::string Toc::EncodeAliasesLocked() const {
  qdrant::ListAliasesResponse list;
  for (const auto& [alias, coll] : aliases_) {
    auto* a = list.add_aliases();
    a->set_alias_name(alias);
    a->set_collection_name(coll);
  }
  std::string body = list.SerializeAsString();
  std::string file(kAliasMagic, 8);
  uint32_t version = 1, crc = Crc32c(body.data(), body.size());
  file.append(reinterpret_cast<const char*>(&version), 4);
  file.append(reinterpret_cast<const char*>(&crc), 4);
  file += body;
  return file;
}

std::string Toc::EncodeAliases() const {
  std::lock_guard<std::mutex> lock(mu_);
  return EncodeAliasesLocked();
}

Status Toc::SaveAliases() const { return fs_.AtomicSave(kAliasFile, EncodeAliasesLocked()); }

Result<std::map<std::string, std::string>> Toc::DecodeAliases(const std::string& file,
                                                              const std::string& what) {
  uint32_t crc = 0;
  qdrant::ListAliasesResponse list;
  if (file.size() < 16 || std::memcmp(file.data(), kAliasMagic, 8) != 0 ||
      (std::memcpy(&crc, file.data() + 12, 4), crc != Crc32c(file.data() + 16, file.size() - 16)) ||
      !list.ParseFromArray(file.data() + 16, static_cast<int>(file.size() - 16))) {
    return DataLoss(what + ": corrupt alias table");
  }
  std::map<std::string, std::string> out;
  for (const auto& a : list.aliases()) out[a.alias_name()] = a.collection_name();
  return out;
}

Status Toc::RecoverFullSnapshot(const File& archive, const std::string& what) {
  if (snapshots_ == nullptr) return Unavailable("no snapshots directory is open");
  std::string alias_bytes;
  STRATA_ASSIGN_OR_RETURN(std::vector<FullSnapshotPart> parts,
                          snapshots_->UnpackFull(archive, what, &alias_bytes));
  Status s = [&]() -> Status {
    STRATA_ASSIGN_OR_RETURN(auto aliases, DecodeAliases(alias_bytes, what + ": aliases.meta"));
    for (const FullSnapshotPart& p : parts) {
      STRATA_RETURN_IF_ERROR(
          RecoverSnapshot(p.collection, *p.file, what + ": " + p.collection, ""));
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [alias, coll] : aliases) {
      if (collections_.count(coll) && !collections_.count(alias)) aliases_[alias] = coll;
    }
    return SaveAliases();
  }();
  for (FullSnapshotPart& p : parts) {
    p.file.reset();
    snapshots_->RemoveTemporary(p.path);
  }
  if (s.ok()) {
    LogInfo("toc", std::to_string(parts.size()) + " collection(s) recovered from " + what);
  }
  return s;
}

Status Toc::Create(const qdrant::CreateCollection& req) {
  STRATA_ASSIGN_OR_RETURN(qdrant::CollectionConfig config, ConfigFromCreate(req));
  const std::string& name = req.collection_name();
  std::lock_guard<std::mutex> lock(mu_);
  if (collections_.count(name) || quarantined_.count(name)) {
    return AlreadyExists("Collection `" + name + "` already exists!");
  }
  if (aliases_.count(name)) {
    return AlreadyExists("an alias named `" + name + "` already exists");
  }
  const std::string staging = Dir(kCreating + name);
  (void)fs_.Remove(staging, true);
  {
    STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Collection> staged,
                            Collection::Create(fs_, staging, name, config, options_));
  }  // closed: its files are complete
  STRATA_RETURN_IF_ERROR(fs_.Rename(staging, Dir(name)));
  STRATA_RETURN_IF_ERROR(fs_.SyncDir(kRoot));
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Collection> c,
                          Collection::Open(fs_, Dir(name), name, options_));
  collections_[name] = std::shared_ptr<Collection>(std::move(c));
  return Status::Ok();
}

Result<std::shared_ptr<Collection>> Toc::RetireLocked(const std::string& name, std::string* tomb) {
  *tomb = Dir(kDeleted + name + "-" + std::to_string(++delete_counter_));
  STRATA_RETURN_IF_ERROR(fs_.Rename(Dir(name), *tomb));
  STRATA_RETURN_IF_ERROR(fs_.SyncDir(kRoot));
  std::shared_ptr<Collection> victim;
  auto it = collections_.find(name);
  if (it != collections_.end()) {
    victim = std::move(it->second);
    collections_.erase(it);
    // Before anyone can create the name again: users still holding the old collection must
    // not write into what will be the new one's directory.
    victim->Drop();
  }
  quarantined_.erase(name);
  return victim;
}

void Toc::Bury(std::shared_ptr<Collection> victim, const std::string& tomb) {
  victim.reset();  // in-flight users may still hold it; files go when the last one lets go
  Status s = fs_.Remove(tomb, true);
  if (!s.ok())
    LogWarn("toc", "could not remove " + tomb + " (removed at next start): " + s.message());
}

Result<bool> Toc::Delete(const std::string& name) {
  std::shared_ptr<Collection> victim;
  std::string tomb;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!collections_.count(name) && !quarantined_.count(name)) return false;
    STRATA_ASSIGN_OR_RETURN(victim, RetireLocked(name, &tomb));
    bool aliases_changed = false;
    for (auto a = aliases_.begin(); a != aliases_.end();) {
      if (a->second == name) {
        a = aliases_.erase(a);
        aliases_changed = true;
      } else {
        ++a;
      }
    }
    if (aliases_changed) STRATA_RETURN_IF_ERROR(SaveAliases());
  }
  Bury(std::move(victim), tomb);
  return true;
}

Status Toc::RecoverSnapshot(const std::string& name, const File& archive, const std::string& what,
                            const std::string& checksum) {
  STRATA_RETURN_IF_ERROR(ValidateCollectionName(name, "collection_name"));
  if (!checksum.empty()) {
    STRATA_ASSIGN_OR_RETURN(std::string actual, FileSha256(archive));
    std::string expected = checksum;
    for (char& c : expected) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (actual != expected) {
      return InvalidArgument("checksum: the snapshot's SHA-256 is " + actual + ", not " + checksum +
                             "; nothing was recovered");
    }
  }
  std::string staging;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (aliases_.count(name)) {
      return AlreadyExists("an alias named `" + name + "` exists; recover under another name");
    }
    staging = Dir(kCreating + name + ".recovery-" + std::to_string(++delete_counter_));
  }
  // Checked and unpacked beside the live collection, which serves meanwhile.
  Status unpacked = UnpackSnapshot(archive, what, fs_, staging);
  if (!unpacked.ok()) {
    (void)fs_.Remove(staging, true);
    // A damaged or foreign archive is bad input, not lost data of ours.
    if (unpacked.code() == StatusCode::kDataLoss) return InvalidArgument(unpacked.message());
    return unpacked;
  }
  std::shared_ptr<Collection> victim;
  std::string tomb;
  Status opened;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (aliases_.count(name)) {
      (void)fs_.Remove(staging, true);
      return AlreadyExists("an alias named `" + name + "` exists; recover under another name");
    }
    if (collections_.count(name) || quarantined_.count(name)) {
      STRATA_ASSIGN_OR_RETURN(victim, RetireLocked(name, &tomb));
    }
    STRATA_RETURN_IF_ERROR(fs_.Rename(staging, Dir(name)));
    STRATA_RETURN_IF_ERROR(fs_.SyncDir(kRoot));
    Result<std::unique_ptr<Collection>> c = Collection::Open(fs_, Dir(name), name, options_);
    opened = c.status();
    if (c.ok()) {
      collections_[name] = std::shared_ptr<Collection>(std::move(c).value());
    } else {
      quarantined_[name] = opened.message();
    }
  }
  if (victim) Bury(std::move(victim), tomb);
  if (!opened.ok()) {
    LogError("toc", "recovered collection " + name + " does not open: " + opened.message());
    return opened;
  }
  LogInfo("toc", "collection " + name + " recovered from " + what);
  return Status::Ok();
}

Result<std::shared_ptr<Collection>> Toc::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = collections_.find(name);
  if (it != collections_.end()) return it->second;
  auto alias = aliases_.find(name);
  if (alias != aliases_.end()) {
    auto target = collections_.find(alias->second);
    if (target != collections_.end()) return target->second;
  }
  auto q = quarantined_.find(name);
  if (q != quarantined_.end()) {
    return Unavailable("collection `" + name + "` is quarantined: " + q->second);
  }
  return NotFoundCollection(name);
}

bool Toc::Exists(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  return collections_.count(name) > 0;
}

std::vector<std::string> Toc::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, c] : collections_) out.push_back(name);
  return out;
}

Status Toc::UpdateAliases(const qdrant::ChangeAliases& req) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> next = aliases_;
  for (int i = 0; i < req.actions_size(); ++i) {
    const auto& a = req.actions(i);
    const std::string field = "actions[" + std::to_string(i) + "]";
    if (a.has_create_alias()) {
      const auto& c = a.create_alias();
      STRATA_RETURN_IF_ERROR(ValidateCollectionName(c.alias_name(), field + ".alias_name"));
      if (!collections_.count(c.collection_name())) return NotFoundCollection(c.collection_name());
      if (collections_.count(c.alias_name())) {
        return AlreadyExists(field + ": a collection named `" + c.alias_name() + "` exists");
      }
      next[c.alias_name()] = c.collection_name();  // Qdrant: creating an existing alias moves it
    } else if (a.has_rename_alias()) {
      const auto& r = a.rename_alias();
      auto it = next.find(r.old_alias_name());
      if (it == next.end()) return NotFound("Alias `" + r.old_alias_name() + "` doesn't exist!");
      STRATA_RETURN_IF_ERROR(ValidateCollectionName(r.new_alias_name(), field + ".new_alias_name"));
      std::string target = it->second;
      next.erase(it);
      next[r.new_alias_name()] = target;
    } else if (a.has_delete_alias()) {
      if (next.erase(a.delete_alias().alias_name()) == 0) {
        return NotFound("Alias `" + a.delete_alias().alias_name() + "` doesn't exist!");
      }
    } else {
      return InvalidArgument(field + ": empty alias action");
    }
  }
  std::swap(next, aliases_);
  Status s = SaveAliases();
  if (!s.ok()) std::swap(next, aliases_);
  return s;
}

std::vector<std::pair<std::string, std::string>> Toc::Aliases() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {aliases_.begin(), aliases_.end()};
}

std::map<std::string, std::string> Toc::Quarantined() const {
  std::lock_guard<std::mutex> lock(mu_);
  return quarantined_;
}

}  // namespace strata::kernel
