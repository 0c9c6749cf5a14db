#include "collector/storage/memory/memory_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

namespace strata::collector {
namespace {

using common::Labels;
using common::Sample;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

LabelMatcher M(MatchOp op, std::string name, std::string value) {
  auto m = LabelMatcher::Create(op, std::move(name), std::move(value));
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

AppendResult MustAppend(MemoryStore& store, const Labels& labels, std::vector<Sample> samples) {
  auto r = store.Append(labels, samples);
  EXPECT_TRUE(r.ok()) << r.status();
  return *r;
}

std::vector<int64_t> Timestamps(const SeriesData& s) {
  std::vector<int64_t> out;
  for (const Sample& sample : s.samples) out.push_back(sample.timestamp_ms);
  return out;
}

const Labels kUp{{"__name__", "up"}, {"job", "api"}};

TEST(MemoryStoreTest, SelectReturnsSamplesInsideRangeOnly) {
  MemoryStore store;
  auto r = MustAppend(store, kUp, {{1000, 1}, {2000, 2}, {3000, 3}, {4000, 4}});
  EXPECT_EQ(r.accepted, 4u);
  auto got = store.Select({M(MatchOp::kEqual, "__name__", "up")}, 2000, 3000);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].labels, kUp);
  EXPECT_THAT(Timestamps((*got)[0]), ElementsAre(2000, 3000));
  EXPECT_EQ(store.NumSeries(), 1u);
  EXPECT_EQ(store.NumSamples(), 4u);
}

TEST(MemoryStoreTest, SeriesWithoutSamplesInRangeIsNotSelected) {
  MemoryStore store;
  MustAppend(store, kUp, {{1000, 1}});
  MustAppend(store, Labels{{"__name__", "up"}, {"job", "db"}}, {{5000, 1}});
  auto got = store.Series({M(MatchOp::kEqual, "__name__", "up")}, 2000, 6000);
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(*got, ElementsAre(Labels{{"__name__", "up"}, {"job", "db"}}));
  auto none = store.Select({M(MatchOp::kEqual, "__name__", "up")}, 1001, 4999);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST(MemoryStoreTest, InsertsOutOfOrderSampleInsideWindowInOrder) {
  MemoryStore store(MemoryStoreOptions{.out_of_order_window_ms = 10'000});
  MustAppend(store, kUp, {{10'000, 1}, {20'000, 2}});
  auto r = MustAppend(store, kUp, {{15'000, 3}, {10'000 + 1, 4}});
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(r.out_of_bounds, 0u);
  auto got = store.Select({M(MatchOp::kEqual, "job", "api")}, 0, 100'000);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_THAT(Timestamps((*got)[0]), ElementsAre(10'000, 10'001, 15'000, 20'000));
}

TEST(MemoryStoreTest, RejectsSampleOlderThanWindowAsOutOfBounds) {
  MemoryStore store(MemoryStoreOptions{.out_of_order_window_ms = 10'000});
  MustAppend(store, kUp, {{50'000, 1}});
  // Exactly newest - window is still inside the window; one millisecond older is not.
  auto r = MustAppend(store, kUp, {{40'000, 2}, {39'999, 3}, {0, 4}});
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.out_of_bounds, 2u);
  EXPECT_EQ(r.duplicates, 0u);
  EXPECT_EQ(store.NumSamples(), 2u);
}

TEST(MemoryStoreTest, WindowFollowsNewestSampleWithinOneBatch) {
  MemoryStore store(MemoryStoreOptions{.out_of_order_window_ms = 1'000});
  auto r = MustAppend(store, kUp, {{1'000, 1}, {5'000, 2}, {3'000, 3}, {4'500, 4}});
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_EQ(r.out_of_bounds, 1u);
}

TEST(MemoryStoreTest, DuplicateTimestampKeepsFirstValueAndIsCounted) {
  MemoryStore store;
  MustAppend(store, kUp, {{1000, 1}, {2000, 2}});
  auto r = MustAppend(store, kUp, {{1000, 10}, {2000, 20}, {2000, 30}, {3000, 3}});
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.duplicates, 3u);
  auto got = store.Select({M(MatchOp::kEqual, "job", "api")}, 0, 5000);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  ASSERT_EQ((*got)[0].samples.size(), 3u);
  EXPECT_EQ((*got)[0].samples[0].value, 1);
  EXPECT_EQ((*got)[0].samples[1].value, 2);
  EXPECT_EQ((*got)[0].samples[2].value, 3);
}

TEST(MemoryStoreTest, NewSeriesBeyondLimitAreSeriesLimitedButExistingOnesStillAccept) {
  MemoryStore store(MemoryStoreOptions{.max_series = 2});
  MustAppend(store, Labels{{"__name__", "a"}}, {{1, 1}});
  MustAppend(store, Labels{{"__name__", "b"}}, {{1, 1}});
  auto r = MustAppend(store, Labels{{"__name__", "c"}}, {{1, 1}, {2, 2}});
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_EQ(r.series_limited, 2u);
  auto existing = MustAppend(store, Labels{{"__name__", "a"}}, {{2, 2}});
  EXPECT_EQ(existing.accepted, 1u);
  EXPECT_EQ(store.NumSeries(), 2u);
  auto names = store.LabelValues("__name__", {}, 0, 10);
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("a", "b"));
}

TEST(MemoryStoreTest, StoresNaNAndStaleMarkerBitForBit) {
  MemoryStore store;
  const double user_nan = std::nan("");
  MustAppend(store, kUp, {{1, user_nan}, {2, common::StaleNaN()}});
  auto got = store.Select({M(MatchOp::kEqual, "job", "api")}, 0, 10);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  ASSERT_EQ((*got)[0].samples.size(), 2u);
  EXPECT_EQ(std::bit_cast<uint64_t>((*got)[0].samples[0].value), std::bit_cast<uint64_t>(user_nan));
  EXPECT_FALSE(common::IsStaleNaN((*got)[0].samples[0].value));
  EXPECT_TRUE(common::IsStaleNaN((*got)[0].samples[1].value));
}

TEST(MemoryStoreTest, EmptyAppendCreatesNoSeries) {
  MemoryStore store;
  auto r = MustAppend(store, kUp, {});
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_EQ(store.NumSeries(), 0u);
}

// Four series over two metrics, sorted by labels as other/api, up/web/dev, up/api/prod, up/db;
// "env" is missing on two of them so matchers that accept the empty string must also select series
// lacking the label.
class MemoryStoreMatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const Labels& l : {kApiProd, kDb, kWebDev, kOtherApi}) MustAppend(store_, l, {{100, 1}});
  }

  std::vector<Labels> Find(std::vector<LabelMatcher> matchers) {
    auto got = store_.Series(matchers, 0, 1000);
    EXPECT_TRUE(got.ok()) << got.status();
    return *got;
  }

  const Labels kApiProd{{"__name__", "up"}, {"job", "api"}, {"env", "prod"}};
  const Labels kDb{{"__name__", "up"}, {"job", "db"}};
  const Labels kWebDev{{"__name__", "up"}, {"job", "web"}, {"env", "dev"}};
  const Labels kOtherApi{{"__name__", "other"}, {"job", "api"}};
  MemoryStore store_;
};

TEST_F(MemoryStoreMatcherTest, EqualUsesPostingList) {
  EXPECT_THAT(Find({M(MatchOp::kEqual, "job", "api")}), ElementsAre(kOtherApi, kApiProd));
  EXPECT_THAT(Find({M(MatchOp::kEqual, "job", "nope")}), IsEmpty());
}

TEST_F(MemoryStoreMatcherTest, NotEqualAlsoSelectsSeriesLackingTheLabel) {
  EXPECT_THAT(Find({M(MatchOp::kNotEqual, "env", "prod")}), ElementsAre(kOtherApi, kWebDev, kDb));
}

TEST_F(MemoryStoreMatcherTest, RegexIsFullyAnchored) {
  EXPECT_THAT(Find({M(MatchOp::kRegexMatch, "env", "pro.*")}), ElementsAre(kApiProd));
  EXPECT_THAT(Find({M(MatchOp::kRegexMatch, "env", "ro")}), IsEmpty());
  EXPECT_THAT(Find({M(MatchOp::kRegexMatch, "env", "prod|dev")}), ElementsAre(kWebDev, kApiProd));
  EXPECT_THAT(Find({M(MatchOp::kRegexMatch, "env", ".+")}), ElementsAre(kWebDev, kApiProd));
}

TEST_F(MemoryStoreMatcherTest, RegexNoMatchAlsoSelectsSeriesLackingTheLabel) {
  EXPECT_THAT(Find({M(MatchOp::kRegexNoMatch, "env", "p.*")}),
              ElementsAre(kOtherApi, kWebDev, kDb));
  EXPECT_THAT(Find({M(MatchOp::kRegexNoMatch, "env", "")}), ElementsAre(kWebDev, kApiProd));
}

TEST_F(MemoryStoreMatcherTest, EqualEmptySelectsOnlySeriesLackingTheLabel) {
  EXPECT_THAT(Find({M(MatchOp::kEqual, "env", "")}), ElementsAre(kOtherApi, kDb));
}

TEST_F(MemoryStoreMatcherTest, NotEqualEmptySelectsOnlySeriesWithTheLabel) {
  EXPECT_THAT(Find({M(MatchOp::kNotEqual, "env", "")}), ElementsAre(kWebDev, kApiProd));
}

TEST_F(MemoryStoreMatcherTest, RegexMatchingEmptySelectsMatchingValuesAndAbsentLabel) {
  EXPECT_THAT(Find({M(MatchOp::kRegexMatch, "env", "prod|")}),
              ElementsAre(kOtherApi, kApiProd, kDb));
  EXPECT_THAT(Find({M(MatchOp::kRegexMatch, "env", ".*")}),
              ElementsAre(kOtherApi, kWebDev, kApiProd, kDb));
}

TEST_F(MemoryStoreMatcherTest, MatchersOnLabelNoSeriesHas) {
  EXPECT_THAT(Find({M(MatchOp::kEqual, "zone", "")}),
              ElementsAre(kOtherApi, kWebDev, kApiProd, kDb));
  EXPECT_THAT(Find({M(MatchOp::kNotEqual, "zone", "")}), IsEmpty());
  EXPECT_THAT(Find({M(MatchOp::kRegexMatch, "zone", "a")}), IsEmpty());
  EXPECT_THAT(Find({M(MatchOp::kRegexNoMatch, "zone", "a")}),
              ElementsAre(kOtherApi, kWebDev, kApiProd, kDb));
}

TEST_F(MemoryStoreMatcherTest, AllMatchersMustMatch) {
  EXPECT_THAT(Find({M(MatchOp::kEqual, "__name__", "up"), M(MatchOp::kNotEqual, "env", "prod")}),
              ElementsAre(kWebDev, kDb));
  EXPECT_THAT(Find({M(MatchOp::kEqual, "__name__", "up"), M(MatchOp::kEqual, "env", ""),
                    M(MatchOp::kRegexMatch, "job", "d.")}),
              ElementsAre(kDb));
  EXPECT_THAT(Find({M(MatchOp::kEqual, "job", "api"), M(MatchOp::kEqual, "job", "db")}), IsEmpty());
}

TEST_F(MemoryStoreMatcherTest, LabelNamesAndValuesAreSortedAndFiltered) {
  auto names = store_.LabelNames({}, 0, 1000);
  ASSERT_TRUE(names.ok());
  EXPECT_THAT(*names, ElementsAre("__name__", "env", "job"));
  auto other_names = store_.LabelNames({M(MatchOp::kEqual, "__name__", "other")}, 0, 1000);
  ASSERT_TRUE(other_names.ok());
  EXPECT_THAT(*other_names, ElementsAre("__name__", "job"));
  auto jobs = store_.LabelValues("job", {}, 0, 1000);
  ASSERT_TRUE(jobs.ok());
  EXPECT_THAT(*jobs, ElementsAre("api", "db", "web"));
  auto envs = store_.LabelValues("env", {M(MatchOp::kEqual, "job", "api")}, 0, 1000);
  ASSERT_TRUE(envs.ok());
  EXPECT_THAT(*envs, ElementsAre("prod"));
  auto out_of_range = store_.LabelNames({}, 101, 1000);
  ASSERT_TRUE(out_of_range.ok());
  EXPECT_THAT(*out_of_range, IsEmpty());
}

TEST(MemoryStoreTest, DropBeforeRemovesOldSamplesAndEmptySeriesFromIndex) {
  MemoryStore store;
  const Labels old_series{{"__name__", "old"}, {"job", "gone"}};
  MustAppend(store, old_series, {{1000, 1}, {2000, 2}});
  MustAppend(store, kUp, {{1000, 1}, {5000, 5}});
  ASSERT_EQ(store.NumSeries(), 2u);
  ASSERT_EQ(store.NumSamples(), 4u);

  store.DropBefore(3000);
  EXPECT_EQ(store.NumSeries(), 1u);
  EXPECT_EQ(store.NumSamples(), 1u);
  auto jobs = store.LabelValues("job", {}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(jobs.ok());
  EXPECT_THAT(*jobs, ElementsAre("api"));
  // Even a matcher accepting "" must not resurrect the dropped series through the index.
  auto all = store.Series({M(MatchOp::kRegexMatch, "job", ".*")}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, ElementsAre(kUp));
  auto up = store.Select({M(MatchOp::kEqual, "job", "api")}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(up.ok());
  ASSERT_EQ(up->size(), 1u);
  EXPECT_THAT(Timestamps((*up)[0]), ElementsAre(5000));
}

TEST(MemoryStoreTest, AppendBelowDropCutIsOutOfBoundsAndDroppedSeriesCanReturn) {
  MemoryStore store;
  const Labels series{{"__name__", "x"}};
  MustAppend(store, series, {{1000, 1}});
  store.DropBefore(3000);
  ASSERT_EQ(store.NumSeries(), 0u);
  auto r = MustAppend(store, series, {{2999, 1}, {3000, 2}});
  EXPECT_EQ(r.out_of_bounds, 1u);
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(store.NumSeries(), 1u);
  auto got = store.Series({M(MatchOp::kEqual, "__name__", "x")}, 0, 10'000);
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(*got, ElementsAre(series));
}

TEST(MemoryStoreTest, DropExpiredUsesRetention) {
  MemoryStore store(MemoryStoreOptions{.retention_ms = 1000});
  MustAppend(store, kUp, {{1000, 1}, {1500, 2}, {2500, 3}});
  store.DropExpired(2600);  // keeps t >= 1600
  EXPECT_EQ(store.NumSamples(), 1u);
}

TEST(MemoryStoreTest, ConcurrentAppendsFromFourThreadsProduceExactTotals) {
  MemoryStore store;
  constexpr int kThreads = 4;
  constexpr int kOwnSeries = 50;
  constexpr int kSamplesPerSeries = 100;
  const Labels shared{{"__name__", "shared"}};
  const Labels contended{{"__name__", "contended"}};
  std::vector<AppendResult> totals(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      AppendResult& total = totals[t];
      auto add = [&](const AppendResult& r) {
        total.accepted += r.accepted;
        total.duplicates += r.duplicates;
        total.out_of_bounds += r.out_of_bounds;
        total.series_limited += r.series_limited;
      };
      for (int s = 0; s < kOwnSeries; ++s) {
        const Labels own{
            {"__name__", "own"}, {"thread", std::to_string(t)}, {"series", std::to_string(s)}};
        for (int i = 0; i < kSamplesPerSeries; ++i) {
          add(*store.Append(own, {{i, static_cast<double>(i)}}));
          // Interleaved timestamps on one series, all well inside the out-of-order window.
          add(*store.Append(shared, {{(s * kSamplesPerSeries + i) * kThreads + t, 1.0}}));
        }
        // Every thread writes the same timestamp: exactly one wins.
        add(*store.Append(contended, {{s, static_cast<double>(t)}}));
      }
    });
  }
  for (std::thread& th : threads) th.join();

  AppendResult sum;
  for (const AppendResult& r : totals) {
    sum.accepted += r.accepted;
    sum.duplicates += r.duplicates;
    sum.out_of_bounds += r.out_of_bounds;
  }
  const uint64_t own_samples = kThreads * kOwnSeries * kSamplesPerSeries;
  EXPECT_EQ(sum.accepted, 2 * own_samples + kOwnSeries);
  EXPECT_EQ(sum.duplicates, static_cast<uint64_t>((kThreads - 1) * kOwnSeries));
  EXPECT_EQ(sum.out_of_bounds, 0u);
  EXPECT_EQ(store.NumSeries(), static_cast<uint64_t>(kThreads * kOwnSeries + 2));
  EXPECT_EQ(store.NumSamples(), 2 * own_samples + kOwnSeries);

  auto got = store.Select({M(MatchOp::kEqual, "__name__", "shared")}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  const auto& samples = (*got)[0].samples;
  ASSERT_EQ(samples.size(), own_samples);
  for (size_t i = 0; i < samples.size(); ++i) {
    ASSERT_EQ(samples[i].timestamp_ms, static_cast<int64_t>(i));
  }
}

}  // namespace
}  // namespace strata::collector
