#include "common/wire/batch_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "common/model/metric_id.h"

namespace strata::common::wire {
namespace {

SampleBatch MakeSamples(int series, int per_series, int64_t t0 = 1700000000000) {
  SampleBatch out;
  for (int p = 0; p < per_series; ++p) {
    for (int s = 0; s < series; ++s) {
      out.push_back(SeriesSample{
          Labels{
              {"__name__", "node_cpu_seconds_total"}, {"cpu", std::to_string(s)}, {"mode", "idle"}},
          Sample{t0 + p * 15000, 1000.5 * s + p}});
    }
  }
  return out;
}

// A reused scratch changes nothing in the output, whether the batch before it was larger
// (its buffers trimmed), smaller or the same; compressed or not.
TEST(BatchCodecTest, ReusedScratchWritesTheSameBatches) {
  for (bool compress : {true, false}) {
    SeriesInterner with_scratch, without;
    EncodeScratch scratch;
    const std::vector<SampleBatch> batches = {MakeSamples(3000, 2), MakeSamples(10, 1, 2000),
                                              MakeSamples(10, 1, 3000), MakeSamples(500, 3, 4000),
                                              MakeSamples(1, 1, 5000)};
    for (size_t i = 0; i < batches.size(); ++i) {
      v1::Batch a, b;
      EncodeStats sa, sb;
      EncodeBatch(batches[i], i, "a", with_scratch, {.compress = compress}, &a, &sa, &scratch);
      EncodeBatch(batches[i], i, "a", without, {.compress = compress}, &b, &sb);
      EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << "batch " << i;
      EXPECT_EQ(sa.defined_refs, sb.defined_refs);
      EXPECT_EQ(sa.compressed_bytes, a.payload().size());
      // Confirm what was defined, as an ack would, so later batches carry only refs.
      with_scratch.Confirm(sa.defined_refs);
      without.Confirm(sb.defined_refs);
    }
  }
}

TEST(BatchCodecTest, Lz4RoundTripPreservesEverySample) {
  SeriesInterner interner;
  SampleBatch in = MakeSamples(50, 4);
  in.push_back(SeriesSample{Labels{{"__name__", "x"}}, Sample{5, StaleNaN()}});
  in.push_back(SeriesSample{Labels{{"__name__", "y"}}, Sample{6, -INFINITY}});
  v1::Batch batch;
  EncodeStats stats;
  EncodeBatch(in, 7, "agent-1", interner, {}, &batch, &stats);
  EXPECT_EQ(batch.compression(), v1::COMPRESSION_LZ4_BLOCK);
  EXPECT_EQ(batch.batch_id(), 7u);
  EXPECT_EQ(batch.agent_id(), "agent-1");
  EXPECT_LT(stats.compressed_bytes, stats.uncompressed_bytes);
  EXPECT_EQ(stats.defined_refs.size(), 52u);

  SeriesRefTable table({});
  DecodedBatch out;
  DecodeError err;
  ASSERT_TRUE(table.Decode(batch, &out, &err)) << err.message;
  EXPECT_EQ(out.num_samples, in.size());
  // Rebuild (labels, ts) -> value and compare with the input exactly.
  size_t matched = 0;
  for (const DecodedSeries& ds : out.series) {
    for (const Sample& s : ds.samples) {
      for (const SeriesSample& want : in) {
        if (want.labels.Equals(ds.labels) && want.sample.timestamp_ms == s.timestamp_ms) {
          if (IsStaleNaN(want.sample.value)) {
            EXPECT_TRUE(IsStaleNaN(s.value));
          } else {
            EXPECT_EQ(want.sample.value, s.value);
          }
          ++matched;
        }
      }
    }
  }
  EXPECT_EQ(matched, in.size());
}

TEST(BatchCodecTest, ConfirmedSeriesAreNotRedefined) {
  SeriesInterner interner;
  v1::Batch b1, b2, b3;
  EncodeStats s1, s2, s3;
  EncodeBatch(MakeSamples(10, 1), 1, "a", interner, {}, &b1, &s1);
  // Not yet acknowledged: the next batch must carry the definitions again.
  EncodeBatch(MakeSamples(10, 1, 2000), 2, "a", interner, {}, &b2, &s2);
  EXPECT_EQ(s2.defined_refs.size(), 10u);
  interner.Confirm(s1.defined_refs);
  EncodeBatch(MakeSamples(10, 1, 3000), 3, "a", interner, {}, &b3, &s3);
  EXPECT_TRUE(s3.defined_refs.empty());
  EXPECT_LT(s3.uncompressed_bytes, s1.uncompressed_bytes / 3);

  SeriesRefTable table({});
  DecodedBatch out;
  DecodeError err;
  // Without the first batch committed, the third refers to unknown refs.
  ASSERT_FALSE(table.Decode(b3, &out, &err));
  EXPECT_EQ(err.reason, v1::UNKNOWN_SERIES_REF);
  ASSERT_TRUE(table.Decode(b1, &out, &err));
  table.Commit(out);
  ASSERT_TRUE(table.Decode(b3, &out, &err)) << err.message;
  EXPECT_EQ(out.num_samples, 10u);
  EXPECT_EQ(Labels::FromCanonicalViews(out.series[0].labels).MetricName(),
            "node_cpu_seconds_total");
}

// The table keeps label sets packed; the views a batch hands out point into them, so they must
// survive the table growing (rehashing) under later commits.
TEST(BatchCodecTest, LabelsResolvedFromTheTableSurviveItsGrowth) {
  SeriesInterner interner;
  SeriesRefTable table({});
  DecodedBatch out;
  DecodeError err;
  for (int series : {10, 600}) {  // the second batch defines 590 more series
    v1::Batch b;
    EncodeStats st;
    EncodeBatch(MakeSamples(series, 1, 1000 * series), 1, "a", interner, {}, &b, &st);
    ASSERT_TRUE(table.Decode(b, &out, &err)) << err.message;
    table.Commit(out);
    interner.Confirm(st.defined_refs);
  }
  EXPECT_EQ(table.size(), 600u);
  v1::Batch steady;
  EncodeStats st;
  const SampleBatch in = MakeSamples(600, 1, 5000);
  EncodeBatch(in, 3, "a", interner, {}, &steady, &st);
  EXPECT_TRUE(st.defined_refs.empty());
  ASSERT_TRUE(table.Decode(steady, &out, &err)) << err.message;
  ASSERT_EQ(out.series.size(), in.size());
  std::set<std::string> want, got;
  for (const SeriesSample& s : in) want.insert(s.labels.ToString());
  for (const DecodedSeries& ds : out.series) {
    ASSERT_TRUE(IsCanonical(ds.labels));
    got.insert(Labels::FromCanonicalViews(ds.labels).ToString());
  }
  EXPECT_EQ(got, want);
}

v1::Batch EncodeSimple() {
  SeriesInterner interner;
  v1::Batch b;
  EncodeStats st;
  EncodeBatch(MakeSamples(20, 3), 1, "a", interner, {}, &b, &st);
  return b;
}

TEST(BatchCodecTest, RejectsFlippedByteAsCorrupt) {
  v1::Batch b = EncodeSimple();
  (*b.mutable_payload())[b.payload().size() / 2] ^= 0x5a;
  SeriesRefTable table({});
  DecodedBatch out;
  DecodeError err;
  ASSERT_FALSE(table.Decode(b, &out, &err));
  EXPECT_EQ(err.reason, v1::CORRUPT_PAYLOAD);
}

TEST(BatchCodecTest, RejectsOversizedBeforeAllocating) {
  v1::Batch b = EncodeSimple();
  b.set_uncompressed_size(0xFFFFFFFFu);
  SeriesRefTable table({});
  DecodedBatch out;
  DecodeError err;
  ASSERT_FALSE(table.Decode(b, &out, &err));
  EXPECT_EQ(err.reason, v1::OVERSIZED);

  DecodeLimits small;
  small.max_compressed_bytes = 10;
  SeriesRefTable strict(small);
  ASSERT_FALSE(strict.Decode(EncodeSimple(), &out, &err));
  EXPECT_EQ(err.reason, v1::OVERSIZED);
}

TEST(BatchCodecTest, RejectsUnknownCompression) {
  v1::Batch b = EncodeSimple();
  b.set_compression(static_cast<v1::Compression>(42));
  SeriesRefTable table({});
  DecodedBatch out;
  DecodeError err;
  ASSERT_FALSE(table.Decode(b, &out, &err));
  EXPECT_EQ(err.reason, v1::UNSUPPORTED_COMPRESSION);
}

TEST(BatchCodecTest, RejectsInvalidLabelNames) {
  SeriesInterner interner;
  v1::Batch b;
  EncodeStats st;
  EncodeBatch({SeriesSample{Labels{{"__name__", "m"}, {"bad-name", "v"}}, Sample{1, 1}}}, 1, "a",
              interner, {}, &b, &st);
  SeriesRefTable table({});
  DecodedBatch out;
  DecodeError err;
  ASSERT_FALSE(table.Decode(b, &out, &err));
  EXPECT_EQ(err.reason, v1::INVALID_LABELS);
  EXPECT_NE(err.message.find("bad-name"), std::string::npos);
}

TEST(BatchCodecTest, BoundsSeriesRefsPerStream) {
  DecodeLimits limits;
  limits.max_series_refs = 15;
  SeriesRefTable table(limits);
  DecodedBatch out;
  DecodeError err;
  ASSERT_FALSE(table.Decode(EncodeSimple(), &out, &err));  // 20 series
  EXPECT_EQ(err.reason, v1::TOO_MANY_SERIES);
  EXPECT_EQ(table.size(), 0u);
}

TEST(BatchCodecTest, UncompressedModeRoundTrips) {
  SeriesInterner interner;
  v1::Batch b;
  EncodeStats st;
  EncodeBatch(MakeSamples(3, 2), 9, "a", interner, EncodeOptions{.compress = false}, &b, &st);
  EXPECT_EQ(b.compression(), v1::COMPRESSION_NONE);
  SeriesRefTable table({});
  DecodedBatch out;
  DecodeError err;
  ASSERT_TRUE(table.Decode(b, &out, &err)) << err.message;
  EXPECT_EQ(out.num_samples, 6u);
}

// The encoder writes the wire format by hand: its bytes must be what protobuf itself writes for
// the same BatchPayload (series defined in first-use order, each series' samples in input
// order, packed timestamps and values), so any protobuf parser reads them.
TEST(BatchCodecTest, PayloadBytesAreProtobufsOwnSerialization) {
  SeriesInterner interner;
  SampleBatch in = MakeSamples(3, 3);
  in.push_back(SeriesSample{Labels{{"__name__", "neg"}, {"k", std::string(200, 'v')}},
                            Sample{-1234567, -0.0}});
  in.push_back(SeriesSample{Labels{{"__name__", "neg"}, {"k", std::string(200, 'v')}},
                            Sample{0, StaleNaN()}});
  // The first series is confirmed: it is sent without a definition.
  interner.Confirm({interner.Intern(in[0].labels, MetricId(in[0].labels)).ref});
  v1::Batch b;
  EncodeStats st;
  EncodeBatch(in, 3, "a", interner, EncodeOptions{.compress = false}, &b, &st);
  EXPECT_EQ(st.defined_refs.size(), 3u);

  v1::BatchPayload want;
  std::vector<uint32_t> order;
  for (const SeriesSample& s : in) {
    SeriesInterner::Entry e = interner.Intern(s.labels, MetricId(s.labels));
    auto it = std::find(order.begin(), order.end(), e.ref);
    v1::SeriesSamples* ss;
    if (it == order.end()) {
      order.push_back(e.ref);
      ss = want.add_samples();
      ss->set_ref(e.ref);
      if (std::find(st.defined_refs.begin(), st.defined_refs.end(), e.ref) !=
          st.defined_refs.end()) {
        v1::SeriesDef* def = want.add_series();
        def->set_ref(e.ref);
        for (const auto& l : s.labels) {
          v1::Label* pl = def->add_labels();
          pl->set_name(std::string(l.name));
          pl->set_value(std::string(l.value));
        }
      }
    } else {
      ss = want.mutable_samples(static_cast<int>(it - order.begin()));
    }
    ss->add_timestamps_ms(s.sample.timestamp_ms);
    ss->add_values(s.sample.value);
  }
  EXPECT_EQ(want.samples_size(), 4);
  EXPECT_EQ(b.payload(), want.SerializeAsString());
  EXPECT_EQ(b.uncompressed_size(), want.ByteSizeLong());
}

}  // namespace
}  // namespace strata::common::wire
