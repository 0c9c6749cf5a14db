#include "collector/storage/index/postings_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "collector/storage/label_matcher.h"
#include "common/model/labels.h"

namespace strata::collector::index {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Stat = PostingsIndex::Stat;

LabelMatcher M(MatchOp op, std::string name, std::string value) {
  auto m = LabelMatcher::Create(op, std::move(name), std::move(value));
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}
LabelMatcher Eq(std::string n, std::string v) { return M(MatchOp::kEqual, n, v); }
LabelMatcher Ne(std::string n, std::string v) { return M(MatchOp::kNotEqual, n, v); }
LabelMatcher Re(std::string n, std::string v) { return M(MatchOp::kRegexMatch, n, v); }
LabelMatcher Nre(std::string n, std::string v) { return M(MatchOp::kRegexNoMatch, n, v); }

std::vector<uint32_t> Ids(const ::Roaring& r) {
  std::vector<uint32_t> out(r.cardinality());
  r.toUint32Array(out.data());
  return out;
}

// Five series; "disk" (id 4) lacks both job and mode.
class PostingsIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_.Add(0, {{"__name__", "cpu"}, {"job", "node"}, {"mode", "idle"}});
    index_.Add(1, {{"__name__", "cpu"}, {"job", "node"}, {"mode", "user"}});
    index_.Add(2, {{"__name__", "cpu"}, {"job", "api"}, {"mode", "idle"}});
    index_.Add(3, {{"__name__", "up"}, {"job", "nodex"}});
    index_.Add(4, {{"__name__", "disk"}});
  }
  std::vector<uint32_t> Select(const std::vector<LabelMatcher>& matchers) {
    return Ids(index_.Select(matchers));
  }
  PostingsIndex index_;
};

TEST_F(PostingsIndexTest, EmptySelectorSelectsAllSeries) {
  EXPECT_THAT(Select({}), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(index_.NumSeries(), 5u);
}

TEST_F(PostingsIndexTest, EqualSelectsSeriesWithExactlyThatValue) {
  EXPECT_THAT(Select({Eq("job", "node")}), ElementsAre(0, 1));
  EXPECT_THAT(Select({Eq("job", "nod")}), IsEmpty());
  EXPECT_THAT(Select({Eq("nosuchlabel", "x")}), IsEmpty());
}

TEST_F(PostingsIndexTest, EqualEmptySelectsSeriesLackingTheLabel) {
  EXPECT_THAT(Select({Eq("mode", "")}), ElementsAre(3, 4));
  EXPECT_THAT(Select({Eq("nosuchlabel", "")}), ElementsAre(0, 1, 2, 3, 4));
}

TEST_F(PostingsIndexTest, NotEqualAlsoSelectsSeriesLackingTheLabel) {
  EXPECT_THAT(Select({Ne("job", "node")}), ElementsAre(2, 3, 4));
  EXPECT_THAT(Select({Ne("job", "absent-value")}), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(Select({Ne("nosuchlabel", "x")}), ElementsAre(0, 1, 2, 3, 4));
}

TEST_F(PostingsIndexTest, NotEqualEmptySelectsSeriesCarryingTheLabel) {
  EXPECT_THAT(Select({Ne("job", "")}), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(Select({Ne("nosuchlabel", "")}), IsEmpty());
}

TEST_F(PostingsIndexTest, RegexMatchIsAnchoredAtBothEnds) {
  EXPECT_THAT(Select({Re("job", "node")}), ElementsAre(0, 1));
  EXPECT_THAT(Select({Re("job", "ode")}), IsEmpty());
  EXPECT_THAT(Select({Re("job", "nod")}), IsEmpty());
  EXPECT_THAT(Select({Re("job", "node.*")}), ElementsAre(0, 1, 3));
  EXPECT_THAT(Select({Re("job", "api|node")}), ElementsAre(0, 1, 2));
  EXPECT_THAT(Select({Re("job", ".+")}), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(Select({Re("nosuchlabel", ".+")}), IsEmpty());
}

TEST_F(PostingsIndexTest, RegexMatchingEmptyAlsoSelectsSeriesLackingTheLabel) {
  EXPECT_THAT(Select({Re("job", "api|")}), ElementsAre(2, 4));
  EXPECT_THAT(Select({Re("mode", "idle|")}), ElementsAre(0, 2, 3, 4));
  EXPECT_THAT(Select({Re("job", ".*")}), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(Select({Re("nosuchlabel", "x?")}), ElementsAre(0, 1, 2, 3, 4));
}

TEST_F(PostingsIndexTest, RegexNoMatchSelectsOtherValuesAndSeriesLackingTheLabel) {
  EXPECT_THAT(Select({Nre("job", "node.*")}), ElementsAre(2, 4));
  // Anchored: "ode" matches no whole value, so nothing is excluded.
  EXPECT_THAT(Select({Nre("job", "ode")}), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(Select({Nre("nosuchlabel", "x")}), ElementsAre(0, 1, 2, 3, 4));
}

TEST_F(PostingsIndexTest, RegexNoMatchRejectingEmptySelectsOnlySeriesCarryingTheLabel) {
  EXPECT_THAT(Select({Nre("job", "")}), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(Select({Nre("job", "api|")}), ElementsAre(0, 1, 3));
  EXPECT_THAT(Select({Nre("job", ".*")}), IsEmpty());
}

// Alternations of literals are looked up and literal prefixes pre-filter values; both must keep
// the regex's exact meaning.
TEST_F(PostingsIndexTest, RegexFastPathsKeepRegexSemantics) {
  EXPECT_THAT(Select({Re("job", "api|nodex|missing")}), ElementsAre(2, 3));
  EXPECT_THAT(Select({Re("job", "api|nodex|")}), ElementsAre(2, 3, 4));
  EXPECT_THAT(Select({Nre("job", "api|nodex")}), ElementsAre(0, 1, 4));
  EXPECT_THAT(Select({Nre("job", "api|nodex|")}), ElementsAre(0, 1));
  EXPECT_THAT(Select({Re("job", "")}), ElementsAre(4));
  // The quantified last character is not part of the required prefix.
  EXPECT_THAT(Select({Re("job", "nodex?")}), ElementsAre(0, 1, 3));
  EXPECT_THAT(Select({Re("job", "nodex{0}")}), ElementsAre(0, 1));
  EXPECT_THAT(Select({Nre("job", "nodex*")}), ElementsAre(2, 4));
  EXPECT_THAT(Select({Re("__name__", "c.u|u.")}), ElementsAre(0, 1, 2, 3));
}

TEST_F(PostingsIndexTest, ConjunctionIntersectsAllMatchers) {
  EXPECT_THAT(Select({Eq("__name__", "cpu"), Eq("mode", "idle")}), ElementsAre(0, 2));
  EXPECT_THAT(Select({Eq("__name__", "cpu"), Ne("mode", "idle")}), ElementsAre(1));
  EXPECT_THAT(Select({Re("job", "node.*"), Eq("mode", "")}), ElementsAre(3));
  EXPECT_THAT(Select({Ne("job", "node"), Nre("__name__", "disk|up")}), ElementsAre(2));
  EXPECT_THAT(Select({Eq("__name__", "cpu"), Eq("job", "api"), Eq("mode", "user")}), IsEmpty());
  // Only ""-matching matchers: both subtract from all series.
  EXPECT_THAT(Select({Ne("job", "node"), Eq("mode", "")}), ElementsAre(3, 4));
}

TEST_F(PostingsIndexTest, SelectResultIsAnIndependentCopy) {
  ::Roaring r = index_.Select({Eq("job", "node")});
  r.add(99);
  EXPECT_THAT(Select({Eq("job", "node")}), ElementsAre(0, 1));
}

TEST_F(PostingsIndexTest, RemoveUnindexesAndDropsEmptyEntries) {
  index_.Remove(3, {{"__name__", "up"}, {"job", "nodex"}});
  EXPECT_EQ(index_.NumSeries(), 4u);
  EXPECT_THAT(Select({Re("job", "node.*")}), ElementsAre(0, 1));
  EXPECT_THAT(Select({}), ElementsAre(0, 1, 2, 4));
  EXPECT_THAT(index_.LabelValues("job", nullptr), ElementsAre("api", "node"));
  EXPECT_THAT(index_.LabelValues("__name__", nullptr), ElementsAre("cpu", "disk"));

  index_.Remove(0, {{"__name__", "cpu"}, {"job", "node"}, {"mode", "idle"}});
  index_.Remove(1, {{"__name__", "cpu"}, {"job", "node"}, {"mode", "user"}});
  index_.Remove(2, {{"__name__", "cpu"}, {"job", "api"}, {"mode", "idle"}});
  EXPECT_THAT(index_.LabelNames(nullptr), ElementsAre("__name__"));
  EXPECT_THAT(index_.LabelValues("mode", nullptr), IsEmpty());
  // With "mode" gone entirely, a !="" matcher on it selects nothing and ="" everything.
  EXPECT_THAT(Select({Ne("mode", "")}), IsEmpty());
  EXPECT_THAT(Select({Eq("mode", "")}), ElementsAre(4));
  const PostingsIndex::Stats stats = index_.TopStats(10);
  EXPECT_THAT(stats.label_value_count_by_label_name, ElementsAre(Stat{"__name__", 1}));
  EXPECT_THAT(stats.series_count_by_label_value_pair, ElementsAre(Stat{"__name__=disk", 1}));
}

TEST_F(PostingsIndexTest, RemoveOfUnknownIdOrLabelIsANoOp) {
  index_.Remove(42, {{"__name__", "cpu"}, {"zzz", "1"}});
  EXPECT_THAT(Select({}), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(Select({Eq("__name__", "cpu")}), ElementsAre(0, 1, 2));
}

TEST_F(PostingsIndexTest, AddingTheSameSeriesTwiceIsANoOp) {
  index_.Add(1, {{"__name__", "cpu"}, {"job", "node"}, {"mode", "user"}});
  EXPECT_EQ(index_.NumSeries(), 5u);
  EXPECT_THAT(Select({Eq("job", "node")}), ElementsAre(0, 1));
}

TEST_F(PostingsIndexTest, LabelNamesAreSortedAndHonourTheRestriction) {
  EXPECT_THAT(index_.LabelNames(nullptr), ElementsAre("__name__", "job", "mode"));
  const ::Roaring only_up = index_.Select({Eq("__name__", "up")});
  EXPECT_THAT(index_.LabelNames(&only_up), ElementsAre("__name__", "job"));
  const ::Roaring none;
  EXPECT_THAT(index_.LabelNames(&none), IsEmpty());
  const ::Roaring unknown_ids = ::Roaring::bitmapOf(1, 1000u);
  EXPECT_THAT(index_.LabelNames(&unknown_ids), IsEmpty());
}

TEST_F(PostingsIndexTest, LabelValuesAreSortedAndHonourTheRestriction) {
  EXPECT_THAT(index_.LabelValues("job", nullptr), ElementsAre("api", "node", "nodex"));
  EXPECT_THAT(index_.LabelValues("__name__", nullptr), ElementsAre("cpu", "disk", "up"));
  EXPECT_THAT(index_.LabelValues("nosuchlabel", nullptr), IsEmpty());
  const ::Roaring idle = index_.Select({Eq("mode", "idle")});
  EXPECT_THAT(index_.LabelValues("job", &idle), ElementsAre("api", "node"));
  const ::Roaring disk = index_.Select({Eq("__name__", "disk")});
  EXPECT_THAT(index_.LabelValues("job", &disk), IsEmpty());
  const ::Roaring none;
  EXPECT_THAT(index_.LabelValues("job", &none), IsEmpty());
}

TEST_F(PostingsIndexTest, TopStatsRankByValueThenNameAndHonourTheLimit) {
  const PostingsIndex::Stats all = index_.TopStats(100);
  EXPECT_THAT(all.series_count_by_metric_name,
              ElementsAre(Stat{"cpu", 3}, Stat{"disk", 1}, Stat{"up", 1}));
  EXPECT_THAT(all.label_value_count_by_label_name,
              ElementsAre(Stat{"__name__", 3}, Stat{"job", 3}, Stat{"mode", 2}));
  EXPECT_THAT(all.series_count_by_label_value_pair,
              ElementsAre(Stat{"__name__=cpu", 3}, Stat{"job=node", 2}, Stat{"mode=idle", 2},
                          Stat{"__name__=disk", 1}, Stat{"__name__=up", 1}, Stat{"job=api", 1},
                          Stat{"job=nodex", 1}, Stat{"mode=user", 1}));
  ASSERT_EQ(all.memory_in_bytes_by_label_name.size(), 3u);
  for (const Stat& s : all.memory_in_bytes_by_label_name) {
    // At least the name and its values' strings.
    EXPECT_GE(s.value, s.name.size() + 3) << s.name;
  }
  EXPECT_GE(all.memory_in_bytes_by_label_name[0].value, all.memory_in_bytes_by_label_name[2].value);

  const PostingsIndex::Stats top2 = index_.TopStats(2);
  EXPECT_THAT(top2.series_count_by_metric_name, ElementsAre(Stat{"cpu", 3}, Stat{"disk", 1}));
  EXPECT_THAT(top2.label_value_count_by_label_name,
              ElementsAre(Stat{"__name__", 3}, Stat{"job", 3}));
  EXPECT_THAT(top2.series_count_by_label_value_pair,
              ElementsAre(Stat{"__name__=cpu", 3}, Stat{"job=node", 2}));
  EXPECT_EQ(top2.memory_in_bytes_by_label_name.size(), 2u);

  const PostingsIndex::Stats none = index_.TopStats(0);
  EXPECT_THAT(none.series_count_by_metric_name, IsEmpty());
  EXPECT_THAT(none.series_count_by_label_value_pair, IsEmpty());
}

TEST(PostingsIndexEmptyTest, EmptyIndexAnswersEmpty) {
  PostingsIndex index;
  EXPECT_EQ(index.NumSeries(), 0u);
  EXPECT_TRUE(index.Select({}).isEmpty());
  EXPECT_TRUE(index.Select({Ne("a", "b")}).isEmpty());
  EXPECT_THAT(index.LabelNames(nullptr), IsEmpty());
  EXPECT_THAT(index.TopStats(5).series_count_by_metric_name, IsEmpty());
}

TEST(PostingsIndexEmptyTest, IdsInDifferentRoaringContainersAreKeptApart) {
  PostingsIndex index;
  // 65536 ids per Roaring container: cover several containers and the top of the id space.
  const std::vector<uint32_t> ids = {0, 65535, 65536, 1u << 20, 0xFFFFFFFFu};
  for (uint32_t id : ids) index.Add(id, {{"__name__", "m"}, {"id", std::to_string(id)}});
  EXPECT_EQ(Ids(index.Select({})), ids);
  EXPECT_THAT(Ids(index.Select({Ne("id", "65536")})), ElementsAre(0, 65535, 1u << 20, 0xFFFFFFFFu));
}

// Each writer adds its own ids; every series has a "shard" label and __name__="m". Readers run
// Select, LabelValues and TopStats meanwhile (under TSan/ASan this is the race check) and verify
// that each Add is atomic and that counts only grow.
TEST(PostingsIndexConcurrencyTest, ConcurrentAddsAndSelectsSeeConsistentSnapshots) {
  constexpr int kWriters = 4;
  constexpr uint32_t kPerWriter = 3000;
  PostingsIndex index;
  std::atomic<int> writers_done{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&index, &writers_done, w] {
      for (uint32_t i = 0; i < kPerWriter; ++i) {
        const uint32_t id = i * kWriters + static_cast<uint32_t>(w);
        index.Add(id,
                  {{"__name__", "m"}, {"shard", std::to_string(w)}, {"i", std::to_string(i % 50)}});
      }
      writers_done.fetch_add(1);
    });
  }
  std::atomic<int> failures{0};
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&index, &writers_done, &failures, r] {
      uint64_t last = 0;
      do {
        const std::string shard = std::to_string(r);
        // Read in this order, each count can only be at least the previous one.
        const uint64_t c = index.Select({Re("shard", shard), Nre("i", "4.")}).cardinality();
        const uint64_t a = index.Select({Eq("shard", shard)}).cardinality();
        const uint64_t b = index.Select({Eq("__name__", "m"), Eq("shard", shard)}).cardinality();
        if (c > a || a > b || a < last) failures.fetch_add(1);
        // Adds are atomic: no snapshot has a series with its shard but without its name.
        if (!index.Select({Eq("shard", shard), Ne("__name__", "m")}).isEmpty()) {
          failures.fetch_add(1);
        }
        last = a;
        index.LabelValues("i", nullptr);
        index.TopStats(3);
      } while (writers_done.load() < kWriters);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(index.NumSeries(), kWriters * kPerWriter);
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(index.Select({Eq("shard", std::to_string(w))}).cardinality(), kPerWriter);
  }
  EXPECT_EQ(index.Select({Eq("i", "7"), Ne("shard", "0")}).cardinality(), 3u * kPerWriter / 50);
}

// Differential test: Select on random series and random selectors must equal a brute-force
// evaluation of every matcher against every live series' labels.
TEST(PostingsIndexDifferentialTest, SelectEqualsBruteForceOnRandomSeries) {
  std::mt19937 rng(20240611);
  auto pick = [&rng](const std::vector<std::string>& pool) -> const std::string& {
    return pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)];
  };
  const std::vector<std::string> names = {"__name__", "job", "instance", "a", "b", "c"};
  const std::vector<std::string> values = {"x",   "y",  "xy",   "xyz", "v1",       "v2",
                                           "v10", "v0", "node", "n",   "\xc3\xa9", "\xc3\xa9x"};
  // Regexes with and without "" among their matches, anchoring traps and alternations. Some take
  // the fast paths: literal alternations ("x|y", "v1|node|") and literal prefixes, also followed
  // by quantifiers ("xy?", "v1{0}0", "\xc3\xa9?x").
  const std::vector<std::string> regexes = {
      "x.*",       "x",      "y|",        "v[0-9]+",    ".*",         ".+",  "",
      "xy?",       "n.*|x",  "(v1|node)", "z.*",        "v1.*",       "x|y", "v1|node|",
      "xyz|v10|q", "v1{0}0", "xy+z",      "\xc3\xa9?x", "\xc3\xa9|x", "v.",  "node|"};

  PostingsIndex index;
  struct Series {
    uint32_t id;
    common::Labels labels;
    bool live;
  };
  std::vector<Series> series;
  for (uint32_t i = 0; i < 2000; ++i) {
    std::vector<common::Label> labels;
    for (const std::string& name : names) {
      if (std::bernoulli_distribution(0.6)(rng)) labels.push_back({name, pick(values)});
    }
    // Sparse ids so the bitmaps span several Roaring containers.
    series.push_back({i * 97, common::Labels::FromUnsorted(std::move(labels)), true});
    index.Add(series.back().id, series.back().labels);
  }
  for (Series& s : series) {
    if (std::bernoulli_distribution(0.1)(rng)) {
      index.Remove(s.id, s.labels);
      s.live = false;
    }
  }

  std::uniform_int_distribution<int> num_matchers(0, 3), op_dist(0, 3);
  int partial = 0;  // rounds selecting some but not all live series
  const size_t live = static_cast<size_t>(
      std::count_if(series.begin(), series.end(), [](const Series& s) { return s.live; }));
  for (int round = 0; round < 200; ++round) {
    std::vector<LabelMatcher> matchers;
    const int n = num_matchers(rng);
    for (int k = 0; k < n; ++k) {
      const auto op = static_cast<MatchOp>(op_dist(rng));
      const bool regex = op == MatchOp::kRegexMatch || op == MatchOp::kRegexNoMatch;
      // Names include one no series carries; plain values include "" (absent).
      const std::string name = std::bernoulli_distribution(0.1)(rng) ? "absent" : pick(names);
      const std::string value =
          regex ? pick(regexes) : (std::bernoulli_distribution(0.15)(rng) ? "" : pick(values));
      matchers.push_back(M(op, name, value));
    }
    std::vector<uint32_t> expected;
    for (const Series& s : series) {
      if (!s.live) continue;
      bool all = true;
      for (const LabelMatcher& m : matchers) all = all && m.Matches(s.labels.Get(m.name()));
      if (all) expected.push_back(s.id);
    }
    std::string selector;
    for (const LabelMatcher& m : matchers) selector += m.ToString() + " ";
    ASSERT_EQ(Ids(index.Select(matchers)), expected)
        << "round " << round << ": {" << selector << "}";
    if (!expected.empty() && expected.size() < live) ++partial;
  }
  // Guards the generator: most selectors must discriminate, or equality proves little.
  EXPECT_GT(partial, 80);  // 119 with this seed
}

}  // namespace
}  // namespace strata::collector::index
