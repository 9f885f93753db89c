#include "segment/segment.h"

#include <algorithm>
#include <queue>

#include "common/logging.h"

namespace strata::kernel {
namespace {

// The k best scored offsets seen so far (a min-heap on score).
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void Push(ScoredOffset s) {
    if (heap_.size() < k_) {
      heap_.push(s);
    } else if (s.score > heap_.top().score) {
      heap_.pop();
      heap_.push(s);
    }
  }
  // Best first; empties the heap.
  std::vector<ScoredOffset> Take() {
    std::vector<ScoredOffset> out(heap_.size());
    for (size_t i = out.size(); i-- > 0;) {
      out[i] = heap_.top();
      heap_.pop();
    }
    return out;
  }

 private:
  struct Worse {
    bool operator()(const ScoredOffset& a, const ScoredOffset& b) const {
      return a.score > b.score;
    }
  };
  size_t k_;
  std::priority_queue<ScoredOffset, std::vector<ScoredOffset>, Worse> heap_;
};

}  // namespace

Segment::Segment(std::vector<VectorSpec> specs, std::vector<SparseSpec> sparse)
    : specs_(std::move(specs)),
      storages_(specs_.size()),
      sparse_specs_(std::move(sparse)),
      payload_index_(
          [this](uint32_t o) -> PayloadRef { return deleted_[o] ? PayloadRef() : PayloadOf(o); }) {
  for (const SparseSpec& spec : sparse_specs_) sparse_.emplace_back(spec);
}

const SparseSpec* Segment::SparseSpecOf(const std::string& name) const {
  return FindSparseSpec(sparse_specs_, name);
}

void Segment::SetSparseIdf(const std::string& name, bool idf) {
  for (size_t i = 0; i < sparse_specs_.size(); ++i) {
    if (sparse_specs_[i].name != name) continue;
    sparse_specs_[i].idf = idf;
    sparse_[i].set_idf(idf);
  }
}

const SparseVector* Segment::SparseAt(const std::string& name, uint32_t offset) const {
  for (const SparseColumn& c : sparse_) {
    if (c.spec().name == name) return c.At(offset);
  }
  return nullptr;
}

std::vector<ScoredOffset> Segment::SearchSparse(const std::string& name, const SparseVector& query,
                                                size_t k, const qdrant::Filter* filter) const {
  std::vector<ScoredOffset> out;
  const SparseColumn* column = nullptr;
  for (const SparseColumn& c : sparse_) {
    if (c.spec().name == name) column = &c;
  }
  if (column == nullptr || k == 0) return out;
  TopK top(k);
  column->Score(query, [&](uint32_t offset, float score) {
    if (!Matches(filter, offset)) return;
    top.Push({score, offset});
  });
  return top.Take();
}

PayloadRef Segment::PayloadOf(uint32_t offset) const {
  if (disk_ == nullptr) return PayloadRef(&payloads_[offset]);
  auto payload = std::make_shared<PayloadMap>();
  uint64_t version = 0;
  Result<bool> got = disk_->Read(ids_[offset], payload.get(), &version);
  if (!got.ok()) {
    LogError("segment", "payload of point " + ids_[offset].ToString() +
                            " unreadable: " + got.status().message());
    disk_->Fail(got.status());
  }
  return PayloadRef(std::shared_ptr<const PayloadMap>(std::move(payload)));
}

PayloadRef Segment::PayloadAt(uint32_t offset) const {
  if (disk_ != nullptr && deleted_[offset]) return PayloadRef();
  return PayloadOf(offset);
}

bool Segment::StoreIsAhead(const ExternalId& id, uint64_t version) const {
  if (disk_->IsStaged(id)) return false;  // an earlier change of this same write
  Result<uint64_t> stored = disk_->CommittedVersion(id);
  if (!stored.ok()) {
    disk_->Fail(stored.status());
    return true;  // nothing is staged over a record that cannot be read
  }
  return *stored >= version;
}

template <class Fn>
void Segment::ChangePayload(uint32_t offset, uint64_t version, bool fresh, Fn&& change) {
  if (disk_ == nullptr) {
    PayloadMap* payload = &payloads_[offset];
    if (payload_index_.empty()) {
      change(payload);
      return;
    }
    IndexedValues before = payload_index_.Extract(*payload);
    change(payload);
    payload_index_.Update(offset, before, payload_index_.Extract(*payload));
    return;
  }
  if (payload_mode_ == PayloadMode::kUntouched) return;
  const ExternalId& id = ids_[offset];
  if (payload_mode_ == PayloadMode::kVersioned && StoreIsAhead(id, version)) return;
  PayloadMap current;
  if (!fresh) {
    uint64_t stored = 0;
    Result<bool> got = disk_->Read(id, &current, &stored);
    if (!got.ok()) {
      disk_->Fail(got.status());
      return;
    }
  }
  const bool follow = IndexFollows();
  IndexedValues before;
  if (follow) before = payload_index_.Extract(current);
  change(&current);
  if (follow) payload_index_.Update(offset, before, payload_index_.Extract(current));
  disk_->StagePut(id, version, current);
}

void Segment::Unindex(uint32_t offset) {
  if (!IndexFollows()) return;
  payload_index_.Update(offset, payload_index_.Extract(*PayloadOf(offset)), IndexedValues{});
}

void Segment::UseDiskPayloads(std::shared_ptr<DiskPayloads> store) {
  disk_ = std::move(store);
  std::vector<PayloadMap>().swap(payloads_);
}

Status Segment::UseMemoryPayloads() {
  if (disk_ == nullptr) return Status::Ok();
  std::vector<PayloadMap> memory(offset_count());
  STRATA_RETURN_IF_ERROR(
      ScanStore([&](uint32_t o, const PayloadMap& payload) { memory[o] = payload; }));
  payloads_ = std::move(memory);
  disk_.reset();
  return Status::Ok();
}

void Segment::RebuildPayloadIndex() {
  payload_index_.ResetData();
  if (payload_index_.empty()) return;
  if (disk_ != nullptr) {
    Status scanned = ScanStore([&](uint32_t o, const PayloadMap& payload) {
      payload_index_.Update(o, IndexedValues{}, payload_index_.Extract(payload));
    });
    if (scanned.ok()) return;
    payload_index_.ResetData();  // read point by point instead
  }
  for (uint32_t o = 0; o < offset_count(); ++o) {
    if (!deleted_[o])
      payload_index_.Update(o, IndexedValues{}, payload_index_.Extract(*PayloadOf(o)));
  }
}

Status Segment::CommitPayloads() { return disk_ != nullptr ? disk_->Commit() : Status::Ok(); }

const VectorSpec* Segment::Spec(const std::string& name) const {
  for (const VectorSpec& s : specs_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

void Segment::SetLive(uint32_t offset, bool live) {
  ++liveness_gen_;
  if (live_bits_.size() * 64 <= offset) live_bits_.resize(offset / 64 + 1, 0);
  if (live) {
    live_bits_[offset >> 6] |= uint64_t{1} << (offset & 63);
  } else {
    live_bits_[offset >> 6] &= ~(uint64_t{1} << (offset & 63));
  }
}

size_t Segment::free_offsets() const {
  size_t free = SIZE_MAX;
  for (size_t s = 0; s < specs_.size(); ++s) {
    free = std::min(free, storages_[s].data.capacity() / specs_[s].dim - ids_.size());
  }
  return free;
}

uint32_t Segment::Allocate(const ExternalId& id) {
  uint32_t offset = static_cast<uint32_t>(ids_.size());
  ids_.push_back(id);
  versions_.push_back(0);
  deleted_.push_back(0);
  if (disk_ == nullptr) payloads_.emplace_back();
  for (size_t s = 0; s < specs_.size(); ++s) {
    // The shard keeps free_offsets() > 0 before applying writes; see LocalShard::Write.
    Status grown = storages_[s].data.Resize(storages_[s].data.size() + specs_[s].dim);
    (void)grown;
    storages_[s].present.push_back(0);
  }
  for (SparseColumn& c : sparse_) c.Grow(offset + 1);
  index_[id] = offset;
  SetLive(offset, true);
  ++live_;
  return offset;
}

uint32_t Segment::Relocate(uint32_t old_offset) {
  const ExternalId id = ids_[old_offset];
  deleted_[old_offset] = 1;
  SetLive(old_offset, false);
  --live_;
  Unindex(old_offset);
  uint32_t offset = Allocate(id);
  versions_[offset] = versions_[old_offset];
  if (disk_ == nullptr) {  // on disk the payload belongs to the id and stays where it is
    payloads_[offset] = std::move(payloads_[old_offset]);
    payloads_[old_offset].clear();
  }
  if (IndexFollows()) {
    payload_index_.Update(offset, IndexedValues{}, payload_index_.Extract(*PayloadOf(offset)));
  }
  for (size_t s = 0; s < specs_.size(); ++s) {
    if (!storages_[s].present[old_offset]) continue;
    const float* from = storages_[s].data.data() + size_t{old_offset} * specs_[s].dim;
    std::copy(from, from + specs_[s].dim,
              storages_[s].data.data() + size_t{offset} * specs_[s].dim);
    storages_[s].present[offset] = 1;
  }
  // Sparse rows move too, not yet searchable: the caller may replace some, then indexes them.
  for (SparseColumn& c : sparse_) {
    if (!c.Has(old_offset)) continue;
    SparseVector row = *c.At(old_offset);
    c.Retire(old_offset);
    c.Set(offset, std::move(row));
  }
  return offset;
}

// Finds a live point and checks the version; false when absent or the change is stale.
bool Segment::Touch(const ExternalId& id, uint64_t version, uint32_t* offset) {
  auto it = index_.find(id);
  if (it == index_.end() || deleted_[it->second]) return false;
  if (version < versions_[it->second]) return false;
  versions_[it->second] = version;
  *offset = it->second;
  return true;
}

void Segment::WriteVector(size_t s, uint32_t offset, const std::vector<float>& v) {
  std::copy(v.begin(), v.end(), storages_[s].data.data() + size_t{offset} * specs_[s].dim);
  storages_[s].present[offset] = 1;
}

void Segment::Upsert(const ExternalId& id, uint64_t version, const NamedVectors& vectors,
                     const PayloadMap& payload, const NamedSparse& sparse) {
  uint32_t offset;
  auto it = index_.find(id);
  if (it != index_.end() && version < versions_[it->second]) return;
  if (it != index_.end() && !deleted_[it->second]) {
    // A new version never overwrites vectors in place (an index may be reading them).
    deleted_[it->second] = 1;
    SetLive(it->second, false);
    --live_;
    Unindex(it->second);
    for (SparseColumn& c : sparse_) c.Retire(it->second);
  }
  offset = Allocate(id);
  versions_[offset] = version;
  if (disk_ != nullptr && payload_mode_ == PayloadMode::kNormal) {
    // A whole new payload on disk: encoded straight from the request, no copy.
    if (IndexFollows())
      payload_index_.Update(offset, IndexedValues{}, payload_index_.Extract(payload));
    disk_->StagePut(id, version, payload);
  } else {
    ChangePayload(offset, version, true, [&](PayloadMap* p) { *p = payload; });
  }
  for (size_t s = 0; s < specs_.size(); ++s) {
    auto v = vectors.find(specs_[s].name);
    if (v != vectors.end()) {
      WriteVector(s, offset, v->second);
    } else {
      storages_[s].present[offset] = 0;
    }
  }
  for (SparseColumn& c : sparse_) {
    auto v = sparse.find(c.spec().name);
    if (v == sparse.end()) continue;
    c.Set(offset, v->second);
    c.Index(offset);
  }
}

bool Segment::Delete(const ExternalId& id, uint64_t version) {
  uint32_t offset;
  if (!Touch(id, version, &offset)) return false;
  deleted_[offset] = 1;
  SetLive(offset, false);
  Unindex(offset);
  if (disk_ == nullptr) {
    payloads_[offset].clear();
  } else if (payload_mode_ == PayloadMode::kNormal ||
             (payload_mode_ == PayloadMode::kVersioned && !StoreIsAhead(id, version))) {
    disk_->StageErase(id);
  }
  for (SparseColumn& c : sparse_) c.Retire(offset);
  --live_;
  return true;
}

bool Segment::SetPayload(const ExternalId& id, uint64_t version, const PayloadMap& values,
                         const std::string& key) {
  uint32_t offset;
  if (!Touch(id, version, &offset)) return false;
  ChangePayload(offset, version, false, [&](PayloadMap* p) { MergePayload(p, values, key); });
  return true;
}

void Segment::MergePayload(PayloadMap* target, const PayloadMap& values, const std::string& key) {
  if (!key.empty()) {
    // Walk (creating objects) down the dotted key.
    size_t start = 0;
    while (start <= key.size()) {
      size_t dot = key.find('.', start);
      std::string part =
          key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      qdrant::Value& v = (*target)[part];
      if (!v.has_struct_value()) v.mutable_struct_value();
      target = v.mutable_struct_value()->mutable_fields();
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }
  for (const auto& [k, v] : values) (*target)[k] = v;
}

bool Segment::OverwritePayload(const ExternalId& id, uint64_t version, const PayloadMap& payload) {
  uint32_t offset;
  if (!Touch(id, version, &offset)) return false;
  ChangePayload(offset, version, false, [&](PayloadMap* p) { *p = payload; });
  return true;
}

bool Segment::DeletePayloadKeys(const ExternalId& id, uint64_t version,
                                const std::vector<std::string>& keys) {
  uint32_t offset;
  if (!Touch(id, version, &offset)) return false;
  ChangePayload(offset, version, false, [&](PayloadMap* p) { RemovePayloadKeys(p, keys); });
  return true;
}

void Segment::RemovePayloadKeys(PayloadMap* payload, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    PayloadMap* target = payload;
    size_t start = 0;
    for (;;) {
      size_t dot = key.find('.', start);
      if (dot == std::string::npos) {
        target->erase(key.substr(start));
        break;
      }
      auto it = target->find(key.substr(start, dot - start));
      if (it == target->end() || !it->second.has_struct_value()) break;
      target = it->second.mutable_struct_value()->mutable_fields();
      start = dot + 1;
    }
  }
}

bool Segment::ClearPayload(const ExternalId& id, uint64_t version) {
  uint32_t offset;
  if (!Touch(id, version, &offset)) return false;
  ChangePayload(offset, version, false, [](PayloadMap* p) { p->clear(); });
  return true;
}

bool Segment::UpdateVectors(const ExternalId& id, uint64_t version, const NamedVectors& vectors,
                            const NamedSparse& sparse) {
  uint32_t offset;
  if (!Touch(id, version, &offset)) return false;
  offset = Relocate(offset);
  for (size_t s = 0; s < specs_.size(); ++s) {
    auto v = vectors.find(specs_[s].name);
    if (v != vectors.end()) WriteVector(s, offset, v->second);
  }
  for (SparseColumn& c : sparse_) {
    auto v = sparse.find(c.spec().name);
    if (v != sparse.end()) c.Set(offset, v->second);
    c.Index(offset);
  }
  return true;
}

bool Segment::DeleteVectors(const ExternalId& id, uint64_t version,
                            const std::vector<std::string>& names) {
  uint32_t offset;
  if (!Touch(id, version, &offset)) return false;
  for (size_t s = 0; s < specs_.size(); ++s) {
    if (std::find(names.begin(), names.end(), specs_[s].name) != names.end()) {
      storages_[s].present[offset] = 0;
    }
  }
  for (SparseColumn& c : sparse_) {
    if (std::find(names.begin(), names.end(), c.spec().name) != names.end()) c.Retire(offset);
  }
  return true;
}

std::optional<uint32_t> Segment::Find(const ExternalId& id) const {
  auto it = index_.find(id);
  if (it == index_.end() || deleted_[it->second]) return std::nullopt;
  return it->second;
}

const float* Segment::VectorBase(const std::string& name) const {
  for (size_t s = 0; s < specs_.size(); ++s) {
    if (specs_[s].name == name) return storages_[s].data.data();
  }
  return nullptr;
}

const float* Segment::VectorAt(const std::string& name, uint32_t offset) const {
  for (size_t s = 0; s < specs_.size(); ++s) {
    if (specs_[s].name != name) continue;
    if (!storages_[s].present[offset]) return nullptr;
    return storages_[s].data.data() + size_t{offset} * specs_[s].dim;
  }
  return nullptr;
}

bool Segment::HasVector(const std::string& name, uint32_t offset) const {
  return VectorAt(name, offset) != nullptr || SparseAt(name, offset) != nullptr;
}

PointView Segment::View(uint32_t offset) const {
  if (disk_ == nullptr) return ViewWith(offset, &payloads_[offset]);  // borrowed: no owner
  PointView view = ViewWith(offset, nullptr);
  view.keep = PayloadAt(offset);
  view.payload = view.keep.get();
  return view;
}

PointView Segment::ViewWith(uint32_t offset, const PayloadMap* payload) const {
  return PointView{&ids_[offset],
                   payload,
                   [this, offset](const std::string& n) { return HasVector(n, offset); },
                   {}};
}

bool Segment::Matches(const qdrant::Filter* filter, uint32_t offset) const {
  if (deleted_[offset]) return false;
  return filter == nullptr || kernel::Matches(*filter, View(offset));
}

std::vector<ScoredOffset> Segment::SearchAllowed(const std::string& vector_name, const float* query,
                                                 size_t k,
                                                 const std::vector<uint64_t>& allow) const {
  std::vector<ScoredOffset> out;
  size_t s = 0;
  while (s < specs_.size() && specs_[s].name != vector_name) ++s;
  if (s == specs_.size() || k == 0) return out;
  const VectorSpec& spec = specs_[s];
  const float* base = storages_[s].data.data();
  const DistanceKernels& kernels = ActiveKernels();
  TopK top(k);
  for (size_t w = 0; w < allow.size(); ++w) {
    for (uint64_t bits = allow[w]; bits != 0; bits &= bits - 1) {
      const uint32_t i = static_cast<uint32_t>(w * 64 + __builtin_ctzll(bits));
      top.Push({Score(kernels, spec.metric, query, base + size_t{i} * spec.dim, spec.dim), i});
    }
  }
  return top.Take();
}

std::vector<ScoredOffset> Segment::Search(const std::string& vector_name, const float* query,
                                          size_t k, const qdrant::Filter* filter, uint32_t begin,
                                          uint32_t end) const {
  std::vector<ScoredOffset> out;
  size_t s = 0;
  while (s < specs_.size() && specs_[s].name != vector_name) ++s;
  if (s == specs_.size() || k == 0) return out;
  if (filter != nullptr && begin == 0 && disk_ != nullptr) {
    // A whole-segment filtered scan with payloads on disk: one pass over the store first.
    std::optional<CandidateSet> cand = Candidates(*filter);
    if (!cand) cand = ScanCandidates(*filter);
    if (cand) {
      return SearchOffsets(vector_name, query, k, *cand, filter, begin, end);
    }
  }
  const VectorSpec& spec = specs_[s];
  const Storage& st = storages_[s];
  const DistanceKernels& kernels = ActiveKernels();
  TopK top(k);
  const uint32_t n = std::min(end, offset_count());
  for (uint32_t i = begin; i < n; ++i) {
    if (deleted_[i] || !st.present[i]) continue;
    if (filter != nullptr && !kernel::Matches(*filter, View(i))) continue;
    top.Push(
        {Score(kernels, spec.metric, query, st.data.data() + size_t{i} * spec.dim, spec.dim), i});
  }
  return top.Take();
}

std::shared_ptr<const std::vector<uint32_t>> Segment::SortedById() const {
  std::lock_guard<std::mutex> lock(sorted_mu_);
  if (sorted_ == nullptr || sorted_gen_ != liveness_gen_) {
    auto out = std::make_shared<std::vector<uint32_t>>();
    out->reserve(live_);
    for (uint32_t i = 0; i < offset_count(); ++i) {
      if (!deleted_[i]) out->push_back(i);
    }
    std::sort(out->begin(), out->end(),
              [this](uint32_t a, uint32_t b) { return ids_[a] < ids_[b]; });
    sorted_ = std::move(out);
    sorted_gen_ = liveness_gen_;
  }
  return sorted_;
}

void Segment::SetFieldIndex(const std::string& path, FieldIndexSpec spec) {
  if (!payload_index_.SetField(path, spec)) return;
  // Re-feed every live point into fresh indexes (all fields: cheap next to the payload walk).
  RebuildPayloadIndex();
}

void Segment::DropFieldIndex(const std::string& path) { payload_index_.DropField(path); }

uint64_t Segment::PointsIndexed(const std::string& path) const {
  return payload_index_.PointsIndexed(path);
}

std::optional<CandidateSet> Segment::Candidates(const qdrant::Filter& filter) const {
  return payload_index_.Candidates(
      filter, [this](const qdrant::HasIdCondition& c, std::vector<uint32_t>* out) {
        for (const auto& raw : c.has_id()) {
          Result<ExternalId> id = ExternalId::FromProto(raw, "has_id");
          if (!id.ok()) continue;
          std::optional<uint32_t> o = Find(*id);
          if (o) out->push_back(*o);
        }
      });
}

Status Segment::ScanStore(const std::function<void(uint32_t, const PayloadMap&)>& fn) const {
  // Committed records arrive in id order (the store's key order is ExternalId's): a merge with
  // the live offsets sorted by id finds each offset without a hash lookup. Sorting costs more
  // than the lookups it saves once, so a stale order is rebuilt only when a second scan meets
  // the same points (scans keep coming between writes); otherwise the id map answers.
  std::shared_ptr<const std::vector<uint32_t>> sorted;
  {
    std::lock_guard<std::mutex> lock(sorted_mu_);
    if (sorted_ != nullptr && sorted_gen_ == liveness_gen_) sorted = sorted_;
  }
  if (sorted == nullptr && scanned_gen_.exchange(liveness_gen_) == liveness_gen_) {
    sorted = SortedById();
  }
  static const std::vector<uint32_t> kNone;
  const std::vector<uint32_t>& order = sorted ? *sorted : kNone;
  size_t j = 0;
  Status scanned = disk_->ForEach([&](const ExternalId& id, uint64_t, const PayloadMap& payload) {
    while (j < order.size() && ids_[order[j]] < id) ++j;
    uint32_t o = 0;
    if (j < order.size() && ids_[order[j]] == id) {
      o = order[j];
    } else {  // no order at hand, a staged record (they come last), or no live point
      auto it = index_.find(id);
      if (it == index_.end() || deleted_[it->second]) return;
      o = it->second;
    }
    fn(o, payload);
  });
  if (!scanned.ok()) {
    LogError("segment", "payload scan failed: " + scanned.message());
    disk_->Fail(scanned);
  }
  return scanned;
}

std::optional<CandidateSet> Segment::ScanCandidates(const qdrant::Filter& filter) const {
  if (disk_ == nullptr) return std::nullopt;
  static const std::vector<uint64_t> kNoneDirty;  // every offset certain
  CandidateSet out;
  out.dirty = &kNoneDirty;
  Status scanned = ScanStore([&](uint32_t o, const PayloadMap& payload) {
    if (kernel::Matches(filter, ViewWith(o, &payload))) out.offsets.push_back(o);
  });
  if (!scanned.ok()) return std::nullopt;  // the callers fall back to reading point by point
  std::sort(out.offsets.begin(), out.offsets.end());
  return out;
}

void Segment::ForEachPayload(const qdrant::Filter* filter,
                             const std::function<void(uint32_t, const PayloadMap&)>& fn) const {
  std::optional<CandidateSet> cand;
  if (filter != nullptr) cand = Candidates(*filter);
  if (disk_ != nullptr && !cand) {
    Status scanned = ScanStore([&](uint32_t o, const PayloadMap& payload) {
      if (filter != nullptr && !kernel::Matches(*filter, ViewWith(o, &payload))) return;
      fn(o, payload);
    });
    if (scanned.ok()) return;
  }
  ForEachMatch(filter, [&](uint32_t o) { fn(o, *PayloadAt(o)); });
}

Cardinality Segment::EstimateMatches(const qdrant::Filter* filter) const {
  Cardinality out;
  if (filter == nullptr) {
    out.min = out.exp = out.max = live_;
    return out;
  }
  std::optional<CandidateSet> cand = Candidates(*filter);
  const uint64_t population = cand ? cand->size() : offset_count();
  out.max = cand ? std::min<uint64_t>(cand->size(), live_) : live_;
  if (population == 0) return out;
  // Evaluate the filter on an evenly spaced sample of the candidates (or of every offset).
  constexpr uint64_t kSample = 256;
  const uint64_t step = std::max<uint64_t>(1, population / kSample);
  uint64_t seen = 0, hit = 0;
  for (uint64_t i = 0; i < population; i += step) {
    const uint32_t o = cand ? cand->offsets[i] : static_cast<uint32_t>(i);
    ++seen;
    hit += (cand && cand->Certain(o)) || Matches(filter, o) ? 1 : 0;
  }
  out.exp = std::min<uint64_t>(out.max, population * hit / seen);
  if (step == 1) out.min = out.exp = hit;  // the whole population was checked
  return out;
}

std::vector<ScoredOffset> Segment::SearchOffsets(const std::string& vector_name, const float* query,
                                                 size_t k, const CandidateSet& candidates,
                                                 const qdrant::Filter* filter, uint32_t begin,
                                                 uint32_t end) const {
  std::vector<ScoredOffset> out;
  size_t s = 0;
  while (s < specs_.size() && specs_[s].name != vector_name) ++s;
  if (s == specs_.size() || k == 0) return out;
  const VectorSpec& spec = specs_[s];
  const Storage& st = storages_[s];
  const DistanceKernels& kernels = ActiveKernels();
  TopK top(k);
  const std::vector<uint32_t>& offsets = candidates.offsets;
  const uint32_t stop = std::min(end, offset_count());
  for (auto it = std::lower_bound(offsets.begin(), offsets.end(), begin);
       it != offsets.end() && *it < stop; ++it) {
    const uint32_t i = *it;
    if (deleted_[i] || !st.present[i]) continue;
    if (filter != nullptr && !candidates.Certain(i) && !kernel::Matches(*filter, View(i))) {
      continue;
    }
    top.Push(
        {Score(kernels, spec.metric, query, st.data.data() + size_t{i} * spec.dim, spec.dim), i});
  }
  return top.Take();
}

std::vector<ScoredOffset> Segment::SearchCustom(
    const std::string& vector_name, size_t k, const qdrant::Filter* filter,
    const std::function<float(const float*)>& score) const {
  size_t s = 0;
  while (s < specs_.size() && specs_[s].name != vector_name) ++s;
  if (s == specs_.size() || k == 0) return {};
  const Storage& st = storages_[s];
  const uint32_t dim = specs_[s].dim;
  TopK top(k);
  ForEachMatch(filter, [&](uint32_t i) {
    if (st.present[i]) top.Push({score(st.data.data() + size_t{i} * dim), i});
  });
  return top.Take();
}

void Segment::PadRetired(uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t offset = static_cast<uint32_t>(ids_.size());
    ids_.emplace_back();
    versions_.push_back(0);
    deleted_.push_back(1);
    if (disk_ == nullptr) payloads_.emplace_back();
    for (size_t s = 0; s < specs_.size(); ++s) {
      Status grown = storages_[s].data.Resize(storages_[s].data.size() + specs_[s].dim);
      (void)grown;  // the shard keeps free_offsets() ahead of use
      storages_[s].present.push_back(0);
    }
    for (SparseColumn& c : sparse_) c.Grow(offset + 1);
    SetLive(offset, false);
  }
}

}  // namespace strata::kernel
