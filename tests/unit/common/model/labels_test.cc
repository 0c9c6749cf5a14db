#include "common/model/labels.h"

#include <gtest/gtest.h>

#include <compare>

namespace strata::common {
namespace {

TEST(LabelsTest, SortsByNameOnConstruction) {
  Labels l = Labels::FromUnsorted({{"zone", "a"}, {"__name__", "up"}, {"job", "node"}});
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l.items()[0].name, "__name__");
  EXPECT_EQ(l.items()[1].name, "job");
  EXPECT_EQ(l.items()[2].name, "zone");
}

TEST(LabelsTest, LaterDuplicateWins) {
  Labels l = Labels::FromUnsorted({{"a", "1"}, {"a", "2"}});
  EXPECT_EQ(l.size(), 1u);
  EXPECT_EQ(l.Get("a"), "2");
}

TEST(LabelsTest, EmptyValueMeansAbsent) {
  Labels l = Labels::FromUnsorted({{"a", ""}, {"b", "x"}});
  EXPECT_EQ(l.size(), 1u);
  EXPECT_FALSE(l.Has("a"));
}

TEST(LabelsTest, GetReturnsEmptyForMissing) {
  Labels l{{"__name__", "m"}};
  EXPECT_EQ(l.Get("nope"), "");
  EXPECT_EQ(l.MetricName(), "m");
}

TEST(LabelsTest, ToStringEscapesValues) {
  Labels l{{"__name__", "m"}, {"path", "a\"b\\c\nd"}};
  EXPECT_EQ(l.ToString(), R"(m{path="a\"b\\c\nd"})");
}

TEST(LabelsTest, BuilderSetsAndDeletes) {
  Labels base{{"__name__", "m"}, {"a", "1"}, {"b", "2"}};
  Labels l = LabelsBuilder(base).Set("c", "3").Set("a", "9").Del("b").Build();
  EXPECT_EQ(l, (Labels{{"__name__", "m"}, {"a", "9"}, {"c", "3"}}));
}

}  // namespace
}  // namespace strata::common

namespace strata::common {
namespace {

TEST(LabelsSharingTest, CopiesShareTheirPairsAndCompareEqual) {
  const Labels a{{"__name__", "up"}, {"job", "x"}};
  const Labels copy = a;
  EXPECT_TRUE(copy.SameAs(a));
  EXPECT_EQ(copy, a);
  const Labels rebuilt{{"job", "x"}, {"__name__", "up"}};
  EXPECT_FALSE(rebuilt.SameAs(a));
  EXPECT_EQ(rebuilt, a);
  EXPECT_EQ(rebuilt <=> a, std::strong_ordering::equal);
  const Labels other{{"__name__", "up"}, {"job", "y"}};
  EXPECT_NE(other, a);
  EXPECT_LT(a, other);
}

TEST(LabelsSharingTest, EmptySetsAreEqualAndHoldNothing) {
  const Labels none;
  const Labels dropped{{"a", ""}};  // an empty value is no label
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(dropped.empty());
  EXPECT_EQ(none, dropped);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.begin(), none.end());
  EXPECT_EQ(none.Get("a"), "");
}

}  // namespace
}  // namespace strata::common
