#include "collector/storage/hot/store/hot_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <map>

#include "collector/storage/hot/block/block.h"

namespace strata::collector::hot {
namespace {

using common::Labels;
using common::Sample;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT0 = 1'700'006'400'000;  // a multiple of 2 h

std::string FreshDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/hot_store_test_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

HotStoreOptions Options(const std::string& dir) {
  HotStoreOptions o;
  o.dir = dir;
  o.block_range_ms = 2 * kHour;
  o.retention_ms = 1000 * kHour;
  return o;
}

LabelMatcher AnyName() { return *LabelMatcher::Create(MatchOp::kRegexMatch, "__name__", ".+"); }

// 50 series, 5 h at 13 s (so head chunks of 120 samples straddle block boundaries) with a few ms
// of jitter, plus one stale marker.
std::vector<std::pair<Labels, std::vector<Sample>>> Data() {
  std::vector<std::pair<Labels, std::vector<Sample>>> out;
  for (int s = 0; s < 50; ++s) {
    std::vector<Sample> samples;
    for (int64_t t = kT0 + s; t < kT0 + 5 * kHour; t += 13000) {
      samples.push_back({t + (t / 13000) % 3, static_cast<double>(t % 100000) / 7 + s});
    }
    samples.back().value = common::StaleNaN();
    out.emplace_back(Labels{{"__name__", "m"}, {"s", std::to_string(s)}}, std::move(samples));
  }
  return out;
}

void ExpectEqualsInput(HotStore& store,
                       const std::vector<std::pair<Labels, std::vector<Sample>>>& in) {
  auto out = *store.Select({AnyName()}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(out.size(), in.size());
  std::map<Labels, const std::vector<Sample>*> want;
  for (const auto& [l, s] : in) want[l] = &s;
  for (const SeriesData& d : out) {
    const std::vector<Sample>& w = *want.at(d.labels);
    ASSERT_EQ(d.samples.size(), w.size()) << d.labels.ToString();  // no gap, no double count
    for (size_t i = 0; i < w.size(); ++i) {
      ASSERT_EQ(d.samples[i].timestamp_ms, w[i].timestamp_ms);
      ASSERT_EQ(std::bit_cast<uint64_t>(d.samples[i].value), std::bit_cast<uint64_t>(w[i].value));
    }
  }
}

TEST(HotStoreTest, CutBlocksAreStitchedWithTheHeadWithoutGapsOrDoubles) {
  common::Registry registry;
  auto store = *HotStore::Open(Options(FreshDir("cut")), registry);
  auto data = Data();
  for (const auto& [l, s] : data) ASSERT_TRUE(store->Append(l, s).ok());
  ASSERT_TRUE(store->CutBlocksBefore(kT0 + 4 * kHour).ok());
  EXPECT_EQ(store->NumBlocks(), 2u);
  EXPECT_EQ(registry.ValueOf("strata_collector_hot_blocks_cut_total"), 2);
  // The head let go of what the blocks hold (whole chunks before the cut).
  EXPECT_LT(store->head().NumSamples(), 50u * 1385 / 2);
  ExpectEqualsInput(*store, data);
  // A range spanning a block boundary.
  auto part = *store->Select({AnyName()}, kT0 + 2 * kHour - 60000, kT0 + 2 * kHour + 60000);
  ASSERT_EQ(part.size(), 50u);
  EXPECT_EQ(part[0].samples.size(), 9u);
  // Samples older than the newest block's end are now out of bounds.
  auto late = *store->Append(data[0].first, {{kT0 + kHour, 1}});
  EXPECT_EQ(late.out_of_bounds, 1u);
}

TEST(HotStoreTest, OutOfOrderSamplesAreWrittenIntoTheBlock) {
  common::Registry registry;
  HotStoreOptions o = Options(FreshDir("ooo"));
  o.head.out_of_order_window_ms = 30 * 60 * 1000;
  auto store = *HotStore::Open(o, registry);
  auto data = Data();
  const int64_t boundary = kT0 + 2 * kHour;
  uint64_t ooo_accepted = 0;
  for (const auto& [l, s] : data) {
    // Everything before the first block boundary but one sample 10 min before it, which then
    // arrives out of order (kept beside the chunks until the block is cut), then the rest.
    std::vector<Sample> before, after;
    for (const Sample& x : s) (x.timestamp_ms < boundary ? before : after).push_back(x);
    auto held = std::lower_bound(before.begin(), before.end(), boundary - 10 * 60 * 1000,
                                 [](const Sample& a, int64_t t) { return a.timestamp_ms < t; });
    const Sample late = *held;
    before.erase(held);
    ASSERT_EQ(store->Append(l, before)->accepted, before.size());
    auto r = *store->Append(l, {late});
    ooo_accepted += r.accepted;
    ASSERT_EQ(store->Append(l, after)->accepted, after.size());
  }
  EXPECT_EQ(ooo_accepted, data.size());
  ASSERT_TRUE(store->CutBlocksBefore(kT0 + 4 * kHour).ok());
  ASSERT_EQ(store->NumBlocks(), 2u);
  ExpectEqualsInput(*store, data);
  // The first block alone holds every sample of its range, the late ones included.
  std::vector<std::string> dirs;
  for (const auto& e : std::filesystem::directory_iterator(o.dir + "/blocks")) {
    dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());  // names sort by time
  auto first = Block::Open(dirs.front());
  ASSERT_TRUE(first.ok()) << first.status();
  auto block = *(*first)->Select({AnyName()}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(block.size(), data.size());
  std::map<Labels, const std::vector<Sample>*> want;
  for (const auto& [l, s] : data) want[l] = &s;
  for (const SeriesData& d : block) {
    const std::vector<Sample>& w = *want.at(d.labels);
    const size_t in_range = static_cast<size_t>(
        std::lower_bound(w.begin(), w.end(), boundary,
                         [](const Sample& a, int64_t t) { return a.timestamp_ms < t; }) -
        w.begin());
    ASSERT_EQ(d.samples.size(), in_range) << d.labels.ToString();
    for (size_t i = 0; i < in_range; ++i) ASSERT_EQ(d.samples[i].timestamp_ms, w[i].timestamp_ms);
  }
}

TEST(HotStoreTest, RestartLoadsBlocksAndSkipsWalDataTheyHold) {
  std::string dir = FreshDir("restart");
  auto data = Data();
  {
    common::Registry registry;
    auto store = *HotStore::Open(Options(dir), registry);
    for (const auto& [l, s] : data) ASSERT_TRUE(store->Append(l, s).ok());
    ASSERT_TRUE(store->CutBlocksBefore(kT0 + 4 * kHour).ok());
    ASSERT_TRUE(store->Close().ok());
  }
  // A block cut interrupted by a crash leaves a .tmp directory: it is removed at open.
  std::filesystem::create_directories(dir + "/blocks/block-1-2.tmp");
  common::Registry registry;
  auto store = *HotStore::Open(Options(dir), registry);
  EXPECT_EQ(store->NumBlocks(), 2u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/blocks/block-1-2.tmp"));
  ExpectEqualsInput(*store, data);
}

TEST(HotStoreTest, MaintenanceCutsBlocksDeletesExpiredOnesAndCheckpoints) {
  std::string dir = FreshDir("maintenance");
  HotStoreOptions o = Options(dir);
  o.retention_ms = 3 * kHour;
  o.wal_checkpoint_segments = 0;  // checkpoint on every pass
  common::Registry registry;
  auto store = *HotStore::Open(o, registry);
  auto data = Data();
  for (const auto& [l, s] : data) ASSERT_TRUE(store->Append(l, s).ok());
  // Head spans 5 h > 1.5 ranges: blocks up to max_t - 1 h are cut ([T0, T0+2h)), then
  // retention (now - 3 h = T0 + 2h30m) deletes that block, and a checkpoint is written.
  ASSERT_TRUE(store->Maintenance(kT0 + 5 * kHour + 30 * 60 * 1000).ok());
  EXPECT_EQ(registry.ValueOf("strata_collector_hot_blocks_cut_total"), 1);
  EXPECT_EQ(registry.ValueOf("strata_collector_hot_blocks_deleted_total"), 1);
  EXPECT_EQ(store->NumBlocks(), 0u);
  auto out = *store->Select({AnyName()}, INT64_MIN, INT64_MAX);
  ASSERT_EQ(out.size(), 50u);
  EXPECT_GE(out[0].samples.front().timestamp_ms, kT0 + 2 * kHour);
  int checkpoints = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/wal")) {
    if (e.path().filename().string().rfind("checkpoint.", 0) == 0) ++checkpoints;
  }
  EXPECT_EQ(checkpoints, 1);
}

TEST(HotStoreTest, ShutdownCutsBlocksAndCheckpointsSoRestartReplaysLittle) {
  std::string dir = FreshDir("shutdown");
  HotStoreOptions o = Options(dir);
  o.head.wal.segment_size_bytes = 64 * 1024;
  auto data = Data();
  {
    common::Registry registry;
    auto store = *HotStore::Open(o, registry);
    for (const auto& [l, s] : data) ASSERT_TRUE(store->Append(l, s).ok());
    ASSERT_GT(store->head().NumWalSegments(), 5u);
    ASSERT_TRUE(store->Shutdown(kT0 + 5 * kHour).ok());
    EXPECT_EQ(store->NumBlocks(), 1u);  // [T0, T0+2h): the head spanned 5 h
  }
  size_t segments = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/wal")) {
    if (e.path().filename().string().size() == 8) ++segments;
  }
  EXPECT_LE(segments, 1u);
  common::Registry registry;
  auto store = *HotStore::Open(o, registry);
  ExpectEqualsInput(*store, data);
}

}  // namespace
}  // namespace strata::collector::hot

namespace strata::collector::hot {
namespace {

// Data arriving faster than the maintenance interval (a backfill) asks for maintenance as soon
// as the head spans more than 1.5 block ranges, once until Maintenance() has run.
TEST(HotStoreTest, HeadSpanningMoreThanOneAndAHalfRangesAsksForMaintenance) {
  common::Registry registry;
  auto store = *HotStore::Open(Options(FreshDir("cut_due")), registry);
  int calls = 0;
  store->SetCutDueCallback([&] { ++calls; });
  const Labels labels{{"__name__", "m"}};
  auto at = [&](int64_t t) { return store->Append(labels, {{t, 1.0}}).ok(); };
  ASSERT_TRUE(at(kT0));
  ASSERT_TRUE(at(kT0 + 3 * kHour - 1));  // exactly 1.5 ranges: not yet
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(at(kT0 + 3 * kHour + 1));
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(at(kT0 + 3 * kHour + 2));
  EXPECT_EQ(calls, 1);  // not again before Maintenance()
  ASSERT_TRUE(store->Maintenance(kT0 + 3 * kHour).ok());
  EXPECT_EQ(store->NumBlocks(), 1u);
  // The cut moved the head's floor: 1.5 ranges of head left no longer qualifies...
  ASSERT_TRUE(at(kT0 + 3 * kHour + 3));
  EXPECT_EQ(calls, 1);
  // ...until more data arrives beyond it.
  ASSERT_TRUE(at(kT0 + 6 * kHour));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace strata::collector::hot
