#include "common/model/metric_id.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace strata::common
