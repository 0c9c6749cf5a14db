#include "collector/ingest/remote_write/write_request_decoder.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "prometheus/remote_write.pb.h"

namespace strata::collector::ingest {
namespace {

// Compares our decoding with libprotobuf's parse of the same bytes.
void ExpectSame(const promrw::WriteRequest& want, const DecodedWriteRequest& got) {
  ASSERT_EQ(got.series.size(), static_cast<size_t>(want.timeseries_size()));
  EXPECT_EQ(got.metadata, static_cast<uint64_t>(want.metadata_size()));
  for (int i = 0; i < want.timeseries_size(); ++i) {
    const promrw::TimeSeries& ts = want.timeseries(i);
    const DecodedSeries& s = got.series[static_cast<size_t>(i)];
    ASSERT_EQ(s.labels_count, static_cast<uint32_t>(ts.labels_size()));
    ASSERT_EQ(s.samples_count, static_cast<uint32_t>(ts.samples_size()));
    EXPECT_EQ(s.exemplars, static_cast<uint32_t>(ts.exemplars_size()));
    EXPECT_EQ(s.histograms, static_cast<uint32_t>(ts.histograms_size()));
    for (int l = 0; l < ts.labels_size(); ++l) {
      const common::LabelView& v = got.labels[s.labels_begin + static_cast<uint32_t>(l)];
      EXPECT_EQ(v.name, ts.labels(l).name());
      EXPECT_EQ(v.value, ts.labels(l).value());
    }
    for (int k = 0; k < ts.samples_size(); ++k) {
      const common::Sample& v = got.samples[s.samples_begin + static_cast<uint32_t>(k)];
      EXPECT_EQ(v.timestamp_ms, ts.samples(k).timestamp());
      EXPECT_EQ(std::bit_cast<uint64_t>(v.value), std::bit_cast<uint64_t>(ts.samples(k).value()));
    }
  }
}

std::string RandomBytes(std::mt19937_64& rng, size_t max_len) {
  std::string s(rng() % (max_len + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng() % 3 == 0 ? rng() % 256 : 'a' + rng() % 26);
  return s;
}

// Appends an unknown field of a random wire type (0, 1, 2 or 5) with field number 5..1000.
void AppendUnknownField(std::mt19937_64& rng, google::protobuf::UnknownFieldSet* set) {
  const int number = 5 + static_cast<int>(rng() % 996);
  switch (rng() % 4) {
    case 0:
      set->AddVarint(number, rng());
      break;
    case 1:
      set->AddFixed64(number, rng());
      break;
    case 2:
      set->AddLengthDelimited(number, RandomBytes(rng, 20));
      break;
    default:
      set->AddFixed32(number, static_cast<uint32_t>(rng()));
  }
}

promrw::WriteRequest RandomRequest(std::mt19937_64& rng) {
  promrw::WriteRequest req;
  const int series = static_cast<int>(rng() % 8);
  for (int i = 0; i < series; ++i) {
    promrw::TimeSeries* ts = req.add_timeseries();
    const int labels = static_cast<int>(rng() % 6);
    for (int l = 0; l < labels; ++l) {
      promrw::Label* label = ts->add_labels();
      label->set_name(RandomBytes(rng, 12));
      label->set_value(RandomBytes(rng, 30));
      if (rng() % 8 == 0)
        AppendUnknownField(rng, label->GetReflection()->MutableUnknownFields(label));
    }
    const int samples = static_cast<int>(rng() % 5);
    for (int k = 0; k < samples; ++k) {
      promrw::Sample* s = ts->add_samples();
      s->set_timestamp(static_cast<int64_t>(rng()));
      s->set_value(std::bit_cast<double>(rng()));
      if (rng() % 8 == 0) AppendUnknownField(rng, s->GetReflection()->MutableUnknownFields(s));
    }
    if (rng() % 4 == 0) ts->add_exemplars(RandomBytes(rng, 10));
    if (rng() % 4 == 0) ts->add_histograms(RandomBytes(rng, 10));
    if (rng() % 6 == 0) AppendUnknownField(rng, ts->GetReflection()->MutableUnknownFields(ts));
  }
  if (rng() % 3 == 0) {
    promrw::MetricMetadata* m = req.add_metadata();
    m->set_metric_family_name(RandomBytes(rng, 10));
    m->set_help(RandomBytes(rng, 10));
  }
  if (rng() % 6 == 0) AppendUnknownField(rng, req.GetReflection()->MutableUnknownFields(&req));
  return req;
}

TEST(WriteRequestDecoderTest, DecodesWhatLibprotobufEncodes) {
  std::mt19937_64 rng(42);
  DecodedWriteRequest got;
  for (int round = 0; round < 3000; ++round) {
    const promrw::WriteRequest req = RandomRequest(rng);
    const std::string bytes = req.SerializeAsString();
    std::string error;
    ASSERT_TRUE(DecodeWriteRequest(bytes, &got, &error)) << error << " round " << round;
    promrw::WriteRequest parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    ExpectSame(parsed, got);
  }
}

// Mutated messages: whatever we accept, libprotobuf accepts too and reads the same way. (The
// other direction may differ only on deprecated group fields, which we refuse.)
TEST(WriteRequestDecoderTest, NeverAcceptsWhatLibprotobufRefusesOrReadsDifferently) {
  std::mt19937_64 rng(7);
  DecodedWriteRequest got;
  int accepted = 0;
  int refused = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = RandomRequest(rng).SerializeAsString();
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0:
          bytes[at] = static_cast<char>(rng());
          break;
        case 1:
          bytes.erase(at, 1 + rng() % 4);
          break;
        default:
          bytes.insert(at, 1, static_cast<char>(rng()));
      }
    }
    std::string error;
    promrw::WriteRequest parsed;
    const bool theirs = parsed.ParseFromString(bytes);
    if (DecodeWriteRequest(bytes, &got, &error)) {
      ++accepted;
      if (!theirs) {
        std::string hex;
        for (unsigned char c : bytes)
          hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15], hex += ' ';
        ADD_FAILURE() << hex;
      }
      ASSERT_TRUE(theirs) << "accepted what libprotobuf refuses, round " << round;
      ExpectSame(parsed, got);
    } else {
      ++refused;
      EXPECT_FALSE(error.empty());
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(refused, 1000);
}

TEST(WriteRequestDecoderTest, LastValueOfARepeatedScalarFieldWins) {
  // Label{name:"a", name:"b", value:"v"}: proto3 keeps the last name.
  const std::string label = std::string(
      "\x0a\x01"
      "a"
      "\x0a\x01"
      "b"
      "\x12\x01"
      "v",
      9);
  const std::string series = "\x0a" + std::string(1, static_cast<char>(label.size())) + label;
  const std::string req = "\x0a" + std::string(1, static_cast<char>(series.size())) + series;
  DecodedWriteRequest got;
  std::string error;
  ASSERT_TRUE(DecodeWriteRequest(req, &got, &error)) << error;
  ASSERT_EQ(got.labels.size(), 1u);
  EXPECT_EQ(got.labels[0].name, "b");
  EXPECT_EQ(got.labels[0].value, "v");
}

TEST(WriteRequestDecoderTest, RefusesMalformedInput) {
  DecodedWriteRequest got;
  std::string error;
  const std::vector<std::string> bad = {
      std::string("\x0a\x05\x0a\x03", 4),  // LEN longer than what is left
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12),  // 11-byte varint
      std::string("\x00\x01", 2),                                           // field number 0
      std::string("\x0b\x0c", 2),                                           // a group (wire type 3)
      std::string("\x0e", 1),                                               // wire type 6
      std::string("\x09\x01\x02", 3),                                       // truncated fixed64
      std::string("\x1a\x02\x08", 3),                                       // truncated metadata
  };
  for (const std::string& b : bad) {
    EXPECT_FALSE(DecodeWriteRequest(b, &got, &error)) << "input size " << b.size();
    EXPECT_FALSE(error.empty());
  }
  EXPECT_TRUE(DecodeWriteRequest("", &got, &error));
  EXPECT_TRUE(got.series.empty());
}

}  // namespace
}  // namespace strata::collector::ingest
