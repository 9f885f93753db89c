#include "segment/sparse_column.h"

#include <cmath>

namespace strata::kernel {

void SparseColumn::Grow(uint32_t count) {
  if (rows_.size() < count) {
    rows_.resize(count);
    state_.resize(count, kAbsent);
  }
}

void SparseColumn::Set(uint32_t offset, SparseVector v) {
  Grow(offset + 1);
  if (state_[offset] != kAbsent) Retire(offset);
  rows_[offset] = std::move(v);
  state_[offset] = kSet;
}

void SparseColumn::Index(uint32_t offset) {
  if (offset >= state_.size() || state_[offset] != kSet) return;
  const SparseVector& row = rows_[offset];
  for (size_t i = 0; i < row.indices.size(); ++i) {
    postings_[row.indices[i]].push_back({offset, row.values[i]});
    ++df_[row.indices[i]];
  }
  state_[offset] = kIndexed;
  ++live_rows_;
  live_entries_ += row.indices.size();
  posting_entries_ += row.indices.size();
  if (posting_entries_ > 2 * live_entries_ + 4096) Compact();
}

void SparseColumn::Retire(uint32_t offset) {
  if (!Has(offset)) return;
  if (state_[offset] == kIndexed) {
    const SparseVector& row = rows_[offset];
    for (uint32_t d : row.indices) {
      auto it = df_.find(d);
      if (it != df_.end() && --it->second == 0) df_.erase(it);
    }
    --live_rows_;
    live_entries_ -= row.indices.size();
  }
  rows_[offset] = SparseVector();
  state_[offset] = kAbsent;
}

float SparseColumn::Weight(uint32_t dimension) const {
  if (!spec_.idf) return 1.0f;
  // Okapi BM25's inverse document frequency, as Qdrant's idf modifier computes it.
  auto it = df_.find(dimension);
  const double n = it == df_.end() ? 0.0 : it->second;
  const double total = static_cast<double>(live_rows_);
  return static_cast<float>(std::log(1.0 + (total - n + 0.5) / (n + 0.5)));
}

void SparseColumn::Compact() {
  postings_.clear();
  posting_entries_ = 0;
  for (uint32_t o = 0; o < state_.size(); ++o) {
    if (state_[o] != kIndexed) continue;
    const SparseVector& row = rows_[o];
    for (size_t i = 0; i < row.indices.size(); ++i) {
      postings_[row.indices[i]].push_back({o, row.values[i]});
    }
    posting_entries_ += row.indices.size();
  }
}

}  // namespace strata::kernel
