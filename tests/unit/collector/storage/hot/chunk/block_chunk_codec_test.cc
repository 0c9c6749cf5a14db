#include "collector/storage/hot/chunk/block_chunk_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "collector/storage/hot/chunk/xor_chunk.h"
#include "common/model/sample.h"

namespace strata::collector::hot {
namespace {

constexpr int64_t kEpochMs = 1'700'000'000'000;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Encoded {
  std::string timestamps;
  std::string values;
  BlockValueEncoding encoding;
};

Encoded Encode(const std::vector<int64_t>& t, const std::vector<double>& v) {
  BlockChunkEncoder enc;
  Encoded e;
  enc.EncodeTimestamps(t, &e.timestamps);
  e.encoding = enc.EncodeValues(v, &e.values);
  EXPECT_EQ(static_cast<uint8_t>(e.values[0]), static_cast<uint8_t>(e.encoding));
  return e;
}

std::vector<int64_t> Regular(size_t n, int64_t step = 15'000) {
  std::vector<int64_t> t;
  for (size_t i = 0; i < n; ++i) t.push_back(kEpochMs + step * static_cast<int64_t>(i));
  return t;
}

// Decodes and expects exactly (t, v), bit for bit.
void ExpectDecodes(const Encoded& e, const std::vector<int64_t>& t, const std::vector<double>& v) {
  BlockChunkIterator it(t.size(), Bytes(e.timestamps), Bytes(e.values));
  EXPECT_EQ(it.num_samples(), t.size());
  size_t i = 0;
  while (it.Next()) {
    ASSERT_LT(i, t.size());
    ASSERT_EQ(it.t(), t[i]) << "sample " << i;
    ASSERT_EQ(it.v_bits(), std::bit_cast<uint64_t>(v[i]))
        << "sample " << i << " encoding " << static_cast<int>(e.encoding);
    ASSERT_EQ(std::bit_cast<uint64_t>(it.v()), it.v_bits());
    ++i;
  }
  EXPECT_FALSE(it.error()) << "encoding " << static_cast<int>(e.encoding);
  EXPECT_EQ(i, t.size());
  // NextBatch gives the same samples, whatever the batch size.
  for (size_t batch : {1, 3, 64, 255, 256, 1000}) {
    BlockChunkIterator bit(t.size(), Bytes(e.timestamps), Bytes(e.values));
    std::vector<int64_t> bt(BlockChunkIterator::kBatch);
    std::vector<double> bv(BlockChunkIterator::kBatch);
    size_t j = 0;
    while (size_t k = bit.NextBatch(bt.data(), bv.data(), batch)) {
      ASSERT_LE(k, std::min(batch, BlockChunkIterator::kBatch));
      for (size_t m = 0; m < k; ++m, ++j) {
        ASSERT_LT(j, t.size());
        ASSERT_EQ(bt[m], t[j]) << "sample " << j << " batch " << batch;
        ASSERT_EQ(std::bit_cast<uint64_t>(bv[m]), std::bit_cast<uint64_t>(v[j]))
            << "sample " << j << " batch " << batch << " encoding " << static_cast<int>(e.encoding);
      }
      ASSERT_EQ(bit.t(), t[j - 1]);
    }
    EXPECT_FALSE(bit.error()) << "batch " << batch;
    EXPECT_EQ(j, t.size()) << "batch " << batch;
  }
  // Over timestamps decoded beforehand: the same samples, by Next() and by NextBatch().
  std::vector<int64_t> decoded(t.size());
  ASSERT_TRUE(DecodeBlockTimestamps(Bytes(e.timestamps), t.size(), decoded.data()));
  ASSERT_EQ(decoded, t);
  BlockChunkIterator pre(decoded, Bytes(e.values));
  for (size_t k = 0; k < t.size(); ++k) {
    ASSERT_TRUE(pre.Next()) << "sample " << k;
    ASSERT_EQ(pre.t(), t[k]);
    ASSERT_EQ(pre.v_bits(), std::bit_cast<uint64_t>(v[k])) << "sample " << k;
  }
  EXPECT_FALSE(pre.Next());
  EXPECT_FALSE(pre.error());
  BlockChunkIterator pre_batch(decoded, Bytes(e.values));
  std::vector<int64_t> bt(BlockChunkIterator::kBatch);
  std::vector<double> bv(BlockChunkIterator::kBatch);
  size_t j = 0;
  while (size_t k = pre_batch.NextBatch(bt.data(), bv.data(), 100)) {
    for (size_t m = 0; m < k; ++m, ++j) {
      ASSERT_EQ(bt[m], t[j]);
      ASSERT_EQ(std::bit_cast<uint64_t>(bv[m]), std::bit_cast<uint64_t>(v[j])) << "sample " << j;
    }
  }
  EXPECT_FALSE(pre_batch.error());
  EXPECT_EQ(j, t.size());
}

BlockValueEncoding RoundTrip(const std::vector<int64_t>& t, const std::vector<double>& v) {
  const Encoded e = Encode(t, v);
  ExpectDecodes(e, t, v);
  return e.encoding;
}

BlockValueEncoding RoundTrip(const std::vector<double>& v) {
  return RoundTrip(Regular(v.size()), v);
}

double FromBits(uint64_t b) { return std::bit_cast<double>(b); }

const std::vector<double>& Specials() {
  static const std::vector<double> specials = {
      common::StaleNaN(),
      FromBits(0x7ff8000000000000ULL),  // the default quiet NaN
      FromBits(0x7ff8000000000123ULL),  // NaN with a payload
      FromBits(0xfff0000000000001ULL),  // negative signalling NaN
      -0.0,
      0.0,
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      FromBits(0x000fffffffffffffULL),  // largest denormal
      std::numeric_limits<double>::min(),
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      9007199254740992.0,     // 2^53
      9007199254740993.0,     // rounds to 2^53
      9223372036854775808.0,  // 2^63: beyond int64
      -9223372036854775808.0,
      1e300,
      1e-300,
      0.1,
      1.0 / 3,
      123.456,
      -42.0,
  };
  return specials;
}

TEST(BlockChunkCodecTest, RoundTripsOneSampleOfEverySpecialValue) {
  for (double v : Specials()) {
    SCOPED_TRACE(std::bit_cast<uint64_t>(v));
    RoundTrip({v});
    RoundTrip({kEpochMs}, {v});
    RoundTrip({std::numeric_limits<int64_t>::min()}, {v});
  }
}

TEST(BlockChunkCodecTest, RoundTripsAdversarialMixturesBitExact) {
  std::mt19937_64 rng(1);
  const std::vector<double>& specials = Specials();
  for (int trial = 0; trial < 3000; ++trial) {
    const size_t n = 1 + rng() % 200;
    std::vector<int64_t> t;
    std::vector<double> v;
    int64_t ts = static_cast<int64_t>(rng()) >> (rng() % 64);
    const int mix = static_cast<int>(rng() % 4);
    double counter = static_cast<double>(rng() % 1000000);
    for (size_t i = 0; i < n; ++i) {
      t.push_back(ts);
      const uint64_t step = rng() % 5 == 0 ? 0 : rng() % 30'000;
      // Headroom below INT64_MAX, in uint64 so that it cannot overflow for a negative ts.
      if (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - static_cast<uint64_t>(ts) >
          step) {
        ts += static_cast<int64_t>(step);
      }
      // Mostly decimals with occasional specials, or mostly specials, or raw random bits.
      double x;
      const uint64_t r = rng() % 100;
      if (mix == 0 || (mix == 1 && r < 10)) {
        x = specials[rng() % specials.size()];
      } else if (mix == 3 && r < 50) {
        x = FromBits(rng());
      } else if (r < 50) {
        counter += static_cast<double>(rng() % 1000);
        x = counter;
      } else {
        x = static_cast<double>(static_cast<int64_t>(rng() % 2000001) - 1000000) / 100.0;
      }
      v.push_back(x);
    }
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    RoundTrip(t, v);
  }
}

TEST(BlockChunkCodecTest, IntegersAreDecimalWithNoDigits) {
  std::vector<double> v;
  double x = 1e12;
  std::mt19937_64 rng(2);
  for (int i = 0; i < 480; ++i) v.push_back(x += static_cast<double>(rng() % 100000));
  const Encoded e = Encode(Regular(v.size()), v);
  ASSERT_EQ(e.encoding, BlockValueEncoding::kDecimalDivide);
  EXPECT_EQ(e.values[1], 0) << "k";
  EXPECT_EQ(e.values[2], 0) << "no exceptions";
  ExpectDecodes(e, Regular(v.size()), v);
  // 17-bit increments in 64-sample frames: about 17 bits per sample.
  EXPECT_LE(e.values.size(), 480u * 17 / 8 + 8 * 4 + 16);
}

TEST(BlockChunkCodecTest, ParsedTwoDecimalValuesAreDecimalDivide) {
  // What parsing text exposition gives: the double nearest to m / 100.
  std::vector<double> v;
  std::mt19937_64 rng(3);
  char buf[64];
  int64_t cents = 4000;
  for (int i = 0; i < 480; ++i) {
    cents += static_cast<int64_t>(rng() % 21) - 10;
    std::snprintf(buf, sizeof(buf), "%lld.%02lld", static_cast<long long>(cents / 100),
                  static_cast<long long>(cents % 100));
    v.push_back(std::strtod(buf, nullptr));
  }
  const Encoded e = Encode(Regular(v.size()), v);
  ASSERT_EQ(e.encoding, BlockValueEncoding::kDecimalDivide);
  EXPECT_EQ(e.values[1], 2) << "k";
  EXPECT_EQ(e.values[2], 0) << "no exceptions";
  ExpectDecodes(e, Regular(v.size()), v);
  // Steps of -10..10 cents: 5 bits, against ~6 bytes per sample as XOR.
  EXPECT_LE(e.values.size(), 480u * 5 / 8 + 8 * 4 + 16);
}

TEST(BlockChunkCodecTest, MultipliedDecimalsAreDecimalMultiply) {
  // round(x / 0.01) * 0.01 is often not the double nearest to m / 100; dividing cannot
  // reproduce those, multiplying by 0.01 can.
  std::vector<double> v;
  std::mt19937_64 rng(4);
  double x = 1000;
  size_t not_nearest = 0;
  for (int i = 0; i < 480; ++i) {
    x += static_cast<double>(rng() % 1000) / 7;
    const double q = std::round(x / 0.01) * 0.01;
    not_nearest += q != std::round(x / 0.01) / 100;
    v.push_back(q);
  }
  ASSERT_GT(not_nearest, 10u);
  const Encoded e = Encode(Regular(v.size()), v);
  ASSERT_EQ(e.encoding, BlockValueEncoding::kDecimalMultiply);
  EXPECT_EQ(e.values[1], 2) << "k";
  ExpectDecodes(e, Regular(v.size()), v);
}

TEST(BlockChunkCodecTest, StalenessMarkerAndNegativeZeroAreExceptionsOfADecimalChunk) {
  std::vector<double> v;
  for (int i = 0; i < 100; ++i) v.push_back(100 + i);
  const size_t plain = Encode(Regular(v.size()), v).values.size();
  v[50] = -0.0;
  v.back() = common::StaleNaN();
  const Encoded e = Encode(Regular(v.size()), v);
  ASSERT_EQ(e.encoding, BlockValueEncoding::kDecimalDivide);
  EXPECT_EQ(e.values[2], 2) << "exceptions";
  // Each costs its position and 8 bytes; the integer column still sees a regular counter
  // except around the repeated m at the exceptions.
  EXPECT_LE(e.values.size(), plain + 2 * 9 + 8);
  ExpectDecodes(e, Regular(v.size()), v);
}

TEST(BlockChunkCodecTest, FullPrecisionFloatsFallBackToRawBitsOrXor) {
  std::mt19937_64 rng(5);
  std::vector<double> smooth, rare;
  double sum = 1234.5678;
  double level = 0.123456789123;
  for (int i = 0; i < 480; ++i) {
    sum += std::exp(static_cast<double>(rng() % 1000) / 1000.0) / 3;  // a histogram's _sum
    smooth.push_back(sum);
    if (i % 40 == 0) level = static_cast<double>(rng()) / 3e19;  // changes every 10 min
    rare.push_back(level);
  }
  EXPECT_EQ(RoundTrip(smooth), BlockValueEncoding::kRawBits);
  EXPECT_EQ(RoundTrip(rare), BlockValueEncoding::kXor);
  // Every encoding is never worse than XOR on the same values (XOR is one of the candidates).
  for (const auto* v : {&smooth, &rare}) {
    XorChunkAppender x;
    for (size_t i = 0; i < v->size(); ++i)
      x.Append(kEpochMs + 15'000 * static_cast<int64_t>(i), (*v)[i]);
    EXPECT_LE(Encode(Regular(v->size()), *v).values.size(), x.bytes().size());
  }
}

TEST(BlockChunkCodecTest, SharedTimestampsEncodingDependsOnlyOnTimestamps) {
  // The block writer shares timestamps records by comparing encodings.
  std::vector<int64_t> t;
  std::mt19937_64 rng(6);
  for (int i = 0; i < 480; ++i)
    t.push_back(kEpochMs + 15'000 * i + static_cast<int64_t>(rng() % 11) - 5);
  BlockChunkEncoder enc;
  std::string a, b, c;
  enc.EncodeTimestamps(t, &a);
  std::string ignored;
  enc.EncodeValues(std::vector<double>(480, 1.5), &ignored);
  enc.EncodeTimestamps(t, &b);
  EXPECT_EQ(a, b);
  t[100] += 1;
  enc.EncodeTimestamps(t, &c);
  EXPECT_NE(a, c);
  // +-5 ms jitter: differences within 20 ms of each other, 5 bits each.
  EXPECT_LE(a.size(), 480u * 5 / 8 + 8 * 4 + 16);
}

TEST(BlockChunkCodecTest, MaxSamplesRoundTripAndCountsOutsideTheBoundAreErrors) {
  std::vector<double> v;
  for (size_t i = 0; i < kBlockChunkMaxSamples; ++i) v.push_back(static_cast<double>(i % 7));
  const std::vector<int64_t> t = Regular(v.size(), 1);
  RoundTrip(t, v);
  const Encoded e = Encode(t, v);
  BlockChunkIterator too_many(kBlockChunkMaxSamples + 1, Bytes(e.timestamps), Bytes(e.values));
  EXPECT_FALSE(too_many.Next());
  EXPECT_TRUE(too_many.error());
  const Encoded one = Encode({kEpochMs}, {1});
  BlockChunkIterator zero(0, Bytes(one.timestamps), Bytes(one.values));
  EXPECT_FALSE(zero.Next());
  EXPECT_TRUE(zero.error());
}

TEST(BlockChunkCodecTest, DecreasingTimestampsAreAnError) {
  DeltaPackEncoder pack;
  std::string ts;
  pack.Encode(std::vector<int64_t>{10, 20, 19, 30}, &ts);
  const Encoded e = Encode(Regular(4), {1, 2, 3, 4});
  BlockChunkIterator it(4, Bytes(ts), Bytes(e.values));
  EXPECT_TRUE(it.Next());
  EXPECT_TRUE(it.Next());
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.error());
}

TEST(BlockChunkCodecTest, DecodeBlockTimestampsRejectsWhatTheIteratorRejects) {
  DeltaPackEncoder pack;
  std::string decreasing;
  pack.Encode(std::vector<int64_t>{10, 20, 19, 30}, &decreasing);
  int64_t out[4];
  EXPECT_FALSE(DecodeBlockTimestamps(Bytes(decreasing), 4, out));
  const Encoded e = Encode(Regular(4), {1, 2, 3, 4});
  EXPECT_TRUE(DecodeBlockTimestamps(Bytes(e.timestamps), 4, out));
  EXPECT_EQ(out[3], kEpochMs + 45'000);
  EXPECT_FALSE(DecodeBlockTimestamps(Bytes(e.timestamps), 0, out));
  for (size_t cut = 0; cut < e.timestamps.size(); ++cut) {
    EXPECT_FALSE(DecodeBlockTimestamps(Bytes(e.timestamps.substr(0, cut)), 4, out)) << cut;
  }
  // A pre-decoded iterator still checks its values.
  const std::vector<int64_t> t = Regular(4);
  BlockChunkIterator bad(t, Bytes(std::string("\x09")));
  EXPECT_TRUE(bad.error());
  BlockChunkIterator empty(std::span<const int64_t>(), Bytes(e.values));
  EXPECT_TRUE(empty.error());
  BlockChunkIterator short_values(Regular(5), Bytes(e.values));  // 4 values for 5 timestamps
  int64_t bt[BlockChunkIterator::kBatch];
  double bv[BlockChunkIterator::kBatch];
  EXPECT_EQ(short_values.NextBatch(bt, bv, BlockChunkIterator::kBatch), 0u);
  EXPECT_TRUE(short_values.error());
}

TEST(BlockChunkCodecTest, RejectsMalformedValueHeaders) {
  const std::vector<int64_t> t = Regular(3);
  const std::string ts = Encode(t, {1, 2, 3}).timestamps;
  DeltaPackEncoder pack;
  std::string ints;
  pack.Encode(std::vector<int64_t>{1, 2, 3}, &ints);
  auto rejects = [&](const std::string& values) {
    BlockChunkIterator it(3, Bytes(ts), Bytes(values));
    while (it.Next()) {
    }
    EXPECT_TRUE(it.error()) << testing::PrintToString(values);
  };
  auto accepts = [&](const std::string& values) {
    BlockChunkIterator it(3, Bytes(ts), Bytes(values));
    while (it.Next()) {
    }
    EXPECT_FALSE(it.error()) << testing::PrintToString(values);
  };
  accepts(std::string("\x01\x00\x00", 3) + ints);
  accepts(std::string("\x02\x12\x00", 3) + ints);  // k = 18
  rejects("");
  rejects(std::string("\x00", 1) + ints);  // unknown encodings
  rejects(std::string("\x05", 1) + ints);
  rejects(std::string("\xff", 1) + ints);
  rejects(std::string("\x01\x13\x00", 3) + ints);  // k = 19
  rejects(std::string("\x01\x00\x04", 3) + ints);  // 4 exceptions > 3 samples
  // An exception at position 3 of 3; two exceptions where the second lands past the end.
  rejects(std::string("\x01\x00\x01\x03", 4) + std::string(8, '\0') + ints);
  rejects(std::string("\x01\x00\x02\x01", 4) + std::string(8, '\0') + "\x01" +
          std::string(8, '\0') + ints);
  accepts(std::string("\x01\x00\x02\x01", 4) + std::string(8, '\0') + std::string(1, '\0') +
          std::string(8, '\0') + ints);
  // An exception list cut short.
  rejects(std::string("\x01\x00\x01\x00\x00\x00", 6));
  // Raw bits with a trailing byte; XOR with a trailing byte or zero padding.
  rejects(std::string("\x03", 1) + ints + "x");
  const Encoded xor_e = Encode(t, {1.0 / 3, 1.0 / 3, 1.0 / 3});  // 66 bits: 6 of padding
  ASSERT_EQ(xor_e.encoding, BlockValueEncoding::kXor);
  accepts(xor_e.values);
  rejects(xor_e.values + '\xff');
  std::string zero_padded = xor_e.values;
  zero_padded.back() = static_cast<char>(zero_padded.back() & 0xfe);
  if (zero_padded != xor_e.values) rejects(zero_padded);
  rejects(xor_e.values.substr(0, xor_e.values.size() - 1));
}

TEST(BlockChunkCodecTest, ExceptionPositionsAreReturnedInPlace) {
  // Exceptions at the first and last position and adjacent to each other.
  std::vector<double> v(10, 5);
  for (size_t i : {0u, 3u, 4u, 9u}) v[i] = FromBits(0x7ff0000000000002ULL + i);
  const Encoded e = Encode(Regular(v.size()), v);
  ASSERT_EQ(e.encoding, BlockValueEncoding::kDecimalDivide);
  EXPECT_EQ(e.values[2], 4) << "exceptions";
  ExpectDecodes(e, Regular(v.size()), v);
}

TEST(BlockChunkCodecTest, TruncationAndBitFlipsNeverCrashOrOverRead) {
  std::mt19937_64 rng(7);
  std::vector<Encoded> encoded;
  std::vector<size_t> counts;
  for (int shape = 0; shape < 4; ++shape) {
    std::vector<double> v;
    double x = 100;
    for (int i = 0; i < 150; ++i) {
      switch (shape) {
        case 0:
          x += static_cast<double>(rng() % 100);
          break;
        case 1:
          x = static_cast<double>(rng() % 10000) / 100;
          break;
        case 2:
          x += std::exp(static_cast<double>(rng() % 100) / 10);
          break;
        default:
          x = i % 10 == 0 ? common::StaleNaN() : static_cast<double>(i);
      }
      v.push_back(x);
    }
    encoded.push_back(Encode(Regular(v.size()), v));
    counts.push_back(v.size());
  }
  for (int trial = 0; trial < 20000; ++trial) {
    const Encoded& e = encoded[static_cast<size_t>(trial) % encoded.size()];
    std::string ts = e.timestamps;
    std::string values = e.values;
    std::string& target = rng() % 4 == 0 ? ts : values;
    if (rng() % 3 == 0) {
      target.resize(rng() % (target.size() + 1));
    } else {
      target[rng() % target.size()] ^= static_cast<char>(1 << (rng() % 8));
    }
    // Exact-size heap copies so that ASan flags any over-read.
    std::vector<uint8_t> ts_heap(ts.begin(), ts.end());
    std::vector<uint8_t> values_heap(values.begin(), values.end());
    const size_t n = counts[static_cast<size_t>(trial) % counts.size()];
    BlockChunkIterator it(n, ts_heap, values_heap);
    size_t got = 0;
    while (it.Next()) ++got;
    EXPECT_LE(got, n);
    EXPECT_TRUE(it.error() || got == n);
  }
}

}  // namespace
}  // namespace strata::collector::hot
