#include "common/model/metric_id.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace strata::common {
namespace {

TEST(MetricIdTest, IndependentOfLabelOrder) {
  Labels a = Labels::FromUnsorted({{"__name__", "up"}, {"job", "node"}, {"instance", "h:9100"}});
  Labels b = Labels::FromUnsorted({{"instance", "h:9100"}, {"job", "node"}, {"__name__", "up"}});
  EXPECT_EQ(MetricId(a), MetricId(b));
}

TEST(MetricIdTest, DiffersForDifferentValuesAndNames) {
  Labels base{{"__name__", "up"}, {"job", "node"}};
  EXPECT_NE(MetricId(base), MetricId(Labels{{"__name__", "up"}, {"job", "node2"}}));
  EXPECT_NE(MetricId(base), MetricId(Labels{{"__name__", "down"}, {"job", "node"}}));
  EXPECT_NE(MetricId(base), MetricId(Labels{{"__name__", "up"}, {"jo", "bnode"}}));
}

TEST(MetricIdTest, SeparatorsPreventConcatenationCollisions) {
  // "a"+"bc" must not hash like "ab"+"c".
  EXPECT_NE(MetricId(Labels{{"__name__", "m"}, {"a", "bc"}}),
            MetricId(Labels{{"__name__", "m"}, {"ab", "c"}}));
}

// The id is a sharding and storage key: it must never change across versions. The expected
// values were computed independently with the xxhash CLI over the documented byte string:
//   printf 'up\xff' | xxhsum -H3 ;  printf 'up\xffjob\xfenode\xff' | xxhsum -H3
TEST(MetricIdTest, StableAcrossVersions) {
  EXPECT_EQ(MetricId(Labels{{"__name__", "up"}}), 0x9427053dc7868a50ULL);
  EXPECT_EQ(MetricId(Labels{{"__name__", "up"}, {"job", "node"}}), 0x291ef8148ab49fc3ULL);
}

// The id is kept in the shared block after the first call: copies, later calls and threads
// asking at once all see what a fresh computation gives.
TEST(MetricIdTest, CachedIdMatchesAFreshComputation) {
  const Labels a{{"__name__", "up"}, {"job", "node"}, {"instance", "h:9100"}};
  const uint64_t fresh =
      MetricId(Labels{{"instance", "h:9100"}, {"__name__", "up"}, {"job", "node"}});
  std::vector<uint64_t> seen(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Labels copy = a;
      seen[t] = MetricId(copy);
    });
  }
  for (std::thread& t : threads) t.join();
  for (uint64_t id : seen) EXPECT_EQ(id, fresh);
  EXPECT_EQ(MetricId(a), fresh);
  EXPECT_NE(MetricId(Labels{{"__name__", "up"}, {"job", "other"}}), fresh);
  EXPECT_EQ(MetricId(Labels()), MetricId(Labels()));
}

TEST(MetricIdTest, ViewsHashLikeLabels) {
  const Labels labels{{"__name__", "node_cpu_seconds_total"},
                      {"cpu", "0"},
                      {"a", "x"},
                      {"mode", "idle"},
                      {"zz", "last"}};
  std::vector<LabelView> views;
  for (const auto& l : labels) views.push_back(LabelView{l.name, l.value});
  ASSERT_TRUE(IsCanonical(views));
  EXPECT_EQ(MetricId(views), MetricId(labels));
  EXPECT_TRUE(labels.Equals(views));
  EXPECT_EQ(Labels::FromCanonicalViews(views), labels);
  views[1].value = "y";
  EXPECT_NE(MetricId(views), MetricId(labels));
  EXPECT_FALSE(labels.Equals(views));
  // Pinned like above: no metric name is hashed as an empty one.
  const std::vector<LabelView> only_job{{"job", "node"}};
  EXPECT_EQ(MetricId(only_job), MetricId(Labels{{"job", "node"}}));
}

TEST(MetricIdTest, CanonicalFormIsChecked) {
  const std::vector<LabelView> sorted{{"__name__", "up"}, {"job", "x"}};
  const std::vector<LabelView> unsorted{{"job", "x"}, {"__name__", "up"}};
  const std::vector<LabelView> duplicate{{"job", "x"}, {"job", "y"}};
  const std::vector<LabelView> empty_value{{"__name__", "up"}, {"job", ""}};
  EXPECT_TRUE(IsCanonical(sorted));
  EXPECT_FALSE(IsCanonical(unsorted));
  EXPECT_FALSE(IsCanonical(duplicate));
  EXPECT_FALSE(IsCanonical(empty_value));
}

TEST(MetricIdTest, LongKeysHashTheSameTwice) {
  const std::string big(200 * 1024, 'v');
  const Labels labels{{"__name__", "m"}, {"big", big}};
  EXPECT_EQ(MetricId(labels), MetricId(labels));
  EXPECT_NE(MetricId(labels), MetricId(Labels{{"__name__", "m"}, {"big", big + "w"}}));
}

}  // namespace
}  // namespace strata::common
