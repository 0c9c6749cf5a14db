// Measures the head's XOR chunk codec (collector/storage/hot/chunk/xor_chunk.h) and the block
// chunk codec (block_chunk_codec.h) on three data shapes:
//   counter   node_exporter-like byte counter near 1e9, growing < 100 kB per scrape, timestamps
//             on a 15 s grid with +-3 ms jitter;
//   gauge     random walk with two decimals (40.00 +- 0.10 per step), regular 15 s;
//   constant  1.0 at a regular 15 s interval.
// XOR chunks hold 120 samples (30 min at 15 s), the typical head-chunk size; block chunks 480
// (the 2 h a block holds at 15 s), encoded as a timestamps column (which a block shares between
// the series of a scrape target; counted here in full) and a values column. Reports ns/sample
// (items_per_second is samples/s) and bytes_per_sample as a counter.
//
//   chunk_bench [--benchmark_filter=...]

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "collector/storage/hot/chunk/block_chunk_codec.h"
#include "collector/storage/hot/chunk/xor_chunk.h"

namespace {

using strata::collector::hot::BlockChunkEncoder;
using strata::collector::hot::BlockChunkIterator;
using strata::collector::hot::XorChunkAppender;
using strata::collector::hot::XorChunkIterator;

constexpr int kSamples = 120;
constexpr int kBlockSamples = 480;
constexpr int64_t kEpochMs = 1700000000000;

struct Point {
  int64_t t;
  double v;
};

uint64_t NextRandom(uint64_t& state) {  // splitmix64, deterministic across platforms
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

enum class Shape { kCounter, kGauge, kConstant };

std::vector<Point> MakeSeries(Shape shape, int n = kSamples) {
  uint64_t rng = 12345;
  std::vector<Point> points;
  double counter = 1e9;
  int64_t centi = 4000;
  for (int i = 0; i < n; ++i) {
    int64_t t = kEpochMs + 15000 * int64_t{i};
    double v = 1.0;
    switch (shape) {
      case Shape::kCounter:
        t += static_cast<int64_t>(NextRandom(rng) % 7) - 3;
        counter += static_cast<double>(NextRandom(rng) % 100000);
        v = counter;
        break;
      case Shape::kGauge:
        centi = std::clamp<int64_t>(centi + static_cast<int64_t>(NextRandom(rng) % 21) - 10, 3200,
                                    6399);
        v = static_cast<double>(centi) / 100.0;
        break;
      case Shape::kConstant:
        break;
    }
    points.push_back({t, v});
  }
  return points;
}

XorChunkAppender Encode(const std::vector<Point>& points) {
  XorChunkAppender app;
  for (const Point& p : points) app.Append(p.t, p.v);
  return app;
}

void SetCounters(benchmark::State& state, const XorChunkAppender& app) {
  state.SetItemsProcessed(state.iterations() * kSamples);
  state.counters["bytes_per_sample"] =
      static_cast<double>(app.bytes().size()) / static_cast<double>(app.num_samples());
  state.counters["ns_per_sample"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kSamples),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Append(benchmark::State& state, Shape shape) {
  const std::vector<Point> points = MakeSeries(shape);
  for (auto _ : state) {
    // Includes the chunk's buffer growth: a real head chunk pays it too.
    XorChunkAppender app;
    for (const Point& p : points) app.Append(p.t, p.v);
    benchmark::DoNotOptimize(app.bytes().data());
  }
  SetCounters(state, Encode(points));
}

void BM_Iterate(benchmark::State& state, Shape shape) {
  const XorChunkAppender app = Encode(MakeSeries(shape));
  for (auto _ : state) {
    XorChunkIterator it(app.bytes());
    int64_t t_sum = 0;
    double v_sum = 0;
    while (it.Next()) {
      t_sum += it.t();
      v_sum += it.v();
    }
    if (it.error()) state.SkipWithError("decode error");
    benchmark::DoNotOptimize(t_sum);
    benchmark::DoNotOptimize(v_sum);
  }
  SetCounters(state, app);
}

struct BlockColumns {
  std::string timestamps;
  std::string values;
};

BlockColumns EncodeBlock(BlockChunkEncoder& enc, const std::vector<int64_t>& t,
                         const std::vector<double>& v) {
  BlockColumns c;
  enc.EncodeTimestamps(t, &c.timestamps);
  enc.EncodeValues(v, &c.values);
  return c;
}

void SetBlockCounters(benchmark::State& state, const BlockColumns& c) {
  state.SetItemsProcessed(state.iterations() * kBlockSamples);
  state.counters["bytes_per_sample"] =
      static_cast<double>(c.timestamps.size() + c.values.size()) / kBlockSamples;
  state.counters["ns_per_sample"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kBlockSamples),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void SplitColumns(Shape shape, std::vector<int64_t>* t, std::vector<double>* v) {
  for (const Point& p : MakeSeries(shape, kBlockSamples)) {
    t->push_back(p.t);
    v->push_back(p.v);
  }
}

void BM_BlockEncode(benchmark::State& state, Shape shape) {
  std::vector<int64_t> t;
  std::vector<double> v;
  SplitColumns(shape, &t, &v);
  BlockChunkEncoder enc;  // reused, as the block writer does
  for (auto _ : state) {
    BlockColumns c = EncodeBlock(enc, t, v);
    benchmark::DoNotOptimize(c.values.data());
  }
  SetBlockCounters(state, EncodeBlock(enc, t, v));
}

void BM_BlockIterate(benchmark::State& state, Shape shape) {
  std::vector<int64_t> t;
  std::vector<double> v;
  SplitColumns(shape, &t, &v);
  BlockChunkEncoder enc;
  const BlockColumns c = EncodeBlock(enc, t, v);
  const std::span<const uint8_t> ts(reinterpret_cast<const uint8_t*>(c.timestamps.data()),
                                    c.timestamps.size());
  const std::span<const uint8_t> values(reinterpret_cast<const uint8_t*>(c.values.data()),
                                        c.values.size());
  for (auto _ : state) {
    BlockChunkIterator it(kBlockSamples, ts, values);
    int64_t t_sum = 0;
    double v_sum = 0;
    while (it.Next()) {
      t_sum += it.t();
      v_sum += it.v();
    }
    if (it.error()) state.SkipWithError("decode error");
    benchmark::DoNotOptimize(t_sum);
    benchmark::DoNotOptimize(v_sum);
  }
  SetBlockCounters(state, c);
}

BENCHMARK_CAPTURE(BM_Append, counter, Shape::kCounter);
BENCHMARK_CAPTURE(BM_Append, gauge, Shape::kGauge);
BENCHMARK_CAPTURE(BM_Append, constant, Shape::kConstant);
BENCHMARK_CAPTURE(BM_Iterate, counter, Shape::kCounter);
BENCHMARK_CAPTURE(BM_Iterate, gauge, Shape::kGauge);
BENCHMARK_CAPTURE(BM_Iterate, constant, Shape::kConstant);
BENCHMARK_CAPTURE(BM_BlockEncode, counter, Shape::kCounter);
BENCHMARK_CAPTURE(BM_BlockEncode, gauge, Shape::kGauge);
BENCHMARK_CAPTURE(BM_BlockEncode, constant, Shape::kConstant);
BENCHMARK_CAPTURE(BM_BlockIterate, counter, Shape::kCounter);
BENCHMARK_CAPTURE(BM_BlockIterate, gauge, Shape::kGauge);
BENCHMARK_CAPTURE(BM_BlockIterate, constant, Shape::kConstant);

}  // namespace

BENCHMARK_MAIN();
