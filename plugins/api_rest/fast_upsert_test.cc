// The upsert accelerator must decode exactly what the general path decodes, or decline.
#include "fast_upsert.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "json_codec.h"

namespace strata::rest {
namespace {

// The general path: RapidJSON DOM + json_codec.
bool General(const std::string& body, qdrant::UpsertPoints* out, std::string* error) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(body.data(), body.size());  // as the route
  if (d.HasParseError()) {
    *error = "parse error";
    return false;
  }
  Status s = ParseUpsert(d, out);
  *error = s.message();
  return s.ok();
}

// Checks one body: when the accelerator decodes it, the general path must agree exactly.
// Returns whether the accelerator decoded it.
bool Agrees(const std::string& body) {
  qdrant::UpsertPoints fast, general;
  std::string error;
  const bool fast_ok = FastDecodeUpsert(body, &fast);
  const bool general_ok = General(body, &general, &error);
  if (fast_ok) {
    EXPECT_TRUE(general_ok) << "accelerator accepted what the general path refuses (" << error
                            << "): " << body.substr(0, 300);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(fast, general))
        << body.substr(0, 300) << "\nfast: " << fast.ShortDebugString().substr(0, 300)
        << "\ngeneral: " << general.ShortDebugString().substr(0, 300);
  } else {
    EXPECT_EQ(fast.points_size(), 0) << "a declined body leaves nothing behind";
  }
  return fast_ok;
}

std::string RandomNumber(std::mt19937_64& rng) {
  char buf[64];
  std::uniform_real_distribution<double> u(-1, 1);
  switch (rng() % 9) {
    case 0:
      std::snprintf(buf, sizeof(buf), "%.7g", u(rng));
      break;
    case 1:
      std::snprintf(buf, sizeof(buf), "%.17g", u(rng) * std::pow(10.0, int(rng() % 40) - 20));
      break;
    case 2:
      std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(rng() % 2000) - 1000);
      break;
    case 3:
      std::snprintf(buf, sizeof(buf), "%.3e", u(rng) * std::pow(10.0, int(rng() % 600) - 300));
      break;
    case 4:
      std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(static_cast<float>(u(rng))));
      break;
    case 5:
      return "0.000000000000000000000123456789012345678901234567890";
    case 6:
      return std::to_string(rng() % 2 ? -0.0 : 0.0) + (rng() % 2 ? "E+2" : "e-2");
    case 7:
      return "123456789012345678901234567890.5";
    default:
      std::snprintf(buf, sizeof(buf), "%.12g", u(rng) * 1e5);
  }
  return buf;
}

std::string RandomString(std::mt19937_64& rng) {
  static const char* const kPieces[] = {"plain", " ",   "\\n",       "\\\"",
                                        "\\\\",  "\\/", "\\u00e9",   "\\ud83d\\ude00",
                                        "\\t",   "é",   "doc-1.pdf", "\\u0041"};
  std::string s = "\"";
  const int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) s += kPieces[rng() % std::size(kPieces)];
  return s + "\"";
}

std::string RandomValue(std::mt19937_64& rng, int depth) {
  switch (rng() % (depth > 2 ? 6 : 8)) {
    case 0:
      return "null";
    case 1:
      return rng() % 2 ? "true" : "false";
    case 2:
      return RandomString(rng);
    case 3:
      return RandomNumber(rng);
    case 4:
      return std::to_string(static_cast<int64_t>(rng()));
    case 5:
      return rng() % 2 ? "9223372036854775807" : "-9223372036854775808";
    case 6: {
      std::string s = "[";
      const int n = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) s += (i ? ", " : "") + RandomValue(rng, depth + 1);
      return s + "]";
    }
    default: {
      std::string s = "{";
      const int n = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) {
        s += (i ? "," : "") + RandomString(rng) + ":" + RandomValue(rng, depth + 1);
      }
      return s + "}";
    }
  }
}

// `points` < 0: 0 to 4 of them, some without an id or a vector (declined).
std::string RandomBody(std::mt19937_64& rng, int points = -1) {
  const char* ws = rng() % 3 == 0 ? " \n\t" : "";
  std::string s = std::string("{") + ws + "\"points\"" + ws + ":" + ws + "[";
  const bool points_given = points >= 0;
  if (!points_given) points = static_cast<int>(rng() % 5);
  for (int i = 0; i < points; ++i) {
    if (i) s += std::string(",") + ws;
    std::string id = rng() % 3 == 0 ? "\"5c56c793-69f3-4fbf-87e6-c4bf54c28c26\""
                                    : std::to_string(rng() % 100000);
    std::string vec = "[";
    const int dim = static_cast<int>(1 + rng() % 8);
    for (int d = 0; d < dim; ++d) vec += (d ? std::string(",") + ws : "") + RandomNumber(rng);
    vec += std::string(ws) + "]";
    std::string fields[3] = {
        "\"id\":" + id, std::string(rng() % 2 ? "\"vector\"" : "\"vectors\"") + ":" + vec,
        "\"payload\":" + (rng() % 5 == 0 ? std::string("null")
                                         : "{\"a\":" + RandomValue(rng, 0) +
                                               ",\"b\":" + RandomValue(rng, 0) + "}")};
    std::shuffle(std::begin(fields), std::end(fields), rng);
    // Sometimes without payload or vector (or id: declined) when the count was not given.
    const int n = points_given || rng() % 4 != 0 ? 3 : 2;
    s += "{";
    for (int f = 0; f < n; ++f) s += (f ? "," : "") + std::string(ws) + fields[f];
    s += "}";
  }
  return s + "]" + ws + "}";
}

TEST(FastUpsertTest, AgreesWithTheGeneralPathOnGeneratedBodies) {
  std::mt19937_64 rng(7);
  int decoded = 0;
  for (int i = 0; i < 3000; ++i) decoded += Agrees(RandomBody(rng));
  // Most bodies are the common form; the ones declined are those without an id.
  EXPECT_GT(decoded, 2000);
}

TEST(FastUpsertTest, DeclinesWhatItDoesNotHandle) {
  for (const char* body : {
           R"({"batch": {"ids": [1], "vectors": [[1, 2]]}})",               // batch form
           R"({"points": [{"id": 1, "vector": {"a": [1, 2]}}]})",           // named vectors
           R"({"points": [{"id": 1, "vector": [[1, 2], [3, 4]]}]})",        // multi-vector
           R"({"points": [{"id": 1, "vector": [1, 2], "shard": 1}]})",      // unknown field
           R"({"points": [{"id": 1, "vector": [1, 2], "id": 2}]})",         // repeated field
           R"({"points": [{"id": -1, "vector": [1, 2]}]})",                 // bad id
           R"({"points": [{"id": 1.5, "vector": [1, 2]}]})",                // bad id
           R"({"points": [{"vector": [1, 2]}]})",                           // no id
           R"({"points": [{"id": 1, "vector": [1, 2e400]}]})",              // too big
           R"({"points": [{"id": 1, "vector": [01, 2]}]})",                 // leading zero
           R"({"points": [{"id": 1, "vector": [1., 2]}]})",                 // bad number
           R"({"points": [{"id": 1, "vector": [1, 2],}]})",                 // trailing comma
           R"({"points": [{"id": 1, "vector": [1, 2], "payload": [1]}]})",  // payload not object
           R"({"points": [{"id": 1, "payload": {"a": "\x"}}]})",            // bad escape
           R"({"points": [{"id": 1, "payload": {"a": "\ud800"}}]})",        // lone surrogate
           R"({"points": [], "shard_key": "a"})",                           // shard key
           R"({"points": []} x)",                                           // trailing bytes
           R"({"points": [{"id": 1, "vector": [1, 2]})",                    // truncated
       }) {
    qdrant::UpsertPoints out;
    EXPECT_FALSE(FastDecodeUpsert(body, &out)) << body;
    EXPECT_EQ(out.points_size(), 0) << body;
    Agrees(body);
  }
}

TEST(FastUpsertTest, NumbersAreTheNearestDouble) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000; ++i) {
    std::string text = RandomNumber(rng);
    double want = std::strtod(text.c_str(), nullptr);
    const char* p = text.data();
    double got = 0;
    ASSERT_TRUE(ParseJsonDouble(&p, text.data() + text.size(), &got)) << text;
    EXPECT_EQ(p, text.data() + text.size()) << text;
    if (std::isinf(want)) continue;
    ASSERT_EQ(std::memcmp(&got, &want, sizeof(double)), 0) << text << " " << got << " " << want;
  }
}

// Large bodies are decoded in two halves at once (arena-allocated requests); the split is a
// guess the first half must confirm, so strings that look like a point boundary, a malformed
// tail and a body with no boundary after the middle all come out exactly as decoded serially.
TEST(FastUpsertTest, LargeBodiesSplitInTwoAgreeWithTheGeneralPath) {
  std::mt19937_64 rng(17);
  auto body_of = [&](int points, const std::string& trap) {
    std::string s = "{\"points\": [";
    char buf[32];
    for (int i = 0; i < points; ++i) {
      if (i) s += i % 3 ? "," : ", ";
      s += "{\"id\": " + std::to_string(i) + ", \"vector\": [";
      for (int d = 0; d < 128; ++d) {
        if (d) s += ',';
        s.append(buf, std::snprintf(buf, sizeof(buf), "%.6g",
                                    std::uniform_real_distribution<double>(-1, 1)(rng)));
      }
      // The trap is raw JSON in the payload: {"id" inside a nested array also follows a comma.
      s += "], \"payload\": {\"text\": \"a,{\\\"id\\\"\", \"refs\": " + trap + "}}";
    }
    return s + "]}";
  };
  google::protobuf::Arena arena;
  SplitWorker worker;
  auto decode = [&](const std::string& body, qdrant::UpsertPoints** out) {
    *out = google::protobuf::Arena::CreateMessage<qdrant::UpsertPoints>(&arena);
    return FastDecodeUpsert(body, *out, &worker);
  };
  for (const std::string& trap : {std::string("0"), std::string("[0,{\"id\": 1}]"),
                                  std::string("[1, {\"id\": 9, \"vector\": [1]}, {\"id\": 2}]")}) {
    const std::string body = body_of(400, trap);
    ASSERT_GE(body.size(), kParallelDecodeBytes);
    qdrant::UpsertPoints* fast = nullptr;
    ASSERT_TRUE(decode(body, &fast)) << trap;
    qdrant::UpsertPoints general;
    std::string error;
    ASSERT_TRUE(General(body, &general, &error)) << error;
    ASSERT_EQ(fast->points_size(), 400);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*fast, general)) << trap;
  }
  // A malformed last point: the tail half fails, so the whole body is declined.
  std::string bad = body_of(400, "0");
  bad.insert(bad.size() - 2, "@");  // between the last point and the closing bracket
  qdrant::UpsertPoints* out = nullptr;
  EXPECT_FALSE(decode(bad, &out));
  EXPECT_EQ(out->points_size(), 0);
  // One huge point after the middle: no boundary to split at.
  std::string one = "{\"points\": [{\"id\": 1, \"vector\": [1], \"payload\": {\"t\": \"" +
                    std::string(300 << 10, 'a') + "\"}}]}";
  ASSERT_TRUE(decode(one, &out));
  EXPECT_EQ(out->points_size(), 1);
}

// A body decoded while it arrives, cut anywhere (inside numbers, strings, keys), ends up as the
// body decoded whole: the same points, or declined alike.
TEST(UpsertStreamTest, PrefixesCutAnywhereDecodeAsTheWholeBody) {
  std::mt19937_64 rng(23);
  int streamed = 0, compared = 0;
  for (int i = 0; i < 300; ++i) {
    std::string body = RandomBody(rng, 20 + static_cast<int>(rng() % 20));
    if (i % 10 == 0) body.insert(body.size() / 2, "@");  // broken in the middle
    UpsertStream stream(/*first_margin=*/1);
    for (size_t n = 0; n < body.size(); n += 1 + rng() % 40) {
      stream.Feed(std::string_view(body.data(), n));
    }
    const bool ok = stream.Finish(body, nullptr);
    qdrant::UpsertPoints whole;
    ASSERT_EQ(ok, FastDecodeUpsert(body, &whole)) << body.substr(0, 300);
    if (ok) {
      ++compared;
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*stream.request(), whole))
          << body.substr(0, 300);
    } else {
      EXPECT_EQ(stream.request()->points_size(), 0);
    }
    streamed += static_cast<int>(stream.streamed());
  }
  EXPECT_GT(compared, 200);
  EXPECT_GT(streamed, 3000);  // most points were decoded before their body was complete
}

// A large body arriving in reads of a few KiB to 256 KiB: part decoded on arrival, the rest
// split between two threads, the same as the general path's.
TEST(UpsertStreamTest, LargeBodiesInPiecesAgreeWithTheGeneralPath) {
  std::mt19937_64 rng(29);
  std::string body = "{\"points\":[";
  char buf[32];
  for (int i = 0; i < 600; ++i) {
    if (i) body += ',';
    body += "{\"id\":" + std::to_string(i) + ",\"vector\":[";
    for (int d = 0; d < 256; ++d) {
      if (d) body += i % 2 ? ", " : ",";
      body.append(buf, std::snprintf(buf, sizeof(buf), "%.9g",
                                     std::normal_distribution<double>(0, 0.05)(rng)));
    }
    body += "],\"payload\":{\"n\":" + std::to_string(i) + "}}";
  }
  body += "]}";
  SplitWorker worker;
  qdrant::UpsertPoints general;
  std::string error;
  ASSERT_TRUE(General(body, &general, &error)) << error;
  for (int round = 0; round < 4; ++round) {
    UpsertStream stream;
    size_t n = 0;
    while (n < body.size()) {
      n = std::min(body.size(), n + 4096 + rng() % (256 << 10));
      if (n < body.size()) stream.Feed(std::string_view(body.data(), n));
    }
    ASSERT_TRUE(stream.Finish(body, &worker));
    EXPECT_GT(stream.streamed(), 0u);
    EXPECT_LT(stream.streamed(), 600u);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*stream.request(), general));
  }
}

// Vector components: the float of the nearest double, also for decimals that sit right next to
// a point halfway between two floats (where a shortcut would round the wrong way).
TEST(FastUpsertTest, FloatsAreTheFloatOfTheNearestDouble) {
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<float> u(-2, 2);
  char buf[64];
  for (int i = 0; i < 200000; ++i) {
    std::string text;
    if (i % 2 == 0) {
      text = RandomNumber(rng);
    } else {
      const float f = u(rng);
      const float g = std::nextafter(f, 10.0f);
      const double mid = (static_cast<double>(f) + static_cast<double>(g)) / 2;
      const int digits = 9 + static_cast<int>(rng() % 9);
      std::snprintf(buf, sizeof(buf), "%.*g", digits, mid);
      text = buf;
    }
    const float want = static_cast<float>(std::strtod(text.c_str(), nullptr));
    // Alone (the scalar scan), and followed by the rest of an array (where the eight-bytes-at-a-
    // time path may read ahead).
    for (const int mode : {0, 1, 2}) {  // alone; in an array, with and without SSE4.1
      const std::string buffer = mode > 0 ? text + ", 0.5, 0.25, 0.125, 0.0625, 1.5]" : text;
      const char* p = buffer.data();
      float got = 0;
      if (!ParseJsonFloat(&p, buffer.data() + buffer.size(), &got, mode == 2)) {
        EXPECT_TRUE(std::isinf(want)) << text;  // beyond the double range: declined
        continue;
      }
      ASSERT_EQ(p, buffer.data() + text.size()) << text;
      ASSERT_EQ(std::memcmp(&got, &want, sizeof(float)), 0) << text << " " << got << " " << want;
    }
  }
}

// The shapes vector components usually have (a client's shortest round-trip text of a float
// or double), and their neighbours that are not numbers or not JSON.
TEST(FastUpsertTest, UsualComponentShapesAndTheirMalformedNeighbours) {
  std::mt19937_64 rng(17);
  std::normal_distribution<float> g(0, 1);
  char buf[64];
  for (int i = 0; i < 100000; ++i) {
    const float x = g(rng) * static_cast<float>(std::pow(10.0, int(rng() % 9) - 4));
    const int digits = 1 + static_cast<int>(rng() % 25);
    std::snprintf(buf, sizeof(buf), "%.*f", digits, static_cast<double>(x));
    const std::string text = buf;
    const std::string buffer = text + (i % 2 ? ", " : ",") + std::string(40, ' ');
    const float want = static_cast<float>(std::strtod(text.c_str(), nullptr));
    for (const bool portable : {false, true}) {
      const char* p = buffer.data();
      float got = 0;
      ASSERT_TRUE(ParseJsonFloat(&p, buffer.data() + buffer.size(), &got, portable)) << text;
      ASSERT_EQ(p, buffer.data() + text.size()) << text;
      ASSERT_EQ(std::memcmp(&got, &want, sizeof(float)), 0) << text << " " << got << " " << want;
    }
  }
  // Not one number: declined, or read only up to where the array's reader then refuses it.
  for (const char* bad : {"01.5", "-01.5", "1.", "-.5", ".5", "+1.5", "1.e5", "-", "1.5.5"}) {
    const std::string buffer = std::string(bad) + "," + std::string(40, ' ');
    for (const bool portable : {false, true}) {
      const char* p = buffer.data();
      float got = 0;
      const bool ok = ParseJsonFloat(&p, buffer.data() + buffer.size(), &got, portable);
      EXPECT_TRUE(!ok || p < buffer.data() + std::strlen(bad)) << bad;
    }
    EXPECT_FALSE(Agrees(std::string("{\"points\":[{\"id\":1,\"vector\":[") + bad +
                        ",0.25,0.125,0.0625,0.5,0.75,0.875,0.9375,0.25]}]}"))
        << bad;
  }
  // Exponents are read in full, not cut at the 'e'.
  const std::string exp = std::string("1.5e3,") + std::string(40, ' ');
  const char* p = exp.data();
  float got = 0;
  ASSERT_TRUE(ParseJsonFloat(&p, exp.data() + exp.size(), &got));
  EXPECT_EQ(got, 1500.0f);
  EXPECT_EQ(p, exp.data() + 5);
}

}  // namespace
}  // namespace strata::rest
