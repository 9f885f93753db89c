#include "hnsw_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>

#include "scalar_quant.h"
#include "strata/sdk/crc32c.hpp"

namespace strata::hnsw {

// Visited marks with a generation counter, so clearing is O(1) per search.
class VisitedList {
 public:
  // Heap storage reused across searches (no allocation per query once warmed up).
  std::vector<std::pair<float, uint32_t>> top_storage, frontier_storage;
  void Prepare(uint32_t n) {
    if (tags_.size() < n) {
      tags_.assign(n, 0);
      gen_ = 0;
    }
    if (++gen_ == 0) {
      std::fill(tags_.begin(), tags_.end(), 0);
      gen_ = 1;
    }
  }
  // True when `id` was already visited; marks it otherwise.
  bool Visit(uint32_t id) {
    if (tags_[id] == gen_) return true;
    tags_[id] = gen_;
    return false;
  }

 private:
  std::vector<uint16_t> tags_;
  uint16_t gen_ = 0;
};

class VisitedPool {
 public:
  std::unique_ptr<VisitedList> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::make_unique<VisitedList>();
    auto v = std::move(free_.back());
    free_.pop_back();
    return v;
  }
  void Put(std::unique_ptr<VisitedList> v) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(v));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<VisitedList>> free_;
};

namespace {

struct Lease {
  VisitedPool& pool;
  std::unique_ptr<VisitedList> list;
  explicit Lease(VisitedPool& p) : pool(p), list(p.Get()) {}
  ~Lease() { pool.Put(std::move(list)); }
};

inline void Prefetch(const void* p) { __builtin_prefetch(p, 0, 3); }

// The most neighbours one node can have (level 0 holds 2M; the plugin caps M at 128).
constexpr uint32_t kMaxBatch = 512;
// How much of each vector a search prefetches ahead of scoring it.
constexpr size_t kPrefetchBytes = 512;

struct WorseFirst {
  bool operator()(const std::pair<float, uint32_t>& a, const std::pair<float, uint32_t>& b) const {
    return a.first < b.first;  // max-heap on distance
  }
};
struct BetterFirst {
  bool operator()(const std::pair<float, uint32_t>& a, const std::pair<float, uint32_t>& b) const {
    return a.first > b.first;  // min-heap on distance
  }
};

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

constexpr char kMagic[8] = {'S', 'T', 'R', 'H', 'N', 'S', 'W', '1'};
// 3: pinned (payload-aware) link counts after the levels; 2 (none) and 1 (levels before level
// 0, no pinned counts) are still read.
constexpr uint32_t kFormatVersion = 3;

template <class T>
void Put(std::string* s, T v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

}  // namespace

Graph::Graph(uint32_t dim, Space space, Params params)
    : dim_(dim),
      space_(space),
      params_(params),
      m0_(params.m * 2),
      level_mult_(1.0 / std::log(std::max<double>(2.0, params.m))),
      kernels_(sdk::Kernels()),
      prefetch_bytes_(std::min<size_t>(size_t{dim} * sizeof(float), kPrefetchBytes)),
      visited_(std::make_unique<VisitedPool>()) {}

Graph::~Graph() = default;

void Graph::SetVectors(const float* base, size_t stride_floats) {
  base_ = base;
  stride_ = stride_floats;
}

void Graph::Reserve(uint32_t capacity) {
  if (capacity <= capacity_) return;
  auto level0 = std::make_unique<uint32_t[]>(static_cast<size_t>(capacity) * (m0_ + 1));
  std::memset(level0.get(), 0, sizeof(uint32_t) * static_cast<size_t>(capacity) * (m0_ + 1));
  if (links0_ != nullptr) {
    std::memcpy(level0.get(), links0_,
                sizeof(uint32_t) * static_cast<size_t>(capacity_) * (m0_ + 1));
  }
  level0_ = std::move(level0);
  links0_ = level0_.get();
  borrowed0_ = false;
  upper_.resize(capacity);
  levels_.resize(capacity, -1);
  pinned_.resize(capacity, 0);
  node_locks_ = std::make_unique<std::mutex[]>(capacity);
  capacity_ = capacity;
}

float Graph::Distance(const float* a, uint32_t id) const {
  const float* b = Vec(id);
  switch (space_) {
    case Space::kL2:
      return kernels_.l2sq(a, b, dim_);
    case Space::kL1:
      return kernels_.l1(a, b, dim_);
    case Space::kInnerProduct:
      return 1.0f - kernels_.dot(a, b, dim_);
  }
  return 0;
}

int Graph::RandomLevel(uint32_t id) const {
  uint64_t r = Mix(params_.seed * 0x9E3779B97F4A7C15ull + id);
  double u = (static_cast<double>(r >> 11) + 0.5) / 9007199254740992.0;  // (0, 1)
  int level = static_cast<int>(-std::log(u) * level_mult_);
  return std::min(level, 60);
}

std::vector<Graph::Candidate> Graph::SearchLayer(const float* q, uint32_t entry, uint32_t ef,
                                                 int level, const AllowFn* allow) const {
  return SearchLayerWith([&](uint32_t id) { return Distance(q, id); },
                         [&](uint32_t id) {
                           // The first lines of the vector (the hardware streams the rest).
                           const char* v = reinterpret_cast<const char*>(Vec(id));
                           for (size_t b = 0; b < prefetch_bytes_; b += 64) Prefetch(v + b);
                         },
                         entry, ef, level, allow);
}

template <class Dist, class Pre>
std::vector<Graph::Candidate> Graph::SearchLayerWith(const Dist& dist, const Pre& prefetch,
                                                     uint32_t entry, uint32_t ef, int level,
                                                     const AllowFn* allow) const {
  const bool building = allow == nullptr;
  Lease lease(*visited_);
  VisitedList& visited = *lease.list;
  visited.Prepare(capacity_);
  // Binary heaps on the lease's reusable vectors: `top` keeps the worst result on top,
  // `frontier` the closest unexpanded candidate.
  std::vector<Candidate>& top = visited.top_storage;
  std::vector<Candidate>& frontier = visited.frontier_storage;
  top.clear();
  frontier.clear();
  const WorseFirst worse;
  const BetterFirst better;
  uint64_t computed = 1;
  float d = dist(entry);
  visited.Visit(entry);
  frontier.push_back({d, entry});
  float bound = std::numeric_limits<float>::max();
  if (building || allow->Allows(entry)) {
    top.push_back({d, entry});
    bound = d;
  }
  std::vector<uint32_t> links;
  while (!frontier.empty()) {
    const Candidate c = frontier.front();
    if (c.first > bound && top.size() >= ef) break;
    std::pop_heap(frontier.begin(), frontier.end(), better);
    frontier.pop_back();
    uint32_t count;
    const uint32_t* l;
    if (building) {
      // Links change while other threads insert: copy them under the node's lock.
      std::lock_guard<std::mutex> lock(node_locks_[c.second]);
      const uint32_t* src = Links(c.second, level);
      links.assign(src + 1, src + 1 + src[0]);
      count = static_cast<uint32_t>(links.size());
      l = links.data();
    } else {
      const uint32_t* src = Links(c.second, level);
      count = src[0];
      l = src + 1;
    }
    // First the unvisited neighbours, with every one's vector prefetched at once (their cache
    // misses overlap), then their distances.
    uint32_t fresh[kMaxBatch];
    uint32_t n_fresh = 0;
    for (uint32_t i = 0; i < count && n_fresh < kMaxBatch; ++i) {
      const uint32_t n = l[i];
      if (visited.Visit(n)) continue;
      prefetch(n);
      fresh[n_fresh++] = n;
    }
    const bool members_only = !building && allow->linked_group && !top.empty();
    for (uint32_t j = 0; j < n_fresh; ++j) {
      const uint32_t n = fresh[j];
      if (members_only && !allow->Allows(n)) continue;
      const float dn = dist(n);
      ++computed;
      if (top.size() < ef || dn < bound) {
        frontier.push_back({dn, n});
        std::push_heap(frontier.begin(), frontier.end(), better);
        if (building || allow->Allows(n)) {
          top.push_back({dn, n});
          std::push_heap(top.begin(), top.end(), worse);
          if (top.size() > ef) {
            std::pop_heap(top.begin(), top.end(), worse);
            top.pop_back();
          }
          bound = top.front().first;
        }
      }
    }
  }
  distances_.fetch_add(computed, std::memory_order_relaxed);
  std::vector<Candidate> out(top.begin(), top.end());
  std::sort(out.begin(), out.end());
  return out;  // ascending distance
}

void Graph::SelectNeighbors(std::vector<Candidate>& cands, uint32_t max_links) const {
  if (cands.size() <= max_links) return;
  std::sort(cands.begin(), cands.end());
  std::vector<Candidate> kept;
  kept.reserve(max_links);
  for (const Candidate& c : cands) {
    if (kept.size() >= max_links) break;
    bool diverse = true;
    for (const Candidate& k : kept) {
      if (Distance(Vec(c.second), k.second) < c.first) {
        diverse = false;
        break;
      }
    }
    if (diverse) kept.push_back(c);
  }
  cands.swap(kept);
}

void Graph::Connect(uint32_t id, const std::vector<Candidate>& neighbors, int level) {
  const uint32_t max_links = level == 0 ? m0_ : params_.m;
  {
    std::lock_guard<std::mutex> lock(node_locks_[id]);
    uint32_t* l = Links(id, level);
    l[0] = static_cast<uint32_t>(neighbors.size());
    for (size_t i = 0; i < neighbors.size(); ++i) l[1 + i] = neighbors[i].second;
  }
  for (const Candidate& nb : neighbors) {
    std::lock_guard<std::mutex> lock(node_locks_[nb.second]);
    uint32_t* l = Links(nb.second, level);
    uint32_t count = l[0];
    bool present = false;
    for (uint32_t i = 0; i < count; ++i) present |= l[1 + i] == id;
    if (present) continue;
    if (count < max_links) {
      l[1 + count] = id;
      l[0] = count + 1;
      continue;
    }
    // Payload-aware links (level 0's pinned prefix) stay; the heuristic prunes the rest.
    const uint32_t pinned = level == 0 ? pinned_[nb.second] : 0;
    if (pinned >= max_links) continue;
    std::vector<Candidate> cands;
    cands.reserve(count + 1);
    const float* v = Vec(nb.second);
    cands.push_back({Distance(v, id), id});
    for (uint32_t i = pinned; i < count; ++i) cands.push_back({Distance(v, l[1 + i]), l[1 + i]});
    SelectNeighbors(cands, max_links - pinned);
    l[0] = pinned + static_cast<uint32_t>(cands.size());
    for (size_t i = 0; i < cands.size(); ++i) l[1 + pinned + i] = cands[i].second;
  }
}

namespace {
inline bool Bit(const std::vector<uint64_t>& bits, uint32_t i) {
  return (bits[i >> 6] >> (i & 63)) & 1u;
}
inline void SetBit(std::vector<uint64_t>& bits, uint32_t i) {
  bits[i >> 6] |= uint64_t{1} << (i & 63);
}
inline void ClearBit(std::vector<uint64_t>& bits, uint32_t i) {
  bits[i >> 6] &= ~(uint64_t{1} << (i & 63));
}
}  // namespace

std::vector<Graph::Candidate> Graph::SearchMembers(const float* q, uint32_t entry, uint32_t ef,
                                                   const std::vector<uint64_t>& members) const {
  // The filtered layer search, walking members only from the start (the entry is one).
  AllowFn allow;
  allow.bits = members.data();
  allow.n_bits = capacity_;
  allow.linked_group = true;
  return SearchLayer(q, entry, ef, 0, &allow);
}

void Graph::AddGroupLink(uint32_t from, uint32_t to, float d, const std::vector<uint64_t>& group) {
  uint32_t* l = Links0(from);
  const uint32_t count = l[0];
  uint32_t pinned = pinned_[from];
  // Group links are kept first in the list (pinned_[from] of them), where later inserts'
  // pruning does not reach. They may fill the list, as before pinning: capping them at 3/4 of
  // it cost a 1% group 0.993 -> 0.985 members-only recall in hnsw_graph_test, and left
  // unfiltered recall unchanged either way.
  const uint32_t max_pinned = m0_;
  auto pin = [&](uint32_t slot) {  // moves the link at `slot` (unpinned) into the prefix
    std::swap(l[1 + slot], l[1 + pinned]);
    pinned_[from] = static_cast<uint8_t>(++pinned);
  };
  for (uint32_t i = 0; i < count; ++i) {
    if (l[1 + i] != to) continue;
    if (i >= pinned && pinned < max_pinned) pin(i);
    return;
  }
  const float* v = Vec(from);
  if (pinned < max_pinned) {
    if (count < m0_) {
      l[1 + count] = to;
      l[0] = count + 1;
      pin(count);
      return;
    }
    // Full: the farthest ordinary link makes room.
    uint32_t worst = pinned;
    float worst_d = -1;
    for (uint32_t i = pinned; i < count; ++i) {
      const float di = Distance(v, l[1 + i]);
      if (di > worst_d) {
        worst = i;
        worst_d = di;
      }
    }
    l[1 + worst] = to;
    pin(worst);
    return;
  }
  // The prefix is full: the farthest group link to a point outside this group goes first,
  // else the farthest one when it is farther than `to`.
  int worst = -1;
  float worst_d = -1;
  bool worst_outside = false;
  for (uint32_t i = 0; i < pinned; ++i) {
    const bool outside = !Bit(group, l[1 + i]);
    const float di = Distance(v, l[1 + i]);
    if ((outside && !worst_outside) || (outside == worst_outside && di > worst_d)) {
      worst = static_cast<int>(i);
      worst_d = di;
      worst_outside = outside;
    }
  }
  if (worst >= 0 && (worst_outside || worst_d > d)) l[1 + worst] = to;
}

bool Graph::LinkGroup(const uint32_t* ids, size_t n, uint32_t m_sub,
                      const std::function<bool()>& cancelled, const ParallelFn& parallel) {
  return LinkGroupAdd(nullptr, 0, ids, n, m_sub, cancelled, parallel);
}

bool Graph::LinkGroupAdd(const uint32_t* members, size_t n_members, const uint32_t* added,
                         size_t n_added, uint32_t m_sub, const std::function<bool()>& cancelled,
                         const ParallelFn& parallel) {
  if (n_added == 0 || m_sub == 0) return true;
  OwnLevel0();  // links change
  // Membership bits live in scratch bitsets kept across calls: setting and clearing only this
  // group's bits keeps a call's cost with the group, not with the graph.
  const size_t words = (capacity_ + 63) / 64;
  if (group_bits_.size() < words) {
    group_bits_.assign(words, 0);
    linked_bits_.assign(words, 0);
  }
  std::vector<uint32_t> linked;  // members linked so far: where a search may start
  linked.reserve(n_members + n_added);
  auto valid = [&](uint32_t id) { return id < capacity_ && levels_[id] >= 0; };
  for (size_t i = 0; i < n_members; ++i) {
    if (!valid(members[i])) continue;
    SetBit(group_bits_, members[i]);
    SetBit(linked_bits_, members[i]);
    linked.push_back(members[i]);
  }
  std::vector<uint32_t> todo;  // the added points, each once
  todo.reserve(n_added);
  for (size_t i = 0; i < n_added; ++i) {
    if (!valid(added[i]) || Bit(group_bits_, added[i])) continue;  // a member, or listed twice
    SetBit(group_bits_, added[i]);
    todo.push_back(added[i]);
  }
  const uint32_t ef = std::max(params_.ef_construct, m_sub);
  // The nearest linked members of `id` (read-only: safe on several threads at once).
  auto nearest = [&](uint32_t id) {
    std::vector<Candidate> found;
    if (linked.empty()) return found;
    // Start from the nearest of a few evenly spaced linked members, then walk members only.
    const float* q = Vec(id);
    const size_t step = std::max<size_t>(1, linked.size() / 16);
    uint32_t entry = linked[0];
    float entry_d = Distance(q, entry);
    for (size_t j = step; j < linked.size(); j += step) {
      const float d = Distance(q, linked[j]);
      if (d < entry_d) {
        entry_d = d;
        entry = linked[j];
      }
    }
    found = SearchMembers(q, entry, ef, linked_bits_);
    SelectNeighbors(found, m_sub);
    return found;
  };
  auto link = [&](uint32_t id, const std::vector<Candidate>& found) {
    for (const Candidate& c : found) {
      AddGroupLink(id, c.second, c.first, group_bits_);
      AddGroupLink(c.second, id, c.first, group_bits_);
    }
    SetBit(linked_bits_, id);
    linked.push_back(id);
  };
  constexpr size_t kMaxBatch = 256;
  bool done = true;
  std::vector<std::vector<Candidate>> batch_found;
  size_t polled = 0;
  for (size_t i = 0; i < todo.size();) {
    if (i >= polled + 256) {
      polled = i;
      if (cancelled && cancelled()) {
        done = false;
        break;
      }
    }
    const size_t batch = !parallel || linked.size() < 256
                             ? 1
                             : std::min({kMaxBatch, linked.size() / 8, todo.size() - i});
    if (batch == 1) {
      link(todo[i], nearest(todo[i]));
      ++i;
      continue;
    }
    batch_found.assign(batch, {});
    parallel(static_cast<uint32_t>(batch),
             [&](uint32_t j) { batch_found[j] = nearest(todo[i + j]); });
    for (size_t j = 0; j < batch; ++j) link(todo[i + j], batch_found[j]);
    i += batch;
  }
  auto clear = [&](const uint32_t* ids, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (ids[i] >= capacity_) continue;
      ClearBit(group_bits_, ids[i]);
      ClearBit(linked_bits_, ids[i]);
    }
  };
  clear(members, n_members);
  clear(added, n_added);
  return done;
}

void Graph::Insert(uint32_t id) {
  const int level = RandomLevel(id);
  {
    std::lock_guard<std::mutex> lock(node_locks_[id]);
    if (levels_[id] >= 0) return;  // already in the graph
    levels_[id] = static_cast<int8_t>(level);
    if (level > 0) {
      upper_[id] = std::make_unique<uint32_t[]>(static_cast<size_t>(level) * (params_.m + 1));
      std::memset(upper_[id].get(), 0, sizeof(uint32_t) * level * (params_.m + 1));
    }
  }
  std::unique_lock<std::mutex> global(entry_mu_);
  const int max_level = max_level_.load();
  const int64_t entry = entry_.load();
  if (entry < 0) {
    entry_ = id;
    max_level_ = level;
    inserted_.fetch_add(1);
    return;
  }
  if (level <= max_level) global.unlock();  // keep the lock only when we become the entry

  const float* q = Vec(id);
  uint32_t curr = static_cast<uint32_t>(entry);
  float curd = Distance(q, curr);
  for (int l = max_level; l > level; --l) {
    bool changed = true;
    while (changed) {
      changed = false;
      std::lock_guard<std::mutex> lock(node_locks_[curr]);
      const uint32_t* links = Links(curr, l);
      for (uint32_t i = 0; i < links[0]; ++i) {
        float d = Distance(q, links[1 + i]);
        if (d < curd) {
          curd = d;
          curr = links[1 + i];
          changed = true;
        }
      }
    }
  }
  for (int l = std::min(level, max_level); l >= 0; --l) {
    std::vector<Candidate> cands = SearchLayer(q, curr, params_.ef_construct, l, nullptr);
    if (!cands.empty()) curr = cands.front().second;
    // A new node takes m neighbours on every level (the reverse links may fill level 0 to 2m).
    SelectNeighbors(cands, params_.m);
    Connect(id, cands, l);
  }
  if (level > max_level) {
    entry_ = id;
    max_level_ = level;
  }
  inserted_.fetch_add(1);
}

void Graph::Search(const float* query, uint32_t k, uint32_t ef, const AllowFn& allow,
                   std::vector<std::pair<float, uint32_t>>* out) const {
  out->clear();
  const int64_t entry = entry_.load();
  if (entry < 0 || k == 0) return;
  const uint32_t curr = Descend([&](uint32_t id) { return Distance(query, id); });
  std::vector<Candidate> found = SearchLayer(query, curr, std::max(ef, k), 0, &allow);
  if (found.size() > k) found.resize(k);
  *out = std::move(found);
}

template <class Dist>
uint32_t Graph::Descend(const Dist& dist) const {
  uint32_t curr = static_cast<uint32_t>(entry_.load());
  float curd = dist(curr);
  for (int l = max_level_.load(); l > 0; --l) {
    bool changed = true;
    while (changed) {
      changed = false;
      const uint32_t* links = Links(curr, l);
      for (uint32_t i = 0; i < links[0]; ++i) {
        float d = dist(links[1 + i]);
        if (d < curd) {
          curd = d;
          curr = links[1 + i];
          changed = true;
        }
      }
    }
  }
  return curr;
}

template <class Q>
void Graph::SearchQuantized(const Q& sq, const float* query, uint32_t k, uint32_t ef,
                            const AllowFn& allow, uint32_t rescore_n,
                            std::vector<std::pair<float, uint32_t>>* out) const {
  out->clear();
  if (entry_.load() < 0 || k == 0) return;
  const typename Q::Query q = sq.Encode(query);
  auto approx = [&](uint32_t id) {
    // Points inserted after the codes were made are scored exactly.
    return id < sq.size() ? sq.Distance(q, id) : Distance(query, id);
  };
  const size_t code_prefetch = std::min(sq.CodeBytes(), kPrefetchBytes);
  auto prefetch = [&](uint32_t id) {
    if (id >= sq.size()) return;
    const char* c = reinterpret_cast<const char*>(sq.Codes(id));
    for (size_t b = 0; b < code_prefetch; b += 64) Prefetch(c + b);
  };
  const uint32_t curr = Descend(approx);
  const uint32_t want = std::max(k, rescore_n);
  std::vector<Candidate> found =
      SearchLayerWith(approx, prefetch, curr, std::max(ef, want), 0, &allow);
  if (rescore_n > 0) {
    if (found.size() > want) found.resize(want);
    for (Candidate& c : found) c.first = Distance(query, c.second);
    std::sort(found.begin(), found.end());
  }
  if (found.size() > k) found.resize(k);
  *out = std::move(found);
}

template void Graph::SearchQuantized(const ScalarQuantizer&, const float*, uint32_t, uint32_t,
                                     const AllowFn&, uint32_t,
                                     std::vector<std::pair<float, uint32_t>>*) const;
template void Graph::SearchQuantized(const BinaryQuantizer&, const float*, uint32_t, uint32_t,
                                     const AllowFn&, uint32_t,
                                     std::vector<std::pair<float, uint32_t>>*) const;

Status Graph::BorrowLevel0(const char* data, size_t size, const std::string& where) {
  constexpr size_t kHeader = 48;
  const size_t l0_bytes = sizeof(uint32_t) * static_cast<size_t>(capacity_) * (m0_ + 1);
  uint32_t version = 0, m = 0, capacity = 0;
  if (size >= kHeader) {
    std::memcpy(&version, data + 8, 4);
    std::memcpy(&m, data + 20, 4);
    std::memcpy(&capacity, data + 28, 4);
  }
  if (size < kHeader + l0_bytes || std::memcmp(data, kMagic, 8) != 0 || version < 2 ||
      m != params_.m || capacity != capacity_ ||
      reinterpret_cast<uintptr_t>(data + kHeader) % alignof(uint32_t) != 0) {
    return FailedPrecondition(where + ": not this graph's saved file");
  }
  links0_ = reinterpret_cast<uint32_t*>(const_cast<char*>(data + kHeader));
  level0_.reset();
  borrowed0_ = true;
  return Status::Ok();
}

void Graph::OwnLevel0() {
  if (!borrowed0_) return;
  const size_t n = static_cast<size_t>(capacity_) * (m0_ + 1);
  level0_ = std::make_unique<uint32_t[]>(n);
  std::memcpy(level0_.get(), links0_, sizeof(uint32_t) * n);
  links0_ = level0_.get();
  borrowed0_ = false;
}

uint64_t Graph::MemoryBytes() const {
  // Borrowed level-0 links live in the page cache (a mapping), not in this process's heap.
  uint64_t bytes = borrowed0_ ? 0 : static_cast<uint64_t>(capacity_) * (m0_ + 1) * sizeof(uint32_t);
  for (uint32_t i = 0; i < capacity_; ++i) {
    if (levels_[i] > 0)
      bytes += static_cast<uint64_t>(levels_[i]) * (params_.m + 1) * sizeof(uint32_t);
  }
  bytes +=
      capacity_ * (2 * sizeof(int8_t) + sizeof(std::mutex) + sizeof(std::unique_ptr<uint32_t[]>));
  return bytes;
}

std::string Graph::Serialize() const {
  std::string s(kMagic, 8);
  Put<uint32_t>(&s, kFormatVersion);
  Put<uint32_t>(&s, dim_);
  Put<uint32_t>(&s, static_cast<uint32_t>(space_));
  Put<uint32_t>(&s, params_.m);
  Put<uint32_t>(&s, params_.ef_construct);
  Put<uint32_t>(&s, capacity_);
  Put<int64_t>(&s, entry_.load());
  Put<int32_t>(&s, max_level_.load());
  Put<uint32_t>(&s, inserted_.load());
  // Version 2: level 0 right after the 48-byte header, so a mapping can serve it aligned.
  s.append(reinterpret_cast<const char*>(links0_),
           sizeof(uint32_t) * static_cast<size_t>(capacity_) * (m0_ + 1));
  s.append(reinterpret_cast<const char*>(levels_.data()), levels_.size());
  s.append(reinterpret_cast<const char*>(pinned_.data()), pinned_.size());  // version 3
  for (uint32_t i = 0; i < capacity_; ++i) {
    if (levels_[i] > 0) {
      s.append(reinterpret_cast<const char*>(upper_[i].get()),
               sizeof(uint32_t) * levels_[i] * (params_.m + 1));
    }
  }
  Put<uint32_t>(&s, sdk::Crc32c(s.data(), s.size()));
  return s;
}

Status Graph::Deserialize(const std::string& s, const std::string& where) {
  return Deserialize(s.data(), s.size(), where, false);
}

Status Graph::Deserialize(const char* data, size_t size, const std::string& where,
                          bool borrow_level0) {
  constexpr size_t kHeader = 8 + 4 * 6 + 8 + 4 + 4;
  if (size < kHeader + 4 || std::memcmp(data, kMagic, 8) != 0) {
    return DataLoss(where + ": not an HNSW graph file");
  }
  uint32_t crc = 0;
  std::memcpy(&crc, data + size - 4, 4);
  if (crc != sdk::Crc32c(data, size - 4)) return DataLoss(where + ": checksum mismatch");
  const char* p = data + 8;
  auto next = [&p](auto* v) {
    std::memcpy(v, p, sizeof(*v));
    p += sizeof(*v);
  };
  uint32_t version, dim, space, m, efc, capacity, inserted;
  int64_t entry;
  int32_t max_level;
  next(&version);
  if (version < 1 || version > kFormatVersion) {
    return FailedPrecondition(where + ": HNSW format version " + std::to_string(version) +
                              " is not supported (this build reads versions 1 to 3)");
  }
  next(&dim);
  next(&space);
  next(&m);
  next(&efc);
  next(&capacity);
  next(&entry);
  next(&max_level);
  next(&inserted);
  if (dim != dim_ || space != static_cast<uint32_t>(space_)) {
    return FailedPrecondition(where + ": saved for another dimension or metric");
  }
  params_.m = m;
  params_.ef_construct = efc;
  m0_ = m * 2;
  level_mult_ = 1.0 / std::log(std::max<double>(2.0, m));
  const size_t l0_bytes = sizeof(uint32_t) * static_cast<size_t>(capacity) * (m0_ + 1);
  const size_t pinned_bytes = version >= 3 ? capacity : 0;
  if (static_cast<size_t>(p - data) + capacity + pinned_bytes + l0_bytes + 4 > size) {
    return DataLoss(where + ": truncated");
  }
  const bool borrow =
      borrow_level0 && version >= 2 && reinterpret_cast<uintptr_t>(p) % alignof(uint32_t) == 0;
  capacity_ = 0;
  level0_.reset();
  links0_ = nullptr;
  borrowed0_ = false;
  upper_.clear();
  levels_.clear();
  pinned_.clear();
  if (borrow) {
    // Everything but level 0 is sized as Reserve would; level 0 stays where it is.
    upper_.resize(capacity);
    levels_.resize(capacity, -1);
    pinned_.resize(capacity, 0);
    node_locks_ = std::make_unique<std::mutex[]>(capacity);
    capacity_ = capacity;
    links0_ = reinterpret_cast<uint32_t*>(const_cast<char*>(p));  // read-only until OwnLevel0
    borrowed0_ = true;
    p += l0_bytes;
    std::memcpy(levels_.data(), p, capacity);
    p += capacity;
  } else {
    Reserve(capacity);
    if (version == 1) {  // levels, then level 0
      std::memcpy(levels_.data(), p, capacity);
      p += capacity;
      std::memcpy(level0_.get(), p, l0_bytes);
      p += l0_bytes;
    } else {
      std::memcpy(level0_.get(), p, l0_bytes);
      p += l0_bytes;
      std::memcpy(levels_.data(), p, capacity);
      p += capacity;
    }
  }
  if (version >= 3) {
    std::memcpy(pinned_.data(), p, capacity);
    p += capacity;
    for (uint32_t i = 0; i < capacity; ++i) {
      if (pinned_[i] > m0_) return DataLoss(where + ": pinned link count beyond 2m");
    }
  }
  for (uint32_t i = 0; i < capacity; ++i) {
    if (levels_[i] <= 0) continue;
    const size_t bytes = sizeof(uint32_t) * levels_[i] * (m + 1);
    if (static_cast<size_t>(p - data) + bytes + 4 > size) return DataLoss(where + ": truncated");
    upper_[i] = std::make_unique<uint32_t[]>(static_cast<size_t>(levels_[i]) * (m + 1));
    std::memcpy(upper_[i].get(), p, bytes);
    p += bytes;
  }
  entry_ = entry;
  max_level_ = max_level;
  inserted_ = inserted;
  return Status::Ok();
}

}  // namespace strata::hnsw
