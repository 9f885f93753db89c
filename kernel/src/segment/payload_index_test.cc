// The payload index never changes what a filter selects, only how many points are looked at:
// random payloads, random mutations and random filters, the index-planned result compared with
// a full evaluation of every offset.
#include "segment/payload_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>

#include "segment/segment.h"

namespace strata::kernel {
namespace {

using qdrant::Value;

Value Str(const std::string& s) {
  Value v;
  v.set_string_value(s);
  return v;
}
Value Int(int64_t i) {
  Value v;
  v.set_integer_value(i);
  return v;
}
Value Dbl(double d) {
  Value v;
  v.set_double_value(d);
  return v;
}

const char* kWords[] = {"alpha", "beta", "Gamma", "delta", "eps", "zeta", "eta", "theta"};

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double Real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  bool Coin(int percent = 50) { return Int(0, 99) < percent; }

  std::string Keyword() { return "k" + std::to_string(Int(0, 14)); }
  std::string Date() {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "2024-%02d-%02dT%02d:00:00Z", Int(1, 12), Int(1, 28),
                  Int(0, 23));
    return buf;
  }
  Value Geo(double lat, double lon) {
    Value v;
    auto* f = v.mutable_struct_value()->mutable_fields();
    (*f)["lat"] = Dbl(lat);
    (*f)["lon"] = Dbl(lon);
    return v;
  }
  double Lat() { return Real(-60, 60); }
  double Lon() { return Coin(20) ? Real(170, 180) : Real(-180, 180); }

  PayloadMap Payload() {
    PayloadMap p;
    if (Coin(85)) {
      if (Coin(20)) {
        Value l;
        for (int i = Int(0, 3); i > 0; --i) *l.mutable_list_value()->add_values() = Str(Keyword());
        p["k"] = l;
      } else {
        p["k"] = Coin(90) ? Str(Keyword()) : kernel::Int(Int(0, 5));  // mixed types
      }
    }
    if (Coin(85)) p["n"] = Coin(85) ? kernel::Int(Int(0, 60)) : Dbl(Real(0, 60));
    if (Coin(80)) p["f"] = Dbl(Real(-10, 10));
    if (Coin(80)) {
      Value b;
      b.set_bool_value(Coin());
      p["b"] = b;
    }
    if (Coin(80)) {
      std::string text;
      for (int i = Int(1, 4); i > 0; --i) text += std::string(kWords[Int(0, 7)]) + " ";
      p["t"] = Str(text);
    }
    if (Coin(80)) p["d"] = Str(Date());
    if (Coin(80)) p["g"] = Geo(Lat(), Lon());
    if (Coin(70)) {
      Value o;
      (*o.mutable_struct_value()->mutable_fields())["x"] = Str(Keyword());
      p["o"] = o;
    }
    return p;
  }

  qdrant::Condition FieldCond() {
    qdrant::Condition c;
    qdrant::FieldCondition* f = c.mutable_field();
    switch (Int(0, 13)) {
      case 0:
        f->set_key("k");
        f->mutable_match()->set_keyword(Keyword());
        break;
      case 1:
        f->set_key("k");
        for (int i = Int(1, 3); i > 0; --i)
          f->mutable_match()->mutable_keywords()->add_strings(Keyword());
        break;
      case 2:
        f->set_key("n");
        f->mutable_match()->set_integer(Int(0, 60));
        break;
      case 3: {
        f->set_key(Coin() ? "n" : "f");
        auto* r = f->mutable_range();
        double a = Real(-12, 62);
        if (Coin())
          r->set_gte(a);
        else
          r->set_gt(a);
        if (Coin(70)) {
          if (Coin())
            r->set_lt(a + Real(0, 20));
          else
            r->set_lte(a + Real(0, 20));
        }
        break;
      }
      case 4:
        f->set_key("b");
        f->mutable_match()->set_boolean(Coin());
        break;
      case 5:
        f->set_key("t");
        f->mutable_match()->set_text(std::string(kWords[Int(0, 7)]) + (Coin() ? " beta" : ""));
        break;
      case 6:
        f->set_key("t");
        f->mutable_match()->set_text_any(std::string(kWords[Int(0, 7)]) + " " + kWords[Int(0, 7)]);
        break;
      case 7:
        f->set_key("t");
        f->mutable_match()->set_prefix(std::string(kWords[Int(0, 7)]).substr(0, Int(1, 3)));
        break;
      case 8: {
        f->set_key("d");
        auto* r = f->mutable_datetime_range();
        int64_t base = 1704067200 + Int(0, 360) * 86400LL;
        r->mutable_gte()->set_seconds(base);
        if (Coin()) r->mutable_lt()->set_seconds(base + Int(1, 60) * 86400LL);
        break;
      }
      case 9: {
        f->set_key("g");
        auto* g = f->mutable_geo_radius();
        g->mutable_center()->set_lat(Lat());
        g->mutable_center()->set_lon(Lon());
        g->set_radius(static_cast<float>(Real(1000, 3000000)));
        break;
      }
      case 10: {
        f->set_key("g");
        auto* b = f->mutable_geo_bounding_box();
        double top = Real(-50, 60), left = Lon();
        b->mutable_top_left()->set_lat(top);
        b->mutable_top_left()->set_lon(left);
        b->mutable_bottom_right()->set_lat(top - Real(1, 40));
        double right = left + Real(1, 60);
        b->mutable_bottom_right()->set_lon(right > 180 ? right - 360 : right);
        break;
      }
      case 11: {
        f->set_key("g");
        auto* ring = f->mutable_geo_polygon()->mutable_exterior();
        double lat = Lat(), lon = Real(-170, 150);
        for (auto [dl, dn] : {std::pair{0.0, 0.0}, {0.0, 25.0}, {20.0, 25.0}, {20.0, 0.0}}) {
          auto* p = ring->add_points();
          p->set_lat(lat + dl);
          p->set_lon(lon + dn);
        }
        break;
      }
      case 12:
        f->set_key("o.x");
        f->mutable_match()->set_keyword(Keyword());
        break;
      default:
        f->set_key("k");
        f->mutable_match()->mutable_except_keywords()->add_strings(Keyword());
        break;
    }
    return c;
  }

  qdrant::Condition Cond(int depth, uint32_t max_id) {
    const int pick = Int(0, 9);
    if (pick == 0) {
      qdrant::Condition c;
      for (int i = Int(1, 6); i > 0; --i) c.mutable_has_id()->add_has_id()->set_num(Int(0, max_id));
      return c;
    }
    if (pick == 1 && depth < 2) {
      qdrant::Condition c;
      *c.mutable_filter() = Filter(depth + 1, max_id);
      return c;
    }
    if (pick == 2) {
      qdrant::Condition c;
      c.mutable_is_empty()->set_key("k");
      return c;
    }
    return FieldCond();
  }

  qdrant::Filter Filter(int depth, uint32_t max_id) {
    qdrant::Filter f;
    for (int i = Int(0, 2); i > 0; --i) *f.add_must() = Cond(depth, max_id);
    if (Coin(35)) {
      for (int i = Int(1, 3); i > 0; --i) *f.add_should() = Cond(depth, max_id);
    }
    if (Coin(20)) *f.add_must_not() = Cond(depth, max_id);
    if (Coin(10)) {
      auto* ms = f.mutable_min_should();
      for (int i = Int(1, 3); i > 0; --i) *ms->add_conditions() = Cond(depth, max_id);
      ms->set_min_count(Int(0, 2));
    }
    return f;
  }

 private:
  std::mt19937 rng_;
};

void IndexAll(Segment* seg) {
  seg->SetFieldIndex("k", {FieldKind::kKeyword});
  seg->SetFieldIndex("n", {FieldKind::kInteger});
  seg->SetFieldIndex("f", {FieldKind::kFloat});
  seg->SetFieldIndex("b", {FieldKind::kBool});
  seg->SetFieldIndex("t", {FieldKind::kText});
  seg->SetFieldIndex("d", {FieldKind::kDatetime});
  seg->SetFieldIndex("g", {FieldKind::kGeo});
  seg->SetFieldIndex("o.x", {FieldKind::kUuid});
}

std::vector<uint32_t> FullScan(const Segment& seg, const qdrant::Filter& f) {
  std::vector<uint32_t> out;
  for (uint32_t o = 0; o < seg.offset_count(); ++o) {
    if (seg.Matches(&f, o)) out.push_back(o);
  }
  return out;
}

uint64_t PointsWithKeyword(const Segment& seg) {
  uint64_t n = 0;
  std::vector<const Value*> values;
  for (uint32_t o = 0; o < seg.offset_count(); ++o) {
    if (!seg.IsLive(o)) continue;
    values.clear();
    ValuesAt(seg.PayloadAt(o), "k", &values);
    bool any = false;
    for (const Value* v : values) any |= v->has_string_value();
    n += any ? 1 : 0;
  }
  return n;
}

TEST(PayloadIndexTest, PlannedMatchesEqualAFullScanUnderRandomChanges) {
  Gen gen(77);
  Segment seg({{"", 2, Metric::kDot}});
  constexpr uint32_t kIds = 1500;
  uint64_t version = 1;
  // Half the points exist before the indexes, half arrive after (both build paths).
  for (uint32_t id = 0; id < kIds / 2; ++id) {
    seg.Upsert(ExternalId::Num(id), version++, {{"", {1.0f, 0.0f}}}, gen.Payload());
  }
  IndexAll(&seg);
  for (uint32_t id = kIds / 2; id < kIds; ++id) {
    seg.Upsert(ExternalId::Num(id), version++, {{"", {1.0f, 0.0f}}}, gen.Payload());
  }
  size_t served = 0, checked = 0, narrowed = 0, certain = 0;
  for (int round = 0; round < 12; ++round) {
    for (int op = 0; op < 400; ++op) {
      const ExternalId id = ExternalId::Num(gen.Int(0, kIds - 1));
      switch (gen.Int(0, 6)) {
        case 0:
          seg.Upsert(id, version++, {{"", {0.0f, 1.0f}}}, gen.Payload());
          break;
        case 1: {
          PayloadMap p = gen.Payload();
          seg.SetPayload(id, version++, p, gen.Coin(20) ? "o" : "");
          break;
        }
        case 2:
          seg.OverwritePayload(id, version++, gen.Payload());
          break;
        case 3:
          seg.DeletePayloadKeys(id, version++, {"k", "t", "o.x"});
          break;
        case 4:
          seg.ClearPayload(id, version++);
          break;
        case 5:
          seg.Delete(id, version++);
          break;
        default:
          seg.UpdateVectors(id, version++, {{"", {0.5f, 0.5f}}});
          break;
      }
    }
    for (int q = 0; q < 80; ++q) {
      qdrant::Filter f = gen.Filter(0, kIds);
      ASSERT_TRUE(ValidateFilter(f).ok()) << f.DebugString();
      const std::vector<uint32_t> want = FullScan(seg, f);
      std::vector<uint32_t> got;
      seg.ForEachMatch(&f, [&](uint32_t o) { got.push_back(o); });
      if (got != want) {
        std::vector<uint32_t> extra, missing;
        std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                            std::back_inserter(extra));
        std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                            std::back_inserter(missing));
        FAIL() << "round " << round << ": " << extra.size() << " extra (first "
               << (extra.empty() ? -1 : int64_t{extra[0]}) << "), " << missing.size()
               << " missing (first " << (missing.empty() ? -1 : int64_t{missing[0]}) << "); filter "
               << f.DebugString();
      }
      std::optional<CandidateSet> cand = seg.Candidates(f);
      ++checked;
      if (cand) {
        ++served;
        ASSERT_TRUE(
            std::includes(cand->offsets.begin(), cand->offsets.end(), want.begin(), want.end()))
            << f.DebugString();
        for (uint32_t o : cand->offsets) certain += cand->Certain(o) ? 1 : 0;
        if (cand->size() < seg.live_count() / 2) ++narrowed;
      }
      Cardinality est = seg.EstimateMatches(&f);
      ASSERT_LE(est.min, want.size()) << f.DebugString();
      ASSERT_GE(est.max, want.size()) << f.DebugString();
    }
    ASSERT_EQ(seg.PointsIndexed("k"), PointsWithKeyword(seg)) << "round " << round;
  }
  // The generator must exercise the indexes, not only the fallback.
  EXPECT_GT(served, checked / 3);
  EXPECT_GT(narrowed, checked / 5);
  EXPECT_GT(certain, 1000u);  // and the no-recheck shortcut (checked by the equality above)
}

TEST(PayloadIndexTest, KeywordEstimateIsExactAndDroppingAnIndexFallsBackToAScan) {
  Segment seg({{"", 2, Metric::kDot}});
  for (uint32_t id = 0; id < 300; ++id) {
    PayloadMap p;
    p["color"] = Str(id % 3 == 0 ? "red" : "blue");
    seg.Upsert(ExternalId::Num(id), id + 1, {{"", {1.0f, 0.0f}}}, p);
  }
  seg.SetFieldIndex("color", {FieldKind::kKeyword});
  for (uint32_t id = 0; id < 300; id += 2) seg.Delete(ExternalId::Num(id), 1000 + id);
  qdrant::FieldCondition red;
  red.set_key("color");
  red.mutable_match()->set_keyword("red");
  std::optional<Cardinality> est = seg.payload_index().Estimate(red);
  ASSERT_TRUE(est.has_value());
  EXPECT_EQ(est->exp, 50u);  // ids divisible by 3 and odd: 1 in 6 of 300
  EXPECT_EQ(est->min, 50u);
  EXPECT_EQ(est->max, 50u);
  EXPECT_EQ(seg.PointsIndexed("color"), 150u);

  qdrant::Filter f;
  *f.add_must()->mutable_field() = red;
  std::optional<CandidateSet> cand = seg.Candidates(f);
  ASSERT_TRUE(cand.has_value());
  uint64_t n = 0;
  seg.ForEachMatch(&f, [&](uint32_t) { ++n; });
  EXPECT_EQ(n, 50u);

  seg.DropFieldIndex("color");
  EXPECT_FALSE(seg.Candidates(f).has_value());
  EXPECT_EQ(seg.PointsIndexed("color"), 0u);
  n = 0;
  seg.ForEachMatch(&f, [&](uint32_t) { ++n; });
  EXPECT_EQ(n, 50u);
}

TEST(PayloadIndexTest, IntegerIndexWithoutRangeLeavesRangesToTheScan) {
  Segment seg({{"", 2, Metric::kDot}});
  for (uint32_t id = 0; id < 100; ++id) {
    PayloadMap p;
    p["n"] = Int(id);
    seg.Upsert(ExternalId::Num(id), id + 1, {{"", {1.0f, 0.0f}}}, p);
  }
  FieldIndexSpec lookup_only{FieldKind::kInteger, true, false};
  seg.SetFieldIndex("n", lookup_only);
  qdrant::Filter eq, range;
  auto* m = eq.add_must()->mutable_field();
  m->set_key("n");
  m->mutable_match()->set_integer(42);
  auto* r = range.add_must()->mutable_field();
  r->set_key("n");
  r->mutable_range()->set_lt(10);
  ASSERT_TRUE(seg.Candidates(eq).has_value());
  EXPECT_EQ(seg.Candidates(eq)->size(), 1u);
  EXPECT_FALSE(seg.Candidates(range).has_value());
  seg.SetFieldIndex("n", {FieldKind::kInteger, false, true});
  ASSERT_TRUE(seg.Candidates(eq).has_value());  // served as the interval [42, 42]
  EXPECT_EQ(seg.Candidates(eq)->size(), 1u);
  ASSERT_TRUE(seg.Candidates(range).has_value());
  EXPECT_EQ(seg.Candidates(range)->size(), 10u);
}

}  // namespace
}  // namespace strata::kernel
