#include "common/model/labels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <compare>
#include <random>
#include <thread>
#include <vector>

namespace strata::common {
namespace {

TEST(LabelsTest, SortsByNameOnConstruction) {
  Labels l = Labels::FromUnsorted({{"zone", "a"}, {"__name__", "up"}, {"job", "node"}});
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "__name__");
  EXPECT_EQ(l[1].name, "job");
  EXPECT_EQ(l[2].name, "zone");
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

// The packed block keeps each name and value apart: pairs whose characters run together the
// same way are still different sets.
TEST(LabelsPackingTest, PairsWithTheSameCharactersAreDifferent) {
  const Labels a{{"a", "bc"}};
  const Labels b{{"ab", "c"}};
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);  // "a" < "ab"
  EXPECT_EQ(a.Get("a"), "bc");
  EXPECT_EQ(a.Get("ab"), "");
  EXPECT_EQ(b.Get("ab"), "c");
  EXPECT_NE((Labels{{"x", "1"}, {"y", "2"}}), (Labels{{"x", "12"}}));
}

TEST(LabelsPackingTest, IndexingAndIterationGiveThePairsInNameOrder) {
  const Labels l{{"zone", "eu"}, {"__name__", "m"}, {"job", "node"}, {"instance", "h:9100"}};
  ASSERT_EQ(l.size(), 4u);
  const std::vector<LabelView> want = {
      {"__name__", "m"}, {"instance", "h:9100"}, {"job", "node"}, {"zone", "eu"}};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(l[i], want[i]) << i;
  EXPECT_TRUE(std::equal(l.begin(), l.end(), want.begin(), want.end()));
  EXPECT_EQ(l.end() - l.begin(), 4);
  const auto it = std::lower_bound(l.begin(), l.end(), std::string_view("job"),
                                   [](LabelView v, std::string_view n) { return v.name < n; });
  EXPECT_EQ((*it).value, "node");
  EXPECT_EQ(l.ToVector(),
            (std::vector<Label>{
                {"__name__", "m"}, {"instance", "h:9100"}, {"job", "node"}, {"zone", "eu"}}));
  for (const LabelView& v : want) EXPECT_EQ(l.Get(v.name), v.value);
  EXPECT_EQ(l.Get("a"), "");
  EXPECT_EQ(l.Get("zzz"), "");
}

// A node_exporter-like series fits in one small block: the point of packing.
TEST(LabelsPackingTest, ABlockIsItsHeaderOffsetsAndCharacters) {
  const Labels l{{"__name__", "node_cpu_seconds_total"},
                 {"cpu", "0"},
                 {"instance", "10.0.0.1:9100"},
                 {"job", "node"},
                 {"mode", "idle"}};
  size_t chars = 0;
  for (const LabelView v : l) chars += v.name.size() + v.value.size();
  EXPECT_EQ(l.BlockBytes(), 16 + 8 * l.size() + chars);  // header, offsets, characters
  EXPECT_LT(l.BlockBytes(), 150u);
  EXPECT_EQ(Labels().BlockBytes(), 0u);
}

// Ordering and equality agree with comparing the pairs as a vector, on random sets.
TEST(LabelsPackingTest, OrderingMatchesPairwiseComparison) {
  std::mt19937 rng(7);
  auto random_set = [&] {
    std::vector<Label> v;
    const int n = static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      v.push_back(Label{std::string(1, static_cast<char>('a' + rng() % 3)),
                        std::string(1 + rng() % 2, static_cast<char>('x' + rng() % 3))});
    }
    return Labels::FromUnsorted(v);
  };
  for (int i = 0; i < 2000; ++i) {
    const Labels a = random_set(), b = random_set();
    const std::vector<Label> va = a.ToVector(), vb = b.ToVector();
    EXPECT_EQ(a == b, va == vb);
    EXPECT_EQ(a <=> b, va <=> vb);
  }
}

// Copies taken and dropped from several threads at once keep the block alive exactly as long
// as one refers to it (run under ASan in CI).
TEST(LabelsPackingTest, CopiesAcrossThreadsShareOneBlock) {
  std::vector<Labels> held(4);
  {
    const Labels original{{"__name__", "m"}, {"k", "v"}};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 10000; ++i) {
          Labels copy = original;
          Labels moved = std::move(copy);
          held[t] = moved;
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }
  for (const Labels& l : held) {
    EXPECT_TRUE(l.SameAs(held[0]));
    EXPECT_EQ(l.Get("k"), "v");
  }
}

TEST(LabelsPackingTest, FromUnsortedViewsSortsLaterWinsAndDropsEmptyValues) {
  std::string body = "zone=eu a=1 a=2 gone=";
  std::vector<LabelView> views = {{"zone", std::string_view(body).substr(5, 2)},
                                  {"a", "1"},
                                  {"gone", ""},
                                  {"__name__", "m"},
                                  {"a", "2"}};
  const Labels l = Labels::FromUnsortedViews(views);
  EXPECT_EQ(l, (Labels{{"__name__", "m"}, {"a", "2"}, {"zone", "eu"}}));
  body.assign(body.size(), '?');  // the block holds its own copy of the characters
  EXPECT_EQ(l.Get("zone"), "eu");
  std::vector<LabelView> none;
  EXPECT_TRUE(Labels::FromUnsortedViews(none).empty());
}

}  // namespace
}  // namespace strata::common
