#include "collector/storage/hot/head/head.h"

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <limits>
#include <thread>

#include "tests/fakes/faulty_wal_file_system.h"

namespace strata::collector::hot {
namespace {

using common::Labels;
using common::Sample;

std::string FreshDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/head_test_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

HeadOptions Options(const std::string& dir) {
  HeadOptions o;
  o.dir = dir;
  o.max_samples_per_chunk = 120;
  o.out_of_order_window_ms = 60'000;
  return o;
}

LabelMatcher Eq(const std::string& name, const std::string& value) {
  return *LabelMatcher::Create(MatchOp::kEqual, name, value);
}

std::vector<Sample> Series(int n, int64_t t0 = 1'700'000'000'000, int64_t step = 15'000) {
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) out.push_back({t0 + i * step, i * 1.5});
  return out;
}

std::vector<SeriesData> SelectAll(Head& head) {
  return *head.Select({*LabelMatcher::Create(MatchOp::kRegexMatch, "__name__", ".+")}, INT64_MIN,
                      INT64_MAX);
}

void ExpectSameData(const std::vector<SeriesData>& a, const std::vector<SeriesData>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].labels, b[i].labels);
    ASSERT_EQ(a[i].samples.size(), b[i].samples.size());
    for (size_t j = 0; j < a[i].samples.size(); ++j) {
      EXPECT_EQ(a[i].samples[j].timestamp_ms, b[i].samples[j].timestamp_ms);
      EXPECT_EQ(std::bit_cast<uint64_t>(a[i].samples[j].value),
                std::bit_cast<uint64_t>(b[i].samples[j].value));
    }
  }
}

TEST(HeadTest, AppendAndSelectAcrossChunkCuts) {
  common::Registry registry;
  auto head = *Head::Open(Options(FreshDir("cuts")), registry);
  Labels labels{{"__name__", "m"}, {"job", "a"}};
  std::vector<Sample> in = Series(300);
  in.push_back({in.back().timestamp_ms + 1, common::StaleNaN()});
  auto r = head->Append(labels, in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 301u);
  EXPECT_EQ(head->NumChunks(), 2u);  // 120 + 120 closed, 61 in the open chunk
  auto out = *head->Select({Eq("job", "a")}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].samples.size(), 301u);
  EXPECT_EQ(out[0].samples[299].value, 299 * 1.5);
  EXPECT_TRUE(common::IsStaleNaN(out[0].samples[300].value));
  // A range inside the second chunk only.
  auto part = *head->Select({Eq("job", "a")}, in[130].timestamp_ms, in[140].timestamp_ms);
  ASSERT_EQ(part[0].samples.size(), 11u);
  EXPECT_EQ(part[0].samples.front().timestamp_ms, in[130].timestamp_ms);
}

TEST(HeadTest, OutOfOrderWithinWindowIsMergedDuplicatesAndTooOldAreCounted) {
  common::Registry registry;
  auto head = *Head::Open(Options(FreshDir("ooo")), registry);
  Labels labels{{"__name__", "m"}};
  ASSERT_TRUE(head->Append(labels, {{100'000, 1}, {130'000, 3}}).ok());
  auto r = *head->Append(labels, {{115'000, 2},   // late, inside the 60 s window
                                  {130'000, 9},   // duplicate of the newest
                                  {100'000, 9},   // duplicate inside a chunk
                                  {115'000, 9},   // duplicate of an out-of-order sample
                                  {60'000, 0}});  // older than newest - window
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.duplicates, 3u);
  EXPECT_EQ(r.out_of_bounds, 1u);
  auto out = SelectAll(*head);
  ASSERT_EQ(out[0].samples.size(), 3u);
  EXPECT_EQ(out[0].samples[1].timestamp_ms, 115'000);
  EXPECT_EQ(out[0].samples[1].value, 2);
  EXPECT_EQ(out[0].samples[2].value, 3);  // the first stored value wins
}

TEST(HeadTest, GracefulRestartGivesIdenticalResults) {
  std::string dir = FreshDir("restart");
  std::vector<SeriesData> before;
  {
    common::Registry registry;
    auto head = *Head::Open(Options(dir), registry);
    for (int s = 0; s < 20; ++s) {
      Labels labels{{"__name__", "m"}, {"s", std::to_string(s)}};
      ASSERT_TRUE(head->Append(labels, Series(250 + s)).ok());
      ASSERT_TRUE(head->Append(labels, {{1'700'000'000'000 + 7, -1.0}}).ok());  // out of order
    }
    before = SelectAll(*head);
    ASSERT_TRUE(head->Close().ok());
  }
  common::Registry registry;
  auto head = *Head::Open(Options(dir), registry);
  EXPECT_EQ(head->NumSeries(), 20u);
  ExpectSameData(before, SelectAll(*head));
  // New data after the restart goes on from where the series were.
  Labels labels{{"__name__", "m"}, {"s", "0"}};
  auto r = *head->Append(labels, {{1'800'000'000'000, 5}});
  EXPECT_EQ(r.accepted, 1u);
}

TEST(HeadTest, TornWalTailIsTruncatedAndEarlierBatchesSurvive) {
  std::string dir = FreshDir("torn");
  std::vector<SeriesData> first_batch;
  {
    common::Registry registry;
    auto head = *Head::Open(Options(dir), registry);
    ASSERT_TRUE(head->Append(Labels{{"__name__", "a"}}, Series(10)).ok());
    first_batch = SelectAll(*head);
    ASSERT_TRUE(head->Append(Labels{{"__name__", "b"}}, Series(10)).ok());
    ASSERT_TRUE(head->Close().ok());
  }
  // Cut the last segment in the middle of its last record, as a crash during write would.
  std::string last;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/wal")) {
    if (e.path().filename().string() > std::filesystem::path(last).filename().string() &&
        e.path().filename().string().size() == 8) {
      last = e.path().string();
    }
  }
  ASSERT_FALSE(last.empty());
  std::filesystem::resize_file(last, std::filesystem::file_size(last) - 5);
  common::Registry registry;
  auto head = Head::Open(Options(dir), registry);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_GT((*head)->replay_result().truncated_bytes, 0u);
  auto a = *(*head)->Select({Eq("__name__", "a")}, INT64_MIN, INT64_MAX);
  ExpectSameData(first_batch, a);
}

TEST(HeadTest, DropBeforeRemovesOldChunksAndEmptySeries) {
  common::Registry registry;
  auto head = *Head::Open(Options(FreshDir("drop")), registry);
  ASSERT_TRUE(head->Append(Labels{{"__name__", "old"}}, Series(10, 1000)).ok());
  ASSERT_TRUE(head->Append(Labels{{"__name__", "new"}}, Series(300, 10'000'000)).ok());
  head->DropBefore(10'000'000 + 150 * 15'000);
  EXPECT_EQ(head->NumSeries(), 1u);
  auto names = *head->LabelValues("__name__", {}, INT64_MIN, INT64_MAX);
  EXPECT_EQ(names, std::vector<std::string>{"new"});
  auto out = SelectAll(*head);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].samples.size(), 180u);  // the first whole chunk (120) is gone
  auto r = *head->Append(Labels{{"__name__", "old"}}, {{2000, 1}});
  EXPECT_EQ(r.out_of_bounds, 1u);
}

TEST(HeadTest, RejectBeforeRefusesOlderAppendsButKeepsTheData) {
  common::Registry registry;
  auto head = *Head::Open(Options(FreshDir("reject")), registry);
  const Labels labels{{"__name__", "m"}};
  ASSERT_TRUE(head->Append(labels, Series(10, 1'000'000)).ok());
  head->RejectBefore(1'000'000 + 20 * 15'000);
  head->RejectBefore(0);  // never lowers the bound
  // Out of order within the window, and in order but before the bound: both refused.
  auto r = *head->Append(labels, {{1'000'000 + 3 * 15'000 + 1, 1}, {1'000'000 + 19 * 15'000, 2}});
  EXPECT_EQ(r.out_of_bounds, 2u);
  EXPECT_EQ(r.accepted, 0u);
  r = *head->Append(labels, {{1'000'000 + 20 * 15'000, 3}});
  EXPECT_EQ(r.accepted, 1u);
  auto out = SelectAll(*head);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].samples.size(), 11u);  // nothing already stored was dropped
}

TEST(HeadTest, SeriesLimitIsEnforced) {
  common::Registry registry;
  HeadOptions o = Options(FreshDir("limit"));
  o.max_series = 3;
  auto head = *Head::Open(o, registry);
  AppendResult total;
  for (int s = 0; s < 5; ++s) {
    auto r = *head->Append(Labels{{"__name__", "m"}, {"s", std::to_string(s)}}, Series(2));
    total.accepted += r.accepted;
    total.series_limited += r.series_limited;
  }
  EXPECT_EQ(total.accepted, 6u);
  EXPECT_EQ(total.series_limited, 4u);
  EXPECT_EQ(head->NumSeries(), 3u);
}

TEST(HeadTest, CheckpointBoundsTheWalAndReplaysIdentically) {
  std::string dir = FreshDir("checkpoint");
  HeadOptions o = Options(dir);
  o.wal.segment_size_bytes = 4096;  // many small segments
  std::vector<SeriesData> before;
  {
    common::Registry registry;
    auto head = *Head::Open(o, registry);
    for (int s = 0; s < 30; ++s) {
      ASSERT_TRUE(
          head->Append(Labels{{"__name__", "m"}, {"s", std::to_string(s)}}, Series(200)).ok());
    }
    head->DropBefore(1'700'000'000'000 + 120 * 15'000);  // retention dropped the first chunk
    size_t segments_before = head->NumWalSegments();
    ASSERT_GT(segments_before, 5u);
    ASSERT_TRUE(head->Checkpoint().ok());
    EXPECT_LE(head->NumWalSegments(), 1u);
    int checkpoints = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/wal")) {
      if (e.path().filename().string().rfind("checkpoint.", 0) == 0) ++checkpoints;
    }
    EXPECT_EQ(checkpoints, 1);
    // Appends after the checkpoint go to the new segments and are replayed after it.
    ASSERT_TRUE(head->Append(Labels{{"__name__", "late"}}, Series(5, 1'800'000'000'000)).ok());
    before = SelectAll(*head);
    ASSERT_TRUE(head->Close().ok());
  }
  common::Registry registry;
  auto head = *Head::Open(o, registry);
  ExpectSameData(before, SelectAll(*head));
  EXPECT_EQ(head->NumSeries(), 31u);
}

// Checkpoints hold chunks, not 10-byte WAL samples; series with out-of-order samples (written as
// merged samples) and chunks straddling the min-valid time replay exactly too.
TEST(HeadTest, CheckpointStoresChunksAndReplaysOutOfOrderSamplesExactly) {
  std::string dir = FreshDir("checkpoint_chunks");
  HeadOptions o = Options(dir);
  std::vector<SeriesData> before;
  int64_t wal_bytes = 0;
  {
    common::Registry registry;
    auto head = *Head::Open(o, registry);
    for (int s = 0; s < 50; ++s) {
      ASSERT_TRUE(
          head->Append(Labels{{"__name__", "m"}, {"s", std::to_string(s)}}, Series(300)).ok());
    }
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/wal")) {
      if (e.is_regular_file()) wal_bytes += static_cast<int64_t>(e.file_size());
    }
    // Values the block codec stores as exceptions: staleness marker, other NaN, -0.0, Inf.
    std::vector<Sample> odd = Series(300);
    odd[10].value = common::StaleNaN();
    odd[11].value = std::bit_cast<double>(uint64_t{0x7ff8000000000123});
    odd[12].value = -0.0;
    odd[13].value = std::numeric_limits<double>::infinity();
    odd[14].value = 0.1 + 0.2;
    ASSERT_TRUE(head->Append(Labels{{"__name__", "odd"}}, odd).ok());
    // Out-of-order samples, just inside the 60 s window of the series' newest sample.
    const int64_t newest = 1'700'000'000'000 + 299 * 15'000;
    ASSERT_EQ(head->Append(Labels{{"__name__", "m"}, {"s", "7"}},
                           {{newest - 50'000, -1.0}, {newest - 7, -2.0}})
                  ->accepted,
              2u);
    ASSERT_TRUE(head->Checkpoint().ok());
    int64_t checkpoint_bytes = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/wal")) {
      if (e.is_regular_file() && e.path().string().find("checkpoint.") != std::string::npos) {
        checkpoint_bytes += static_cast<int64_t>(e.file_size());
      }
    }
    // 15,000 samples: about 10 bytes each in the WAL, a fraction of that as chunks.
    EXPECT_LT(checkpoint_bytes * 3, wal_bytes) << checkpoint_bytes << " vs " << wal_bytes;
    before = SelectAll(*head);
    ASSERT_TRUE(head->Close().ok());
  }
  common::Registry registry;
  auto head = *Head::Open(o, registry);
  ExpectSameData(before, SelectAll(*head));
  EXPECT_EQ(head->NumSamples(), 51u * 300 + 2);
}

TEST(HeadTest, CheckpointLeftoversFromACrashAreCleanedUp) {
  std::string dir = FreshDir("checkpoint_crash");
  HeadOptions o = Options(dir);
  std::vector<SeriesData> before;
  {
    common::Registry registry;
    auto head = *Head::Open(o, registry);
    ASSERT_TRUE(head->Append(Labels{{"__name__", "m"}}, Series(50)).ok());
    ASSERT_TRUE(head->Checkpoint().ok());
    ASSERT_TRUE(head->Append(Labels{{"__name__", "m"}}, Series(10, 1'800'000'000'000)).ok());
    before = SelectAll(*head);
    ASSERT_TRUE(head->Close().ok());
  }
  // An interrupted later checkpoint left its .tmp directory behind.
  std::filesystem::create_directories(dir + "/wal/checkpoint.00000099.tmp");
  common::Registry registry;
  auto head = *Head::Open(o, registry);
  ExpectSameData(before, SelectAll(*head));
  EXPECT_FALSE(std::filesystem::exists(dir + "/wal/checkpoint.00000099.tmp"));
}

// A full disk makes appends fail loudly (nothing applied, so nothing acknowledged) without
// corrupting what was stored before; writes resume once space is back.
TEST(HeadTest, FullDiskFailsAppendsWithoutCorruptingStoredData) {
  std::string dir = FreshDir("disk_full");
  FaultyWalFileSystem fs;
  HeadOptions o = Options(dir);
  o.wal.file_system = &fs;
  std::vector<SeriesData> stored;
  {
    common::Registry registry;
    auto head = *Head::Open(o, registry);
    ASSERT_TRUE(head->Append(Labels{{"__name__", "m"}}, Series(50)).ok());
    stored = SelectAll(*head);
    fs.SetByteBudget(10);  // the disk fills up
    auto failed = head->Append(Labels{{"__name__", "m"}}, Series(5, 1'800'000'000'000));
    ASSERT_FALSE(failed.ok());
    EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
    auto new_series = head->Append(Labels{{"__name__", "other"}}, Series(5));
    ASSERT_FALSE(new_series.ok());
    ExpectSameData(stored, SelectAll(*head));  // nothing half-applied
    EXPECT_EQ(registry.ValueOf("strata_collector_head_wal_failures_total"), 2);
    fs.SetByteBudget(-1);  // space is back
    ASSERT_TRUE(head->Append(Labels{{"__name__", "m"}}, Series(5, 1'800'000'000'000)).ok());
    stored = SelectAll(*head);
    ASSERT_TRUE(head->Close().ok());
  }
  common::Registry registry;
  o.wal.file_system = nullptr;
  auto head = *Head::Open(o, registry);
  ExpectSameData(stored, SelectAll(*head));
}

TEST(HeadTest, PerMetricSeriesLimitRejectsOnlyTheExplodingMetric) {
  common::Registry registry;
  HeadOptions o = Options(FreshDir("per_metric"));
  o.max_series_per_metric = 2;
  auto head = *Head::Open(o, registry);
  for (int s = 0; s < 5; ++s) {
    ASSERT_TRUE(
        head->Append(Labels{{"__name__", "boom"}, {"id", std::to_string(s)}}, Series(1)).ok());
  }
  auto calm = *head->Append(Labels{{"__name__", "calm"}}, Series(1));
  EXPECT_EQ(calm.accepted, 1u);
  EXPECT_EQ(head->NumSeries(), 3u);
  EXPECT_EQ(registry.ValueOf("strata_collector_head_series_limited_total",
                             {{"limit", "per_metric"}, {"metric", "boom"}}),
            3);
  Head::Stats stats = head->GetStats(10);
  ASSERT_FALSE(stats.top.series_count_by_metric_name.empty());
  EXPECT_EQ(stats.top.series_count_by_metric_name[0].name, "boom");
  EXPECT_EQ(stats.top.series_count_by_metric_name[0].value, 2u);
  EXPECT_EQ(stats.num_series, 3u);
  EXPECT_EQ(stats.min_t, 1'700'000'000'000);
}

TEST(HeadTest, ConcurrentBatchesFromFourThreadsAreAllStoredAndReplayed) {
  std::string dir = FreshDir("concurrent");
  {
    common::Registry registry;
    auto head = *Head::Open(Options(dir), registry);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int round = 0; round < 50; ++round) {
          std::vector<Labels> labels;
          std::vector<std::vector<Sample>> samples;
          for (int s = 0; s < 10; ++s) {
            labels.push_back(
                Labels{{"__name__", "m"}, {"t", std::to_string(t)}, {"s", std::to_string(s)}});
            samples.push_back({{1'000'000 + round * 1000, static_cast<double>(round)}});
          }
          std::vector<SeriesAppend> batch;
          for (size_t i = 0; i < labels.size(); ++i) batch.push_back({&labels[i], {}, samples[i]});
          ASSERT_TRUE(head->AppendBatch(batch).ok());
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(head->NumSeries(), 40u);
    EXPECT_EQ(head->NumSamples(), 2000u);
  }
  common::Registry registry;
  auto head = *Head::Open(Options(dir), registry);
  EXPECT_EQ(head->NumSeries(), 40u);
  EXPECT_EQ(head->NumSamples(), 2000u);
}

// A batch large enough that every shard's part spans several prefetch distances, in which some
// series appear twice (once as Labels, once as label views: the second must find the series the
// first created within the same batch) and which mixes new series with existing ones.
TEST(HeadTest, LargeBatchesWithRepeatedSeriesMapEachSampleToOneSeries) {
  std::string dir = FreshDir("large_batches");
  constexpr int kSeries = 600;
  std::vector<Labels> labels;
  for (int i = 0; i < kSeries; ++i) {
    labels.push_back(Labels{{"__name__", "m"}, {"i", std::to_string(i)}});
  }
  std::vector<std::vector<common::LabelView>> views(kSeries);
  for (int i = 0; i < kSeries; ++i) {
    for (const auto& l : labels[i]) views[i].push_back({l.name, l.value});
  }
  const int64_t t0 = 1'700'000'000'000;
  std::vector<std::vector<Sample>> first(kSeries), repeat(kSeries), second(kSeries);
  for (int i = 0; i < kSeries; ++i) {
    first[i] = {{t0, static_cast<double>(i)}};
    repeat[i] = {{t0 + 1000, static_cast<double>(i) + 0.5}};
    second[i] = {{t0 + 2000, static_cast<double>(i) + 0.25}};
  }
  std::vector<SeriesData> before;
  {
    common::Registry registry;
    auto head = *Head::Open(Options(dir), registry);
    // Batch 1: the first 400 series; every third of them again, later in the batch, as views.
    std::vector<SeriesAppend> batch;
    for (int i = 0; i < 400; ++i) batch.push_back({&labels[i], {}, first[i]});
    for (int i = 0; i < 400; i += 3) batch.push_back({nullptr, views[i], repeat[i]});
    AppendResult r = *head->AppendBatch(batch);
    EXPECT_EQ(r.accepted, 400u + 134u);
    EXPECT_EQ(head->NumSeries(), 400u);
    // Batch 2: all 600 as views (200 of them new).
    batch.clear();
    for (int i = 0; i < kSeries; ++i) batch.push_back({nullptr, views[i], second[i]});
    r = *head->AppendBatch(batch);
    EXPECT_EQ(r.accepted, static_cast<uint64_t>(kSeries));
    EXPECT_EQ(head->NumSeries(), static_cast<uint64_t>(kSeries));

    before = SelectAll(*head);
    ASSERT_EQ(before.size(), static_cast<size_t>(kSeries));
    for (const SeriesData& d : before) {
      const int i = std::stoi(std::string(d.labels.Get("i")));
      std::vector<Sample> want;
      if (i < 400) want.push_back(first[i][0]);
      if (i < 400 && i % 3 == 0) want.push_back(repeat[i][0]);
      want.push_back(second[i][0]);
      ASSERT_EQ(d.samples.size(), want.size()) << "series " << i;
      for (size_t k = 0; k < want.size(); ++k) {
        EXPECT_EQ(d.samples[k].timestamp_ms, want[k].timestamp_ms) << "series " << i;
        EXPECT_EQ(d.samples[k].value, want[k].value) << "series " << i;
      }
    }
  }
  common::Registry registry;
  auto head = *Head::Open(Options(dir), registry);
  EXPECT_EQ(head->NumSeries(), static_cast<uint64_t>(kSeries));
  ExpectSameData(SelectAll(*head), before);
}

}  // namespace
}  // namespace strata::collector::hot
