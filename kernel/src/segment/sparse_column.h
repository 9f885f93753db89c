// sparse_column.h: one named sparse vector of a segment: a row per offset and an inverted index
// (dimension -> postings of (offset, value)) for exact dot-product search, with the document
// frequencies the IDF modifier needs.
//
// Rows follow the segment's copy-on-write rule: a row is set once at an offset (Set), indexed
// once (Index) and only ever removed (Retire), never changed in place. Postings of retired rows
// stay until the next compaction and are skipped by state; compaction rebuilds the postings
// from the live rows when stale entries outnumber live ones.
// Concurrency: none; the segment's owner locks.
#ifndef STRATA_KERNEL_SEGMENT_SPARSE_COLUMN_H_
#define STRATA_KERNEL_SEGMENT_SPARSE_COLUMN_H_

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace strata::kernel {

struct SparseSpec {
  std::string name;
  bool idf = false;  // modifier: idf (query weights scaled by inverse document frequency)
};

// Indices unique and increasing, one value each (see NormalizeSparse).
struct SparseVector {
  std::vector<uint32_t> indices;
  std::vector<float> values;
  bool operator==(const SparseVector& o) const {
    return indices == o.indices && values == o.values;
  }
};

using NamedSparse = std::map<std::string, SparseVector>;

// The spec named `name`, or nullptr.
inline const SparseSpec* FindSparseSpec(const std::vector<SparseSpec>& specs,
                                        const std::string& name) {
  for (const SparseSpec& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

class SparseColumn {
 public:
  explicit SparseColumn(SparseSpec spec) : spec_(std::move(spec)) {}

  const SparseSpec& spec() const { return spec_; }
  void set_idf(bool idf) { spec_.idf = idf; }
  // Room for offsets [0, count).
  void Grow(uint32_t count);
  // The row of a new offset (not yet searchable).
  void Set(uint32_t offset, SparseVector v);
  // Makes a set row searchable and counts it in the document frequencies.
  void Index(uint32_t offset);
  // Removes the row (point deleted, moved or the vector deleted).
  void Retire(uint32_t offset);
  bool Has(uint32_t offset) const { return offset < state_.size() && state_[offset] != kAbsent; }
  const SparseVector* At(uint32_t offset) const { return Has(offset) ? &rows_[offset] : nullptr; }

  // Calls fn(offset, score) once for every indexed row sharing a dimension with the query;
  // score = sum of query value x row value (x idf(dimension) with the IDF modifier).
  template <class Fn>
  void Score(const SparseVector& query, Fn&& fn) const;

  uint64_t live_rows() const { return live_rows_; }

 private:
  enum : uint8_t { kAbsent = 0, kSet = 1, kIndexed = 2 };
  struct Posting {
    uint32_t offset;
    float value;
  };
  float Weight(uint32_t dimension) const;
  void Compact();

  SparseSpec spec_;
  std::vector<SparseVector> rows_;
  std::vector<uint8_t> state_;
  std::unordered_map<uint32_t, std::vector<Posting>> postings_;
  std::unordered_map<uint32_t, uint32_t> df_;  // indexed rows having the dimension
  uint64_t live_rows_ = 0;                     // indexed rows
  uint64_t live_entries_ = 0;                  // their non-zero count
  uint64_t posting_entries_ = 0;               // including stale ones
};

template <class Fn>
void SparseColumn::Score(const SparseVector& query, Fn&& fn) const {
  // The query's posting lists (each looked up once) with their weights.
  std::vector<std::pair<const std::vector<Posting>*, float>> lists;
  size_t entries = 0;
  for (size_t i = 0; i < query.indices.size(); ++i) {
    auto it = postings_.find(query.indices[i]);
    if (it == postings_.end()) continue;
    lists.emplace_back(&it->second, query.values[i] * Weight(query.indices[i]));
    entries += it->second.size();
  }
  if (entries == 0) return;
  auto each_posting = [&](auto&& add) {
    for (const auto& [list, w] : lists) {
      for (const Posting& p : *list) {
        if (state_[p.offset] == kIndexed) add(p.offset, w * p.value);
      }
    }
  };
  if (entries * 16 < state_.size()) {
    // Few postings against many rows: a hash map costs less than clearing an array.
    std::unordered_map<uint32_t, float> acc;
    acc.reserve(entries);
    each_posting([&](uint32_t o, float x) { acc[o] += x; });
    for (const auto& [offset, score] : acc) fn(offset, score);
    return;
  }
  std::vector<float> acc(state_.size(), 0.0f);
  std::vector<uint32_t> touched;
  std::vector<uint64_t> seen((state_.size() + 63) / 64, 0);
  each_posting([&](uint32_t o, float x) {
    const uint64_t bit = uint64_t{1} << (o & 63);
    if ((seen[o >> 6] & bit) == 0) {
      seen[o >> 6] |= bit;
      touched.push_back(o);
    }
    acc[o] += x;
  });
  for (uint32_t o : touched) fn(o, acc[o]);
}

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SEGMENT_SPARSE_COLUMN_H_
