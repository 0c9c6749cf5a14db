#include "collector/storage/hot/wal/wal_record.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "collector/storage/hot/wal/wal_format.h"
#include "common/model/sample.h"

namespace strata::collector::hot {
namespace {

using common::Labels;

std::vector<WalSeries> SomeSeries() {
  return {
      {7, Labels{{"__name__", "up"}, {"job", "node"}, {"instance", "h1:9100"}}},
      {3,
       Labels{{"__name__", "cpu_seconds_total"}, {"mode", "idle"}, {"zone", "\xc3\xa9t\xc3\xa9"}}},
      {std::numeric_limits<uint64_t>::max(), Labels{{"__name__", "x"}}},
      {0, Labels{}},
  };
}

std::vector<WalSample> SomeSamples() {
  return {
      {1, 1'700'000'000'000, 1.5},
      {2, 1'700'000'000'000, -0.0},
      {1, 1'700'000'015'000, common::StaleNaN()},
      {0, std::numeric_limits<int64_t>::min(), std::numeric_limits<double>::infinity()},
      {std::numeric_limits<uint64_t>::max(), std::numeric_limits<int64_t>::max(),
       std::numeric_limits<double>::quiet_NaN()},
      {5, -42, 1e-300},
  };
}

TEST(WalRecordTest, SeriesRoundTrip) {
  const std::vector<WalSeries> in = SomeSeries();
  std::string buf;
  EncodeSeries(in, &buf);
  std::vector<WalSeries> out;
  ASSERT_TRUE(DecodeSeries(buf, &out).ok());
  EXPECT_EQ(out, in);
}

TEST(WalRecordTest, SamplesRoundTripBitForBit) {
  const std::vector<WalSample> in = SomeSamples();
  std::string buf;
  EncodeSamples(in, &buf);
  std::vector<WalSample> out;
  ASSERT_TRUE(DecodeSamples(buf, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].timestamp_ms, in[i].timestamp_ms);
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].value), std::bit_cast<uint64_t>(in[i].value)) << i;
  }
  EXPECT_TRUE(common::IsStaleNaN(out[2].value));
  EXPECT_FALSE(common::IsStaleNaN(out[4].value));
}

TEST(WalRecordTest, EmptyListsRoundTrip) {
  std::string s, m;
  EncodeSeries({}, &s);
  EncodeSamples({}, &m);
  EXPECT_EQ(s, std::string(1, '\0'));
  EXPECT_EQ(m, std::string(1, '\0'));
  std::vector<WalSeries> series{{1, {}}};
  std::vector<WalSample> samples{{}};
  EXPECT_TRUE(DecodeSeries(s, &series).ok());
  EXPECT_TRUE(DecodeSamples(m, &samples).ok());
  EXPECT_TRUE(series.empty());
  EXPECT_TRUE(samples.empty());
}

TEST(WalRecordTest, ScrapeShapedSamplesTakeTwelveBytesEach) {
  // Consecutive refs scraped at one timestamp: ref delta 1 (1 byte), timestamp delta 0 (1 byte),
  // 8 value bytes; the first sample pays for the absolute values.
  std::vector<WalSample> in;
  for (uint64_t i = 0; i < 1000; ++i) in.push_back({1000 + i, 1'700'000'000'000, 0.5});
  std::string buf;
  EncodeSamples(in, &buf);
  EXPECT_LE(buf.size(), 2 + 3 + 7 + 8 + 999 * 10u);
}

TEST(WalRecordTest, EveryTruncationIsRejected) {
  std::string s, m;
  EncodeSeries(SomeSeries(), &s);
  EncodeSamples(SomeSamples(), &m);
  std::vector<WalSeries> series;
  std::vector<WalSample> samples;
  for (size_t n = 0; n < s.size(); ++n) {
    EXPECT_FALSE(DecodeSeries(std::string_view(s).substr(0, n), &series).ok()) << n;
  }
  for (size_t n = 0; n < m.size(); ++n) {
    EXPECT_FALSE(DecodeSamples(std::string_view(m).substr(0, n), &samples).ok()) << n;
  }
}

TEST(WalRecordTest, RejectsTrailingBytes) {
  std::string s, m;
  EncodeSeries(SomeSeries(), &s);
  EncodeSamples(SomeSamples(), &m);
  std::vector<WalSeries> series;
  std::vector<WalSample> samples;
  EXPECT_FALSE(DecodeSeries(s + "x", &series).ok());
  EXPECT_FALSE(DecodeSamples(m + "x", &samples).ok());
}

TEST(WalRecordTest, RejectsUnsortedDuplicateOrEmptyLabels) {
  // count 1, ref 1 (zigzag 2), 2 labels.
  auto one = [](std::string a, std::string av, std::string b, std::string bv) {
    std::string p = {1, 2, 2};
    for (const std::string& x : {a, av, b, bv}) {
      p.push_back(static_cast<char>(x.size()));
      p += x;
    }
    return p;
  };
  std::vector<WalSeries> out;
  EXPECT_TRUE(DecodeSeries(one("a", "1", "b", "2"), &out).ok());
  EXPECT_FALSE(DecodeSeries(one("b", "1", "a", "2"), &out).ok());
  EXPECT_FALSE(DecodeSeries(one("a", "1", "a", "2"), &out).ok());
  EXPECT_FALSE(DecodeSeries(one("a", "", "b", "2"), &out).ok());
  EXPECT_FALSE(DecodeSeries(one("", "1", "b", "2"), &out).ok());
}

TEST(WalRecordTest, RejectsHugeCountsBeforeReserving) {
  // count = 2^63 as a 10-byte varint, followed by nothing.
  const std::string huge = {'\x80', '\x80', '\x80', '\x80', '\x80',
                            '\x80', '\x80', '\x80', '\x80', '\x01'};
  std::vector<WalSeries> series;
  std::vector<WalSample> samples;
  EXPECT_FALSE(DecodeSeries(huge, &series).ok());
  EXPECT_FALSE(DecodeSamples(huge, &samples).ok());
  EXPECT_LT(series.capacity(), 16u);
  EXPECT_LT(samples.capacity(), 16u);
  // An 11-byte varint never terminates validly.
  EXPECT_FALSE(DecodeSamples(std::string(11, '\xff'), &samples).ok());
  // 10th byte above 1 overflows 64 bits.
  EXPECT_FALSE(DecodeSamples(std::string(9, '\xff') + '\x02', &samples).ok());
}

TEST(WalRecordTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(12345);
  std::vector<WalSeries> series;
  std::vector<WalSample> samples;
  for (int i = 0; i < 20000; ++i) {
    std::string b(rng() % 64, '\0');
    for (char& c : b) c = static_cast<char>(rng());
    DecodeSeries(b, &series).IgnoreError();
    DecodeSamples(b, &samples).IgnoreError();
    std::vector<WalChunk> chunks;
    DecodeChunks(b, &chunks).IgnoreError();
    std::vector<WalColumns> columns;
    DecodeColumns(b, &columns).IgnoreError();
  }
}

TEST(WalRecordTest, ChunksRoundTripAndRejectTruncationAndTrailingBytes) {
  const std::string a(300, '\x5a');
  const std::string b = "xyz";
  const std::vector<WalChunk> in = {{17, a}, {17, b}, {3, ""}, {(uint64_t{1} << 40) + 5, b}};
  std::string buf;
  EncodeChunks(in, &buf);
  std::vector<WalChunk> out;
  ASSERT_TRUE(DecodeChunks(buf, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].data, in[i].data);
  }
  for (size_t n = 0; n < buf.size(); ++n) {
    EXPECT_FALSE(DecodeChunks(std::string_view(buf).substr(0, n), &out).ok()) << n;
  }
  EXPECT_FALSE(DecodeChunks(buf + "x", &out).ok());
  // A chunk length beyond the payload is refused before anything is read.
  EXPECT_FALSE(DecodeChunks(std::string{1, 2, '\x7f', 'a'}, &out).ok());
  const std::string huge = {'\x80', '\x80', '\x80', '\x80', '\x01'};
  EXPECT_FALSE(DecodeChunks(huge, &out).ok());
  EXPECT_LT(out.capacity(), 16u);
}

TEST(WalRecordTest, ColumnsShareEqualTimestampsAndRejectBadReferences) {
  const std::string ts = "tttt";
  const std::string ts_copy = ts;  // equal bytes, different buffer: still shared
  const std::vector<WalColumns> in = {
      {5, 3, ts, "v1"}, {6, 3, ts_copy, "v2"}, {7, 4, ts, "v3"}, {9, 3, "uu", "v4"}};
  std::string buf;
  EncodeColumns(in, &buf);
  std::vector<WalColumns> out;
  ASSERT_TRUE(DecodeColumns(buf, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].num_samples, in[i].num_samples);
    EXPECT_EQ(out[i].timestamps, in[i].timestamps);
    EXPECT_EQ(out[i].values, in[i].values);
  }
  // Entry 1 referenced entry 0's timestamps (same count); entry 2 has another count: inline.
  EXPECT_EQ(out[1].timestamps.data(), out[0].timestamps.data());
  EXPECT_NE(out[2].timestamps.data(), out[0].timestamps.data());
  for (size_t n = 0; n < buf.size(); ++n) {
    EXPECT_FALSE(DecodeColumns(std::string_view(buf).substr(0, n), &out).ok()) << n;
  }
  EXPECT_FALSE(DecodeColumns(buf + "x", &out).ok());
  // count 1, ref 1, n 2, source 1 (itself, not earlier), values "".
  EXPECT_FALSE(DecodeColumns(std::string{1, 2, 2, 1, 0}, &out).ok());
  // n = 0 is refused.
  EXPECT_FALSE(DecodeColumns(std::string{1, 2, 0, 0, 0, 0}, &out).ok());
}

TEST(WalFormatTest, SegmentNamesAreEightDigits) {
  EXPECT_EQ(SegmentName(1), "00000001");
  EXPECT_EQ(SegmentName(99'999'999), "99999999");
  EXPECT_EQ(ParseSegmentName("00000042"), 42u);
  EXPECT_FALSE(ParseSegmentName("00000000").has_value());
  EXPECT_FALSE(ParseSegmentName("0000042").has_value());
  EXPECT_FALSE(ParseSegmentName("000000042").has_value());
  EXPECT_FALSE(ParseSegmentName("0000004a").has_value());
  EXPECT_FALSE(ParseSegmentName("00000042.tmp").has_value());
}

TEST(WalFormatTest, ChecksumCoversTypeAndLength) {
  const std::string p = "payload";
  EXPECT_NE(RecordChecksum(RecordType::kSeries, p), RecordChecksum(RecordType::kSamples, p));
  EXPECT_NE(RecordChecksum(RecordType::kSeries, p),
            RecordChecksum(RecordType::kSeries, p.substr(0, 6)));
  char h[kRecordHeaderBytes];
  EncodeRecordHeader(RecordType::kSamples, p, h);
  EXPECT_EQ(h[0], 2);
  EXPECT_EQ(LoadU32Le(h + 1), 7u);
  EXPECT_EQ(LoadU32Le(h + 5), RecordChecksum(RecordType::kSamples, p));
}

}  // namespace
}  // namespace strata::collector::hot
