#include "segment/filter.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>

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
Value Null() {
  Value v;
  v.set_null_value(qdrant::NULL_VALUE);
  return v;
}
Value List(std::initializer_list<Value> items) {
  Value v;
  v.mutable_list_value();
  for (const Value& i : items) *v.mutable_list_value()->add_values() = i;
  return v;
}
Value Obj(std::initializer_list<std::pair<std::string, Value>> fields) {
  Value v;
  for (auto& [k, f] : fields) (*v.mutable_struct_value()->mutable_fields())[k] = f;
  return v;
}
PayloadMap Payload(std::initializer_list<std::pair<std::string, Value>> fields) {
  PayloadMap m;
  for (auto& [k, v] : fields) m[k] = v;
  return m;
}

qdrant::Condition Keyword(const std::string& key, const std::string& value) {
  qdrant::Condition c;
  c.mutable_field()->set_key(key);
  c.mutable_field()->mutable_match()->set_keyword(value);
  return c;
}
qdrant::Condition IntMatch(const std::string& key, int64_t value) {
  qdrant::Condition c;
  c.mutable_field()->set_key(key);
  c.mutable_field()->mutable_match()->set_integer(value);
  return c;
}
qdrant::Condition RangeCond(const std::string& key, std::optional<double> gte,
                            std::optional<double> lt) {
  qdrant::Condition c;
  c.mutable_field()->set_key(key);
  if (gte) c.mutable_field()->mutable_range()->set_gte(*gte);
  if (lt) c.mutable_field()->mutable_range()->set_lt(*lt);
  return c;
}
qdrant::Filter Must(std::initializer_list<qdrant::Condition> cs) {
  qdrant::Filter f;
  for (const auto& c : cs) *f.add_must() = c;
  return f;
}

bool Eval(const qdrant::Filter& f, const PayloadMap& p, uint64_t id = 1) {
  EXPECT_TRUE(ValidateFilter(f).ok()) << ValidateFilter(f).ToString();
  ExternalId eid = ExternalId::Num(id);
  return Matches(f, PointView{&eid, &p, [](const std::string& n) { return n == "" || n == "img"; },
                              PayloadRef()});
}

TEST(FilterTest, KeywordMatchesScalarsAndArrayElements) {
  PayloadMap london = Payload({{"city", Str("London")}});
  PayloadMap both = Payload({{"city", List({Str("Berlin"), Str("London")})}});
  PayloadMap berlin = Payload({{"city", Str("Berlin")}});
  auto f = Must({Keyword("city", "London")});
  EXPECT_TRUE(Eval(f, london));
  EXPECT_TRUE(Eval(f, both));
  EXPECT_FALSE(Eval(f, berlin));
  EXPECT_FALSE(Eval(f, PayloadMap()));
}

TEST(FilterTest, IntegersAndDoublesStayDistinctForMatchButNotForRange) {
  PayloadMap i = Payload({{"n", Int(5)}});
  PayloadMap d = Payload({{"n", Dbl(5.0)}});
  EXPECT_TRUE(Eval(Must({IntMatch("n", 5)}), i));
  EXPECT_FALSE(Eval(Must({IntMatch("n", 5)}), d)) << "match integer ignores doubles";
  EXPECT_TRUE(Eval(Must({RangeCond("n", 5, 6)}), i));
  EXPECT_TRUE(Eval(Must({RangeCond("n", 5, 6)}), d));
  EXPECT_FALSE(Eval(Must({RangeCond("n", 5.5, std::nullopt)}), i));
}

TEST(FilterTest, DottedAndArrayPaths) {
  PayloadMap p = Payload(
      {{"metadata", Obj({{"source", Str("doc.pdf")}, {"page", Int(3)}})},
       {"country",
        Obj({{"cities", List({Obj({{"name", Str("Paris")}}), Obj({{"name", Str("Lyon")}})})}})}});
  EXPECT_TRUE(Eval(Must({Keyword("metadata.source", "doc.pdf")}), p));
  EXPECT_TRUE(Eval(Must({IntMatch("metadata.page", 3)}), p));
  EXPECT_TRUE(Eval(Must({Keyword("country.cities[].name", "Lyon")}), p));
  EXPECT_TRUE(Eval(Must({Keyword("country.cities[1].name", "Lyon")}), p));
  EXPECT_FALSE(Eval(Must({Keyword("country.cities[0].name", "Lyon")}), p));
}

TEST(FilterTest, ShouldMustNotAndMinShould) {
  PayloadMap p = Payload({{"a", Int(1)}, {"b", Int(2)}});
  qdrant::Filter f;
  *f.add_should() = IntMatch("a", 9);
  *f.add_should() = IntMatch("b", 2);
  EXPECT_TRUE(Eval(f, p));
  *f.add_must_not() = IntMatch("a", 1);
  EXPECT_FALSE(Eval(f, p));
  qdrant::Filter ms;
  ms.mutable_min_should()->set_min_count(2);
  *ms.mutable_min_should()->add_conditions() = IntMatch("a", 1);
  *ms.mutable_min_should()->add_conditions() = IntMatch("b", 3);
  EXPECT_FALSE(Eval(ms, p));
  *ms.mutable_min_should()->add_conditions() = IntMatch("b", 2);
  EXPECT_TRUE(Eval(ms, p));
}

TEST(FilterTest, AnyExceptEmptyNullAndCount) {
  PayloadMap p =
      Payload({{"tags", List({Str("x"), Str("y")})}, {"gone", Null()}, {"empty", List({})}});
  qdrant::Condition any;
  any.mutable_field()->set_key("tags");
  any.mutable_field()->mutable_match()->mutable_keywords()->add_strings("y");
  EXPECT_TRUE(Eval(Must({any}), p));
  qdrant::Condition except;
  except.mutable_field()->set_key("tags");
  auto* ex = except.mutable_field()->mutable_match()->mutable_except_keywords();
  ex->add_strings("x");
  EXPECT_TRUE(Eval(Must({except}), p)) << "y is outside the set";
  ex->add_strings("y");
  EXPECT_FALSE(Eval(Must({except}), p));

  qdrant::Condition is_empty;
  for (const char* key : {"gone", "empty", "missing"}) {
    is_empty.mutable_is_empty()->set_key(key);
    EXPECT_TRUE(Eval(Must({is_empty}), p)) << key;
  }
  is_empty.mutable_is_empty()->set_key("tags");
  EXPECT_FALSE(Eval(Must({is_empty}), p));

  qdrant::Condition is_null;
  is_null.mutable_is_null()->set_key("gone");
  EXPECT_TRUE(Eval(Must({is_null}), p));
  is_null.mutable_is_null()->set_key("missing");
  EXPECT_FALSE(Eval(Must({is_null}), p)) << "a missing key is not null";

  qdrant::Condition count;
  count.mutable_field()->set_key("tags");
  count.mutable_field()->mutable_values_count()->set_gte(2);
  EXPECT_TRUE(Eval(Must({count}), p));
  count.mutable_field()->mutable_values_count()->set_gt(2);
  EXPECT_FALSE(Eval(Must({count}), p));
}

TEST(FilterTest, HasIdHasVectorNestedAndText) {
  PayloadMap p = Payload({{"diet", List({Obj({{"food", Str("meat")}, {"likes", Value()}}),
                                         Obj({{"food", Str("fish")}, {"n", Int(3)}})})},
                          {"title", Str("The quick brown fox")}});
  p["diet"]
      .mutable_list_value()
      ->mutable_values(0)
      ->mutable_struct_value()
      ->mutable_fields()
      ->at("likes")
      .set_bool_value(false);
  qdrant::Condition has_id;
  has_id.mutable_has_id()->add_has_id()->set_num(7);
  EXPECT_TRUE(Eval(Must({has_id}), p, 7));
  EXPECT_FALSE(Eval(Must({has_id}), p, 8));

  qdrant::Condition hv;
  hv.mutable_has_vector()->set_has_vector("img");
  EXPECT_TRUE(Eval(Must({hv}), p));
  hv.mutable_has_vector()->set_has_vector("text");
  EXPECT_FALSE(Eval(Must({hv}), p));

  // nested: both conditions must hold for the same element.
  qdrant::Condition nested;
  nested.mutable_nested()->set_key("diet");
  *nested.mutable_nested()->mutable_filter()->add_must() = Keyword("food", "fish");
  *nested.mutable_nested()->mutable_filter()->add_must() = IntMatch("n", 3);
  EXPECT_TRUE(Eval(Must({nested}), p));
  *nested.mutable_nested()->mutable_filter()->mutable_must(0) = Keyword("food", "meat");
  EXPECT_FALSE(Eval(Must({nested}), p));

  qdrant::Condition text;
  text.mutable_field()->set_key("title");
  text.mutable_field()->mutable_match()->set_text("brown QUICK");
  EXPECT_TRUE(Eval(Must({text}), p));
  text.mutable_field()->mutable_match()->set_phrase("quick fox");
  EXPECT_FALSE(Eval(Must({text}), p));
}

TEST(FilterTest, GeoAndDatetime) {
  PayloadMap p = Payload({{"loc", Obj({{"lon", Dbl(13.4)}, {"lat", Dbl(52.52)}})},
                          {"ts", Str("2024-03-01T12:00:00+01:00")}});
  qdrant::Condition radius;
  radius.mutable_field()->set_key("loc");
  auto* r = radius.mutable_field()->mutable_geo_radius();
  r->mutable_center()->set_lon(13.41);
  r->mutable_center()->set_lat(52.52);
  r->set_radius(1000);
  EXPECT_TRUE(Eval(Must({radius}), p));
  r->set_radius(100);
  EXPECT_FALSE(Eval(Must({radius}), p));

  qdrant::Condition box;
  box.mutable_field()->set_key("loc");
  auto* b = box.mutable_field()->mutable_geo_bounding_box();
  b->mutable_top_left()->set_lon(13);
  b->mutable_top_left()->set_lat(53);
  b->mutable_bottom_right()->set_lon(14);
  b->mutable_bottom_right()->set_lat(52);
  EXPECT_TRUE(Eval(Must({box}), p));

  qdrant::Condition poly;
  poly.mutable_field()->set_key("loc");
  auto* ring = poly.mutable_field()->mutable_geo_polygon()->mutable_exterior();
  for (auto [lon, lat] :
       {std::pair{13.0, 52.0}, {14.0, 52.0}, {14.0, 53.0}, {13.0, 53.0}, {13.0, 52.0}}) {
    auto* pt = ring->add_points();
    pt->set_lon(lon);
    pt->set_lat(lat);
  }
  EXPECT_TRUE(Eval(Must({poly}), p));

  qdrant::Condition dt;
  dt.mutable_field()->set_key("ts");
  dt.mutable_field()->mutable_datetime_range()->mutable_gte()->set_seconds(1709290800);  // 11:00Z
  EXPECT_TRUE(Eval(Must({dt}), p));
  dt.mutable_field()->mutable_datetime_range()->mutable_gt()->set_seconds(1709291000);
  EXPECT_FALSE(Eval(Must({dt}), p));
  int64_t us = 0;
  ASSERT_TRUE(ParseDateTime("2024-03-01T11:00:00.5Z", &us));
  EXPECT_EQ(us, 1709290800500000);
  EXPECT_TRUE(ParseDateTime("2024-03-01", &us));
  EXPECT_FALSE(ParseDateTime("yesterday", &us));
}

TEST(FilterTest, MalformedFiltersNameThePart) {
  qdrant::Filter f;
  f.add_must()->mutable_field()->set_key("x");  // no condition
  Status s = ValidateFilter(f);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("filter.must[0]"), std::string::npos) << s.message();

  qdrant::Filter bad_key = Must({Keyword("a..b", "v")});
  EXPECT_NE(ValidateFilter(bad_key).message().find("'a..b'"), std::string::npos);

  qdrant::Filter bad_id;
  bad_id.add_should()->mutable_has_id()->add_has_id()->set_uuid("not-a-uuid");
  EXPECT_NE(ValidateFilter(bad_id).message().find("filter.should[0].has_id[0]"), std::string::npos);

  qdrant::Filter empty_cond;
  empty_cond.add_must_not();
  EXPECT_FALSE(ValidateFilter(empty_cond).ok());
}

// Differential test: random payloads and random filters against an independent, plain model.
struct ModelPoint {
  std::map<std::string, std::vector<int64_t>> ints;  // field -> values (array or scalar)
  std::map<std::string, std::vector<std::string>> words;
};

enum class Kind { kInt, kWord, kRange, kEmpty };
struct ModelCond {
  Kind kind;
  std::string key;
  int64_t i = 0;
  std::string w;
  int64_t lo = 0, hi = 0;
};

bool ModelEval(const ModelCond& c, const ModelPoint& p) {
  switch (c.kind) {
    case Kind::kInt: {
      auto it = p.ints.find(c.key);
      return it != p.ints.end() &&
             std::find(it->second.begin(), it->second.end(), c.i) != it->second.end();
    }
    case Kind::kWord: {
      auto it = p.words.find(c.key);
      return it != p.words.end() &&
             std::find(it->second.begin(), it->second.end(), c.w) != it->second.end();
    }
    case Kind::kRange: {
      auto it = p.ints.find(c.key);
      if (it == p.ints.end()) return false;
      for (int64_t v : it->second) {
        if (v >= c.lo && v < c.hi) return true;
      }
      return false;
    }
    case Kind::kEmpty: {
      auto a = p.ints.find(c.key);
      auto b = p.words.find(c.key);
      return (a == p.ints.end() || a->second.empty()) && (b == p.words.end() || b->second.empty());
    }
  }
  return false;
}

TEST(FilterTest, RandomFiltersAgreeWithAPlainModel) {
  std::mt19937 rng(20261124);
  const std::vector<std::string> keys = {"a", "b", "c"};
  const std::vector<std::string> vocab = {"red", "green", "blue", "cyan"};
  int cases = 0, matched = 0;
  for (int round = 0; round < 3000; ++round) {
    ModelPoint mp;
    PayloadMap pp;
    for (const std::string& k : keys) {
      int shape = rng() % 4;  // 0 missing, 1 scalar, 2 array, 3 empty array
      if (shape == 0) continue;
      bool words = rng() % 2;
      int n = shape == 1 ? 1 : shape == 2 ? 1 + rng() % 3 : 0;
      Value v;
      for (int i = 0; i < n; ++i) {
        Value e = words ? Str(vocab[rng() % vocab.size()]) : Int(rng() % 6);
        if (words) {
          mp.words[k].push_back(e.string_value());
        } else {
          mp.ints[k].push_back(e.integer_value());
        }
        if (shape == 1) {
          v = e;
        } else {
          *v.mutable_list_value()->add_values() = e;
        }
      }
      if (shape == 3) v.mutable_list_value();
      pp[k] = v;
    }
    auto random_cond = [&](ModelCond* mc) {
      qdrant::Condition c;
      mc->key = keys[rng() % keys.size()];
      mc->kind = static_cast<Kind>(rng() % 4);
      switch (mc->kind) {
        case Kind::kInt:
          mc->i = rng() % 6;
          c = IntMatch(mc->key, mc->i);
          break;
        case Kind::kWord:
          mc->w = vocab[rng() % vocab.size()];
          c = Keyword(mc->key, mc->w);
          break;
        case Kind::kRange:
          mc->lo = rng() % 6;
          mc->hi = mc->lo + rng() % 4;
          c = RangeCond(mc->key, static_cast<double>(mc->lo), static_cast<double>(mc->hi));
          break;
        case Kind::kEmpty:
          c.mutable_is_empty()->set_key(mc->key);
          break;
      }
      return c;
    };
    qdrant::Filter f;
    std::vector<ModelCond> must(rng() % 3), should(rng() % 3), must_not(rng() % 2);
    for (auto& m : must) *f.add_must() = random_cond(&m);
    for (auto& m : should) *f.add_should() = random_cond(&m);
    for (auto& m : must_not) *f.add_must_not() = random_cond(&m);
    bool expect = true;
    for (auto& m : must) expect &= ModelEval(m, mp);
    for (auto& m : must_not) expect &= !ModelEval(m, mp);
    if (!should.empty()) {
      bool any = false;
      for (auto& m : should) any |= ModelEval(m, mp);
      expect &= any;
    }
    ASSERT_EQ(Eval(f, pp), expect) << "round " << round << ": " << f.ShortDebugString();
    ++cases;
    matched += expect;
  }
  EXPECT_EQ(cases, 3000);
  EXPECT_GT(matched, 300) << "the generator must produce both outcomes";
  EXPECT_LT(matched, 2700);
}

TEST(PointIdTest, ParsesUuidFormsAndRejectsGarbage) {
  auto a = ExternalId::ParseUuid("550E8400-e29b-41d4-a716-446655440000");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ToString(), "550e8400-e29b-41d4-a716-446655440000");
  EXPECT_EQ(*ExternalId::ParseUuid("550e8400e29b41d4a716446655440000"), *a);
  EXPECT_EQ(*ExternalId::ParseUuid("{550e8400-e29b-41d4-a716-446655440000}"), *a);
  EXPECT_EQ(*ExternalId::ParseUuid("urn:uuid:550e8400-e29b-41d4-a716-446655440000"), *a);
  EXPECT_FALSE(ExternalId::ParseUuid("550e8400-e29b-41d4-a716-44665544000g").ok());
  EXPECT_FALSE(ExternalId::ParseUuid("12").ok());
  qdrant::PointId empty;
  Result<ExternalId> bad = ExternalId::FromProto(empty, "points[3].id");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("points[3].id"), std::string::npos);
  EXPECT_LT(ExternalId::Num(1000), *a) << "integer ids sort before UUIDs";
}

}  // namespace
}  // namespace strata::kernel
