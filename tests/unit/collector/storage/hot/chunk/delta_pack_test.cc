#include "collector/storage/hot/chunk/delta_pack.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace strata::collector::hot {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string Encode(const std::vector<int64_t>& values) {
  DeltaPackEncoder enc;
  std::string out = "prefix";  // Encode appends
  enc.Encode(values, &out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  out.erase(0, 6);
  EXPECT_EQ(enc.EncodedSize(values), out.size());
  return out;
}

// Decodes n values; *error receives the decoder's verdict.
std::vector<int64_t> Decode(const std::string& data, size_t n, bool* error) {
  DeltaPackDecoder dec(Bytes(data), n);
  std::vector<int64_t> out;
  int64_t v;
  while (dec.Next(&v)) out.push_back(v);
  *error = dec.error();
  return out;
}

// Decodes n values with NextBatch(`batch`) calls.
std::vector<int64_t> DecodeBatched(const std::string& data, size_t n, size_t batch, bool* error) {
  DeltaPackDecoder dec(Bytes(data), n);
  std::vector<int64_t> out;
  std::vector<int64_t> buf(batch);
  while (true) {
    const size_t k = dec.NextBatch(buf.data(), batch);
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(k));
    if (k < batch) break;
  }
  *error = dec.error();
  return out;
}

void ExpectRoundTrip(const std::vector<int64_t>& values) {
  const std::string enc = Encode(values);
  bool error = true;
  EXPECT_EQ(Decode(enc, values.size(), &error), values);
  EXPECT_FALSE(error);
  // Batches of every shape give the same values, across miniblock boundaries too.
  for (size_t batch : {1, 2, 7, 64, 100, 4096}) {
    error = true;
    EXPECT_EQ(DecodeBatched(enc, values.size(), batch, &error), values) << "batch " << batch;
    EXPECT_FALSE(error);
  }
}

TEST(DeltaPackTest, RoundTripsShortAndExtremeSequences) {
  ExpectRoundTrip({});
  ExpectRoundTrip({0});
  ExpectRoundTrip({kMin});
  ExpectRoundTrip({kMax, kMin});
  ExpectRoundTrip({kMin, kMax, kMin, kMax, 0, -1, 1});
  ExpectRoundTrip({kMax, kMax, kMax});
  ExpectRoundTrip({-5, -5, -4, -100, 7});
  // Differences that overflow int64 in both directions.
  ExpectRoundTrip({kMin, kMax, kMin + 1, kMax - 1, 0, kMin, 0, kMax});
}

TEST(DeltaPackTest, RoundTripsEveryLengthAroundMiniblockBoundaries) {
  std::mt19937_64 rng(1);
  for (size_t n : {63u, 64u, 65u, 66u, 127u, 128u, 129u, 130u, 1000u}) {
    for (int shape = 0; shape < 4; ++shape) {
      std::vector<int64_t> v;
      int64_t x = 1'700'000'000'000;
      for (size_t i = 0; i < n; ++i) {
        switch (shape) {
          case 0:
            x += 15'000 + static_cast<int64_t>(rng() % 11) - 5;
            break;
          case 1:
            x = static_cast<int64_t>(rng());
            break;
          case 2:
            x += static_cast<int64_t>(rng() % 3) * 4096;
            break;
          default:
            x = i == n / 2 ? 0 : x + 1000;  // a counter reset in the middle
        }
        v.push_back(x);
      }
      SCOPED_TRACE(testing::Message() << "n=" << n << " shape=" << shape);
      ExpectRoundTrip(v);
    }
  }
}

TEST(DeltaPackTest, RandomSequencesRoundTripAndSizeIsPredicted) {
  std::mt19937_64 rng(2);
  for (int trial = 0; trial < 500; ++trial) {
    const size_t n = rng() % 300;
    const int bits = 1 + static_cast<int>(rng() % 64);
    const uint64_t mul = 1 + rng() % 5;
    std::vector<int64_t> v;
    int64_t x = static_cast<int64_t>(rng());
    for (size_t i = 0; i < n; ++i) {
      const uint64_t step = (bits == 64 ? rng() : rng() % (uint64_t{1} << bits)) * mul;
      x = static_cast<int64_t>(static_cast<uint64_t>(x) + (rng() % 4 == 0 ? step : 0));
      v.push_back(x);
    }
    ExpectRoundTrip(v);  // also checks EncodedSize against Encode
  }
}

TEST(DeltaPackTest, ConstantAndRegularSequencesCostOnlyTheirHeader) {
  std::vector<int64_t> constant(1000, 1'700'000'000'000);
  // Order 0: flags, r_min = the value (6 bytes), g 1, width 0.
  EXPECT_EQ(Encode(constant).size(), 1u + 6 + 1 + 1);
  std::vector<int64_t> regular;
  for (int64_t i = 0; i < 1000; ++i) regular.push_back(1'700'000'000'000 + 15'000 * i);
  // Order 1: flags, x0, r_min 15000 (3 bytes), g, width 0.
  EXPECT_EQ(Encode(regular).size(), 1u + 6 + 3 + 1 + 1);
}

TEST(DeltaPackTest, CommonDivisorIsDividedOut) {
  // A walk in 4096-byte pages costs what the same walk in units of 1 does.
  std::mt19937_64 rng(3);
  std::vector<int64_t> pages, units;
  int64_t p = 1'000'000;
  for (int i = 0; i < 480; ++i) {
    p += static_cast<int64_t>(rng() % 2001) - 1000;
    units.push_back(p);
    pages.push_back(p * 4096);
  }
  // Only the first value, the minimum and g itself take a few bytes more.
  EXPECT_LE(Encode(pages).size(), Encode(units).size() + 6);
  // 2001 possible steps: 11 bits each, plus headers (~3 bytes per 64).
  EXPECT_LE(Encode(pages).size(), 480u * 11 / 8 + 8 * 3 + 16);
}

TEST(DeltaPackTest, OutlierWidensOnlyItsMiniblock) {
  // A counter growing by 0..15 per step (4 bits) that resets once: one frame would need 64-bit
  // residuals everywhere; miniblocks keep all but one at 4 bits.
  std::mt19937_64 rng(4);
  std::vector<int64_t> v;
  int64_t x = int64_t{1} << 50;
  for (int i = 0; i < 640; ++i) {
    x = i == 300 ? 0 : x + static_cast<int64_t>(rng() % 16);
    v.push_back(x);
  }
  // 9 miniblocks at <= 4 bits, one at <= 52 bits (order 1) or two (order 2), plus headers.
  EXPECT_LE(Encode(v).size(), (576u * 4 + 128 * 53) / 8 + 10 * 10 + 16);
  ExpectRoundTrip(v);
}

TEST(DeltaPackTest, RejectsMalformedHeadersAndLengths) {
  std::vector<int64_t> v;
  std::mt19937_64 rng(6);
  for (int i = 0; i < 100; ++i) v.push_back(static_cast<int64_t>(rng() % 100000));
  const std::string good = Encode(v);
  bool error = false;
  Decode(good, v.size(), &error);
  ASSERT_FALSE(error);
  auto rejects = [&](const std::string& data, size_t n) {
    bool err = false;
    const std::vector<int64_t> got = Decode(data, n, &err);
    EXPECT_TRUE(err) << "n=" << n;
    EXPECT_TRUE(got.empty());  // everything is checked before the first value
  };
  rejects("", 1);
  rejects(std::string(1, '\x03'), 1);  // order 3
  rejects(std::string(1, '\x08'), 0);  // unknown flag bit
  // Every truncation, one byte too many, and counts far off. (A count off by one is caught only
  // when it changes the body's length or meets zero padding: n is the caller's to get right.)
  for (size_t len = 0; len < good.size(); ++len) rejects(good.substr(0, len), v.size());
  rejects(good + '\xff', v.size());
  rejects(good, v.size() + 64);
  rejects(good, v.size() / 2);
  rejects(good, size_t{1} << 40);
  // Zero padding instead of one bits, when there is padding.
  {
    std::vector<int64_t> w = {0, 1, 3};  // order 0 residuals 0..3 in 2 bits: 6 bits, 2 padding
    DeltaPackEncoder enc;
    std::string out;
    enc.Encode(w, &out);
    bool err = true;
    ASSERT_EQ(Decode(out, 3, &err), w);
    ASSERT_FALSE(err);
    ASSERT_NE(out.back() & 1, 0);
    out.back() = static_cast<char>(out.back() & ~1);
    rejects(out, 3);
  }
  // gcd 0 and width 65, written by hand: order 0, one frame.
  rejects(std::string("\x00\x00\x00\x00", 4), 2);  // flags, r_min 0, g 0, width 0
  rejects(std::string("\x00\x00\x01\x41", 4) + std::string(17, '\xff'), 2);  // width 65
}

TEST(DeltaPackTest, RandomCorruptionNeverCrashesOrOverReads) {
  std::mt19937_64 rng(5);
  std::vector<int64_t> v;
  int64_t x = 0;
  for (int i = 0; i < 300; ++i) v.push_back(x += static_cast<int64_t>(rng() % 1000));
  const std::string good = Encode(v);
  for (int trial = 0; trial < 20000; ++trial) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
    if (rng() % 4 == 0) bad.resize(rng() % bad.size());
    // Exact-size heap copy so that ASan flags any over-read.
    std::vector<uint8_t> heap(bad.begin(), bad.end());
    DeltaPackDecoder dec(heap, v.size() + rng() % 3 - 1);
    int64_t value;
    size_t count = 0;
    while (dec.Next(&value)) ++count;
    EXPECT_LE(count, v.size() + 1);
  }
}

}  // namespace
}  // namespace strata::collector::hot
