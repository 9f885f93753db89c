// hnsw_graph.h: a hierarchical navigable small world graph over dense float32 vectors.
//
// Vectors are borrowed (base pointer + stride), never copied. Level-0 links live in one flat
// array (count + 2M slots per node); upper levels are stored per node. Inserts may run in
// parallel (per-node locks); searches are const and run concurrently with each other.
// Distances are "lower is better": L2 squared, L1, or 1 - dot for dot/cosine.
#ifndef STRATA_PLUGINS_INDEX_HNSW_HNSW_GRAPH_H_
#define STRATA_PLUGINS_INDEX_HNSW_HNSW_GRAPH_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "strata/sdk/distance.hpp"
#include "strata/sdk/status.hpp"

namespace strata::hnsw {

enum class Space { kL2, kInnerProduct, kL1 };

struct Params {
  uint32_t m = 16;
  uint32_t ef_construct = 100;
  uint64_t seed = 100;
};

// Which points a search may return: a bitset, a predicate, or everything.
struct AllowFn {
  const uint64_t* bits = nullptr;
  uint32_t n_bits = 0;
  std::function<bool(uint32_t)> pred;
  // The allowed points form a group linked with LinkGroup: once the search has found one, it
  // walks only allowed points (the group's own links), as Qdrant does with payload_m. Wrong
  // for unlinked filters, whose allowed points need not be connected among themselves.
  bool linked_group = false;
  bool Allows(uint32_t id) const {
    if (bits != nullptr) return id < n_bits && ((bits[id >> 6] >> (id & 63)) & 1u);
    return !pred || pred(id);
  }
  bool everything() const { return bits == nullptr && !pred; }
};

class VisitedPool;
class ScalarQuantizer;

class Graph {
 public:
  Graph(uint32_t dim, Space space, Params params);
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // Points the graph at the vectors (vector i at base + i * stride_floats). Must cover every
  // id inserted or loaded.
  void SetVectors(const float* base, size_t stride_floats);
  // Sizes the graph for ids 0 .. capacity-1 (exclusive with everything else).
  void Reserve(uint32_t capacity);
  // Adds one point; thread-safe against other Inserts (not against Reserve / Load).
  void Insert(uint32_t id);

  // The k nearest allowed points, best first, as (distance, id).
  void Search(const float* query, uint32_t k, uint32_t ef, const AllowFn& allow,
              std::vector<std::pair<float, uint32_t>>* out) const;

  // The same search with the traversal scored on int8 codes (4x less memory per step). With
  // rescore_n > 0 the best rescore_n (at least k) are rescored with the float vectors before
  // the top k are kept; with 0 the quantized distances are returned.
  // Q: ScalarQuantizer or BinaryQuantizer (instantiated in the .cc).
  template <class Q>
  void SearchQuantized(const Q& quantizer, const float* query, uint32_t k, uint32_t ef,
                       const AllowFn& allow, uint32_t rescore_n,
                       std::vector<std::pair<float, uint32_t>>* out) const;

  // Payload-aware links (Qdrant's payload_m): links among `ids` (sorted; points sharing one
  // payload value), so a search filtered to them walks a connected subgraph. Each member is
  // linked to up to m_sub nearest members found by a search that walks only the members
  // linked so far; a full level-0 list gives up its farthest link to a non-member first.
  // Exclusive with everything else. Returns false when `cancelled` said stop (links made so
  // far stay: they are valid links).
  // parallel(n, fn): runs fn(0..n-1), possibly on several threads (empty: in this thread);
  // the searches for one batch of members run through it, their links are made after.
  using ParallelFn = std::function<void(uint32_t, const std::function<void(uint32_t)>&)>;
  bool LinkGroup(const uint32_t* ids, size_t n, uint32_t m_sub,
                 const std::function<bool()>& cancelled, const ParallelFn& parallel = {});
  // Grows a group linked before: `members` (sorted) are linked already, each of `added`
  // (sorted, in order) is linked like a LinkGroup member to its nearest fellows among the
  // members and the added points before it. LinkGroup(ids) is LinkGroupAdd({}, ids).
  // Batches of added points are searched in parallel once at least 256 members are linked
  // (a batch at most an eighth of them, so points of one batch rarely need each other).
  bool LinkGroupAdd(const uint32_t* members, size_t n_members, const uint32_t* added,
                    size_t n_added, uint32_t m_sub, const std::function<bool()>& cancelled,
                    const ParallelFn& parallel = {});

  uint32_t size() const { return inserted_.load(); }
  uint32_t capacity() const { return capacity_; }
  uint64_t MemoryBytes() const;
  // Distance computations done by searches since construction (for profiling).
  uint64_t distance_count() const { return distances_.load(std::memory_order_relaxed); }

  // Format: hnsw_format.md beside this file.
  std::string Serialize() const;
  Status Deserialize(const std::string& data, const std::string& where);
  // borrow_level0: the level-0 links are searched in place in `data` (which must outlive the
  // graph or the next OwnLevel0 / Deserialize; format version 2 only, where they are aligned)
  // instead of being copied: a mapped file then serves them from the page cache.
  Status Deserialize(const char* data, size_t len, const std::string& where, bool borrow_level0);
  // Copies borrowed level-0 links into owned memory (before anything changes them); exclusive
  // with everything else. A no-op when they are owned.
  void OwnLevel0();
  // Serves the level-0 links from `data`, the file this graph was just serialized to (mapped):
  // checked to be version 2 with this graph's m and capacity; the owned copy is freed.
  Status BorrowLevel0(const char* data, size_t size, const std::string& where);
  bool level0_borrowed() const { return borrowed0_; }

 private:
  using Candidate = std::pair<float, uint32_t>;  // (distance, id)
  float Distance(const float* a, uint32_t id) const;
  const float* Vec(uint32_t id) const { return base_ + static_cast<size_t>(id) * stride_; }
  uint32_t* Links0(uint32_t id) const { return links0_ + static_cast<size_t>(id) * (m0_ + 1); }
  uint32_t* LinksUp(uint32_t id, int level) const {
    return upper_[id].get() + static_cast<size_t>(level - 1) * (params_.m + 1);
  }
  uint32_t* Links(uint32_t id, int level) const {
    return level == 0 ? Links0(id) : LinksUp(id, level);
  }
  int RandomLevel(uint32_t id) const;
  // Best-first search of one layer from `entry`, keeping `ef` results (worst on top).
  std::vector<Candidate> SearchLayer(const float* q, uint32_t entry, uint32_t ef, int level,
                                     const AllowFn* allow) const;
  // The layer search over any distance (dist(id), prefetch(id)); defined in the .cc.
  template <class Dist, class Pre>
  std::vector<Candidate> SearchLayerWith(const Dist& dist, const Pre& prefetch, uint32_t entry,
                                         uint32_t ef, int level, const AllowFn* allow) const;
  // Greedy descent through the upper layers to the level-0 entry point.
  template <class Dist>
  uint32_t Descend(const Dist& dist) const;
  void SelectNeighbors(std::vector<Candidate>& candidates, uint32_t max_links) const;
  // The ef members (bits set in `members`) nearest to q reachable from `entry` through members.
  std::vector<Candidate> SearchMembers(const float* q, uint32_t entry, uint32_t ef,
                                       const std::vector<uint64_t>& members) const;
  // Adds the pinned level-0 group link from -> to (distance d): into a free slot, else over the
  // farthest ordinary link; with the pinned prefix full, over its farthest link outside `group`
  // (or else its farthest one, if farther than d).
  void AddGroupLink(uint32_t from, uint32_t to, float d, const std::vector<uint64_t>& group);
  void Connect(uint32_t id, const std::vector<Candidate>& neighbors, int level);

  uint32_t dim_;
  Space space_;
  Params params_;
  uint32_t m0_;
  double level_mult_;
  const sdk::DistanceKernels& kernels_;
  size_t prefetch_bytes_;
  const float* base_ = nullptr;
  size_t stride_ = 0;

  uint32_t capacity_ = 0;
  std::unique_ptr<uint32_t[]> level0_;  // owned level-0 links (null while borrowed)
  // The level-0 links searched: level0_, or read-only memory borrowed by Deserialize (a mapping
  // of the saved file) until OwnLevel0() copies it.
  uint32_t* links0_ = nullptr;
  bool borrowed0_ = false;
  std::vector<std::unique_ptr<uint32_t[]>> upper_;
  std::vector<int8_t> levels_;  // -1 = not inserted
  // Per node: its first pinned_[id] level-0 links are payload-aware (group) links, which the
  // pruning of later inserts leaves alone.
  std::vector<uint8_t> pinned_;
  std::unique_ptr<std::mutex[]> node_locks_;
  std::mutex entry_mu_;
  std::atomic<int64_t> entry_{-1};
  std::atomic<int> max_level_{-1};
  std::atomic<uint32_t> inserted_{0};
  mutable std::atomic<uint64_t> distances_{0};
  std::unique_ptr<VisitedPool> visited_;
  // LinkGroupAdd's membership bits (all clear between calls).
  std::vector<uint64_t> group_bits_, linked_bits_;
};

}  // namespace strata::hnsw

#endif  // STRATA_PLUGINS_INDEX_HNSW_HNSW_GRAPH_H_
