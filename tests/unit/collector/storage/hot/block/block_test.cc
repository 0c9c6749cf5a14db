#include "collector/storage/hot/block/block.h"

#include <gtest/gtest.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "collector/storage/hot/block/block_writer.h"
#include "collector/storage/hot/chunk/block_chunk_codec.h"
#include "collector/storage/hot/chunk/byte_io.h"
#include "collector/storage/hot/chunk/xor_chunk.h"
#include "common/model/sample.h"

namespace strata::collector::hot {
namespace {

using common::Labels;
using common::Sample;

constexpr int64_t kStart = 1'700'000'000'000;  // ms
constexpr int64_t kStep = 15'000;

struct TestSeries {
  Labels labels;
  std::vector<std::string> chunk_data;
  std::vector<BlockChunk> chunks;  // data points into chunk_data
  std::vector<Sample> samples;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

LabelMatcher M(MatchOp op, std::string name, std::string value) {
  absl::StatusOr<LabelMatcher> m = LabelMatcher::Create(op, std::move(name), std::move(value));
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

double SpecialValue(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0:
      return common::StaleNaN();
    case 1:
      return std::bit_cast<double>(0x7ff8000000000123ULL);  // NaN with a payload
    case 2:
      return -0.0;
    case 3:
      return std::numeric_limits<double>::infinity();
    case 4:
      return std::numeric_limits<double>::denorm_min();
    default:
      return static_cast<double>(rng() % 100);
  }
}

// Series i has labels {__name__=metric_<i%10>, job=job_<i%5>, instance=host-<i>} and, for odd i,
// env=prod; every 7th series has a single chunk (data only at the start of the block), the others
// `chunks_per_series` chunks of `samples_per_chunk` samples at 15 s +- 3 ms.
std::vector<TestSeries> MakeSeries(int n, int chunks_per_series, int samples_per_chunk,
                                   uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<TestSeries> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    TestSeries& s = out[static_cast<size_t>(i)];
    std::vector<common::Label> labels = {{"__name__", "metric_" + std::to_string(i % 10)},
                                         {"job", "job_" + std::to_string(i % 5)},
                                         {"instance", "host-" + std::to_string(i)}};
    if (i % 2 == 1) labels.push_back({"env", "prod"});
    s.labels = Labels::FromUnsorted(std::move(labels));
    const int num_chunks = i % 7 == 0 ? 1 : chunks_per_series;
    int64_t t = kStart + static_cast<int64_t>(rng() % 1000);
    double counter = 0;
    for (int c = 0; c < num_chunks; ++c) {
      XorChunkAppender app;
      for (int k = 0; k < samples_per_chunk; ++k) {
        double v;
        switch (i % 4) {
          case 0:
            counter += static_cast<double>(rng() % 1000);
            v = counter;
            break;
          case 1:
            v = static_cast<double>(static_cast<int64_t>(rng() % 100000)) / 100.0;
            break;
          case 2:
            v = 42;
            break;
          default:
            v = SpecialValue(rng);
        }
        EXPECT_TRUE(app.Append(t, v));
        s.samples.push_back({t, v});
        t += kStep + static_cast<int64_t>(rng() % 7) - 3;
      }
      s.chunk_data.push_back(app.bytes());
    }
    size_t k = 0;
    for (size_t c = 0; c < s.chunk_data.size(); ++c) {
      const int64_t min_t = s.samples[k].timestamp_ms;
      k += static_cast<size_t>(samples_per_chunk);
      s.chunks.push_back({min_t, s.samples[k - 1].timestamp_ms, s.chunk_data[c]});
    }
  }
  return out;
}

int64_t MaxTime(const std::vector<TestSeries>& series) {
  int64_t max_t = kStart;
  for (const TestSeries& s : series) max_t = std::max(max_t, s.samples.back().timestamp_ms);
  return max_t;
}

// Inputs in a shuffled order (the writer sorts).
std::vector<BlockSeriesInput> Inputs(const std::vector<TestSeries>& series) {
  std::vector<BlockSeriesInput> in;
  for (const TestSeries& s : series) in.push_back({&s.labels, s.chunks});
  std::shuffle(in.begin(), in.end(), std::mt19937_64(7));
  return in;
}

bool MatchesAll(const Labels& labels, const std::vector<LabelMatcher>& matchers) {
  return std::all_of(matchers.begin(), matchers.end(),
                     [&](const LabelMatcher& m) { return m.Matches(labels.Get(m.name())); });
}

std::vector<SeriesData> BruteForce(const std::vector<TestSeries>& series,
                                   const std::vector<LabelMatcher>& matchers, int64_t lo,
                                   int64_t hi) {
  std::vector<SeriesData> out;
  for (const TestSeries& s : series) {
    if (!MatchesAll(s.labels, matchers)) continue;
    SeriesData d{s.labels, {}};
    for (const Sample& x : s.samples) {
      if (x.timestamp_ms >= lo && x.timestamp_ms <= hi) d.samples.push_back(x);
    }
    if (!d.samples.empty()) out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesData& a, const SeriesData& b) { return a.labels < b.labels; });
  return out;
}

void ExpectSameData(const std::vector<SeriesData>& got, const std::vector<SeriesData>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].labels, want[i].labels);
    ASSERT_EQ(got[i].samples.size(), want[i].samples.size()) << want[i].labels.ToString();
    for (size_t k = 0; k < got[i].samples.size(); ++k) {
      ASSERT_EQ(got[i].samples[k].timestamp_ms, want[i].samples[k].timestamp_ms);
      ASSERT_EQ(std::bit_cast<uint64_t>(got[i].samples[k].value),
                std::bit_cast<uint64_t>(want[i].samples[k].value))
          << want[i].labels.ToString() << " sample " << k;
    }
  }
}

class BlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata_block_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Writes `series` as block "b" covering [kStart, MaxTime] and opens it.
  std::unique_ptr<Block> WriteAndOpen(const std::vector<TestSeries>& series,
                                      const std::string& name = "b") {
    std::vector<BlockSeriesInput> in = Inputs(series);
    absl::StatusOr<BlockMeta> meta = WriteBlock(dir_, name, kStart, MaxTime(series), in);
    EXPECT_TRUE(meta.ok()) << meta.status();
    absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path(name));
    EXPECT_TRUE(block.ok()) << block.status();
    return block.ok() ? std::move(*block) : nullptr;
  }

  std::string dir_;
};

TEST_F(BlockTest, RoundTripsThousandSeriesBitExact) {
  std::vector<TestSeries> series = MakeSeries(1000, 4, 60);
  std::unique_ptr<Block> block = WriteAndOpen(series);
  ASSERT_NE(block, nullptr);
  uint64_t chunks = 0;
  uint64_t samples = 0;
  for (const TestSeries& s : series) {
    chunks += (s.samples.size() + kBlockWriterChunkSamples - 1) / kBlockWriterChunkSamples;
    samples += s.samples.size();
  }
  EXPECT_EQ(block->meta(),
            (BlockMeta{kBlockFormatVersion, kStart, MaxTime(series), 1000, chunks, samples}));
  absl::StatusOr<std::vector<SeriesData>> got = block->Select({}, kStart, MaxTime(series));
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameData(*got, BruteForce(series, {}, kStart, MaxTime(series)));
  // Reopening sees the same bytes.
  absl::StatusOr<std::unique_ptr<Block>> again = Block::Open(Path("b"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->meta(), block->meta());
}

TEST_F(BlockTest, SelectEqualsBruteForceForEveryMatcherType) {
  std::vector<TestSeries> series = MakeSeries(300, 3, 40);
  std::unique_ptr<Block> block = WriteAndOpen(series);
  ASSERT_NE(block, nullptr);
  const std::vector<std::vector<LabelMatcher>> selectors = {
      {M(MatchOp::kEqual, "__name__", "metric_3")},
      {M(MatchOp::kEqual, "__name__", "metric_3"), M(MatchOp::kNotEqual, "job", "job_3")},
      {M(MatchOp::kRegexMatch, "instance", "host-1.*")},
      {M(MatchOp::kRegexNoMatch, "instance", "host-1.*"), M(MatchOp::kEqual, "job", "job_2")},
      {M(MatchOp::kEqual, "env", "")},                     // series without env
      {M(MatchOp::kNotEqual, "env", "")},                  // series with env
      {M(MatchOp::kRegexMatch, "env", "prod|")},           // everything
      {M(MatchOp::kEqual, "__name__", "no_such_metric")},  // nothing
      {M(MatchOp::kNotEqual, "no_such_label", "x")},       // everything
      {M(MatchOp::kRegexNoMatch, "__name__", "metric_[0-8]")},
  };
  const int64_t max_t = MaxTime(series);
  const std::vector<std::pair<int64_t, int64_t>> ranges = {
      {kStart, max_t},
      {kStart - 1000000, max_t + 1000000},
      {kStart + 30 * kStep, kStart + 70 * kStep},  // data of the 1-chunk series ends at 40
      {kStart + 100 * kStep + 1, kStart + 100 * kStep + 2},
      {max_t + 1, max_t + 100},
  };
  for (const auto& matchers : selectors) {
    for (auto [lo, hi] : ranges) {
      absl::StatusOr<std::vector<SeriesData>> got = block->Select(matchers, lo, hi);
      ASSERT_TRUE(got.ok()) << got.status();
      std::vector<SeriesData> want = BruteForce(series, matchers, lo, hi);
      SCOPED_TRACE(matchers.front().ToString() + " " + std::to_string(lo));
      ExpectSameData(*got, want);
      absl::StatusOr<std::vector<Labels>> labels = block->Series(matchers, lo, hi);
      ASSERT_TRUE(labels.ok());
      ASSERT_EQ(labels->size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ((*labels)[i], want[i].labels);
    }
  }
}

TEST_F(BlockTest, RangeDecodesOnlyOverlappingChunksAndTrimsSamples) {
  // 4 input chunks of 3c/4 samples: the writer re-cuts the 3c into 3 block chunks of c.
  constexpr size_t c = kBlockWriterChunkSamples;
  std::vector<TestSeries> series = MakeSeries(8, 4, 3 * c / 4);
  std::unique_ptr<Block> block = WriteAndOpen(series);
  ASSERT_NE(block, nullptr);
  const TestSeries& s = series[1];
  ASSERT_EQ(s.samples.size(), 3 * c);
  auto at = [&](size_t i) { return s.samples[i].timestamp_ms; };
  const std::vector<LabelMatcher> sel = {M(MatchOp::kEqual, "instance", "host-1")};
  // Inside the second block chunk only.
  const int64_t lo = at(c) + 10 * kStep;
  const int64_t hi = at(2 * c - 1) - 10 * kStep;
  uint64_t before = block->chunks_decoded();
  absl::StatusOr<std::vector<SeriesData>> got = block->Select(sel, lo, hi);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(block->chunks_decoded() - before, 1u);
  ExpectSameData(*got, BruteForce(series, sel, lo, hi));
  ASSERT_EQ(got->size(), 1u);
  EXPECT_GE(got->front().samples.front().timestamp_ms, lo);
  EXPECT_LE(got->front().samples.back().timestamp_ms, hi);
  // Spanning the end of block chunk 1 and the start of block chunk 2: two chunks.
  before = block->chunks_decoded();
  got = block->Select(sel, at(2 * c - 1) - kStep - 10, at(2 * c) + kStep + 10);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(block->chunks_decoded() - before, 2u);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().samples.size(), 4u);
  // Outside the block: nothing decoded, nothing returned.
  before = block->chunks_decoded();
  got = block->Select({}, MaxTime(series) + 1, MaxTime(series) + 1000);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(block->chunks_decoded(), before);
  // Series() over a range a chunk fully covers decodes nothing (chunk bounds are exact), and a
  // range strictly inside one chunk decodes that chunk only.
  before = block->chunks_decoded();
  ASSERT_TRUE(block->Series(sel, at(0), at(3 * c - 1)).ok());
  EXPECT_EQ(block->chunks_decoded(), before);
  ASSERT_TRUE(block->Series(sel, lo, hi).ok());
  EXPECT_EQ(block->chunks_decoded() - before, 1u);
}

TEST_F(BlockTest, LabelNamesAndValuesMatchBruteForce) {
  std::vector<TestSeries> series = MakeSeries(50, 3, 40);
  std::unique_ptr<Block> block = WriteAndOpen(series);
  ASSERT_NE(block, nullptr);
  auto brute = [&](const std::vector<LabelMatcher>& matchers, int64_t lo, int64_t hi,
                   const std::string* value_of) {
    std::vector<std::string> out;
    for (const SeriesData& d : BruteForce(series, matchers, lo, hi)) {
      for (const auto& l : d.labels) {
        if (value_of == nullptr) {
          out.emplace_back(l.name);
        } else if (l.name == *value_of) {
          out.emplace_back(l.value);
        }
      }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  };
  const std::string instance = "instance";
  const std::string env = "env";
  const int64_t max_t = MaxTime(series);
  const int64_t late = kStart + 50 * kStep;  // after the 1-chunk series (0, 7, 14, ...) end
  for (auto [lo, hi] : {std::pair{kStart, max_t}, std::pair{late, max_t}}) {
    for (const auto& matchers :
         {std::vector<LabelMatcher>{}, std::vector{M(MatchOp::kEqual, "job", "job_0")},
          std::vector{M(MatchOp::kEqual, "env", "")}}) {
      absl::StatusOr<std::vector<std::string>> names = block->LabelNames(matchers, lo, hi);
      ASSERT_TRUE(names.ok());
      EXPECT_EQ(*names, brute(matchers, lo, hi, nullptr));
      absl::StatusOr<std::vector<std::string>> values =
          block->LabelValues(instance, matchers, lo, hi);
      ASSERT_TRUE(values.ok());
      EXPECT_EQ(*values, brute(matchers, lo, hi, &instance));
      values = block->LabelValues(env, matchers, lo, hi);
      ASSERT_TRUE(values.ok());
      EXPECT_EQ(*values, brute(matchers, lo, hi, &env));
    }
  }
  // host-0 has data only early.
  absl::StatusOr<std::vector<std::string>> values = block->LabelValues(instance, {}, late, max_t);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(std::count(values->begin(), values->end(), "host-0"), 0);
}

TEST_F(BlockTest, EmptyBlockOpensAndAnswersNothing) {
  absl::StatusOr<BlockMeta> meta = WriteBlock(dir_, "empty", kStart, kStart + 7'200'000, {});
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->num_series, 0u);
  absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path("empty"));
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ((*block)->meta(), *meta);
  absl::StatusOr<std::vector<SeriesData>> got = (*block)->Select({}, kStart, kStart + 7'200'000);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_TRUE((*block)->LabelNames({}, kStart, kStart + 7'200'000)->empty());
  EXPECT_TRUE((*block)->Series({}, kStart, kStart + 7'200'000)->empty());
}

TEST_F(BlockTest, SkipsSeriesWithoutChunks) {
  Labels a = {{"__name__", "a"}};
  std::vector<BlockSeriesInput> in = {{&a, {}}};
  absl::StatusOr<BlockMeta> meta = WriteBlock(dir_, "b", kStart, kStart + 1, in);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->num_series, 0u);
}

TEST_F(BlockTest, LeavesNoTmpDirectoryAndRefusesToOverwrite) {
  std::vector<TestSeries> series = MakeSeries(5, 2, 10);
  ASSERT_NE(WriteAndOpen(series), nullptr);
  std::vector<std::string> entries;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    entries.push_back(e.path().filename());
  }
  EXPECT_EQ(entries, std::vector<std::string>{"b"});
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(Path("b"))) {
    files.push_back(e.path().filename());
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"chunks", "index", "meta.json"}));
  std::vector<BlockSeriesInput> in = Inputs(series);
  EXPECT_EQ(WriteBlock(dir_, "b", kStart, MaxTime(series), in).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(BlockTest, ReplacesLeftoverTmpOfItsNameAndLeavesOthersAlone) {
  // What a crash mid-write leaves: a partial .tmp directory.
  std::filesystem::create_directory(Path("b.tmp"));
  WriteFile(Path("b.tmp/chunks"), "partial");
  WriteFile(Path("b.tmp/index"), "partial");
  std::filesystem::create_directory(Path("c.tmp"));
  WriteFile(Path("c.tmp/chunks"), "partial");
  std::vector<TestSeries> series = MakeSeries(5, 2, 10);
  ASSERT_NE(WriteAndOpen(series), nullptr);
  EXPECT_FALSE(std::filesystem::exists(Path("b.tmp")));
  EXPECT_TRUE(std::filesystem::exists(Path("c.tmp/chunks")));  // the block lister's job
  // A leftover is not a block.
  EXPECT_FALSE(Block::Open(Path("c.tmp")).ok());
  // A .tmp holding unknown files is not deleted: WriteBlock fails instead.
  std::filesystem::create_directory(Path("d.tmp"));
  WriteFile(Path("d.tmp/precious"), "x");
  std::vector<BlockSeriesInput> in = Inputs(series);
  EXPECT_FALSE(WriteBlock(dir_, "d", kStart, MaxTime(series), in).ok());
  EXPECT_TRUE(std::filesystem::exists(Path("d.tmp/precious")));
  EXPECT_FALSE(std::filesystem::exists(Path("d")));
}

TEST_F(BlockTest, RejectsInvalidInput) {
  std::vector<TestSeries> series = MakeSeries(2, 2, 10);
  const int64_t max_t = MaxTime(series);
  auto write = [&](std::vector<BlockSeriesInput> in, int64_t lo, int64_t hi) {
    return WriteBlock(dir_, "x", lo, hi, in).status().code();
  };
  EXPECT_EQ(write(Inputs(series), max_t, kStart), absl::StatusCode::kInvalidArgument);
  // Chunk outside the block range.
  EXPECT_EQ(write(Inputs(series), kStart + 100000, max_t), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(write(Inputs(series), kStart, max_t - 1), absl::StatusCode::kInvalidArgument);
  // Duplicate series.
  std::vector<BlockSeriesInput> dup = {{&series[0].labels, series[0].chunks},
                                       {&series[0].labels, series[0].chunks}};
  EXPECT_EQ(write(dup, kStart, max_t), absl::StatusCode::kInvalidArgument);
  // Chunks out of order.
  std::vector<BlockSeriesInput> swapped = {
      {&series[1].labels, {series[1].chunks[1], series[1].chunks[0]}}};
  EXPECT_EQ(write(swapped, kStart, max_t), absl::StatusCode::kInvalidArgument);
  // Declared times not matching the chunk's samples.
  BlockChunk wrong = series[1].chunks[0];
  wrong.max_t += 1;
  EXPECT_EQ(write({{&series[1].labels, {wrong}}}, kStart, max_t),
            absl::StatusCode::kInvalidArgument);
  // Corrupt chunk bytes.
  std::string bad = std::string(series[1].chunks[0].data).substr(0, 5);
  BlockChunk truncated = {series[1].chunks[0].min_t, series[1].chunks[0].max_t, bad};
  EXPECT_EQ(write({{&series[1].labels, {truncated}}}, kStart, max_t),
            absl::StatusCode::kInvalidArgument);
  // Null labels and bad names.
  EXPECT_EQ(write({{nullptr, {}}}, kStart, max_t), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteBlock(dir_, "../x", kStart, max_t, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

// A BlockSeriesSource over TestSeries' samples, recording the order it is asked in.
class SamplesSource final : public BlockSeriesSource {
 public:
  explicit SamplesSource(const std::vector<TestSeries>& series) : series_(series) {}
  size_t NumSeries() const override { return series_.size(); }
  const Labels& SeriesLabels(size_t i) const override { return series_[i].labels; }
  absl::Status Samples(size_t i, std::vector<int64_t>* t, std::vector<double>* v) override {
    asked.push_back(i);
    if (i == fail_at) return absl::UnavailableError("source failed");
    t->clear();
    v->clear();
    if (i == empty_at) return absl::OkStatus();
    for (const Sample& s : series_[i].samples) {
      t->push_back(s.timestamp_ms);
      v->push_back(s.value);
    }
    if (i == swap_at) std::swap((*t)[0], (*t)[1]);
    return absl::OkStatus();
  }
  std::vector<size_t> asked;
  size_t fail_at = SIZE_MAX, empty_at = SIZE_MAX, swap_at = SIZE_MAX;

 private:
  const std::vector<TestSeries>& series_;
};

TEST_F(BlockTest, SourceInputWritesTheSameFilesAsChunkInput) {
  std::vector<TestSeries> series = MakeSeries(300, 3, 50);
  ASSERT_NE(WriteAndOpen(series, "chunks"), nullptr);
  SamplesSource source(series);
  absl::StatusOr<BlockMeta> meta = WriteBlock(dir_, "source", kStart, MaxTime(series), source);
  ASSERT_TRUE(meta.ok()) << meta.status();
  for (const char* file : {kBlockChunksFile, kBlockIndexFile, kBlockMetaFile}) {
    EXPECT_EQ(ReadFile(Path("source/") + file), ReadFile(Path("chunks/") + file)) << file;
  }
  // Asked once per series, in label order, so one series' samples are in memory at a time.
  ASSERT_EQ(source.asked.size(), series.size());
  for (size_t k = 1; k < source.asked.size(); ++k) {
    EXPECT_LT(series[source.asked[k - 1]].labels, series[source.asked[k]].labels);
  }
}

TEST_F(BlockTest, SourceSeriesWithoutSamplesAreLeftOut) {
  std::vector<TestSeries> series = MakeSeries(20, 2, 10);
  SamplesSource source(series);
  source.empty_at = 3;
  absl::StatusOr<BlockMeta> meta = WriteBlock(dir_, "b", kStart, MaxTime(series), source);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->num_series, 19u);
  absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path("b"));
  ASSERT_TRUE(block.ok()) << block.status();
  std::vector<TestSeries> rest = series;
  rest.erase(rest.begin() + 3);
  absl::StatusOr<std::vector<SeriesData>> got = (*block)->Select({}, kStart, MaxTime(series));
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameData(*got, BruteForce(rest, {}, kStart, MaxTime(series)));
}

TEST_F(BlockTest, SourceErrorsAndBadSamplesFailTheWriteAndLeaveNothing) {
  std::vector<TestSeries> series = MakeSeries(10, 2, 10);
  const int64_t max_t = MaxTime(series);
  {
    SamplesSource source(series);
    source.fail_at = 4;
    EXPECT_EQ(WriteBlock(dir_, "b", kStart, max_t, source).status().code(),
              absl::StatusCode::kUnavailable);
  }
  {
    SamplesSource source(series);
    source.swap_at = 5;  // timestamps out of order
    EXPECT_EQ(WriteBlock(dir_, "b", kStart, max_t, source).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  {
    SamplesSource source(series);  // samples after the block's end
    EXPECT_EQ(WriteBlock(dir_, "b", kStart, max_t - 1, source).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  {
    std::vector<TestSeries> dup = {series[0], series[0]};
    SamplesSource source(dup);
    EXPECT_EQ(WriteBlock(dir_, "b", kStart, max_t, source).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(source.asked.empty());  // rejected before anything is read
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(BlockTest, EveryIndexByteFlipFailsOpenCleanly) {
  std::vector<TestSeries> series = MakeSeries(4, 2, 5);
  ASSERT_NE(WriteAndOpen(series), nullptr);
  const std::string index = ReadFile(Path("b/index"));
  ASSERT_GT(index.size(), kBlockHeaderSize + kBlockIndexTocSize);
  for (size_t i = 0; i < index.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string damaged = index;
      damaged[i] = static_cast<char>(damaged[i] ^ mask);
      WriteFile(Path("b/index"), damaged);
      absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path("b"));
      ASSERT_FALSE(block.ok()) << "byte " << i << " mask " << int{mask};
      if (i == 4) {
        EXPECT_EQ(block.status().code(), absl::StatusCode::kUnimplemented);
      } else {
        EXPECT_EQ(block.status().code(), absl::StatusCode::kDataLoss) << block.status();
        EXPECT_NE(block.status().message().find("index"), std::string_view::npos);
        EXPECT_NE(block.status().message().find("offset"), std::string_view::npos);
      }
    }
  }
  WriteFile(Path("b/index"), index);
  EXPECT_TRUE(Block::Open(Path("b")).ok());
}

TEST_F(BlockTest, EveryChunkByteFlipMakesSelectReturnDataLoss) {
  std::vector<TestSeries> series = MakeSeries(3, 2, 5);
  ASSERT_NE(WriteAndOpen(series), nullptr);
  const std::string chunks = ReadFile(Path("b/chunks"));
  const int64_t max_t = MaxTime(series);
  for (size_t i = 0; i < chunks.size(); ++i) {
    std::string damaged = chunks;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    WriteFile(Path("b/chunks"), damaged);
    absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path("b"));
    if (i < kBlockHeaderSize) {
      EXPECT_FALSE(block.ok()) << "header byte " << i;
      continue;
    }
    ASSERT_TRUE(block.ok()) << block.status();
    absl::StatusOr<std::vector<SeriesData>> got = (*block)->Select({}, kStart, max_t);
    ASSERT_FALSE(got.ok()) << "byte " << i;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(got.status().message().find("chunks"), std::string_view::npos);
  }
}

TEST_F(BlockTest, TruncatedFilesFailOpen) {
  std::vector<TestSeries> series = MakeSeries(4, 2, 5);
  ASSERT_NE(WriteAndOpen(series), nullptr);
  for (const char* file : {"index", "chunks"}) {
    const std::string path = Path(std::string("b/") + file);
    const std::string data = ReadFile(path);
    for (size_t len = 0; len < data.size(); ++len) {
      WriteFile(path, std::string_view(data).substr(0, len));
      absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path("b"));
      ASSERT_FALSE(block.ok()) << file << " cut to " << len;
      EXPECT_EQ(block.status().code(), absl::StatusCode::kDataLoss);
    }
    WriteFile(path, data);
  }
  std::filesystem::remove(Path("b/meta.json"));
  EXPECT_EQ(Block::Open(Path("b")).status().code(), absl::StatusCode::kNotFound);
}

// Where the records of a block with one single-chunk series are: the timestamps record at 8,
// then the values record (reference and values), then its checksum.
struct ChunksLayout {
  uint64_t ts_length;  // the timestamps record without its checksum
  uint64_t values_offset;
  uint64_t values_length;
};

ChunksLayout OneChunkLayout(const std::string& chunks) {
  size_t pos = kBlockHeaderSize;
  auto varint = [&] {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const uint8_t b = static_cast<uint8_t>(chunks.at(pos++));
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
  };
  varint();  // count
  const uint64_t length = varint();
  ChunksLayout layout;
  layout.ts_length = pos + length - kBlockHeaderSize;
  layout.values_offset = pos + length + kBlockChunkChecksumSize;
  layout.values_length = chunks.size() - layout.values_offset - kBlockChunkChecksumSize;
  return layout;
}

// Replaces the 4-byte checksum after [offset, offset + length) of `data`.
void RepairChecksum(std::string* data, size_t offset, size_t length) {
  const uint32_t sum = static_cast<uint32_t>(XXH3_64bits(data->data() + offset, length));
  for (int i = 0; i < 4; ++i) (*data)[offset + length + i] = static_cast<char>(sum >> (8 * i));
}

// Builds an index with valid checksums around hand-made sections, to reach the checks behind
// them.
std::string PutVarint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

std::string Fixed64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  return out;
}

std::string MakeIndex(const std::string& symbols, const std::string& series, int64_t min_t,
                      int64_t max_t, int version = kBlockFormatVersion) {
  std::string index = std::string("STBI") + static_cast<char>(version) + std::string(3, '\0');
  index += symbols + series;
  std::string toc = Fixed64(static_cast<uint64_t>(min_t)) + Fixed64(static_cast<uint64_t>(max_t)) +
                    Fixed64(8) + Fixed64(symbols.size()) +
                    Fixed64(XXH3_64bits(symbols.data(), symbols.size())) +
                    Fixed64(8 + symbols.size()) + Fixed64(series.size()) +
                    Fixed64(XXH3_64bits(series.data(), series.size()));
  toc += Fixed64(XXH3_64bits(toc.data(), toc.size()));
  return index + toc;
}

TEST_F(BlockTest, RejectsOversizedCountsOffsetsAndLengthsBehindValidChecksums) {
  std::vector<TestSeries> series = MakeSeries(1, 1, 5);
  ASSERT_NE(WriteAndOpen(series), nullptr);
  const int64_t max_t = MaxTime(series);
  const uint64_t chunks_size = std::filesystem::file_size(Path("b/chunks"));
  // The file holds the timestamps record at 8, then the one values record and its checksum.
  const ChunksLayout layout = OneChunkLayout(ReadFile(Path("b/chunks")));
  const uint64_t off = layout.values_offset;
  const uint64_t chunk_len = layout.values_length;
  // Symbols: 0 "__name__", 1 "a".
  const std::string symbols = PutVarint(2) + PutVarint(8) + "__name__" + PutVarint(1) + "a";
  const std::string label = PutVarint(1) + PutVarint(0) + PutVarint(1);
  const uint64_t start = static_cast<uint64_t>(series[0].chunks[0].min_t - kStart);
  const uint64_t dur = static_cast<uint64_t>(series[0].chunks[0].max_t - series[0].chunks[0].min_t);
  auto one_chunk = [&](uint64_t s, uint64_t d, uint64_t off, uint64_t len) {
    return PutVarint(1) + label + PutVarint(1) + PutVarint(s) + PutVarint(d) + PutVarint(off) +
           PutVarint(len);
  };
  struct Case {
    const char* what;
    std::string symbols;
    std::string series;
  };
  const std::vector<Case> cases = {
      {"valid", symbols, one_chunk(start, dur, off, chunk_len)},
      {"offset beyond file", symbols, one_chunk(start, dur, chunks_size, chunk_len)},
      {"huge offset", symbols, one_chunk(start, dur, uint64_t{1} << 62, chunk_len)},
      {"max offset", symbols, one_chunk(start, dur, ~uint64_t{0}, chunk_len)},
      {"length beyond file", symbols, one_chunk(start, dur, off, chunks_size)},
      {"max length", symbols, one_chunk(start, dur, 8, ~uint64_t{0})},
      {"offset in header", symbols, one_chunk(start, dur, 0, chunk_len)},
      {"length past the checksum room", symbols, one_chunk(start, dur, off, chunk_len + 1)},
      {"start after block", symbols, one_chunk(~uint64_t{0}, 0, off, chunk_len)},
      {"end after block", symbols, one_chunk(start, ~uint64_t{0} - start, off, chunk_len)},
      {"huge symbol count", PutVarint(uint64_t{1} << 60), one_chunk(start, dur, off, chunk_len)},
      {"symbol length beyond section", PutVarint(1) + PutVarint(1000) + "a",
       one_chunk(start, dur, off, chunk_len)},
      {"unsorted symbols", PutVarint(2) + PutVarint(1) + "b" + PutVarint(1) + "a",
       one_chunk(start, dur, off, chunk_len)},
      {"11-byte varint", symbols,
       PutVarint(1) + PutVarint(1) + std::string(10, '\x80') + '\x01' + PutVarint(1)},
      {"huge series count", symbols, PutVarint(uint64_t{1} << 40)},
      {"label ref out of range", symbols,
       PutVarint(1) + PutVarint(1) + PutVarint(0) + PutVarint(2) + PutVarint(1) + PutVarint(0) +
           PutVarint(0) + PutVarint(off) + PutVarint(chunk_len)},
      {"trailing bytes", symbols, one_chunk(start, dur, off, chunk_len) + "x"},
  };
  for (const Case& c : cases) {
    WriteFile(Path("b/index"), MakeIndex(c.symbols, c.series, kStart, max_t));
    absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path("b"));
    if (std::string_view(c.what) == "valid") {
      ASSERT_TRUE(block.ok()) << block.status();
      absl::StatusOr<std::vector<SeriesData>> got = (*block)->Select({}, kStart, max_t);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(got->size(), 1u);
      EXPECT_EQ(got->front().samples.size(), 5u);
      continue;
    }
    ASSERT_FALSE(block.ok()) << c.what;
    EXPECT_EQ(block.status().code(), absl::StatusCode::kDataLoss) << c.what;
  }
}

TEST_F(BlockTest, RejectsMetaThatDisagreesWithIndex) {
  std::vector<TestSeries> series = MakeSeries(3, 1, 5);
  ASSERT_NE(WriteAndOpen(series), nullptr);
  const std::string meta = ReadFile(Path("b/meta.json"));
  auto with = [&](const std::string& text) {
    WriteFile(Path("b/meta.json"), text);
    return Block::Open(Path("b")).status().code();
  };
  const std::string max_t = std::to_string(MaxTime(series));
  const std::string start = std::to_string(kStart);
  auto meta_json = [&](const std::string& version, const std::string& min, const std::string& max,
                       const std::string& n) {
    return "{\"version\":" + version + ",\"min_t\":" + min + ",\"max_t\":" + max +
           ",\"num_series\":" + n + ",\"num_chunks\":3,\"num_samples\":15}";
  };
  EXPECT_EQ(with(meta_json("2", start, max_t, "3")), absl::StatusCode::kOk);
  EXPECT_EQ(with(meta_json("3", start, max_t, "3")), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(with(meta_json("0", start, max_t, "3")), absl::StatusCode::kUnimplemented);
  // A readable version that the files' headers do not carry.
  EXPECT_EQ(with(meta_json("1", start, max_t, "3")), absl::StatusCode::kDataLoss);
  EXPECT_EQ(with(meta_json("2", start, max_t, "4")), absl::StatusCode::kDataLoss);
  EXPECT_EQ(with(meta_json("2", start, max_t, "-3")), absl::StatusCode::kDataLoss);
  EXPECT_EQ(with(meta_json("2", std::to_string(kStart - 1), max_t, "3")),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(with(meta_json("2", start, "\"x\"", "3")), absl::StatusCode::kDataLoss);
  EXPECT_EQ(with("{"), absl::StatusCode::kDataLoss);
  EXPECT_EQ(with("[]"), absl::StatusCode::kDataLoss);
  EXPECT_EQ(with(std::string(kBlockMaxMetaSize + 1, ' ')), absl::StatusCode::kDataLoss);
  EXPECT_EQ(with(meta), absl::StatusCode::kOk);
}

// Series built from explicit samples, cut into input XOR chunks of `per_chunk`.
TestSeries SeriesOf(Labels labels, const std::vector<Sample>& samples, size_t per_chunk) {
  TestSeries s;
  s.labels = std::move(labels);
  s.samples = samples;
  for (size_t i = 0; i < samples.size(); i += per_chunk) {
    XorChunkAppender app;
    const size_t end = std::min(samples.size(), i + per_chunk);
    for (size_t k = i; k < end; ++k)
      EXPECT_TRUE(app.Append(samples[k].timestamp_ms, samples[k].value));
    s.chunk_data.push_back(app.bytes());
  }
  for (size_t c = 0, i = 0; c < s.chunk_data.size(); ++c, i += per_chunk) {
    const size_t end = std::min(samples.size(), i + per_chunk);
    s.chunks.push_back({samples[i].timestamp_ms, samples[end - 1].timestamp_ms, s.chunk_data[c]});
  }
  return s;
}

size_t TimestampsRecordSize(const std::vector<int64_t>& t) {
  BlockChunkEncoder enc;
  std::string body;
  enc.EncodeTimestamps(t, &body);
  return UvarintSize(t.size()) + UvarintSize(body.size()) + body.size() + kBlockChunkChecksumSize;
}

size_t ValuesSize(const std::vector<double>& v) {
  BlockChunkEncoder enc;
  std::string out;
  enc.EncodeValues(v, &out);
  return out.size();
}

TEST_F(BlockTest, SeriesWithIdenticalTimestampsShareOneTimestampsRecord) {
  // Two scrape targets: 20 series of target a share its jittered timestamps, 5 of target b share
  // b's. The chunks file must hold exactly two timestamps records.
  std::mt19937_64 rng(11);
  std::vector<int64_t> ta, tb;
  for (int i = 0; i < 200; ++i) {
    ta.push_back(kStart + 3'000 + i * kStep + static_cast<int64_t>(rng() % 11) - 5);
    tb.push_back(kStart + 9'000 + i * kStep + static_cast<int64_t>(rng() % 11) - 5);
  }
  std::vector<TestSeries> series;
  std::vector<std::vector<double>> values;
  for (int i = 0; i < 25; ++i) {
    const std::vector<int64_t>& t = i < 20 ? ta : tb;
    std::vector<Sample> samples;
    std::vector<double> v;
    double x = static_cast<double>(rng() % 1000);
    for (int64_t ts : t) {
      x += static_cast<double>(rng() % 100) / 100;
      v.push_back(std::round(x * 100) / 100);
      samples.push_back({ts, v.back()});
    }
    char name[8];
    std::snprintf(name, sizeof(name), "%c_%02d", i < 20 ? 'a' : 'b', i);
    series.push_back(SeriesOf(Labels{{"__name__", name}}, samples, 120));
    values.push_back(v);
  }
  std::unique_ptr<Block> block = WriteAndOpen(series);
  ASSERT_NE(block, nullptr);
  // Writing order: a_00 (record a at 8, then its values), a_01..a_19, b_20 (record b), b_21...
  size_t size = kBlockHeaderSize + TimestampsRecordSize(ta);
  size_t b_offset = 0;
  for (int i = 0; i < 25; ++i) {
    if (i == 20) {
      b_offset = size;
      size += TimestampsRecordSize(tb);
    }
    size += UvarintSize(i < 20 ? kBlockHeaderSize : b_offset) + ValuesSize(values[i]) +
            kBlockChunkChecksumSize;
  }
  EXPECT_EQ(std::filesystem::file_size(Path("b/chunks")), size);
  absl::StatusOr<std::vector<SeriesData>> got = block->Select({}, kStart, MaxTime(series));
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameData(*got, BruteForce(series, {}, kStart, MaxTime(series)));
  // A cursor decodes each shared record once and reuses it for the other series: ranges that
  // cut chunks anywhere, and selections that skip series, still read exactly the samples.
  const int64_t max_t = MaxTime(series);
  const std::vector<std::pair<int64_t, int64_t>> ranges = {{kStart, kStart + 3'000},
                                                           {ta[5], ta[5]},
                                                           {ta[5] + 1, tb[130]},
                                                           {ta[119], ta[120]},
                                                           {tb[150], max_t},
                                                           {ta[0] - 1, ta[0] - 1},
                                                           {tb[199] + 1, max_t + 1'000'000}};
  for (auto [lo, hi] : ranges) {
    for (const std::vector<LabelMatcher>& m :
         {std::vector<LabelMatcher>{}, {M(MatchOp::kRegexMatch, "__name__", "a_0[13579]|b_2.")}}) {
      absl::StatusOr<std::vector<SeriesData>> part = block->Select(m, lo, hi);
      ASSERT_TRUE(part.ok()) << part.status();
      ExpectSameData(*part, BruteForce(series, m, lo, hi));
    }
  }
}

TEST_F(BlockTest, RecutsLongSeriesEvenlyWithoutSplittingEqualTimestamps) {
  constexpr int64_t c = static_cast<int64_t>(kBlockWriterChunkSamples);
  std::vector<TestSeries> series;
  // 2.5c samples in two input chunks: three block chunks of about 0.83c.
  std::vector<Sample> a;
  for (int64_t i = 0; i < 5 * c / 2; ++i) a.push_back({kStart + i * 1000, static_cast<double>(i)});
  series.push_back(SeriesOf(Labels{{"__name__", "a"}}, a, 5 * c / 4));
  // 2c samples whose timestamps repeat across where the even cut (c) would fall: the first
  // chunk ends before the run, the remaining c + 4 samples make two more.
  std::vector<Sample> b;
  for (int64_t i = 0; i < 2 * c; ++i) {
    const int64_t t = i >= c - 4 && i < c + 6 ? c - 4 : i;
    b.push_back({kStart + t * 1000, static_cast<double>(i % 3)});
  }
  series.push_back(SeriesOf(Labels{{"__name__", "b"}}, b, 2 * c));
  // 3000 samples (more than c) at one timestamp, as one input chunk may hold: one block chunk.
  std::vector<Sample> d(3000, Sample{kStart + 5, 1.5});
  d.back().value = common::StaleNaN();
  series.push_back(SeriesOf(Labels{{"__name__", "c"}}, d, 3000));
  std::unique_ptr<Block> block = WriteAndOpen(series);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->meta().num_chunks, 3u + 3 + 1);
  EXPECT_EQ(block->meta().num_samples, static_cast<uint64_t>(5 * c / 2 + 2 * c + 3000));
  const int64_t max_t = MaxTime(series);
  const uint64_t before = block->chunks_decoded();
  absl::StatusOr<std::vector<SeriesData>> got = block->Select({}, kStart, max_t);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(block->chunks_decoded() - before, 7u);
  ExpectSameData(*got, BruteForce(series, {}, kStart, max_t));
  // The run of equal timestamps stays in one chunk: a range around it decodes one chunk of b.
  const uint64_t mid = block->chunks_decoded();
  const int64_t run_t = kStart + (c - 4) * 1000;
  got = block->Select({M(MatchOp::kEqual, "__name__", "b")}, run_t, run_t);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(block->chunks_decoded() - mid, 1u);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().samples.size(), 10u);
}

TEST_F(BlockTest, ValuesRecordWithBadTimestampsReferenceIsDataLossBehindValidChecksum) {
  std::vector<TestSeries> series = MakeSeries(1, 1, 5);
  ASSERT_NE(WriteAndOpen(series), nullptr);
  const std::string chunks = ReadFile(Path("b/chunks"));
  const ChunksLayout layout = OneChunkLayout(chunks);
  ASSERT_EQ(chunks[layout.values_offset], static_cast<char>(kBlockHeaderSize));
  const int64_t max_t = MaxTime(series);
  // Rewrites the reference (a one-byte varint) and the record's checksum.
  auto select_with_reference = [&](uint8_t ref) {
    std::string damaged = chunks;
    damaged[layout.values_offset] = static_cast<char>(ref);
    RepairChecksum(&damaged, layout.values_offset, layout.values_length);
    WriteFile(Path("b/chunks"), damaged);
    absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path("b"));
    EXPECT_TRUE(block.ok()) << block.status();  // chunk contents are not read at open
    return (*block)->Select({}, kStart, max_t).status();
  };
  for (uint8_t ref :
       std::vector<uint8_t>{0, 7, 9, static_cast<uint8_t>(layout.values_offset), 127}) {
    absl::Status st = select_with_reference(ref);
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << int{ref};
    EXPECT_NE(st.message().find("timestamps"), std::string_view::npos) << st;
  }
  EXPECT_TRUE(select_with_reference(kBlockHeaderSize).ok());
}

TEST_F(BlockTest, TimestampsDisagreeingWithTheIndexAreDataLossBehindValidChecksum) {
  // A timestamps record that decodes, under a valid checksum, to times other than the bounds the
  // index declares (which range queries trust without decoding).
  std::vector<TestSeries> series = MakeSeries(1, 1, 5);
  ASSERT_NE(WriteAndOpen(series), nullptr);
  const std::string chunks = ReadFile(Path("b/chunks"));
  const ChunksLayout layout = OneChunkLayout(chunks);
  const int64_t max_t = MaxTime(series);
  for (int64_t shift : {-1, 1}) {
    std::vector<int64_t> t;
    for (const Sample& x : series[0].samples) t.push_back(x.timestamp_ms + shift);
    BlockChunkEncoder enc;
    std::string body;
    enc.EncodeTimestamps(t, &body);
    std::string record;
    PutUvarint(&record, t.size());
    PutUvarint(&record, body.size());
    record += body;
    ASSERT_EQ(record.size(), layout.ts_length);  // same length: the layout stays valid
    std::string damaged = chunks;
    damaged.replace(kBlockHeaderSize, record.size(), record);
    RepairChecksum(&damaged, kBlockHeaderSize, record.size());
    WriteFile(Path("b/chunks"), damaged);
    absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path("b"));
    ASSERT_TRUE(block.ok()) << block.status();
    absl::Status st = (*block)->Select({}, kStart, max_t).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << shift;
    EXPECT_NE(st.message().find("bounds"), std::string_view::npos) << st;
  }
}

TEST_F(BlockTest, ReadsVersionOneBlocksOfXorChunks) {
  // A version-1 block as the previous writer made it: XOR chunks in the chunks file.
  std::vector<TestSeries> series = MakeSeries(1, 1, 7);
  const TestSeries& s = series[0];
  ASSERT_EQ(s.chunk_data.size(), 1u);
  std::string chunks = std::string("STBC") + '\x01' + std::string(3, '\0') + s.chunk_data[0];
  chunks += std::string(4, '\0');
  RepairChecksum(&chunks, kBlockHeaderSize, s.chunk_data[0].size());
  std::vector<std::string> names;
  for (const auto& l : s.labels) {
    names.emplace_back(l.name);
    names.emplace_back(l.value);
  }
  std::sort(names.begin(), names.end());
  std::string symbols = PutVarint(names.size());
  for (const std::string& n : names) symbols += PutVarint(n.size()) + n;
  auto ref = [&](std::string_view x) {
    return static_cast<uint64_t>(std::find(names.begin(), names.end(), x) - names.begin());
  };
  std::string entry = PutVarint(s.labels.size());
  for (const auto& l : s.labels) entry += PutVarint(ref(l.name)) + PutVarint(ref(l.value));
  entry += PutVarint(1) + PutVarint(static_cast<uint64_t>(s.chunks[0].min_t - kStart)) +
           PutVarint(static_cast<uint64_t>(s.chunks[0].max_t - s.chunks[0].min_t)) +
           PutVarint(kBlockHeaderSize) + PutVarint(s.chunk_data[0].size());
  const int64_t max_t = MaxTime(series);
  std::filesystem::create_directory(Path("v1"));
  WriteFile(Path("v1/chunks"), chunks);
  WriteFile(Path("v1/index"), MakeIndex(symbols, PutVarint(1) + entry, kStart, max_t, 1));
  WriteFile(Path("v1/meta.json"), "{\"version\":1,\"min_t\":" + std::to_string(kStart) +
                                      ",\"max_t\":" + std::to_string(max_t) +
                                      ",\"num_series\":1,\"num_chunks\":1,\"num_samples\":7}");
  absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(Path("v1"));
  ASSERT_TRUE(block.ok()) << block.status();
  EXPECT_EQ((*block)->meta().version, 1);
  absl::StatusOr<std::vector<SeriesData>> got = (*block)->Select({}, kStart, max_t);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameData(*got, BruteForce(series, {}, kStart, max_t));
  // Its chunks are still checksummed.
  chunks[kBlockHeaderSize + 3] ^= 0x10;
  WriteFile(Path("v1/chunks"), chunks);
  block = Block::Open(Path("v1"));
  ASSERT_TRUE(block.ok());
  EXPECT_EQ((*block)->Select({}, kStart, max_t).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(BlockTest, ConcurrentSelectsFromFourThreadsSeeConsistentResults) {
  std::vector<TestSeries> series = MakeSeries(200, 3, 40);
  std::unique_ptr<Block> block = WriteAndOpen(series);
  ASSERT_NE(block, nullptr);
  const int64_t max_t = MaxTime(series);
  std::vector<std::vector<LabelMatcher>> selectors;
  std::vector<std::vector<SeriesData>> want;
  for (int j = 0; j < 5; ++j) {
    selectors.push_back({M(MatchOp::kEqual, "job", "job_" + std::to_string(j))});
    want.push_back(BruteForce(series, selectors.back(), kStart + j * kStep, max_t));
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int iter = 0; iter < 50; ++iter) {
        const int j = (t + iter) % 5;
        absl::StatusOr<std::vector<SeriesData>> got =
            block->Select(selectors[static_cast<size_t>(j)], kStart + j * kStep, max_t);
        if (!got.ok() || got->size() != want[static_cast<size_t>(j)].size()) {
          ++failures;
          continue;
        }
        for (size_t i = 0; i < got->size(); ++i) {
          const auto& a = (*got)[i];
          const auto& b = want[static_cast<size_t>(j)][i];
          if (a.labels != b.labels || a.samples.size() != b.samples.size() ||
              a.samples.back().timestamp_ms != b.samples.back().timestamp_ms) {
            ++failures;
          }
        }
        if (!block->LabelValues("instance", selectors[static_cast<size_t>(j)], kStart, max_t)
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// Figures for FORMAT.md; run with --gtest_also_run_disabled_tests. Data shaped like the ingest
// benchmark's (bench/ingest/node_dataset.h; bench/chunk/block_size_bench measures that generator
// itself): N/100 hosts of 100 series, 2 h at 15 s (480 samples, handed over as head chunks of
// 120), all series of a host sharing its scrape timestamps (15 s grid + a per-host offset + -5..+5
// ms jitter). Per host: 32 cpu-seconds counters with two decimals (rate 0-1/s, a quarter never
// move), 38 integer counters (rates log-uniform 1-10^6/s, a sixth never move), 7 gauges in
// 4 KiB steps (random walks, sd 4 MB), 3 load averages with two decimals, 10 small-integer
// random walks, a histogram (4 buckets, _count, and a full-precision _sum), 4 constants, 1
// counter with three decimals.
uint64_t HeapInUseBytes() { return mallinfo2().uordblks; }

enum class NodeKind {
  kCpuSeconds,
  kIntCounter,
  kPages,
  kLoad,
  kSmallInt,
  kHistogram,
  kConstant,
  kMillis,
};

NodeKind KindOf(int j) {
  if (j < 32) return NodeKind::kCpuSeconds;
  if (j < 70) return NodeKind::kIntCounter;
  if (j < 77) return NodeKind::kPages;
  if (j < 80) return NodeKind::kLoad;
  if (j < 90) return NodeKind::kSmallInt;
  if (j < 96) return NodeKind::kHistogram;
  if (j < 99) return NodeKind::kConstant;
  return NodeKind::kMillis;
}

const char* KindName(NodeKind k) {
  switch (k) {
    case NodeKind::kCpuSeconds:
      return "counter, 2 decimals";
    case NodeKind::kIntCounter:
      return "counter, integer";
    case NodeKind::kPages:
      return "gauge, 4 KiB steps";
    case NodeKind::kLoad:
      return "gauge, 2 decimals";
    case NodeKind::kSmallInt:
      return "gauge, small integers";
    case NodeKind::kHistogram:
      return "histogram (buckets, count, float sum)";
    case NodeKind::kConstant:
      return "constant";
    case NodeKind::kMillis:
      return "counter, 3 decimals";
  }
  return "";
}

// Samples of host `h`'s 100 series over 480 scrapes.
std::vector<std::vector<Sample>> NodeHost(int h) {
  std::mt19937_64 rng(1000 + static_cast<uint64_t>(h));
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  const int64_t offset = 5 + static_cast<int64_t>(uniform(rng) * (kStep - 10));
  std::vector<double> state(100), rate(100);
  for (int j = 0; j < 100; ++j) {
    switch (KindOf(j)) {
      case NodeKind::kCpuSeconds:
        rate[j] = j % 4 == 0 ? 0 : uniform(rng);
        state[j] = rate[j] * 86400 * 30;
        break;
      case NodeKind::kIntCounter:
        rate[j] = j % 6 == 0 ? 0 : std::pow(10, 6 * uniform(rng));
        state[j] = rate[j] * 86400 * 30;
        break;
      case NodeKind::kPages:
        state[j] = 1e9 + uniform(rng) * 1e10;
        break;
      case NodeKind::kLoad:
        rate[j] = 0.1 + 3 * uniform(rng);  // the level it reverts to
        state[j] = rate[j];
        break;
      case NodeKind::kSmallInt:
        rate[j] = 0.5 + 40 * uniform(rng) * uniform(rng);  // sd of a step
        state[j] = 1000 * uniform(rng);
        break;
      case NodeKind::kHistogram:
        state[j] = 1e5 * (1 + uniform(rng));
        break;
      case NodeKind::kConstant:
        state[j] = std::floor(1e12 * uniform(rng));
        break;
      case NodeKind::kMillis:
        rate[j] = 0.2 * uniform(rng);
        state[j] = rate[j] * 86400 * 30;
        break;
    }
  }
  std::vector<std::vector<Sample>> out(100);
  double hist_sum = 4000 * (1 + uniform(rng));
  for (int k = 0; k < 480; ++k) {
    const int64_t t = kStart + offset + k * kStep + static_cast<int64_t>(rng() % 11) - 5;
    const double requests = std::max(0.0, std::round(15 + 4 * normal(rng)));
    for (int j = 0; j < 100; ++j) {
      double v = 0;
      switch (KindOf(j)) {
        case NodeKind::kCpuSeconds:
          state[j] += std::max(0.0, rate[j] * 15 * (1 + 0.1 * normal(rng)));
          v = std::round(state[j] / 0.01) * 0.01;
          break;
        case NodeKind::kIntCounter:
          state[j] += std::max(0.0, rate[j] * 15 * (1 + 0.1 * normal(rng)));
          v = std::floor(state[j]);
          break;
        case NodeKind::kPages:
          state[j] += 4e6 * normal(rng);
          v = std::round(state[j] / 4096) * 4096;
          break;
        case NodeKind::kLoad:
          state[j] = std::max(
              0.0, state[j] + 0.1 * (rate[j] - state[j]) + 0.05 * normal(rng) * (1 + state[j]));
          v = std::round(state[j] / 0.01) * 0.01;
          break;
        case NodeKind::kSmallInt:
          state[j] = std::max(0.0, state[j] + rate[j] * normal(rng));
          v = std::round(state[j]);
          break;
        case NodeKind::kHistogram:
          if (j == 95) {
            for (int r = 0; r < static_cast<int>(requests); ++r) {
              hist_sum += 0.03 * std::exp(0.8 * normal(rng));
            }
            v = hist_sum;
          } else {
            state[j] += std::round(requests * (0.6 + 0.1 * (j - 90)));
            v = state[j];
          }
          break;
        case NodeKind::kConstant:
          v = state[j];
          break;
        case NodeKind::kMillis:
          state[j] += std::max(0.0, rate[j] * 15 * (1 + 0.1 * normal(rng)));
          v = std::round(state[j] / 0.001) * 0.001;
          break;
      }
      out[static_cast<size_t>(j)].push_back({t, v});
    }
  }
  return out;
}

void Measure(const std::string& dir, int n) {
  std::vector<Labels> labels;
  std::vector<std::vector<std::string>> data(static_cast<size_t>(n));
  std::vector<BlockSeriesInput> in;
  uint64_t samples = 0;
  uint64_t xor_bytes = 0;  // what version 1 stored: the head chunks and a checksum each
  // Values bytes by kind, with this format's encoder, and the timestamps records (one per host).
  std::map<NodeKind, std::pair<uint64_t, uint64_t>> by_kind;  // bytes, samples
  uint64_t timestamp_bytes = 0;
  BlockChunkEncoder encoder;
  std::string scratch;
  for (int i = 0; i < n; ++i) {
    labels.push_back(Labels::FromUnsorted({{"__name__", "metric_name_" + std::to_string(i % 100)},
                                           {"job", "node"},
                                           {"instance", "10.0.0." + std::to_string(i / 100)},
                                           {"region", "eu-west-" + std::to_string(i / 100 % 3)}}));
  }
  for (int h = 0; h < n / 100; ++h) {
    const std::vector<std::vector<Sample>> host = NodeHost(h);
    // The writer's cut of 480 samples: even parts of at most kBlockWriterChunkSamples.
    const size_t parts = (480 + kBlockWriterChunkSamples - 1) / kBlockWriterChunkSamples;
    std::vector<int64_t> t;
    for (const Sample& x : host[0]) t.push_back(x.timestamp_ms);
    for (size_t p = 0; p < parts; ++p) {
      scratch.clear();
      encoder.EncodeTimestamps(
          std::span(t).subspan(480 * p / parts, 480 * (p + 1) / parts - 480 * p / parts), &scratch);
      timestamp_bytes += scratch.size() + 2 + 2 + kBlockChunkChecksumSize;
    }
    for (int j = 0; j < 100; ++j) {
      const size_t i = static_cast<size_t>(h * 100 + j);
      const std::vector<Sample>& series = host[static_cast<size_t>(j)];
      BlockSeriesInput s{&labels[i], {}};
      for (size_t c = 0; c < series.size(); c += 120) {
        XorChunkAppender app;
        for (size_t k = c; k < c + 120; ++k) app.Append(series[k].timestamp_ms, series[k].value);
        data[i].push_back(app.bytes());
        s.chunks.push_back({app.MinTime(), app.MaxTime(), data[i].back()});
        xor_bytes += app.bytes().size() + kBlockChunkChecksumSize;
      }
      samples += series.size();
      in.push_back(std::move(s));
      std::vector<double> v;
      for (const Sample& x : series) v.push_back(x.value);
      auto& [bytes, count] = by_kind[KindOf(j)];
      for (size_t p = 0; p < parts; ++p) {
        scratch.clear();
        encoder.EncodeValues(
            std::span(v).subspan(480 * p / parts, 480 * (p + 1) / parts - 480 * p / parts),
            &scratch);
        bytes += scratch.size() + 2 + kBlockChunkChecksumSize;  // + reference, checksum
      }
      count += v.size();
    }
  }
  const std::string name = "m" + std::to_string(n);
  auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<BlockMeta> meta = WriteBlock(dir, name, kStart, kStart + 7'200'000, in);
  ASSERT_TRUE(meta.ok()) << meta.status();
  auto t1 = std::chrono::steady_clock::now();
  const uint64_t chunks_bytes = std::filesystem::file_size(dir + "/" + name + "/chunks");
  const uint64_t index_bytes = std::filesystem::file_size(dir + "/" + name + "/index");
  uint64_t heap0 = HeapInUseBytes();
  auto t2 = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(dir + "/" + name);
  auto t3 = std::chrono::steady_clock::now();
  ASSERT_TRUE(block.ok());
  uint64_t heap1 = HeapInUseBytes();
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::printf(
      "series=%d samples=%lu chunks=%lu B index=%lu B bytes/sample=%.3f (chunks %.3f) "
      "index B/series=%.1f write=%.1f ms open=%.1f ms open heap=+%lu KiB (%.0f B/series)\n",
      n, samples, chunks_bytes, index_bytes,
      static_cast<double>(chunks_bytes + index_bytes) / static_cast<double>(samples),
      static_cast<double>(chunks_bytes) / static_cast<double>(samples),
      static_cast<double>(index_bytes) / n, ms(t0, t1), ms(t2, t3), (heap1 - heap0) / 1024,
      static_cast<double>(heap1 - heap0) / n);
  std::printf("  version-1 chunks file (head XOR chunks + checksums): %.3f B/sample\n",
              static_cast<double>(xor_bytes) / static_cast<double>(samples));
  for (const auto& [kind, bc] : by_kind) {
    std::printf("  values, %-40s %.3f B/sample\n", KindName(kind),
                static_cast<double>(bc.first) / static_cast<double>(bc.second));
  }
  std::printf("  timestamps records, shared by each host's series: %.4f B/sample\n",
              static_cast<double>(timestamp_bytes) / static_cast<double>(samples));
  struct Q {
    const char* what;
    std::vector<LabelMatcher> matchers;
    int64_t lo, hi;
  };
  const std::vector<Q> queries = {
      {"selective {instance=10.0.0.7,__name__=metric_name_5} 1h",
       {M(MatchOp::kEqual, "instance", "10.0.0.7"),
        M(MatchOp::kEqual, "__name__", "metric_name_5")},
       kStart + 3'600'000,
       kStart + 7'200'000},
      {"metric {__name__=metric_name_5} 2h",
       {M(MatchOp::kEqual, "__name__", "metric_name_5")},
       kStart,
       kStart + 7'200'000},
      {"broad {job=node} 2h", {M(MatchOp::kEqual, "job", "node")}, kStart, kStart + 7'200'000},
      {"broad regex {region=~eu-west-[01]} last 15 min",
       {M(MatchOp::kRegexMatch, "region", "eu-west-[01]")},
       kStart + 6'300'000,
       kStart + 7'200'000},
  };
  for (const Q& q : queries) {
    const int reps = 5;
    size_t series_out = 0;
    size_t samples_out = 0;
    auto a = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
      absl::StatusOr<std::vector<SeriesData>> got = (*block)->Select(q.matchers, q.lo, q.hi);
      ASSERT_TRUE(got.ok());
      series_out = got->size();
      samples_out = 0;
      for (const SeriesData& d : *got) samples_out += d.samples.size();
    }
    auto b = std::chrono::steady_clock::now();
    std::printf("  %-60s series=%zu samples=%zu %.3f ms\n", q.what, series_out, samples_out,
                ms(a, b) / reps);
  }
}

TEST_F(BlockTest, DISABLED_MeasureSizeOpenAndSelect) {
  Measure(dir_, 10'000);
  if (getenv("STRATA_BLOCK_MEASURE_100K") != nullptr) Measure(dir_, 100'000);
}

}  // namespace
}  // namespace strata::collector::hot
