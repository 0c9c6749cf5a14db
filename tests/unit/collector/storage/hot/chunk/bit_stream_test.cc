#include "collector/storage/hot/chunk/bit_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace strata::collector::hot {
namespace {

std::span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// splitmix64: a tiny deterministic generator, so failures reproduce on every platform.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t LowBits(uint64_t v, int n) { return n == 64 ? v : v & ((uint64_t{1} << n) - 1); }

TEST(BitStreamTest, PacksMostSignificantBitFirstAndPadsWithOnes) {
  BitWriter w;
  w.WriteBits(0b101, 3);
  w.WriteBit(true);
  EXPECT_EQ(w.bit_size(), 4u);
  ASSERT_EQ(w.bytes().size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[0]), 0b10111111);
  w.WriteBits(0x1ff, 9);  // crosses into a second byte
  EXPECT_EQ(w.bit_size(), 13u);
  ASSERT_EQ(w.bytes().size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[0]), 0b10111111);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[1]), 0b11111111);
  w.WriteBit(false);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[1]), 0b11111011);
  w.WriteBits(0, 2);  // fills the byte exactly
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[1]), 0b11111000);
  EXPECT_EQ(w.bit_size(), 16u);
  w.WriteBits(0, 3);
  ASSERT_EQ(w.bytes().size(), 3u);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[2]), 0b00011111);
}

TEST(BitStreamTest, IgnoresValueBitsAboveWidth) {
  BitWriter w;
  w.WriteBits(~uint64_t{0}, 3);
  w.WriteBits(~uint64_t{0} << 3, 3);  // low three bits are zero
  ASSERT_EQ(w.bytes().size(), 1u);
  EXPECT_EQ(static_cast<uint8_t>(w.bytes()[0]), 0b11100011);  // two padding ones
}

TEST(BitStreamTest, RoundTripsRandomWidthsIncludingZeroAnd64) {
  uint64_t rng = 42;
  std::vector<std::pair<uint64_t, int>> written;
  BitWriter w;
  for (int i = 0; i < 20000; ++i) {
    const int n = static_cast<int>(NextRandom(rng) % 65);
    const uint64_t v = NextRandom(rng);
    if (n == 1 && (v & 2)) {
      w.WriteBit(v & 1);
    } else {
      w.WriteBits(v, n);
    }
    written.emplace_back(LowBits(v, n), n);
  }
  BitReader r(AsSpan(w.bytes()));
  for (const auto& [v, n] : written) {
    ASSERT_EQ(n == 1 ? uint64_t{r.ReadBit()} : r.ReadBits(n), v) << "width " << n;
  }
  EXPECT_FALSE(r.error());
  EXPECT_LT(r.bits_remaining(), 8u);
  const int rest = static_cast<int>(r.bits_remaining());
  EXPECT_EQ(r.ReadBits(rest), (uint64_t{1} << rest) - 1);  // one-bit padding
}

TEST(BitStreamTest, ReadsEveryWidthAtEveryOffsetNearTheEnd) {
  // Exercises the short-buffer path of ReadBits (fewer than 8 bytes left).
  for (size_t size = 1; size <= 9; ++size) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(0xa5 ^ (i * 37));
    for (int offset = 0; offset < static_cast<int>(size * 8); ++offset) {
      const int max_n = std::min(64, static_cast<int>(size * 8) - offset);
      for (int n = 1; n <= max_n; ++n) {
        BitReader bulk(AsSpan(bytes));
        BitReader single(AsSpan(bytes));
        bulk.ReadBits(offset);
        for (int i = 0; i < offset; ++i) single.ReadBit();
        uint64_t expected = 0;
        for (int i = 0; i < n; ++i) expected = (expected << 1) | uint64_t{single.ReadBit()};
        ASSERT_EQ(bulk.ReadBits(n), expected) << "size " << size << " offset " << offset;
        ASSERT_FALSE(bulk.error());
      }
    }
  }
}

TEST(BitStreamTest, ReadBitsBatchEqualsRepeatedReadBitsAtEveryWidthAndOffset) {
  uint64_t state = 7;
  for (size_t size : {0, 1, 7, 8, 9, 15, 16, 17, 100}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(NextRandom(state));
    for (int nbits = 0; nbits <= 64; ++nbits) {
      for (int offset : {0, 1, 3, 7, 8, 13}) {
        if (static_cast<size_t>(offset) > size * 8) continue;
        // Counts up to past the end, where both must agree on the error and the zeros.
        const size_t fit = nbits == 0 ? 20 : (size * 8 - offset) / static_cast<size_t>(nbits);
        for (size_t count : {size_t{0}, size_t{1}, fit / 2, fit, fit + 1}) {
          BitReader batch(AsSpan(bytes));
          BitReader single(AsSpan(bytes));
          batch.ReadBits(offset);
          single.ReadBits(offset);
          std::vector<uint64_t> got(count + 1, 12345);
          batch.ReadBitsBatch(nbits, count, got.data());
          for (size_t i = 0; i < count; ++i) {
            ASSERT_EQ(got[i], single.ReadBits(nbits))
                << "size " << size << " width " << nbits << " offset " << offset << " i " << i;
          }
          ASSERT_EQ(got[count], 12345u);  // nothing written past count
          ASSERT_EQ(batch.error(), single.error()) << "size " << size << " width " << nbits;
          ASSERT_EQ(batch.bits_remaining(), single.bits_remaining());
        }
      }
    }
  }
}

TEST(BitStreamTest, ReadingPastTheEndSetsStickyErrorAndReturnsZero) {
  const std::string bytes = "\xff\xff";
  BitReader r(AsSpan(bytes));
  EXPECT_EQ(r.ReadBits(12), 0xfffu);
  EXPECT_FALSE(r.error());
  EXPECT_EQ(r.ReadBits(5), 0u);  // only 4 left
  EXPECT_TRUE(r.error());
  EXPECT_EQ(r.bits_remaining(), 0u);
  EXPECT_FALSE(r.ReadBit());
  EXPECT_EQ(r.ReadBits(64), 0u);
  EXPECT_TRUE(r.error());

  BitReader empty(std::span<const uint8_t>{});
  EXPECT_EQ(empty.ReadBits(0), 0u);
  EXPECT_FALSE(empty.error());
  EXPECT_FALSE(empty.ReadBit());
  EXPECT_TRUE(empty.error());
}

TEST(BitStreamTest, UvarintRoundTripsAcrossTheRange) {
  const std::vector<uint64_t> values = {0,
                                        1,
                                        127,
                                        128,
                                        16383,
                                        16384,
                                        15000,
                                        1u << 31,
                                        uint64_t{1} << 63,
                                        ~uint64_t{0},
                                        ~uint64_t{0} - 1};
  BitWriter w;
  w.WriteBit(true);  // varints need not be byte-aligned
  for (uint64_t v : values) w.WriteUvarint(v);
  BitReader r(AsSpan(w.bytes()));
  EXPECT_TRUE(r.ReadBit());
  for (uint64_t v : values) EXPECT_EQ(r.ReadUvarint(), v);
  EXPECT_FALSE(r.error());

  BitWriter sizes;
  sizes.WriteUvarint(127);
  EXPECT_EQ(sizes.bytes().size(), 1u);
  sizes.WriteUvarint(~uint64_t{0});
  EXPECT_EQ(sizes.bytes().size(), 11u);  // 1 + 10
}

TEST(BitStreamTest, UvarintRejectsOverflowOverlongAndTruncation) {
  // Tenth byte may only carry the 64th bit.
  const std::string overflow = std::string(9, '\xff') + "\x02";
  BitReader r1(AsSpan(overflow));
  EXPECT_EQ(r1.ReadUvarint(), 0u);
  EXPECT_TRUE(r1.error());

  const std::string too_long = std::string(10, '\x80') + "\x00";
  BitReader r2(AsSpan(too_long));
  EXPECT_EQ(r2.ReadUvarint(), 0u);
  EXPECT_TRUE(r2.error());

  const std::string truncated = "\x80\x80";
  BitReader r3(AsSpan(truncated));
  EXPECT_EQ(r3.ReadUvarint(), 0u);
  EXPECT_TRUE(r3.error());
}

TEST(BitStreamTest, ZigZagRoundTripsAndKeepsSmallMagnitudesSmall) {
  EXPECT_EQ(ZigZagEncode(0), 0u);
  EXPECT_EQ(ZigZagEncode(-1), 1u);
  EXPECT_EQ(ZigZagEncode(1), 2u);
  EXPECT_EQ(ZigZagEncode(std::numeric_limits<int64_t>::min()), ~uint64_t{0});
  for (int64_t v :
       {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{1700000000000}, int64_t{-1700000000000},
        std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
  }
}

}  // namespace
}  // namespace strata::collector::hot
