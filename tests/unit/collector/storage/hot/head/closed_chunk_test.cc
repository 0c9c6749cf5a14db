#include "collector/storage/hot/head/closed_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "common/model/sample.h"

namespace strata::collector::hot {
namespace {

struct Point {
  int64_t t;
  uint64_t bits;
};

XorChunkAppender Build(const std::vector<Point>& points) {
  XorChunkAppender open;
  for (const Point& p : points) EXPECT_TRUE(open.Append(p.t, std::bit_cast<double>(p.bits)));
  return open;
}

std::vector<Point> Decode(const ClosedChunk& c) {
  std::vector<Point> out;
  BlockChunkIterator it = c.Iterator();
  while (it.Next()) out.push_back({it.t(), it.v_bits()});
  EXPECT_FALSE(it.error());
  return out;
}

void ExpectSame(const std::vector<Point>& want, const std::vector<Point>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].t, got[i].t) << i;
    EXPECT_EQ(want[i].bits, got[i].bits) << i;
  }
}

TEST(ClosedChunkTest, KeepsTimeRangeAndCount) {
  std::vector<Point> points;
  for (int i = 0; i < 120; ++i) points.push_back({1'700'000'000'000 + i * 15'000, 0});
  ClosedChunk c = ClosedChunk::Encode(Build(points));
  EXPECT_EQ(c.min_t(), points.front().t);
  EXPECT_EQ(c.max_t(), points.back().t);
  EXPECT_EQ(c.num_samples(), 120u);
  EXPECT_EQ(c.encoded_bytes(), c.timestamps().size() + c.values().size());
}

TEST(ClosedChunkTest, RoundTripsSpecialValuesBitExact) {
  const std::vector<double> specials = {common::StaleNaN(),
                                        std::numeric_limits<double>::quiet_NaN(),
                                        std::numeric_limits<double>::infinity(),
                                        -std::numeric_limits<double>::infinity(),
                                        -0.0,
                                        0.0,
                                        std::numeric_limits<double>::denorm_min(),
                                        std::numeric_limits<double>::max(),
                                        0.1,
                                        12.34,
                                        1e300};
  std::vector<Point> points;
  int64_t t = 1'000;
  for (int rep = 0; rep < 5; ++rep) {
    for (double v : specials) {
      points.push_back({t, std::bit_cast<uint64_t>(v)});
      t += 15'000 + (rep % 2) * 7;  // slightly irregular scrapes
    }
  }
  ExpectSame(points, Decode(ClosedChunk::Encode(Build(points))));
}

TEST(ClosedChunkTest, RoundTripsEqualAndNegativeTimestamps) {
  std::vector<Point> points = {{-30'000, 1}, {-15'000, 2}, {-15'000, 3}, {0, 4}, {0, 5}};
  ExpectSame(points, Decode(ClosedChunk::Encode(Build(points))));
}

TEST(ClosedChunkTest, RoundTripsRandomFloatsAndLongChunks) {
  std::mt19937_64 rng(7);
  std::vector<Point> points;
  int64_t t = 0;
  for (int i = 0; i < 5000; ++i) {
    t += static_cast<int64_t>(rng() % 100'000);
    points.push_back({t, rng()});  // arbitrary bit patterns, NaNs with payloads included
  }
  ExpectSame(points, Decode(ClosedChunk::Encode(Build(points))));
}

// The reason closed chunks are re-encoded: typical Prometheus samples (an integer counter and a
// two-decimal gauge scraped every 15 s) take at most two thirds of the XOR chunk's bytes.
TEST(ClosedChunkTest, IsSmallerThanTheXorChunkForTypicalSeries) {
  std::mt19937_64 rng(1);
  std::vector<Point> counter, gauge;
  double c = 1e6;
  for (int i = 0; i < 120; ++i) {
    const int64_t t = 1'700'000'000'000 + i * 15'000;
    c += static_cast<double>(rng() % 5000);
    counter.push_back({t, std::bit_cast<uint64_t>(c)});
    const double g = static_cast<double>(rng() % 100'000) / 100;
    gauge.push_back({t, std::bit_cast<uint64_t>(g)});
  }
  for (const auto* points : {&counter, &gauge}) {
    XorChunkAppender open = Build(*points);
    ClosedChunk closed = ClosedChunk::Encode(open);
    ExpectSame(*points, Decode(closed));
    EXPECT_LT(closed.encoded_bytes() * 3, open.bytes().size() * 2)
        << closed.encoded_bytes() << " vs " << open.bytes().size();
  }
}

}  // namespace
}  // namespace strata::collector::hot
