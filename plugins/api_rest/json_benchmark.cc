// json_benchmark: why RapidJSON. Parses a realistic REST upsert body (256 points x 768-d,
// payloads) with the JSON libraries Debian ships, and measures Strata's whole REST decode
// (JSON -> qdrant.UpsertPoints) and encode (ScoredPoint list -> JSON) on top of RapidJSON.
// Run: build/release/plugins/api_rest/json_benchmark
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "fast_upsert.h"
#include "json_codec.h"

#if __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>
#define HAVE_NLOHMANN 1
#endif
#if __has_include(<simdjson.h>) && defined(STRATA_HAVE_SIMDJSON)
#include <simdjson.h>
#define HAVE_SIMDJSON 1
#endif

namespace {

// python = false: 7 significant digits, no spaces (as a JS client's short decimals);
// python = true: what Python's json module writes for a float32 array's tolist() (the double
// nearest the float32, 17 significant digits, ", " between components).
std::string UpsertBody(int points, int dim, bool python = false) {
  std::mt19937 rng(1);
  std::normal_distribution<float> g(0, 1);
  std::string s = "{\"points\":[";
  char buf[32];
  for (int i = 0; i < points; ++i) {
    if (i) s += ',';
    s += "{\"id\":" + std::to_string(i) + ",\"vector\":[";
    for (int d = 0; d < dim; ++d) {
      if (d) s += python ? ", " : ",";
      s.append(buf, python ? std::snprintf(buf, sizeof(buf), "%.17g", double{g(rng)})
                           : std::snprintf(buf, sizeof(buf), "%.7g", g(rng)));
    }
    s += "],\"payload\":{\"source\":\"doc-" + std::to_string(i) +
         ".pdf\",\"page\":" + std::to_string(i % 40) + ",\"tags\":[\"a\",\"b\"]}}";
  }
  return s + "]}";
}

const std::string& Body(bool python = false) {
  static const std::string body = UpsertBody(256, 768), python_body = UpsertBody(256, 768, true);
  return python ? python_body : body;
}

void BM_RapidJsonDom(benchmark::State& state) {
  for (auto _ : state) {
    rapidjson::Document d;
    d.Parse(Body().data(), Body().size());
    benchmark::DoNotOptimize(d.IsObject());
  }
  state.SetBytesProcessed(state.iterations() * int64_t(Body().size()));
}
BENCHMARK(BM_RapidJsonDom)->Unit(benchmark::kMillisecond);

// What the REST frontend uses: correctly rounded numbers (kParseFullPrecisionFlag).
void BM_RapidJsonDomFullPrecision(benchmark::State& state) {
  for (auto _ : state) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseFullPrecisionFlag>(Body().data(), Body().size());
    benchmark::DoNotOptimize(d.IsObject());
  }
  state.SetBytesProcessed(state.iterations() * int64_t(Body().size()));
}
BENCHMARK(BM_RapidJsonDomFullPrecision)->Unit(benchmark::kMillisecond);

void BM_RapidJsonInsitu(benchmark::State& state) {
  for (auto _ : state) {
    std::string copy = Body();
    rapidjson::Document d;
    d.ParseInsitu(copy.data());
    benchmark::DoNotOptimize(d.IsObject());
  }
  state.SetBytesProcessed(state.iterations() * int64_t(Body().size()));
}
BENCHMARK(BM_RapidJsonInsitu)->Unit(benchmark::kMillisecond);

#ifdef HAVE_NLOHMANN
void BM_NlohmannJson(benchmark::State& state) {
  for (auto _ : state) {
    auto j = nlohmann::json::parse(Body());
    benchmark::DoNotOptimize(j.is_object());
  }
  state.SetBytesProcessed(state.iterations() * int64_t(Body().size()));
}
BENCHMARK(BM_NlohmannJson)->Unit(benchmark::kMillisecond);
#endif

#ifdef HAVE_SIMDJSON
void BM_SimdJsonDom(benchmark::State& state) {
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element e = parser.parse(Body());
    benchmark::DoNotOptimize(e.is_object());
  }
  state.SetBytesProcessed(state.iterations() * int64_t(Body().size()));
}
BENCHMARK(BM_SimdJsonDom)->Unit(benchmark::kMillisecond);
#endif

// Strata's REST decode of the same body: JSON DOM -> qdrant.UpsertPoints, as the route does.
void BM_StrataDecodeUpsert(benchmark::State& state) {
  for (auto _ : state) {
    rapidjson::Document d;
    d.Parse(Body().data(), Body().size());
    qdrant::UpsertPoints req;
    const auto& pts = d["points"];
    for (rapidjson::SizeType i = 0; i < pts.Size(); ++i) {
      auto* p = req.add_points();
      (void)strata::rest::ParsePointId(pts[i]["id"], "id", p->mutable_id());
      (void)strata::rest::ParseVectorStruct(pts[i]["vector"], "vector", p->mutable_vectors());
      (void)strata::rest::ParsePayload(pts[i]["payload"], "payload", p->mutable_payload());
    }
    std::string bytes = req.SerializeAsString();
    benchmark::DoNotOptimize(bytes.size());
  }
  state.SetBytesProcessed(state.iterations() * int64_t(Body().size()));
}
BENCHMARK(BM_StrataDecodeUpsert)->Unit(benchmark::kMillisecond);

// The upsert accelerator (fast_upsert.h) on the same body, into an arena as the route does;
// /1/x with the split worker (two threads), /0/x on one thread; /x/1 the Python-style body.
void BM_StrataFastUpsert(benchmark::State& state) {
  strata::rest::SplitWorker worker;
  const std::string& body = Body(state.range(1) != 0);
  for (auto _ : state) {
    google::protobuf::ArenaOptions options;
    options.start_block_size = 64 << 10;
    options.max_block_size = 1 << 20;
    google::protobuf::Arena arena(options);
    auto* req = google::protobuf::Arena::CreateMessage<qdrant::UpsertPoints>(&arena);
    if (!strata::rest::FastDecodeUpsert(body, req, state.range(0) ? &worker : nullptr)) {
      state.SkipWithError("declined");
    }
    std::string bytes = req->SerializeAsString();
    benchmark::DoNotOptimize(bytes.size());
  }
  state.SetBytesProcessed(state.iterations() * int64_t(body.size()));
  state.counters["ns_per_component"] =
      benchmark::Counter(state.iterations() * 256.0 * 768.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_StrataFastUpsert)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// What is left after the last byte when the body was decoded while it arrived (a link slower
// than the decoder, in 64 KiB reads): UpsertStream::Finish after Feed saw all but the last
// read, against BM_StrataFastUpsert's whole decode. /x: the split worker as above.
void BM_StrataStreamedUpsertFinish(benchmark::State& state) {
  strata::rest::SplitWorker worker;
  const std::string& body = Body();
  size_t streamed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto stream = std::make_unique<strata::rest::UpsertStream>();
    size_t n = 64 << 10;
    for (; n + (64 << 10) < body.size(); n += 64 << 10) {
      stream->Feed(std::string_view(body.data(), n));
    }
    streamed += stream->streamed();
    state.ResumeTiming();
    if (!stream->Finish(body, state.range(0) ? &worker : nullptr)) {
      state.SkipWithError("declined");
    }
    std::string bytes = stream->request()->SerializeAsString();
    benchmark::DoNotOptimize(bytes.size());
    state.PauseTiming();
    stream.reset();
    state.ResumeTiming();
  }
  state.counters["points_streamed"] =
      static_cast<double>(streamed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_StrataStreamedUpsertFinish)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
