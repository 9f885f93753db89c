#include "segment/payload_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace strata::kernel {
namespace {

using qdrant::Value;

constexpr uint64_t kNotIndexable = UINT64_MAX;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr size_t kMaxGeoCells = 20000;         // larger areas are not worth a cell walk
constexpr double kMetersPerDegree = 111195.0;  // along a meridian (mean earth radius)

bool NumberOf(const Value& v, double* d) {
  if (v.has_integer_value()) {
    *d = static_cast<double>(v.integer_value());
    return true;
  }
  if (v.has_double_value()) {
    *d = v.double_value();
    return true;
  }
  return false;
}

std::string GeoCell(int lat_cell, int lon_cell) {
  return std::to_string(lat_cell) + ":" + std::to_string(lon_cell);
}

bool GeoPoint(const Value& v, double* lat, double* lon) {
  if (!v.has_struct_value()) return false;
  const auto& f = v.struct_value().fields();
  auto la = f.find("lat"), lo = f.find("lon");
  return la != f.end() && lo != f.end() && NumberOf(la->second, lat) && NumberOf(lo->second, lon);
}

template <class T>
void SortUnique(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

// Lower/upper inclusive bounds of a range-like message (Range or DatetimeRange after mapping).
void Bounds(bool has_gt, double gt, bool has_gte, double gte, bool has_lt, double lt, bool has_lte,
            double lte, double* lo, double* hi) {
  // The index holds the same doubles the filter compares, so a strict bound is the next
  // representable value inside it.
  *lo = -kInf;
  *hi = kInf;
  if (has_gt) *lo = std::max(*lo, std::nextafter(gt, kInf));
  if (has_gte) *lo = std::max(*lo, gte);
  if (has_lt) *hi = std::min(*hi, std::nextafter(lt, -kInf));
  if (has_lte) *hi = std::min(*hi, lte);
}

double Micros(const google::protobuf::Timestamp& t) {
  return static_cast<double>(t.seconds()) * 1e6 + t.nanos() / 1000;
}

// Geo cells (1 degree) covering latitudes [lat_lo, lat_hi] and longitude intervals `lons`.
bool CellsOf(double lat_lo, double lat_hi, const std::vector<std::pair<double, double>>& lons,
             std::vector<std::string>* out) {
  if (!(lat_lo <= lat_hi)) return true;  // empty (or NaN): no cells
  const int la0 = static_cast<int>(std::floor(std::max(-90.0, lat_lo)));
  const int la1 = static_cast<int>(std::floor(std::min(90.0, lat_hi)));
  size_t count = 0;
  for (const auto& [lo, hi] : lons) {
    if (!(lo <= hi)) continue;
    count += static_cast<size_t>(std::floor(std::min(180.0, hi)) -
                                 std::floor(std::max(-180.0, lo)) + 1) *
             static_cast<size_t>(std::max(0, la1 - la0 + 1));
  }
  if (count > kMaxGeoCells) return false;
  for (const auto& [lo, hi] : lons) {
    if (!(lo <= hi)) continue;
    const int lo0 = static_cast<int>(std::floor(std::max(-180.0, lo)));
    const int lo1 = static_cast<int>(std::floor(std::min(180.0, hi)));
    for (int a = la0; a <= la1; ++a) {
      for (int o = lo0; o <= lo1; ++o) out->push_back(GeoCell(a, o));
    }
  }
  return true;
}

// The longitude intervals of [lo, hi] once wrapped into [-180, 180].
std::vector<std::pair<double, double>> WrapLon(double lo, double hi) {
  if (hi - lo >= 360) return {{-180, 180}};
  std::vector<std::pair<double, double>> out;
  if (lo < -180) {
    out.push_back({lo + 360, 180});
    out.push_back({-180, hi});
  } else if (hi > 180) {
    out.push_back({lo, 180});
    out.push_back({-180, hi - 360});
  } else {
    out.push_back({lo, hi});
  }
  return out;
}

// Geo cells a geo condition can match in; false when too many (not indexable).
bool GeoCells(const qdrant::FieldCondition& c, std::vector<std::string>* out) {
  if (c.has_geo_bounding_box()) {
    const auto& b = c.geo_bounding_box();
    const double l = b.top_left().lon(), r = b.bottom_right().lon();
    std::vector<std::pair<double, double>> lons;
    if (l <= r) {
      lons.push_back({l, r});
    } else {  // crosses the antimeridian
      lons.push_back({l, 180});
      lons.push_back({-180, r});
    }
    return CellsOf(b.bottom_right().lat(), b.top_left().lat(), lons, out);
  }
  if (c.has_geo_radius()) {
    const auto& g = c.geo_radius();
    // 1% margin over the spherical bound covers the haversine radius used by the filter.
    const double dlat = g.radius() / kMetersPerDegree * 1.01 + 1e-9;
    const double lat = g.center().lat(), lon = g.center().lon();
    const double lat_lo = lat - dlat, lat_hi = lat + dlat;
    const double widest = std::max(std::fabs(lat_lo), std::fabs(lat_hi));
    if (widest >= 89.0) return CellsOf(lat_lo, lat_hi, {{-180, 180}}, out);
    const double dlon = dlat / std::cos(widest * M_PI / 180.0);
    return CellsOf(lat_lo, lat_hi, WrapLon(lon - dlon, lon + dlon), out);
  }
  if (c.has_geo_polygon()) {
    const auto& pts = c.geo_polygon().exterior().points();
    if (pts.empty()) return true;
    double la0 = kInf, la1 = -kInf, lo0 = kInf, lo1 = -kInf;
    for (const auto& p : pts) {
      la0 = std::min(la0, p.lat());
      la1 = std::max(la1, p.lat());
      lo0 = std::min(lo0, p.lon());
      lo1 = std::max(lo1, p.lon());
    }
    return CellsOf(la0, la1, {{lo0, lo1}}, out);
  }
  return false;
}

std::string Lowercase(std::string s) {
  for (char& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return s;
}

}  // namespace

bool IndexedValues::empty() const {
  for (const auto& k : keys) {
    if (!k.empty()) return false;
  }
  for (const auto& n : numbers) {
    if (!n.empty()) return false;
  }
  return true;
}

PayloadIndex::PayloadIndex(std::function<PayloadRef(uint32_t)> payload_at)
    : payload_at_(std::move(payload_at)) {}

size_t PayloadIndex::FieldSlot(const std::string& path) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].path == path) return i;
  }
  return fields_.size();
}

const PayloadIndex::Field* PayloadIndex::Find(const std::string& path) const {
  size_t i = FieldSlot(path);
  return i < fields_.size() ? &fields_[i] : nullptr;
}

bool PayloadIndex::SetField(const std::string& path, FieldIndexSpec spec) {
  size_t i = FieldSlot(path);
  if (i < fields_.size()) {
    if (fields_[i].spec == spec) return false;
    fields_.erase(fields_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  Field f;
  f.path = path;
  f.spec = spec;
  fields_.push_back(std::move(f));
  return true;
}

void PayloadIndex::DropField(const std::string& path) {
  size_t i = FieldSlot(path);
  if (i < fields_.size()) fields_.erase(fields_.begin() + static_cast<std::ptrdiff_t>(i));
}

void PayloadIndex::ResetData() {
  for (Field& f : fields_) {
    f.postings.clear();
    f.sorted.clear();
    f.tail.clear();
    f.numbers_live = 0;
    f.points = 0;
    f.dirty.clear();
  }
}

std::map<std::string, FieldIndexSpec> PayloadIndex::fields() const {
  std::map<std::string, FieldIndexSpec> out;
  for (const Field& f : fields_) out[f.path] = f.spec;
  return out;
}

IndexedValues PayloadIndex::Extract(const PayloadMap& payload) const {
  IndexedValues out;
  out.keys.resize(fields_.size());
  out.numbers.resize(fields_.size());
  std::vector<const Value*> values;
  for (size_t i = 0; i < fields_.size(); ++i) {
    const Field& f = fields_[i];
    values.clear();
    ValuesAt(payload, f.path, &values);
    std::vector<std::string>& keys = out.keys[i];
    std::vector<double>& nums = out.numbers[i];
    for (const Value* v : values) {
      double d = 0;
      switch (f.spec.kind) {
        case FieldKind::kKeyword:
        case FieldKind::kUuid:
          if (v->has_string_value()) keys.push_back(v->string_value());
          break;
        case FieldKind::kInteger:
          if (f.spec.lookup && v->has_integer_value()) {
            keys.push_back(std::to_string(v->integer_value()));
          }
          // Range serves the filter's numeric range, which matches doubles as well.
          if (f.spec.range && NumberOf(*v, &d)) nums.push_back(d);
          break;
        case FieldKind::kFloat:
          if (NumberOf(*v, &d)) nums.push_back(d);
          break;
        case FieldKind::kBool:
          if (v->has_bool_value()) keys.push_back(v->bool_value() ? "1" : "0");
          break;
        case FieldKind::kDatetime: {
          int64_t micros = 0;
          if (v->has_string_value() && ParseDateTime(v->string_value(), &micros)) {
            nums.push_back(static_cast<double>(micros));
          }
          break;
        }
        case FieldKind::kGeo: {
          double lat = 0, lon = 0;
          if (GeoPoint(*v, &lat, &lon)) {
            keys.push_back(
                GeoCell(static_cast<int>(std::floor(lat)), static_cast<int>(std::floor(lon))));
          }
          break;
        }
        case FieldKind::kText:
          if (v->has_string_value()) {
            for (std::string& t : TextTokens(v->string_value())) keys.push_back(std::move(t));
          }
          break;
      }
    }
    SortUnique(&keys);
    SortUnique(&nums);
  }
  return out;
}

void PayloadIndex::Update(uint32_t offset, const IndexedValues& before,
                          const IndexedValues& after) {
  static const std::vector<std::string> kNoKeys;
  static const std::vector<double> kNoNumbers;
  for (size_t i = 0; i < fields_.size(); ++i) {
    Field& f = fields_[i];
    const auto& kb = i < before.keys.size() ? before.keys[i] : kNoKeys;
    const auto& ka = i < after.keys.size() ? after.keys[i] : kNoKeys;
    const auto& nb = i < before.numbers.size() ? before.numbers[i] : kNoNumbers;
    const auto& na = i < after.numbers.size() ? after.numbers[i] : kNoNumbers;
    const bool had = !kb.empty() || !nb.empty(), has = !ka.empty() || !na.empty();
    if (had && !has) --f.points;
    if (!had && has) ++f.points;
    bool lost = false;

    std::vector<std::string> touched;
    std::set_difference(kb.begin(), kb.end(), ka.begin(), ka.end(), std::back_inserter(touched));
    for (const std::string& k : touched) {
      auto it = f.postings.find(k);
      if (it != f.postings.end() && it->second.live > 0) --it->second.live;
      lost = true;
    }
    const size_t removed = touched.size();
    std::set_difference(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(touched));
    for (size_t t = removed; t < touched.size(); ++t) {
      Posting& p = f.postings[touched[t]];
      p.offsets.push_back(offset);
      ++p.live;
    }
    for (const std::string& k : touched) {
      auto it = f.postings.find(k);
      if (it == f.postings.end()) continue;
      if (it->second.offsets.size() > 2 * it->second.live + 32 || it->second.live == 0) {
        CompactPosting(f, k, &it->second);
        if (it->second.offsets.empty()) f.postings.erase(it);
      }
    }

    std::vector<double> gone, fresh;
    std::set_difference(nb.begin(), nb.end(), na.begin(), na.end(), std::back_inserter(gone));
    std::set_difference(na.begin(), na.end(), nb.begin(), nb.end(), std::back_inserter(fresh));
    f.numbers_live -= std::min<uint64_t>(f.numbers_live, gone.size());
    if (lost || !gone.empty()) {
      if (f.dirty.size() <= offset / 64) f.dirty.resize(offset / 64 + 1, 0);
      f.dirty[offset / 64] |= uint64_t{1} << (offset & 63);
    }
    for (double d : fresh) f.tail.push_back({d, offset});
    f.numbers_live += fresh.size();
    if (f.tail.size() > std::max<size_t>(1024, f.sorted.size() / 8)) {
      const size_t mid = f.sorted.size();
      std::sort(f.tail.begin(), f.tail.end());
      f.sorted.insert(f.sorted.end(), f.tail.begin(), f.tail.end());
      std::inplace_merge(f.sorted.begin(), f.sorted.begin() + static_cast<std::ptrdiff_t>(mid),
                         f.sorted.end());
      f.tail.clear();
    }
    if (f.sorted.size() + f.tail.size() > 2 * f.numbers_live + 1024) CompactNumbers(&f);
  }
}

void PayloadIndex::CompactPosting(const Field& f, const std::string& key, Posting* p) const {
  SortUnique(&p->offsets);
  const size_t slot = static_cast<size_t>(&f - fields_.data());
  std::vector<uint32_t> keep;
  for (uint32_t o : p->offsets) {
    const PayloadRef payload = payload_at_(o);
    if (payload.get() == nullptr) continue;
    IndexedValues now = Extract(*payload);
    const auto& keys = now.keys[slot];
    if (std::binary_search(keys.begin(), keys.end(), key)) keep.push_back(o);
  }
  p->offsets = std::move(keep);
  p->live = p->offsets.size();
}

void PayloadIndex::CompactNumbers(Field* f) const {
  const size_t slot = static_cast<size_t>(f - fields_.data());
  std::vector<NumEntry> all = std::move(f->sorted);
  all.insert(all.end(), f->tail.begin(), f->tail.end());
  f->tail.clear();
  SortUnique(&all);
  std::vector<NumEntry> keep;
  for (const NumEntry& e : all) {
    const PayloadRef payload = payload_at_(e.offset);
    if (payload.get() == nullptr) continue;
    IndexedValues now = Extract(*payload);
    const auto& nums = now.numbers[slot];
    if (std::binary_search(nums.begin(), nums.end(), e.value)) keep.push_back(e);
  }
  f->sorted = std::move(keep);
  f->numbers_live = f->sorted.size();
}

namespace {
bool ExactKind(const FieldIndexSpec& spec) {
  return spec.kind == FieldKind::kKeyword || spec.kind == FieldKind::kUuid ||
         spec.kind == FieldKind::kBool || (spec.kind == FieldKind::kInteger && spec.lookup);
}
}  // namespace

std::vector<std::string> PayloadIndex::ExactFields() const {
  std::vector<std::string> out;
  for (const Field& f : fields_) {
    if (ExactKind(f.spec)) out.push_back(f.path);
  }
  return out;
}

std::vector<uint32_t> PayloadIndex::CurrentOffsets(const Field& f, const std::string& key,
                                                   const Posting& posting, uint32_t below) const {
  std::vector<uint32_t> group;
  for (uint32_t o : posting.offsets) {
    if (o < below) group.push_back(o);
  }
  std::sort(group.begin(), group.end());
  group.erase(std::unique(group.begin(), group.end()), group.end());
  // Entries of offsets that changed since may be stale: keep those still holding the value.
  const size_t slot = static_cast<size_t>(&f - fields_.data());
  group.erase(std::remove_if(group.begin(), group.end(),
                             [&](uint32_t o) {
                               const bool dirty =
                                   o / 64 < f.dirty.size() && ((f.dirty[o / 64] >> (o & 63)) & 1u);
                               if (!dirty) return false;
                               const PayloadRef p = payload_at_(o);
                               if (p.get() == nullptr) return true;
                               const IndexedValues v = Extract(*p);
                               return std::find(v.keys[slot].begin(), v.keys[slot].end(), key) ==
                                      v.keys[slot].end();
                             }),
              group.end());
  return group;
}

std::vector<PayloadIndex::ValueGroup> PayloadIndex::ValueGroups(uint64_t min_points,
                                                                uint32_t below) const {
  std::vector<ValueGroup> out;
  for (const Field& f : fields_) {
    if (!ExactKind(f.spec)) continue;
    for (const auto& [key, posting] : f.postings) {
      if (posting.live < min_points) continue;
      std::vector<uint32_t> group = CurrentOffsets(f, key, posting, below);
      if (group.size() >= min_points) out.push_back({f.path, key, std::move(group)});
    }
  }
  return out;
}

std::vector<uint32_t> PayloadIndex::GroupOffsets(const std::string& field, const std::string& key,
                                                 uint32_t below) const {
  const Field* f = Find(field);
  if (f == nullptr || !ExactKind(f->spec)) return {};
  auto it = f->postings.find(key);
  if (it == f->postings.end()) return {};
  return CurrentOffsets(*f, key, it->second, below);
}

std::vector<std::string> PayloadIndex::KeysOf(const std::string& field,
                                              const PayloadMap& payload) const {
  const size_t slot = FieldSlot(field);
  if (slot == fields_.size() || !ExactKind(fields_[slot].spec)) return {};
  return Extract(payload).keys[slot];
}

uint64_t PayloadIndex::PointsIndexed(const std::string& path) const {
  const Field* f = Find(path);
  return f ? f->points : 0;
}

std::optional<PayloadIndex::Lookup> PayloadIndex::Plan(const qdrant::FieldCondition& c) const {
  const Field* f = Find(c.key());
  if (f == nullptr) return std::nullopt;
  Lookup l;
  l.field = f;
  const FieldKind kind = f->spec.kind;
  auto add = [&](const std::string& key) {
    auto it = f->postings.find(key);
    if (it == f->postings.end()) return;
    l.postings.push_back(&it->second);
    l.bound += it->second.offsets.size();
  };
  // For "all of these tokens": the smallest posting bounds the matches.
  auto smallest = [&](const std::vector<std::string>& tokens) {
    const Posting* best = nullptr;
    for (const std::string& t : tokens) {
      auto it = f->postings.find(t);
      if (it == f->postings.end()) {
        best = nullptr;
        l.postings.clear();
        l.bound = 0;
        return;  // a missing token: nothing matches
      }
      if (best == nullptr || it->second.offsets.size() < best->offsets.size()) best = &it->second;
    }
    if (best != nullptr) {
      l.postings.push_back(best);
      l.bound = best->offsets.size();
    }
  };
  auto numeric = [&](double lo, double hi) {
    l.numeric = true;
    l.lo = lo;
    l.hi = hi;
    if (!(lo <= hi)) return;  // empty interval
    auto a = std::lower_bound(f->sorted.begin(), f->sorted.end(), NumEntry{lo, 0});
    auto b = std::upper_bound(f->sorted.begin(), f->sorted.end(), NumEntry{hi, UINT32_MAX});
    l.bound = static_cast<uint64_t>(std::max<std::ptrdiff_t>(0, b - a));
    for (const NumEntry& e : f->tail) l.bound += (e.value >= lo && e.value <= hi) ? 1 : 0;
  };
  const bool numbers = (kind == FieldKind::kInteger && f->spec.range) || kind == FieldKind::kFloat;
  if (c.has_match()) {
    const qdrant::Match& m = c.match();
    const bool strings = kind == FieldKind::kKeyword || kind == FieldKind::kUuid;
    const bool ints = kind == FieldKind::kInteger && f->spec.lookup;
    switch (m.match_value_case()) {
      case qdrant::Match::kKeyword:
        if (!strings) return std::nullopt;
        add(m.keyword());
        l.exact = true;
        return l;
      case qdrant::Match::kKeywords:
        if (!strings) return std::nullopt;
        for (const std::string& k : m.keywords().strings()) add(k);
        l.exact = true;
        return l;
      case qdrant::Match::kInteger:
        if (ints) {
          add(std::to_string(m.integer()));
          l.exact = true;
        } else if (numbers) {
          // The numeric entries also hold doubles, which an integer match does not accept.
          numeric(static_cast<double>(m.integer()), static_cast<double>(m.integer()));
        } else {
          return std::nullopt;
        }
        return l;
      case qdrant::Match::kIntegers:
        if (!ints) return std::nullopt;
        for (int64_t k : m.integers().integers()) add(std::to_string(k));
        l.exact = true;
        return l;
      case qdrant::Match::kBoolean:
        if (kind != FieldKind::kBool) return std::nullopt;
        add(m.boolean() ? "1" : "0");
        l.exact = true;
        return l;
      case qdrant::Match::kText:
      case qdrant::Match::kPhrase: {
        if (kind != FieldKind::kText) return std::nullopt;
        std::vector<std::string> tokens = TextTokens(m.has_text() ? m.text() : m.phrase());
        if (tokens.empty()) return std::nullopt;  // matches every text
        smallest(tokens);
        return l;
      }
      case qdrant::Match::kTextAny:
        if (kind != FieldKind::kText) return std::nullopt;
        for (const std::string& t : TextTokens(m.text_any())) add(t);
        return l;
      case qdrant::Match::kPrefix: {
        if (kind != FieldKind::kText) return std::nullopt;
        const std::string prefix = Lowercase(m.prefix());
        if (prefix.empty()) return std::nullopt;
        for (auto it = f->postings.lower_bound(prefix);
             it != f->postings.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
          l.postings.push_back(&it->second);
          l.bound += it->second.offsets.size();
        }
        return l;
      }
      default:
        return std::nullopt;  // except-lists match values outside the index
    }
  }
  if (c.has_range()) {
    if (!numbers) return std::nullopt;
    const auto& r = c.range();
    double lo, hi;
    Bounds(r.has_gt(), r.gt(), r.has_gte(), r.gte(), r.has_lt(), r.lt(), r.has_lte(), r.lte(), &lo,
           &hi);
    numeric(lo, hi);
    l.exact = true;  // the same doubles the filter compares
    return l;
  }
  if (c.has_datetime_range()) {
    if (kind != FieldKind::kDatetime) return std::nullopt;
    const auto& r = c.datetime_range();
    double lo, hi;
    Bounds(r.has_gt(), r.has_gt() ? Micros(r.gt()) : 0, r.has_gte(),
           r.has_gte() ? Micros(r.gte()) : 0, r.has_lt(), r.has_lt() ? Micros(r.lt()) : 0,
           r.has_lte(), r.has_lte() ? Micros(r.lte()) : 0, &lo, &hi);
    numeric(lo, hi);
    return l;
  }
  if (c.has_geo_bounding_box() || c.has_geo_radius() || c.has_geo_polygon()) {
    if (kind != FieldKind::kGeo) return std::nullopt;
    std::vector<std::string> cells;
    if (!GeoCells(c, &cells)) return std::nullopt;
    for (const std::string& cell : cells) add(cell);
    return l;
  }
  return std::nullopt;  // values_count, is_empty, is_null: not enumerable from values
}

void PayloadIndex::Gather(const Lookup& l, std::vector<uint32_t>* out) const {
  for (const Posting* p : l.postings) out->insert(out->end(), p->offsets.begin(), p->offsets.end());
  if (!l.numeric || !(l.lo <= l.hi)) return;
  const Field& f = *l.field;
  auto a = std::lower_bound(f.sorted.begin(), f.sorted.end(), NumEntry{l.lo, 0});
  for (; a != f.sorted.end() && a->value <= l.hi; ++a) out->push_back(a->offset);
  for (const NumEntry& e : f.tail) {
    if (e.value >= l.lo && e.value <= l.hi) out->push_back(e.offset);
  }
}

uint64_t PayloadIndex::ConditionBound(const qdrant::Condition& c) const {
  switch (c.condition_one_of_case()) {
    case qdrant::Condition::kField: {
      std::optional<Lookup> l = Plan(c.field());
      return l ? l->bound : kNotIndexable;
    }
    case qdrant::Condition::kHasId:
      return static_cast<uint64_t>(c.has_id().has_id_size());
    case qdrant::Condition::kFilter:
      return CandidateBound(c.filter());
    default:
      return kNotIndexable;
  }
}

std::optional<std::vector<uint32_t>> PayloadIndex::ConditionCandidates(
    const qdrant::Condition& c, const IdResolver& ids) const {
  std::vector<uint32_t> out;
  switch (c.condition_one_of_case()) {
    case qdrant::Condition::kField: {
      std::optional<Lookup> l = Plan(c.field());
      if (!l) return std::nullopt;
      Gather(*l, &out);
      return out;
    }
    case qdrant::Condition::kHasId:
      if (!ids) return std::nullopt;
      ids(c.has_id(), &out);
      return out;
    case qdrant::Condition::kFilter:
      return Gathered(c.filter(), ids);
    default:
      return std::nullopt;
  }
}

namespace {

// Sum of bounds, kNotIndexable when any is.
template <class Conditions, class BoundFn>
uint64_t UnionBound(const Conditions& cs, BoundFn bound) {
  uint64_t sum = 0;
  for (const auto& c : cs) {
    uint64_t b = bound(c);
    if (b == kNotIndexable) return kNotIndexable;
    sum += b;
  }
  return sum;
}

}  // namespace

uint64_t PayloadIndex::CandidateBound(const qdrant::Filter& filter) const {
  auto bound = [this](const qdrant::Condition& c) { return ConditionBound(c); };
  uint64_t best = kNotIndexable;
  for (const auto& c : filter.must()) best = std::min(best, bound(c));
  // At least one `should` must hold: their union bounds the matches (likewise min_should).
  if (filter.should_size() > 0) best = std::min(best, UnionBound(filter.should(), bound));
  if (filter.has_min_should() && filter.min_should().min_count() > 0) {
    best = std::min(best, UnionBound(filter.min_should().conditions(), bound));
  }
  return best;
}

std::optional<std::vector<uint32_t>> PayloadIndex::Gathered(const qdrant::Filter& filter,
                                                            const IdResolver& ids) const {
  auto bound = [this](const qdrant::Condition& c) { return ConditionBound(c); };
  // Pick the cheapest way to bound the matches, then materialise only that one.
  uint64_t best = kNotIndexable;
  int must = -1;
  int which = 0;  // 1 must[must], 2 should, 3 min_should
  for (int i = 0; i < filter.must_size(); ++i) {
    uint64_t b = bound(filter.must(i));
    if (b < best) {
      best = b;
      must = i;
      which = 1;
    }
  }
  if (filter.should_size() > 0) {
    uint64_t b = UnionBound(filter.should(), bound);
    if (b < best) {
      best = b;
      which = 2;
    }
  }
  if (filter.has_min_should() && filter.min_should().min_count() > 0) {
    uint64_t b = UnionBound(filter.min_should().conditions(), bound);
    if (b < best) {
      best = b;
      which = 3;
    }
  }
  if (which == 0) return std::nullopt;
  std::vector<uint32_t> out;
  if (which == 1) {
    std::optional<std::vector<uint32_t>> one = ConditionCandidates(filter.must(must), ids);
    if (!one) return std::nullopt;
    out = std::move(*one);
  } else {
    const auto& cs = which == 2 ? filter.should() : filter.min_should().conditions();
    for (const auto& c : cs) {
      std::optional<std::vector<uint32_t>> part = ConditionCandidates(c, ids);
      if (!part) return std::nullopt;
      out.insert(out.end(), part->begin(), part->end());
    }
  }
  SortUnique(&out);
  return out;
}

std::optional<CandidateSet> PayloadIndex::Candidates(const qdrant::Filter& filter,
                                                     const IdResolver& ids) const {
  std::optional<std::vector<uint32_t>> offsets = Gathered(filter, ids);
  if (!offsets) return std::nullopt;
  CandidateSet out;
  out.offsets = std::move(*offsets);
  // One exact indexed condition and nothing else: current entries are certain matches.
  if (filter.must_size() == 1 && filter.should_size() == 0 && filter.must_not_size() == 0 &&
      !filter.has_min_should() && filter.must(0).has_field()) {
    std::optional<Lookup> l = Plan(filter.must(0).field());
    if (l && l->exact) out.dirty = &l->field->dirty;
  }
  return out;
}

std::optional<Cardinality> PayloadIndex::Estimate(const qdrant::FieldCondition& c) const {
  std::optional<Lookup> l = Plan(c);
  if (!l) return std::nullopt;
  Cardinality out;
  if (l->numeric) {
    // Entries in the interval include stale ones: scale by the live share.
    const Field& f = *l->field;
    const uint64_t entries = f.sorted.size() + f.tail.size();
    out.max = l->bound;
    out.exp = entries == 0 ? 0 : l->bound * f.numbers_live / entries;
    out.min = 0;
    return out;
  }
  uint64_t sum = 0, most = 0;
  for (const Posting* p : l->postings) {
    sum += p->live;
    most = std::max(most, p->live);
  }
  const bool exact =
      l->postings.size() <= 1 &&
      (c.match().has_keyword() || c.match().has_integer() || c.match().has_boolean());
  out.max = sum;
  out.min = exact ? sum : (c.match().has_keywords() || c.match().has_integers() ? most : 0);
  out.exp = exact ? sum : (out.min + out.max) / 2;
  return out;
}

}  // namespace strata::kernel
