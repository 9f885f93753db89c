// payload_index.h: payload field indexes of one segment, and the candidate sets and cardinality
// estimates the query planner reads from them.
//
// Kinds (Qdrant's field_schema): keyword and uuid (exact strings), integer (lookup: exact values;
// range: every number), float (every number), bool, datetime (RFC 3339 strings as microseconds),
// geo (1-degree grid cells) and text (the filter's word tokens). An index serves exactly the
// conditions whose matches it can enumerate; the planner treats its output as a candidate
// SUPERSET and always re-checks the whole filter on each candidate, so an index never changes
// what a query returns, only how many points are looked at.
//
// Maintenance is lazy: Update() appends an offset to the postings of values it gained and only
// decrements the live count of values it lost; stale entries are dropped when a posting holds
// more stale than live entries (compaction re-reads the current payload). Numeric entries go to
// an unsorted tail first and are merged into the sorted run in bulk.
// Payload indexes live in memory and are rebuilt from the segment when a shard opens (the
// payload schema is persisted with the collection); there is no on-disk format.
// Concurrency: not synchronised; the shard's reader/writer lock covers it (reads are const).
#ifndef STRATA_KERNEL_SEGMENT_PAYLOAD_INDEX_H_
#define STRATA_KERNEL_SEGMENT_PAYLOAD_INDEX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "segment/filter.h"

namespace strata::kernel {

enum class FieldKind : uint8_t { kKeyword, kInteger, kFloat, kBool, kUuid, kDatetime, kGeo, kText };

struct FieldIndexSpec {
  FieldKind kind = FieldKind::kKeyword;
  bool lookup = true;  // integer: exact-value postings
  bool range = true;   // integer: sorted numbers for range conditions
  bool operator==(const FieldIndexSpec& o) const {
    return kind == o.kind && lookup == o.lookup && range == o.range;
  }
};

// min <= exact count <= max; exp is the planner's best guess.
struct Cardinality {
  uint64_t min = 0;
  uint64_t exp = 0;
  uint64_t max = 0;
};

// A candidate set from the payload indexes: a sorted, duplicate-free superset of the offsets a
// filter matches.
struct CandidateSet {
  std::vector<uint32_t> offsets;
  // Set when the filter is a single exact indexed condition: then an offset whose bit is clear
  // here certainly matches (its index entries are current) and needs no filter check.
  const std::vector<uint64_t>* dirty = nullptr;
  bool Certain(uint32_t offset) const {
    return dirty != nullptr &&
           (offset / 64 >= dirty->size() || !(((*dirty)[offset / 64] >> (offset & 63)) & 1u));
  }
  size_t size() const { return offsets.size(); }
};

// The indexed values one payload holds, per indexed field (sorted, unique). Extracted before and
// after a change so Update() touches only what changed.
struct IndexedValues {
  std::vector<std::vector<std::string>> keys;  // per field: posting keys
  std::vector<std::vector<double>> numbers;    // per field: numeric entries
  bool empty() const;
};

class PayloadIndex {
 public:
  // payload_at(offset): the current payload of a live offset, nullptr for a deleted one.
  explicit PayloadIndex(std::function<PayloadRef(uint32_t)> payload_at);

  // Declares a field (replacing an index of another spec); the caller then feeds every live
  // point through Update(). Returns false when the field already has this exact spec.
  bool SetField(const std::string& path, FieldIndexSpec spec);
  void DropField(const std::string& path);
  // Empties every field's postings and numbers (specs kept), before a full re-feed.
  void ResetData();
  std::map<std::string, FieldIndexSpec> fields() const;
  bool empty() const { return fields_.empty(); }

  IndexedValues Extract(const PayloadMap& payload) const;
  // Records that `offset` went from `before` to `after` (both from Extract on this index).
  void Update(uint32_t offset, const IndexedValues& before, const IndexedValues& after);

  // The points sharing one exact value (keyword, uuid, integer lookup, bool), per value with
  // at least `min_points` of them among offsets below `below`: sorted, current offsets. What
  // the vector index links into payload-aware subgraphs (Qdrant's payload_m).
  struct ValueGroup {
    std::string field;
    std::string key;  // the value as a posting key: the string, the integer in decimal, "1"/"0"
    std::vector<uint32_t> offsets;
  };
  // The fields ValueGroups looks at (exact kinds).
  std::vector<std::string> ExactFields() const;
  std::vector<ValueGroup> ValueGroups(uint64_t min_points, uint32_t below) const;
  // One value's group (as ValueGroups gives it, whatever its size); empty when the field has
  // no exact index or nobody holds the value.
  std::vector<uint32_t> GroupOffsets(const std::string& field, const std::string& key,
                                     uint32_t below) const;
  // The posting keys `payload` holds at an exact-indexed field (empty for other fields).
  std::vector<std::string> KeysOf(const std::string& field, const PayloadMap& payload) const;
  // Live points with at least one indexed value at the field (payload_schema's `points`).
  uint64_t PointsIndexed(const std::string& path) const;

  // The candidates of `filter`, or nullopt when the indexes cannot bound it. has_id conditions
  // are resolved through `ids` (may be empty).
  using IdResolver = std::function<void(const qdrant::HasIdCondition&, std::vector<uint32_t>*)>;
  std::optional<CandidateSet> Candidates(const qdrant::Filter& filter, const IdResolver& ids) const;
  // Upper bound on the candidates Candidates() would return (UINT64_MAX: not indexable).
  uint64_t CandidateBound(const qdrant::Filter& filter) const;
  // Cardinality of one field condition from its index; nullopt when not indexed for it.
  std::optional<Cardinality> Estimate(const qdrant::FieldCondition& c) const;

 private:
  struct Posting {
    std::vector<uint32_t> offsets;  // append order; may hold stale and repeated entries
    uint64_t live = 0;
  };
  struct NumEntry {
    double value;
    uint32_t offset;
    bool operator<(const NumEntry& o) const {
      return value != o.value ? value < o.value : offset < o.offset;
    }
    bool operator==(const NumEntry& o) const { return value == o.value && offset == o.offset; }
  };
  struct Field {
    std::string path;
    FieldIndexSpec spec;
    std::map<std::string, Posting> postings;
    std::vector<NumEntry> sorted;  // merged run
    std::vector<NumEntry> tail;    // recent appends, unsorted
    uint64_t numbers_live = 0;
    uint64_t points = 0;
    // Offsets that lost an entry (or died) since the field was built: their remaining entries
    // may be stale, so they are always re-checked.
    std::vector<uint64_t> dirty;
  };
  // How one condition is answered: which postings, or which numeric interval.
  struct Lookup {
    const Field* field = nullptr;
    std::vector<const Posting*> postings;
    bool numeric = false;
    double lo = 0, hi = 0;  // inclusive
    uint64_t bound = 0;     // entries that would be read
    bool exact = false;     // a current entry is a match (no token or cell approximation)
  };

  const Field* Find(const std::string& path) const;
  std::optional<Lookup> Plan(const qdrant::FieldCondition& c) const;
  void Gather(const Lookup& l, std::vector<uint32_t>* out) const;
  // Candidate bound of a condition; UINT64_MAX when not indexable.
  uint64_t ConditionBound(const qdrant::Condition& c) const;
  std::optional<std::vector<uint32_t>> Gathered(const qdrant::Filter& filter,
                                                const IdResolver& ids) const;
  std::optional<std::vector<uint32_t>> ConditionCandidates(const qdrant::Condition& c,
                                                           const IdResolver& ids) const;
  // A posting's current offsets below `below`: sorted, unique, stale entries dropped.
  std::vector<uint32_t> CurrentOffsets(const Field& f, const std::string& key,
                                       const Posting& posting, uint32_t below) const;
  void CompactPosting(const Field& f, const std::string& key, Posting* p) const;
  void CompactNumbers(Field* f) const;
  size_t FieldSlot(const std::string& path) const;

  std::function<PayloadRef(uint32_t)> payload_at_;
  std::vector<Field> fields_;
};

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SEGMENT_PAYLOAD_INDEX_H_
