#include "collector/storage/merge_reader.h"

#include <gtest/gtest.h>

#include "collector/storage/memory/memory_store.h"

namespace strata::collector {
namespace {

using common::Labels;
using common::Sample;

LabelMatcher NameIs(const std::string& v) {
  return *LabelMatcher::Create(MatchOp::kEqual, "__name__", v);
}

TEST(MergeSamplesTest, InterleavesAndKeepsFirstOnEqualTimestamps) {
  std::vector<Sample> a{{1, 10}, {3, 30}, {5, 50}};
  std::vector<Sample> b{{2, 20}, {3, 99}, {6, 60}};
  std::vector<Sample> m = MergeSamples(a, b);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[2].timestamp_ms, 3);
  EXPECT_EQ(m[2].value, 30);
  EXPECT_EQ(m[4].timestamp_ms, 6);
}

TEST(MergeSampleListsTest, ConcatenatesDisjointListsInTimeOrder) {
  std::vector<std::vector<Sample>> lists{{{20, 2}, {25, 3}}, {{1, 0}, {5, 1}}, {{30, 4}}};
  std::vector<Sample> m = MergeSampleLists(lists);
  ASSERT_EQ(m.size(), 5u);
  for (size_t i = 0; i < m.size(); ++i) EXPECT_EQ(m[i].value, static_cast<double>(i));
}

TEST(MergeSampleListsTest, OverlappingListsKeepTheEarlierSourceOnEqualTimestamps) {
  std::vector<std::vector<Sample>> lists{{{5, 50}, {10, 100}}, {{1, 1}, {5, 99}, {7, 70}}};
  std::vector<Sample> m = MergeSampleLists(lists);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].timestamp_ms, 1);
  EXPECT_EQ(m[1].timestamp_ms, 5);
  EXPECT_EQ(m[1].value, 50);
  EXPECT_EQ(m[2].timestamp_ms, 7);
  EXPECT_EQ(m[3].timestamp_ms, 10);
}

// A series whose older samples sit in one source (a block) and newer ones in another (the head)
// reads back as one series without a gap or a double count, including at the overlap.
TEST(MergeReaderTest, StitchesSeriesAcrossSourcesWithoutGapOrDoubleCount) {
  auto older = std::make_shared<MemoryStore>();
  auto newer = std::make_shared<MemoryStore>();
  Labels l{{"__name__", "m"}, {"job", "x"}};
  std::vector<Sample> first, second;
  for (int i = 0; i < 10; ++i) first.push_back({i * 1000, static_cast<double>(i)});
  for (int i = 9; i < 20; ++i)
    second.push_back({i * 1000, static_cast<double>(i)});  // overlaps at 9
  ASSERT_TRUE(older->Append(l, first).ok());
  ASSERT_TRUE(newer->Append(l, second).ok());
  ASSERT_TRUE(newer->Append(Labels{{"__name__", "only_new"}}, {{5000, 1}}).ok());
  MergeReader reader([&] { return std::vector<std::shared_ptr<StorageReader>>{newer, older}; });
  auto out = *reader.Select({NameIs("m")}, 0, 100000);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].samples.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(out[0].samples[i].timestamp_ms, i * 1000);
  auto names = *reader.LabelValues("__name__", {}, 0, 100000);
  EXPECT_EQ(names, (std::vector<std::string>{"m", "only_new"}));
  auto series = *reader.Series({NameIs("m")}, 0, 100000);
  EXPECT_EQ(series.size(), 1u);
  auto restricted = *reader.Select({NameIs("m")}, 3000, 12000);
  EXPECT_EQ(restricted[0].samples.size(), 10u);
}

}  // namespace
}  // namespace strata::collector
