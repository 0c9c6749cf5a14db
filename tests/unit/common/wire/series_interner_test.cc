#include "common/wire/series_interner.h"

#include <gtest/gtest.h>

namespace strata::common::wire {
namespace {

TEST(SeriesInternerTest, SameLabelsGetTheSameRefAndCopiesNeedNoCompare) {
  SeriesInterner interner;
  const Labels a{{"__name__", "up"}, {"job", "a"}};
  SeriesInterner::Entry first = interner.Intern(a, 1);
  EXPECT_FALSE(first.confirmed);
  const Labels copy = a;  // shares a's pairs
  EXPECT_TRUE(copy.SameAs(a));
  EXPECT_EQ(interner.Intern(copy, 1).ref, first.ref);
  // An equal set built separately is found by value.
  EXPECT_EQ(interner.Intern(Labels{{"__name__", "up"}, {"job", "a"}}, 1).ref, first.ref);
  EXPECT_EQ(interner.size(), 1u);
}

TEST(SeriesInternerTest, DifferentLabelsWithOneIdGetTheirOwnRefs) {
  SeriesInterner interner;
  // The caller's 64-bit id collides: the interner still tells the sets apart by their labels.
  const Labels a{{"__name__", "a"}}, b{{"__name__", "b"}}, c{{"__name__", "c"}};
  const uint32_t ra = interner.Intern(a, 42).ref;
  const uint32_t rb = interner.Intern(b, 42).ref;
  const uint32_t rc = interner.Intern(c, 42).ref;
  EXPECT_NE(ra, rb);
  EXPECT_NE(rb, rc);
  EXPECT_NE(ra, rc);
  EXPECT_EQ(interner.Intern(b, 42).ref, rb);
  EXPECT_EQ(interner.Intern(c, 42).ref, rc);
  EXPECT_EQ(interner.Intern(a, 42).ref, ra);
}

TEST(SeriesInternerTest, ConfirmAndReset) {
  SeriesInterner interner;
  const Labels a{{"__name__", "a"}}, b{{"__name__", "b"}};
  const uint32_t ra = interner.Intern(a, 1).ref;
  const uint32_t rb = interner.Intern(b, 2).ref;
  interner.Confirm({ra});
  EXPECT_TRUE(interner.Intern(a, 1).confirmed);
  EXPECT_FALSE(interner.Intern(b, 2).confirmed);
  EXPECT_EQ(interner.Intern(b, 2).ref, rb);
  interner.Reset();
  EXPECT_EQ(interner.size(), 0u);
  SeriesInterner::Entry again = interner.Intern(b, 2);
  EXPECT_FALSE(again.confirmed);
  EXPECT_EQ(again.ref, 1u);  // refs start over on a new stream
}

}  // namespace
}  // namespace strata::common::wire
