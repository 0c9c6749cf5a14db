#include "collector/storage/label_matcher.h"

#include <gtest/gtest.h>

namespace strata::collector {
namespace {

LabelMatcher M(MatchOp op, std::string value) {
  auto m = LabelMatcher::Create(op, "l", std::move(value));
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

TEST(MatcherTest, EqualAndNotEqualCompareWholeValue) {
  EXPECT_TRUE(M(MatchOp::kEqual, "a").Matches("a"));
  EXPECT_FALSE(M(MatchOp::kEqual, "a").Matches("ab"));
  EXPECT_FALSE(M(MatchOp::kNotEqual, "a").Matches("a"));
  EXPECT_TRUE(M(MatchOp::kNotEqual, "a").Matches("ab"));
}

TEST(MatcherTest, RegexIsAnchoredAtBothEnds) {
  const LabelMatcher m = M(MatchOp::kRegexMatch, "a.c");
  EXPECT_TRUE(m.Matches("abc"));
  EXPECT_FALSE(m.Matches("xabc"));
  EXPECT_FALSE(m.Matches("abcx"));
  // Alternation is grouped before anchoring: "b|c" must not become "^b|c$".
  EXPECT_FALSE(M(MatchOp::kRegexMatch, "b|c").Matches("bx"));
  EXPECT_FALSE(M(MatchOp::kRegexNoMatch, "a.c").Matches("abc"));
  EXPECT_TRUE(M(MatchOp::kRegexNoMatch, "a.c").Matches("xabc"));
}

TEST(MatcherTest, RegexDotMatchesNewline) {
  EXPECT_TRUE(M(MatchOp::kRegexMatch, "a.b").Matches("a\nb"));
}

TEST(MatcherTest, MatchesEmptyReportsWhetherAbsentLabelMatches) {
  EXPECT_TRUE(M(MatchOp::kEqual, "").MatchesEmpty());
  EXPECT_FALSE(M(MatchOp::kEqual, "x").MatchesEmpty());
  EXPECT_TRUE(M(MatchOp::kNotEqual, "x").MatchesEmpty());
  EXPECT_FALSE(M(MatchOp::kNotEqual, "").MatchesEmpty());
  EXPECT_TRUE(M(MatchOp::kRegexMatch, ".*").MatchesEmpty());
  EXPECT_FALSE(M(MatchOp::kRegexMatch, ".+").MatchesEmpty());
  EXPECT_TRUE(M(MatchOp::kRegexNoMatch, ".+").MatchesEmpty());
  EXPECT_FALSE(M(MatchOp::kRegexNoMatch, ".*").MatchesEmpty());
}

TEST(MatcherTest, InvalidRegexIsRejected) {
  auto m = LabelMatcher::Create(MatchOp::kRegexMatch, "l", "(");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.status().message().rfind("invalid regular expression \"(\"", 0), 0u);
}

TEST(MatcherTest, ToStringEscapesQuotesAndBackslashes) {
  auto m = LabelMatcher::Create(MatchOp::kNotEqual, "job", "a\"b\\c");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->ToString(), "job!=\"a\\\"b\\\\c\"");
}

}  // namespace
}  // namespace strata::collector
