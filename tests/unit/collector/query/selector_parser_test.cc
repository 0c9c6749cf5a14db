#include "collector/query/selector_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strata::collector {
namespace {

using ::testing::ElementsAre;

// Renders the parsed matchers with LabelMatcher::ToString for compact exact comparisons.
std::vector<std::string> Parse(std::string_view text) {
  auto matchers = ParseSeriesSelector(text);
  EXPECT_TRUE(matchers.ok()) << text << ": " << matchers.status();
  std::vector<std::string> out;
  if (!matchers.ok()) return out;
  for (const LabelMatcher& m : *matchers) out.push_back(m.ToString());
  return out;
}

std::string ParseError(std::string_view text) {
  auto matchers = ParseSeriesSelector(text);
  EXPECT_FALSE(matchers.ok()) << text;
  if (matchers.ok()) return "";
  EXPECT_EQ(matchers.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(matchers.status().message());
}

TEST(SelectorParserTest, MetricNameAloneBecomesNameMatcher) {
  EXPECT_THAT(Parse("up"), ElementsAre("__name__=\"up\""));
}

TEST(SelectorParserTest, MetricNameMayContainColons) {
  EXPECT_THAT(Parse("job:http_requests:rate5m"),
              ElementsAre("__name__=\"job:http_requests:rate5m\""));
  EXPECT_THAT(Parse(":x"), ElementsAre("__name__=\":x\""));
}

TEST(SelectorParserTest, NameMatcherComesFirstFollowedByBraceMatchersInOrder) {
  EXPECT_THAT(Parse("up{job=\"api\",code!~\"5..\"}"),
              ElementsAre("__name__=\"up\"", "job=\"api\"", "code!~\"5..\""));
}

TEST(SelectorParserTest, ParsesAllFourOperators) {
  EXPECT_THAT(Parse("{a=\"1\",b!=\"2\",c=~\"3\",d!~\"4\"}"),
              ElementsAre("a=\"1\"", "b!=\"2\"", "c=~\"3\"", "d!~\"4\""));
  auto matchers = ParseSeriesSelector("{a=\"1\",b!=\"2\",c=~\"3\",d!~\"4\"}");
  ASSERT_TRUE(matchers.ok());
  EXPECT_EQ((*matchers)[0].op(), MatchOp::kEqual);
  EXPECT_EQ((*matchers)[1].op(), MatchOp::kNotEqual);
  EXPECT_EQ((*matchers)[2].op(), MatchOp::kRegexMatch);
  EXPECT_EQ((*matchers)[3].op(), MatchOp::kRegexNoMatch);
}

TEST(SelectorParserTest, NameRegexInsideBracesWithoutMetricName) {
  EXPECT_THAT(Parse("{__name__=~\"x.*\", job=\"a\"}"),
              ElementsAre("__name__=~\"x.*\"", "job=\"a\""));
}

TEST(SelectorParserTest, AcceptsWhitespaceBetweenAllTokensAndTrailingComma) {
  EXPECT_THAT(Parse(" \t up \n { job \t = \"a\" , env!~ 'x' , } \n"),
              ElementsAre("__name__=\"up\"", "job=\"a\"", "env!~\"x\""));
  EXPECT_THAT(Parse("up{}"), ElementsAre("__name__=\"up\""));
}

TEST(SelectorParserTest, SkipsComments) {
  EXPECT_THAT(Parse("up # the metric\n{job=\"a\"} # done"),
              ElementsAre("__name__=\"up\"", "job=\"a\""));
}

TEST(SelectorParserTest, DecodesEscapesInDoubleAndSingleQuotes) {
  auto matchers =
      ParseSeriesSelector(R"({a="q\"x\\y\n\t", b='it\'s', c="\x41\u00e9\U0001F600\101"})");
  ASSERT_TRUE(matchers.ok()) << matchers.status();
  EXPECT_EQ((*matchers)[0].value(), "q\"x\\y\n\t");
  EXPECT_EQ((*matchers)[1].value(), "it's");
  EXPECT_EQ((*matchers)[2].value(),
            "A\xC3\xA9\xF0\x9F\x98\x80"
            "A");
}

TEST(SelectorParserTest, BackquotedStringsAreRaw) {
  auto matchers = ParseSeriesSelector("{a=`\\d+\\n\"'`, b=~`\\d+`}");
  ASSERT_TRUE(matchers.ok()) << matchers.status();
  EXPECT_EQ((*matchers)[0].value(), "\\d+\\n\"'");
  EXPECT_TRUE((*matchers)[1].Matches("12"));
  EXPECT_FALSE((*matchers)[1].Matches("1a"));
}

TEST(SelectorParserTest, QuoteCharactersOfTheOtherKindNeedNoEscape) {
  auto matchers = ParseSeriesSelector(R"({a="it's", b='say "hi"'})");
  ASSERT_TRUE(matchers.ok()) << matchers.status();
  EXPECT_EQ((*matchers)[0].value(), "it's");
  EXPECT_EQ((*matchers)[1].value(), "say \"hi\"");
}

TEST(SelectorParserTest, EmptyInputIsAnError) {
  EXPECT_EQ(ParseError(""), "1:1: parse error: no expression found in input");
  EXPECT_EQ(ParseError("   "), "1:1: parse error: no expression found in input");
}

TEST(SelectorParserTest, UnexpectedCharacterInsideBracesReportsPosition) {
  EXPECT_EQ(ParseError("foo{!}"), "1:5: parse error: unexpected character inside braces: '!'");
  EXPECT_EQ(ParseError("foo{a=\"b\", $}"),
            "1:12: parse error: unexpected character inside braces: '$'");
}

TEST(SelectorParserTest, PositionsCountLinesAndColumns) {
  EXPECT_EQ(ParseError("up{\n  a=\"b\",\n  !}"),
            "3:3: parse error: unexpected character inside braces: '!'");
}

TEST(SelectorParserTest, SelectorMatchingEverythingIsRejected) {
  const std::string want =
      "1:1: parse error: vector selector must contain at least one non-empty matcher";
  EXPECT_EQ(ParseError("{}"), want);
  EXPECT_EQ(ParseError("{a=\"\"}"), want);
  EXPECT_EQ(ParseError("{a=~\".*\"}"), want);
  EXPECT_EQ(ParseError("{a!=\"x\", b!~\"y\"}"), want);
  EXPECT_THAT(Parse("{a=\"\", b=~\".+\"}"), ElementsAre("a=\"\"", "b=~\".+\""));
}

TEST(SelectorParserTest, MetricNameSetTwiceIsRejected) {
  EXPECT_EQ(ParseError("foo{__name__=\"bar\"}"),
            "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
  EXPECT_EQ(ParseError("foo{__name__=~\"b.*\"}"),
            "1:1: parse error: metric name must not be set twice: \"foo\" or \"b.*\"");
}

TEST(SelectorParserTest, RangeOffsetAndAtSuffixesAreNotSupportedYet) {
  EXPECT_EQ(ParseError("foo[5m]"),
            "1:4: parse error: range vector selectors are not supported yet: only series "
            "selectors are accepted");
  EXPECT_EQ(ParseError("foo{a=\"b\"} offset 5m"),
            "1:12: parse error: the offset modifier is not supported yet");
  EXPECT_EQ(ParseError("foo @ 1700000000"),
            "1:5: parse error: the @ modifier is not supported yet");
}

TEST(SelectorParserTest, OtherTrailingInputIsRejected) {
  EXPECT_EQ(ParseError("foo bar"),
            "1:5: parse error: unexpected identifier \"bar\" after the series selector: only "
            "series selectors are supported");
  EXPECT_EQ(ParseError("foo + 1"),
            "1:5: parse error: unexpected character '+' after the series selector: only series "
            "selectors are supported");
  EXPECT_EQ(ParseError("foo{a=\"b\"}}"),
            "1:11: parse error: unexpected \"}\" after the series selector: only series "
            "selectors are supported");
}

TEST(SelectorParserTest, SyntaxErrorsNameTheUnexpectedToken) {
  EXPECT_EQ(ParseError("foo{a}"),
            "1:6: parse error: unexpected \"}\" in label matching, expected label matching "
            "operator");
  EXPECT_EQ(ParseError("foo{a=b}"),
            "1:7: parse error: unexpected identifier \"b\" in label matching, expected string");
  EXPECT_EQ(ParseError("foo{a=\"b\" c=\"d\"}"),
            "1:11: parse error: unexpected identifier \"c\" in label matching, expected \",\" or "
            "\"}\"");
  EXPECT_EQ(ParseError("foo{,}"),
            "1:5: parse error: unexpected \",\" in label matching, expected identifier or \"}\"");
  EXPECT_EQ(ParseError("foo{a=\"b\",,}"),
            "1:11: parse error: unexpected \",\" in label matching, expected identifier or \"}\"");
  EXPECT_EQ(ParseError("foo{!=\"b\"}"),
            "1:5: parse error: unexpected \"!=\" in label matching, expected identifier or \"}\"");
  EXPECT_EQ(ParseError("\"foo\""),
            "1:1: parse error: unexpected string literal, expected a metric name or \"{\"");
  EXPECT_EQ(ParseError("5"),
            "1:1: parse error: unexpected character '5', expected a metric name or \"{\"");
}

TEST(SelectorParserTest, UnterminatedInputIsRejected) {
  EXPECT_EQ(ParseError("foo{a=\"b\""), "1:10: parse error: unexpected end of input inside braces");
  EXPECT_EQ(ParseError("foo{a"), "1:6: parse error: unexpected end of input inside braces");
  EXPECT_EQ(ParseError("foo{a=\"b}"), "1:7: parse error: unterminated quoted string");
  EXPECT_EQ(ParseError("foo{a=\"b\nc\"}"), "1:7: parse error: unterminated quoted string");
  EXPECT_EQ(ParseError("{a=`x}"), "1:4: parse error: unterminated raw string");
  EXPECT_EQ(ParseError("{a=\"x\\"), "1:6: parse error: escape sequence not terminated");
}

TEST(SelectorParserTest, BadEscapesAreRejected) {
  EXPECT_EQ(ParseError(R"(foo{a="\q"})"), "1:8: parse error: unknown escape sequence 'q'");
  // As in Go, only the enclosing quote may be escaped.
  EXPECT_EQ(ParseError(R"(foo{a='\"'})"), "1:8: parse error: unknown escape sequence '\"'");
  EXPECT_EQ(ParseError(R"({a="\xZZ"})"),
            "1:5: parse error: invalid hexadecimal digit in escape sequence");
  EXPECT_EQ(ParseError(R"({a="\uD800"})"),
            "1:5: parse error: escape sequence is an invalid Unicode code point");
  EXPECT_EQ(ParseError(R"({a="\400"})"), "1:5: parse error: octal escape value > 255");
}

TEST(SelectorParserTest, InvalidRegexIsReportedAtTheValue) {
  const std::string error = ParseError("foo{a=~\"(\"}");
  EXPECT_EQ(error.rfind("1:8: parse error: invalid regular expression \"(\"", 0), 0u) << error;
}

}  // namespace
}  // namespace strata::collector
