#include "collector/query/promql/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "collector/query/promql/functions.h"

namespace strata::collector::promql {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Parses `query` and expects success.
ExprPtr MustParse(std::string_view query) {
  absl::StatusOr<ExprPtr> expr = ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << query << ": " << expr.status();
  if (!expr.ok()) return nullptr;
  return *std::move(expr);
}

// The canonical String() of a query that must parse.
std::string Canon(std::string_view query) {
  ExprPtr expr = MustParse(query);
  return expr == nullptr ? "<error>" : expr->String();
}

// The error message of a query that must fail.
std::string Err(std::string_view query) {
  absl::StatusOr<ExprPtr> expr = ParseExpr(query);
  EXPECT_FALSE(expr.ok()) << query << " parsed as " << (*expr)->String();
  if (expr.ok()) return "<parsed>";
  EXPECT_EQ(expr.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(expr.status().message());
}

// Fully parenthesised structure, to test precedence and associativity.
std::string Tree(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kBinary: {
      const auto& b = e.As<Binary>();
      return "(" + Tree(*b.lhs) + " " + std::string(BinaryOpString(b.op)) + " " + Tree(*b.rhs) +
             ")";
    }
    case ExprKind::kUnary: {
      const auto& u = e.As<Unary>();
      return std::string("(") + (u.op == UnaryOp::kMinus ? "-" : "+") + Tree(*u.expr) + ")";
    }
    case ExprKind::kParen:
      return "[" + Tree(*e.As<Paren>().expr) + "]";
    default:
      return e.String();
  }
}

std::string TreeOf(std::string_view query) {
  ExprPtr expr = MustParse(query);
  return expr == nullptr ? "<error>" : Tree(*expr);
}

// ---------------------------------------------------------------------------------------------
// Literals.

TEST(PromqlParserTest, IntegerLiteral) {
  ExprPtr e = MustParse("42");
  ASSERT_EQ(e->kind, ExprKind::kNumberLiteral);
  EXPECT_EQ(e->As<NumberLiteral>().value, 42);
  EXPECT_EQ(e->Type(), ValueType::kScalar);
}

TEST(PromqlParserTest, FloatLiteralForms) {
  EXPECT_EQ(Canon("123.4567"), "123.4567");
  EXPECT_EQ(Canon(".5"), "0.5");
  EXPECT_EQ(Canon("5."), "5");
  EXPECT_EQ(Canon("5e-3"), "0.005");
  EXPECT_EQ(Canon("5E3"), "5000");
  EXPECT_EQ(Canon("1.5e3"), "1500");
  EXPECT_EQ(Canon(".5e-2"), "0.005");
}

TEST(PromqlParserTest, HexLiteral) {
  EXPECT_EQ(Canon("0x1F"), "31");
  EXPECT_EQ(Canon("0Xc"), "12");
  EXPECT_EQ(Canon("0x7fffffffffffffff"), "9223372036854775808");  // nearest double
}

TEST(PromqlParserTest, LeadingZeroIntegerIsOctalAsInGo) {
  EXPECT_EQ(Canon("0755"), "493");
  EXPECT_EQ(Canon("017"), "15");
  EXPECT_EQ(Canon("089"), "89");  // not octal: read as decimal
  EXPECT_EQ(Canon("0.75"), "0.75");
}

TEST(PromqlParserTest, UnderscoresSeparateDigits) {
  EXPECT_EQ(Canon("1_000_000"), "1000000");
  EXPECT_EQ(Canon("0x_53_AB"), "21419");
  EXPECT_EQ(Canon(".123_456"), "0.123456");
}

TEST(PromqlParserTest, InfAndNanAreCaseInsensitive) {
  EXPECT_EQ(Canon("Inf"), "+Inf");
  EXPECT_EQ(Canon("inf"), "+Inf");
  EXPECT_EQ(Canon("+INF"), "+Inf");
  EXPECT_EQ(Canon("-Inf"), "-Inf");
  ExprPtr nan = MustParse("nAn");
  EXPECT_TRUE(std::isnan(nan->As<NumberLiteral>().value));
  EXPECT_EQ(nan->String(), "NaN");
}

TEST(PromqlParserTest, SignIsFoldedIntoNumberLiteral) {
  ExprPtr e = MustParse("-0755");
  ASSERT_EQ(e->kind, ExprKind::kNumberLiteral);
  EXPECT_EQ(e->As<NumberLiteral>().value, -493);
  EXPECT_EQ(e->pos.start, 0u);
  EXPECT_EQ(e->pos.end, 5u);
  EXPECT_EQ(Canon("+5.5e-3"), "0.0055");
  EXPECT_EQ(Canon("- - 1"), "1");
  EXPECT_EQ(Canon("+-+1"), "-1");
}

TEST(PromqlParserTest, NegativeZeroSurvives) {
  ExprPtr e = MustParse("-0");
  EXPECT_TRUE(std::signbit(e->As<NumberLiteral>().value));
  EXPECT_EQ(e->String(), "-0");
}

TEST(PromqlParserTest, DurationLiteralIsSecondsAsNumber) {
  EXPECT_EQ(Canon("1h"), "3600");
  EXPECT_EQ(Canon("1h30m"), "5400");
  EXPECT_EQ(Canon("500ms"), "0.5");
  EXPECT_EQ(Canon("1y"), "31536000");
  EXPECT_EQ(Canon("1w"), "604800");
  EXPECT_EQ(Canon("1d"), "86400");
  EXPECT_EQ(Canon("foo > 5m"), "foo > 300");
}

TEST(PromqlParserTest, NumbersRoundTripExactly) {
  for (const char* q : {"0.1", "1e300", "5e-324", "123456789012345678", "0.30000000000000004",
                        "1.7976931348623157e308"}) {
    ExprPtr e = MustParse(q);
    ExprPtr again = MustParse(e->String());
    EXPECT_EQ(e->As<NumberLiteral>().value, again->As<NumberLiteral>().value) << q;
  }
}

TEST(PromqlParserTest, NumberTooLargeIsAnError) {
  EXPECT_EQ(Err("1e400"),
            "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e400\": "
            "value out of range");
  EXPECT_EQ(Canon("1e-400"), "0");  // underflow rounds to zero
}

TEST(PromqlParserTest, BadNumberSyntax) {
  EXPECT_EQ(Err("2.5."), "1:1: parse error: bad number or duration syntax: \"2.5.\"");
  EXPECT_EQ(Err("100..4"), "1:1: parse error: bad number or duration syntax: \"100..\"");
  EXPECT_EQ(Err("0deadbeef"), "1:1: parse error: bad number or duration syntax: \"0de\"");
  EXPECT_EQ(Err("1__0"), "1:1: parse error: bad number or duration syntax: \"1__\"");
  EXPECT_EQ(Err("0x"),
            "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"0x\": invalid "
            "syntax");
  EXPECT_EQ(Err("."), "1:1: parse error: unexpected character: '.'");
}

TEST(PromqlParserTest, StringLiteralQuotes) {
  ExprPtr e = MustParse(R"("double \" quoted")");
  ASSERT_EQ(e->kind, ExprKind::kStringLiteral);
  EXPECT_EQ(e->As<StringLiteral>().value, "double \" quoted");
  EXPECT_EQ(e->Type(), ValueType::kString);
  EXPECT_EQ(MustParse(R"('single \' quoted')")->As<StringLiteral>().value, "single ' quoted");
  EXPECT_EQ(MustParse("`raw \\n \" '`")->As<StringLiteral>().value, "raw \\n \" '");
}

TEST(PromqlParserTest, StringEscapes) {
  ExprPtr e = MustParse(R"("\a\b\f\n\r\t\v\\ \x41\101\u00e9\U0001F600")");
  EXPECT_EQ(e->As<StringLiteral>().value, "\a\b\f\n\r\t\v\\ AA\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(MustParse(R"("\xff")")->As<StringLiteral>().value, "\xff");  // a raw byte
}

TEST(PromqlParserTest, StringsPrintWithGoEscapes) {
  EXPECT_EQ(Canon(R"('it\'s')"), R"("it's")");
  EXPECT_EQ(Canon("`a\nb\\c\"`"), R"("a\nb\\c\"")");
  EXPECT_EQ(Canon(R"("\x00\u00a0\u00e9")"), "\"\\x00\\u00a0\xc3\xa9\"");
  EXPECT_EQ(Canon(R"(foo{a="\xff"})"), R"(foo{a="\xff"})");
}

TEST(PromqlParserTest, RawStringKeepsNewlines) {
  EXPECT_EQ(MustParse("`a\nb`")->As<StringLiteral>().value, "a\nb");
}

TEST(PromqlParserTest, StringErrors) {
  EXPECT_EQ(Err(R"("\c")"), "1:1: parse error: unknown escape sequence U+0063 'c'");
  EXPECT_EQ(Err(R"("\x.")"), "1:1: parse error: illegal character U+002E '.' in escape sequence");
  EXPECT_EQ(Err(R"("\)"), "1:1: parse error: escape sequence not terminated");
  EXPECT_EQ(Err(R"("\400")"), "1:1: parse error: escape sequence is an invalid Unicode code point");
  EXPECT_EQ(Err(R"("\ud800")"),
            "1:1: parse error: escape sequence is an invalid Unicode code point");
  EXPECT_EQ(Err("\"abc"), "1:1: parse error: unterminated quoted string");
  EXPECT_EQ(Err("'a\nb'"), "1:1: parse error: unterminated quoted string");
  EXPECT_EQ(Err("`abc"), "1:1: parse error: unterminated raw string");
  EXPECT_EQ(Err("\"\xff\""), "1:1: parse error: invalid UTF-8 rune");
  EXPECT_EQ(Err(R"(  '\"')"), "1:3: parse error: unknown escape sequence U+0022 '\"'");
}

// ---------------------------------------------------------------------------------------------
// Vector selectors.

TEST(PromqlParserTest, MetricNameOnly) {
  ExprPtr e = MustParse("http_requests_total");
  ASSERT_EQ(e->kind, ExprKind::kVectorSelector);
  const auto& vs = e->As<VectorSelector>();
  EXPECT_EQ(vs.name, "http_requests_total");
  ASSERT_EQ(vs.matchers.size(), 1u);
  EXPECT_EQ(vs.matchers[0].ToString(), "__name__=\"http_requests_total\"");
  EXPECT_EQ(vs.offset_ms, 0);
  EXPECT_FALSE(vs.at.is_set());
  EXPECT_EQ(e->Type(), ValueType::kVector);
  EXPECT_EQ(vs.pos.start, 0u);
  EXPECT_EQ(vs.pos.end, 19u);
}

TEST(PromqlParserTest, AllFourMatchOperators) {
  ExprPtr e = MustParse(R"(foo{a="b", c!="d", e=~"f.*", g!~"h|i"})");
  const auto& vs = e->As<VectorSelector>();
  std::vector<std::string> matchers;
  for (const LabelMatcher& m : vs.matchers) matchers.push_back(m.ToString());
  EXPECT_THAT(matchers,
              ElementsAre("__name__=\"foo\"", "a=\"b\"", "c!=\"d\"", "e=~\"f.*\"", "g!~\"h|i\""));
  EXPECT_EQ(vs.matchers[3].op(), MatchOp::kRegexMatch);
  EXPECT_TRUE(vs.matchers[3].Matches("foo"));
  EXPECT_FALSE(vs.matchers[3].Matches("xfoo"));   // anchored
  EXPECT_EQ(vs.pos.end, e->String().size() + 3);  // the input had spaces after the commas
}

TEST(PromqlParserTest, SelectorPrintsMatchersSorted) {
  EXPECT_EQ(Canon(R"(foo{z="1", a="2", m=~"3"})"), R"(foo{a="2",m=~"3",z="1"})");
}

TEST(PromqlParserTest, MetricNameWithColons) {
  EXPECT_EQ(Canon(R"(job:rate5m:sum{a="b"})"), R"(job:rate5m:sum{a="b"})");
  EXPECT_EQ(Canon(":leading"), ":leading");
}

TEST(PromqlParserTest, NameMatcherInsideBraces) {
  ExprPtr e = MustParse(R"({__name__=~"job:.*", env="prod"})");
  const auto& vs = e->As<VectorSelector>();
  EXPECT_EQ(vs.name, "");
  EXPECT_EQ(vs.matchers.size(), 2u);
  EXPECT_EQ(e->String(), R"({__name__=~"job:.*",env="prod"})");
  EXPECT_EQ(Canon(R"({__name__="bar", __name__="baz"})"), R"({__name__="bar",__name__="baz"})");
}

TEST(PromqlParserTest, QuotedMetricNameInsideBraces) {
  ExprPtr e = MustParse(R"({"my.metric", "label.name"="v", job="a"})");
  const auto& vs = e->As<VectorSelector>();
  EXPECT_EQ(vs.name, "");
  ASSERT_EQ(vs.matchers.size(), 3u);
  EXPECT_EQ(vs.matchers[0].name(), "__name__");
  EXPECT_EQ(vs.matchers[0].value(), "my.metric");
  EXPECT_EQ(vs.matchers[1].name(), "label.name");
  EXPECT_EQ(e->String(), R"({"label.name"="v",__name__="my.metric",job="a"})");
}

TEST(PromqlParserTest, QuotedLabelNamesWithAllQuoteStyles) {
  EXPECT_EQ(Canon(R"({'foo\'bar', 'a\\dos'='boo\\urns'})"),
            R"({"a\\dos"="boo\\urns",__name__="foo'bar"})");
  EXPECT_EQ(Canon("{`a b`=\"c\", x=\"y\"}"), R"({"a b"="c",x="y"})");
}

TEST(PromqlParserTest, TrailingCommaInBraces) {
  EXPECT_EQ(Canon(R"(foo{a="b",})"), R"(foo{a="b"})");
  EXPECT_EQ(Canon("foo{}"), "foo");
}

TEST(PromqlParserTest, KeywordsAreMetricNames) {
  EXPECT_EQ(Canon("sum"), "sum");
  EXPECT_EQ(Canon("by"), "by");
  EXPECT_EQ(Canon("offset{step=\"1s\"}[5m]"), "offset{step=\"1s\"}[5m]");
  EXPECT_EQ(Canon("start"), "start");
  EXPECT_EQ(Canon("foo and and"), "foo and and");
  EXPECT_EQ(Canon("sum(sum)"), "sum(sum)");
  EXPECT_EQ(Canon("a + sum"), "a + sum");
  EXPECT_EQ(Canon("foo{NaN='bc'}"), "foo{NaN=\"bc\"}");
}

TEST(PromqlParserTest, SelectorMustHaveNonEmptyMatcher) {
  const std::string msg = "vector selector must contain at least one non-empty matcher";
  EXPECT_EQ(Err("{}"), "1:1: parse error: " + msg);
  EXPECT_EQ(Err(R"({x=""})"), "1:1: parse error: " + msg);
  EXPECT_EQ(Err(R"({x=~".*"})"), "1:1: parse error: " + msg);
  EXPECT_EQ(Err(R"({x!~".+"})"), "1:1: parse error: " + msg);
  EXPECT_EQ(Err(R"(sum({x!="a"}))"), "1:5: parse error: " + msg);
  EXPECT_EQ(Canon(R"({x=~".+"})"), R"({x=~".+"})");
  EXPECT_EQ(Canon(R"({x=~".*", y="a"})"), R"({x=~".*",y="a"})");
}

TEST(PromqlParserTest, MetricNameMustNotBeSetTwice) {
  EXPECT_EQ(Err(R"(foo{__name__="bar"})"),
            "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
  EXPECT_EQ(Err(R"(foo{"bar"})"),
            "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
}

TEST(PromqlParserTest, InvalidRegexIsParseErrorAtLabel) {
  EXPECT_EQ(Err(R"(foo{a=~"("})"),
            "1:5: parse error: error parsing regexp: missing closing ): `^(?:()$`");
  EXPECT_EQ(Err(R"(foo{bar!~"[a"})"),
            "1:5: parse error: error parsing regexp: missing closing ]: `[a)$`");
  EXPECT_THAT(Err(R"(foo{a=~"x**"})"), HasSubstr("error parsing regexp: "));
}

TEST(PromqlParserTest, BraceErrors) {
  EXPECT_EQ(Err("{"), "1:2: parse error: unexpected end of input inside braces");
  EXPECT_EQ(Err("some{"), "1:6: parse error: unexpected end of input inside braces");
  EXPECT_EQ(Err("}"), "1:1: parse error: unexpected character: '}'");
  EXPECT_EQ(Err("some}"), "1:5: parse error: unexpected character: '}'");
  EXPECT_EQ(Err("some_metric{a=b}"),
            "1:15: parse error: unexpected identifier \"b\" in label matching, expected string");
  EXPECT_EQ(Err(R"(some_metric{a:b="b"})"),
            "1:14: parse error: unexpected character inside braces: ':'");
  EXPECT_EQ(Err(R"(foo{a*"b"})"), "1:6: parse error: unexpected character inside braces: '*'");
  EXPECT_EQ(Err(R"(foo{a>="b"})"), "1:6: parse error: unexpected character inside braces: '>'");
  EXPECT_EQ(Err("foo{gibberish}"),
            "1:14: parse error: unexpected \"}\" in label matching, expected label matching "
            "operator");
  EXPECT_EQ(Err("foo{1}"), "1:5: parse error: unexpected character inside braces: '1'");
  EXPECT_EQ(Err("foo{__name__= =}"),
            "1:15: parse error: unexpected \"=\" in label matching, expected string");
  EXPECT_EQ(Err("foo{,}"),
            "1:5: parse error: unexpected \",\" in label matching, expected identifier or \"}\"");
  EXPECT_EQ(Err(R"(foo{__name__ == "bar"})"),
            "1:15: parse error: unexpected \"=\" in label matching, expected string");
  EXPECT_EQ(Err(R"(foo{__name__="bar" lol})"),
            "1:20: parse error: unexpected identifier \"lol\" in label matching, expected \",\" "
            "or \"}\"");
  EXPECT_EQ(Err(R"(foo{"a"=})"),
            "1:9: parse error: unexpected \"}\" in label matching, expected string");
  EXPECT_EQ(Err(R"(foo{a!"b"})"),
            "1:6: parse error: unexpected character after '!' inside braces: '\"'");
  EXPECT_EQ(Err(R"(foo{a={})"), "1:7: parse error: unexpected left brace '{'");
  EXPECT_EQ(Err(R"(foo{a="b"}{c="d"})"), "1:11: parse error: unexpected \"{\"");
}

TEST(PromqlParserTest, CommentsAreIgnored) {
  EXPECT_EQ(Canon("foo # a comment\n + # another\n bar"), "foo + bar");
  EXPECT_EQ(Canon("foo{# inside braces\na=\"b\"}"), "foo{a=\"b\"}");
  EXPECT_EQ(Err("# just a comment\n\n"), "1:1: parse error: no expression found in input");
  EXPECT_EQ(Err(""), "1:1: parse error: no expression found in input");
  EXPECT_EQ(Err("   "), "1:1: parse error: no expression found in input");
}

TEST(PromqlParserTest, ErrorPositionCountsLines) {
  EXPECT_EQ(Err("foo +\n  bar +\n  )"), "3:4: parse error: unexpected right parenthesis ')'");
  EXPECT_EQ(Err("sum(\n  rate(foo)\n)"),
            "2:8: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
}

// ---------------------------------------------------------------------------------------------
// Offset and @.

TEST(PromqlParserTest, OffsetOnSelector) {
  ExprPtr e = MustParse("foo offset 5m");
  EXPECT_EQ(e->As<VectorSelector>().offset_ms, 300000);
  EXPECT_EQ(e->pos.end, 13u);
  EXPECT_EQ(e->String(), "foo offset 5m");
}

TEST(PromqlParserTest, NegativeOffset) {
  ExprPtr e = MustParse("foo offset -7m");
  EXPECT_EQ(e->As<VectorSelector>().offset_ms, -420000);
  EXPECT_EQ(e->String(), "foo offset -7m");
  EXPECT_EQ(Canon("foo offset - 1h30m"), "foo offset -1h30m");
}

TEST(PromqlParserTest, OffsetKeywordIsCaseInsensitive) {
  EXPECT_EQ(MustParse("foo OFFSET 1h30m")->As<VectorSelector>().offset_ms, 5400000);
  EXPECT_EQ(MustParse("foo OFFSET 1m30ms")->As<VectorSelector>().offset_ms, 60030);
}

TEST(PromqlParserTest, OffsetAsNumberOfSeconds) {
  EXPECT_EQ(MustParse("foo offset 3600")->As<VectorSelector>().offset_ms, 3600000);
  EXPECT_EQ(Canon("foo offset 1.5"), "foo offset 1s500ms");
}

TEST(PromqlParserTest, ZeroSecondsOffsetIsNoOffset) {
  // A number of seconds that truncates to 0 ms sets no offset, as in Prometheus; a zero
  // duration literal is an error (see OffsetErrors).
  EXPECT_EQ(Canon("foo offset 0"), "foo");
  EXPECT_EQ(Canon("foo offset 0.0001"), "foo");
}

TEST(PromqlParserTest, OffsetOnRangeAndSubquery) {
  ExprPtr m = MustParse(R"(test{a="b"}[5y] OFFSET 3d)");
  ASSERT_EQ(m->kind, ExprKind::kMatrixSelector);
  EXPECT_EQ(m->As<MatrixSelector>().selector->offset_ms, 3 * 86400000LL);
  EXPECT_EQ(m->As<MatrixSelector>().range_ms, 5 * 365 * 86400000LL);
  EXPECT_EQ(m->String(), R"(test{a="b"}[5y] offset 3d)");
  EXPECT_EQ(m->pos.end, 25u);
  ExprPtr s = MustParse("foo[10m:1m] offset 1w");
  EXPECT_EQ(s->As<Subquery>().offset_ms, 7 * 86400000LL);
}

TEST(PromqlParserTest, OffsetErrors) {
  EXPECT_EQ(Err("1 offset 1d"),
            "1:1: parse error: offset modifier must be preceded by an instant vector selector or "
            "range vector selector or a subquery");
  EXPECT_EQ(Err("sum(foo) offset 5m"),
            "1:1: parse error: offset modifier must be preceded by an instant vector selector or "
            "range vector selector or a subquery");
  EXPECT_EQ(Err("(foo) offset 5m"),
            "1:1: parse error: offset modifier must be preceded by an instant vector selector or "
            "range vector selector or a subquery");
  EXPECT_EQ(Err("foo offset 1s offset 2s"),
            "1:1: parse error: offset may not be set multiple times");
  EXPECT_EQ(Err("foo[5m:] offset 1m offset 1m"),
            "1:1: parse error: offset may not be set multiple times");
  EXPECT_EQ(Err("some_metric[5m] OFFSET 1mm"),
            "1:24: parse error: bad number or duration syntax: \"1mm\"");
  EXPECT_EQ(Err("some_metric[5m] OFFSET"),
            "1:23: parse error: unexpected end of input in offset, expected number or duration");
  EXPECT_EQ(Err("foo offset bar"),
            "1:12: parse error: unexpected identifier \"bar\" in offset, expected number or "
            "duration");
  EXPECT_EQ(Err("foo offset 0s"), "1:12: parse error: duration must be greater than 0");
}

TEST(PromqlParserTest, AtTimestamp) {
  ExprPtr e = MustParse("foo @ 1603774568");
  const auto& vs = e->As<VectorSelector>();
  EXPECT_EQ(vs.at.kind, AtModifier::Kind::kTimestamp);
  EXPECT_EQ(vs.at.timestamp_ms, 1603774568000);
  EXPECT_EQ(e->String(), "foo @ 1603774568.000");
}

TEST(PromqlParserTest, AtTimestampForms) {
  auto at_ms = [](std::string_view q) {
    ExprPtr e = MustParse(q);
    return e == nullptr ? -1 : e->As<VectorSelector>().at.timestamp_ms;
  };
  EXPECT_EQ(at_ms("foo @ -100"), -100000);
  EXPECT_EQ(at_ms("foo @ .3"), 300);
  EXPECT_EQ(at_ms("foo @ 3."), 3000);
  EXPECT_EQ(at_ms("foo @ 3.3333"), 3333);
  EXPECT_EQ(at_ms("foo @ 3.3335"), 3334);  // rounded to the millisecond
  EXPECT_EQ(at_ms("foo @ 3e2"), 300000);
  EXPECT_EQ(at_ms("foo @ 0xA"), 10000);
  EXPECT_EQ(at_ms("foo @ -3.3e1"), -33000);
  EXPECT_EQ(at_ms("foo @ + 5"), 5000);
  EXPECT_EQ(at_ms("foo @ 1m"), 60000);
  EXPECT_EQ(Canon("foo @ -1.5"), "foo @ -1.500");
}

TEST(PromqlParserTest, AtStartAndEnd) {
  ExprPtr e = MustParse("foo @ start()");
  EXPECT_EQ(e->As<VectorSelector>().at.kind, AtModifier::Kind::kStart);
  EXPECT_EQ(e->pos.end, 13u);
  EXPECT_EQ(MustParse("foo @ END()")->As<VectorSelector>().at.kind, AtModifier::Kind::kEnd);
  EXPECT_EQ(Canon("rate(foo[5m] @ end())"), "rate(foo[5m] @ end())");
  EXPECT_EQ(MustParse("foo[10m:6s] @ start()")->As<Subquery>().at.kind, AtModifier::Kind::kStart);
}

TEST(PromqlParserTest, AtAndOffsetInEitherOrder) {
  EXPECT_EQ(Canon("foo @ 123 offset 5m"), "foo @ 123.000 offset 5m");
  EXPECT_EQ(Canon("foo offset 5m @ 123"), "foo @ 123.000 offset 5m");
  EXPECT_EQ(Canon("foo[5m] offset 1m @ 100"), "foo[5m] @ 100.000 offset 1m");
  EXPECT_EQ(Canon("foo[10m:5s] offset 1m @ 123"), "foo[10m:5s] @ 123.000 offset 1m");
}

TEST(PromqlParserTest, AtErrors) {
  EXPECT_EQ(Err("foo @ +Inf"), "1:1: parse error: timestamp out of bounds for @ modifier: +Inf");
  EXPECT_EQ(Err("foo @ -Inf"), "1:1: parse error: timestamp out of bounds for @ modifier: -Inf");
  EXPECT_EQ(Err("foo @ NaN"), "1:1: parse error: timestamp out of bounds for @ modifier: NaN");
  EXPECT_EQ(Err("foo @ 1e30"),
            "1:1: parse error: timestamp out of bounds for @ modifier: "
            "1000000000000000019884624838656.000000");
  EXPECT_EQ(Err("rate(some_metric[5m]) @ 1234"),
            "1:1: parse error: @ modifier must be preceded by an instant vector selector or range "
            "vector selector or a subquery");
  EXPECT_EQ(Err("foo @ 1 @ 2"), "1:1: parse error: @ <timestamp> may not be set multiple times");
  EXPECT_EQ(Err("foo @ start() @ end()"),
            "1:1: parse error: @ <timestamp> may not be set multiple times");
  EXPECT_EQ(Err("some_metric[5m] @"),
            "1:18: parse error: unexpected end of input in @, expected timestamp");
  EXPECT_EQ(Err("foo @ bar"),
            "1:7: parse error: unexpected identifier \"bar\" in @, expected timestamp");
  EXPECT_EQ(Err("foo @ (1)"), "1:7: parse error: unexpected \"(\" in @, expected timestamp");
  EXPECT_EQ(Err("foo @ start(1)"),
            "1:13: parse error: unexpected number \"1\" in @, expected timestamp");
  EXPECT_EQ(Err("@@"), "1:1: parse error: unexpected <op:@>");
}

// ---------------------------------------------------------------------------------------------
// Range selectors and subqueries.

TEST(PromqlParserTest, RangeSelector) {
  ExprPtr e = MustParse("test[5m]");
  ASSERT_EQ(e->kind, ExprKind::kMatrixSelector);
  const auto& m = e->As<MatrixSelector>();
  EXPECT_EQ(m.range_ms, 300000);
  EXPECT_EQ(m.selector->name, "test");
  EXPECT_EQ(e->Type(), ValueType::kMatrix);
  EXPECT_EQ(e->pos.start, 0u);
  EXPECT_EQ(e->pos.end, 8u);
}

TEST(PromqlParserTest, RangeDurations) {
  auto range = [](std::string_view q) {
    ExprPtr e = MustParse(q);
    return e == nullptr ? -1 : e->As<MatrixSelector>().range_ms;
  };
  EXPECT_EQ(range("foo[1000ms]"), 1000);
  EXPECT_EQ(range("foo[1001ms]"), 1001);
  EXPECT_EQ(range("foo[5m30s]"), 330000);
  EXPECT_EQ(range("foo[4s180ms]"), 4180);
  EXPECT_EQ(range("foo[5d]"), 5 * 86400000LL);
  EXPECT_EQ(range("foo[5w]"), 35 * 86400000LL);
  EXPECT_EQ(range("foo[ 5m ]"), 300000);
}

TEST(PromqlParserTest, RangeAsNumberOfSeconds) {
  EXPECT_EQ(MustParse("foo[5]")->As<MatrixSelector>().range_ms, 5000);
  EXPECT_EQ(MustParse("foo[4.18]")->As<MatrixSelector>().range_ms, 4180);
  EXPECT_EQ(Canon("foo[90]"), "foo[1m30s]");
}

TEST(PromqlParserTest, DurationErrors) {
  EXPECT_EQ(Err("foo[5mm]"), "1:5: parse error: bad number or duration syntax: \"5mm\"");
  EXPECT_EQ(Err("foo[5m1]"), "1:5: parse error: bad number or duration syntax: \"5m1\"");
  EXPECT_EQ(Err("foo[5m:1m1]"), "1:8: parse error: bad number or duration syntax: \"1m1\"");
  EXPECT_EQ(Err("foo[5y1hs]"), "1:5: parse error: unknown unit \"hs\" in duration \"5y1hs\"");
  EXPECT_EQ(Err("foo[5m1h]"), "1:5: parse error: not a valid duration string: \"5m1h\"");
  EXPECT_EQ(Err("foo[5m1m]"), "1:5: parse error: not a valid duration string: \"5m1m\"");
  EXPECT_EQ(Err("foo[1.5h]"), "1:5: parse error: unknown unit \".\" in duration \"1.5h\"");
  EXPECT_EQ(Err("foo[0m]"), "1:5: parse error: duration must be greater than 0");
  EXPECT_EQ(Err("foo[0]"), "1:5: parse error: duration must be greater than 0");
  EXPECT_EQ(Err("foo[5m:0s]"), "1:8: parse error: duration must be greater than 0");
  EXPECT_EQ(Err("foo[300000y]"), "1:5: parse error: duration out of range");
}

TEST(PromqlParserTest, RangeSyntaxErrors) {
  EXPECT_EQ(Err("foo[]"),
            "1:5: parse error: unexpected \"]\" in subquery selector, expected number or duration");
  EXPECT_EQ(Err("foo[-1]"),
            "1:5: parse error: unexpected <op:-> in subquery selector, expected number or "
            "duration");
  EXPECT_EQ(Err("foo[\"5m\"]"),
            "1:5: parse error: unexpected string \"\\\"5m\\\"\" in subquery selector, expected "
            "number or duration");
  EXPECT_EQ(Err("foo[5m 1m]"),
            "1:8: parse error: unexpected duration \"1m\" in subquery or range, expected \":\" "
            "or \"]\"");
  EXPECT_EQ(Err("foo[5m:1m 1]"),
            "1:11: parse error: unexpected number \"1\" in subquery selector, expected \"]\"");
  EXPECT_EQ(Err("foo[5m:foo]"),
            "1:8: parse error: unexpected identifier \"foo\" in subquery selector, expected "
            "number or duration or \"]\"");
  EXPECT_EQ(Err("foo[5m:1m:]"), "1:10: parse error: unexpected colon ':'");
  EXPECT_EQ(Err("foo[5m[1m]]"), "1:7: parse error: unexpected left bracket '['");
  EXPECT_EQ(Err("foo]"), "1:4: parse error: unexpected right bracket ']'");
  EXPECT_EQ(Err("foo{bar=\"baz\"}["), "1:16: parse error: unclosed left bracket");
  EXPECT_EQ(Err("foo[5m"), "1:7: parse error: unclosed left bracket");
}

TEST(PromqlParserTest, RangeOnlyOnPlainSelectors) {
  EXPECT_EQ(Err("some_metric OFFSET 1m[5m]"),
            "1:22: parse error: no offset modifiers allowed before range");
  EXPECT_EQ(Err("some_metric @ 1234 [5m]"),
            "1:20: parse error: no @ modifiers allowed before range");
  EXPECT_EQ(Err("some_metric @ start() [5m]"),
            "1:23: parse error: no @ modifiers allowed before range");
  EXPECT_EQ(Err("(foo + bar)[5m]"), "1:12: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(Err("rate(food[1m])[1h] offset 1h"),
            "1:15: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(Err("foo[5m][5m]"), "1:8: parse error: ranges only allowed for vector selectors");
}

TEST(PromqlParserTest, Subquery) {
  ExprPtr e = MustParse(R"(foo{bar="baz"}[10m:6s])");
  ASSERT_EQ(e->kind, ExprKind::kSubquery);
  const auto& sq = e->As<Subquery>();
  EXPECT_EQ(sq.range_ms, 600000);
  EXPECT_EQ(sq.step_ms, 6000);
  EXPECT_EQ(sq.expr->kind, ExprKind::kVectorSelector);
  EXPECT_EQ(e->Type(), ValueType::kMatrix);
  EXPECT_EQ(e->pos.end, 22u);
  EXPECT_EQ(e->String(), R"(foo{bar="baz"}[10m:6s])");
}

TEST(PromqlParserTest, SubqueryWithDefaultStep) {
  ExprPtr e = MustParse("foo[10m:]");
  EXPECT_EQ(e->As<Subquery>().step_ms, 0);
  EXPECT_EQ(e->String(), "foo[10m:]");
  EXPECT_EQ(Canon("foo[10m5s:1h6ms]"), "foo[10m5s:1h6ms]");
}

TEST(PromqlParserTest, NestedSubqueries) {
  EXPECT_EQ(Canon(R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:])[4m:3s])"),
            R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:])[4m:3s])");
  EXPECT_EQ(Canon(R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:] offset 4m)[4m:3s])"),
            R"(min_over_time(rate(foo{bar="baz"}[2s])[5m:] offset 4m)[4m:3s])");
  EXPECT_EQ(Canon("sum without(and, by, avg)(some_metric) [30m:10s]"),
            "sum without (and, by, avg) (some_metric)[30m:10s]");
}

TEST(PromqlParserTest, SubqueryOnSelectorWithModifiers) {
  ExprPtr e = MustParse("some_metric @ 123 offset 1m [10m:5s]");
  const auto& sq = e->As<Subquery>();
  const auto& vs = sq.expr->As<VectorSelector>();
  EXPECT_EQ(vs.offset_ms, 60000);
  EXPECT_EQ(vs.at.timestamp_ms, 123000);
  EXPECT_EQ(sq.offset_ms, 0);
  EXPECT_EQ(e->String(), "some_metric @ 123.000 offset 1m[10m:5s]");
}

TEST(PromqlParserTest, SubqueryTypeErrors) {
  EXPECT_EQ(Err("test[5d] OFFSET 10s [10m:5s]"),
            "1:1: parse error: subquery is only allowed on instant vector, got matrix instead");
  EXPECT_EQ(Err(R"((foo + bar{nm="val"})[5m:][10m:5s])"),
            "1:1: parse error: subquery is only allowed on instant vector, got matrix instead");
  EXPECT_EQ(Err("1[5m:]"),
            "1:1: parse error: subquery is only allowed on instant vector, got scalar instead");
  EXPECT_EQ(Err("\"a\"[5m:]"),
            "1:1: parse error: subquery is only allowed on instant vector, got string instead");
}

// ---------------------------------------------------------------------------------------------
// Operators.

TEST(PromqlParserTest, ArithmeticPrecedence) {
  EXPECT_EQ(TreeOf("1 + 2 * 3"), "(1 + (2 * 3))");
  EXPECT_EQ(TreeOf("1 * 2 + 3"), "((1 * 2) + 3)");
  EXPECT_EQ(TreeOf("1 + 2/(3*1)"), "(1 + (2 / [(3 * 1)]))");
  EXPECT_EQ(TreeOf("a % b atan2 c * d"), "(((a % b) atan2 c) * d)");
  EXPECT_EQ(TreeOf("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(TreeOf("a / b / c"), "((a / b) / c)");
}

TEST(PromqlParserTest, PowerIsRightAssociativeAndTightest) {
  EXPECT_EQ(TreeOf("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
  EXPECT_EQ(TreeOf("a * b ^ c"), "(a * (b ^ c))");
  EXPECT_EQ(TreeOf("a ^ b * c"), "((a ^ b) * c)");
}

TEST(PromqlParserTest, UnaryMinusBindsLooserThanPower) {
  EXPECT_EQ(TreeOf("-2^2"), "(-(2 ^ 2))");
  EXPECT_EQ(TreeOf("-1^-2"), "(-(1 ^ -2))");
  EXPECT_EQ(TreeOf("-a ^ b"), "(-(a ^ b))");
  EXPECT_EQ(TreeOf("2 ^ -a ^ b"), "(2 ^ (-(a ^ b)))");
}

TEST(PromqlParserTest, UnaryMinusBindsTighterThanOtherOperators) {
  EXPECT_EQ(TreeOf("-1*2"), "(-1 * 2)");
  EXPECT_EQ(TreeOf("-1+2"), "(-1 + 2)");
  EXPECT_EQ(TreeOf("-a * b"), "((-a) * b)");
  EXPECT_EQ(TreeOf("a * -b * c"), "((a * (-b)) * c)");
  EXPECT_EQ(TreeOf("+1 + -2 * 1"), "(1 + (-2 * 1))");
  EXPECT_EQ(TreeOf("-some_metric"), "(-some_metric)");
  EXPECT_EQ(TreeOf("+some_metric"), "(+some_metric)");
  EXPECT_EQ(TreeOf("--foo"), "(-(-foo))");
}

TEST(PromqlParserTest, ComparisonPrecedence) {
  EXPECT_EQ(TreeOf("1 < bool 2 - 1 * 2"), "(1 < (2 - (1 * 2)))");
  EXPECT_EQ(TreeOf("a + b > c - d"), "((a + b) > (c - d))");
  EXPECT_EQ(TreeOf("a == b != c"), "((a == b) != c)");
}

TEST(PromqlParserTest, SetOperatorPrecedence) {
  EXPECT_EQ(TreeOf("foo + bar or bla and blub"), "((foo + bar) or (bla and blub))");
  EXPECT_EQ(TreeOf("foo and bar unless baz or qux"), "(((foo and bar) unless baz) or qux)");
  EXPECT_EQ(TreeOf("a or b or c"), "((a or b) or c)");
  EXPECT_EQ(TreeOf("a > b and c < d"), "((a > b) and (c < d))");
}

TEST(PromqlParserTest, ModifiersBindToTheSelectorBeforeThem) {
  EXPECT_EQ(TreeOf("a + b offset 5m"), "(a + b offset 5m)");
  EXPECT_EQ(TreeOf("-foo offset 5m"), "(-foo offset 5m)");
  EXPECT_EQ(TreeOf("a ^ b @ 5"), "(a ^ b @ 5.000)");
}

TEST(PromqlParserTest, OperatorKeywordsAreCaseInsensitive) {
  EXPECT_EQ(Canon("a AND b Or c UNLESS d"), "a and b or c unless d");
  EXPECT_EQ(Canon("a ATAN2 b"), "a atan2 b");
  EXPECT_EQ(Canon("a > BOOL b"), "a > bool b");
}

TEST(PromqlParserTest, BinaryTypes) {
  EXPECT_EQ(MustParse("1 + 1")->Type(), ValueType::kScalar);
  EXPECT_EQ(MustParse("foo + 1")->Type(), ValueType::kVector);
  EXPECT_EQ(MustParse("1 - foo")->Type(), ValueType::kVector);
  EXPECT_EQ(MustParse("foo * bar")->Type(), ValueType::kVector);
  EXPECT_EQ(MustParse("(1 + 2)")->Type(), ValueType::kScalar);
  EXPECT_EQ(MustParse("-foo")->Type(), ValueType::kVector);
}

TEST(PromqlParserTest, AllScalarOperators) {
  for (const char* op : {"+", "-", "*", "/", "%", "^", "atan2"}) {
    const std::string q = std::string("1 ") + op + " 2";
    EXPECT_EQ(Canon(q), q);
  }
  for (const char* op : {"==", "!=", ">", "<", ">=", "<="}) {
    const std::string q = std::string("1 ") + op + " bool 2";
    EXPECT_EQ(Canon(q), q);
  }
}

TEST(PromqlParserTest, BoolModifierOnlyOnComparisons) {
  ExprPtr e = MustParse("foo == bool 1");
  EXPECT_TRUE(e->As<Binary>().return_bool);
  EXPECT_EQ(Err("foo + bool bar"),
            "1:5: parse error: bool modifier can only be used on comparison operators");
  EXPECT_EQ(Err("foo + bool 10"),
            "1:5: parse error: bool modifier can only be used on comparison operators");
  EXPECT_EQ(Err("foo and bool 10"),
            "1:5: parse error: bool modifier can only be used on comparison operators");
}

TEST(PromqlParserTest, ScalarComparisonNeedsBool) {
  EXPECT_EQ(Err("1 == 1"), "1:3: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(Err("1   >=\n 2"),
            "1:5: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(MustParse("1 < bool 2")->Type(), ValueType::kScalar);
  EXPECT_EQ(MustParse("foo == 1")->As<Binary>().return_bool, false);
}

TEST(PromqlParserTest, VectorMatchingOnAndIgnoring) {
  ExprPtr e = MustParse("foo * on(test,blub) bar");
  const auto& b = e->As<Binary>();
  ASSERT_TRUE(b.matching.has_value());
  EXPECT_TRUE(b.matching->on);
  EXPECT_THAT(b.matching->matching_labels, ElementsAre("test", "blub"));
  EXPECT_EQ(b.matching->card, VectorMatching::Cardinality::kOneToOne);
  EXPECT_EQ(e->String(), "foo * on (test, blub) bar");

  ExprPtr i = MustParse("foo / ignoring(test) bar");
  EXPECT_FALSE(i->As<Binary>().matching->on);
  EXPECT_EQ(i->String(), "foo / ignoring (test) bar");
}

TEST(PromqlParserTest, GroupLeftAndGroupRight) {
  ExprPtr e = MustParse("foo / on(test,blub) group_left(bar) bar");
  const auto& vm = *e->As<Binary>().matching;
  EXPECT_EQ(vm.card, VectorMatching::Cardinality::kManyToOne);
  EXPECT_THAT(vm.include, ElementsAre("bar"));
  EXPECT_EQ(e->String(), "foo / on (test, blub) group_left (bar) bar");

  ExprPtr r = MustParse("foo - ignoring(test,blub) group_right(bar,foo) bar");
  EXPECT_EQ(r->As<Binary>().matching->card, VectorMatching::Cardinality::kOneToMany);
  EXPECT_EQ(r->String(), "foo - ignoring (test, blub) group_right (bar, foo) bar");

  EXPECT_EQ(Canon("foo * on(test,blub) group_left bar"), "foo * on (test, blub) group_left () bar");
  EXPECT_EQ(Canon("a + on(x) group_left(y,) b"), "a + on (x) group_left (y) b");
}

TEST(PromqlParserTest, ModifiersPrecedenceAndReassignment) {
  ExprPtr e = MustParse("bar + on(foo) bla / on(baz, buz) group_right(test) blub");
  const auto& add = e->As<Binary>();
  EXPECT_EQ(add.op, BinaryOp::kAdd);
  EXPECT_THAT(add.matching->matching_labels, ElementsAre("foo"));
  const auto& div = add.rhs->As<Binary>();
  EXPECT_EQ(div.matching->card, VectorMatching::Cardinality::kOneToMany);
  EXPECT_THAT(div.matching->include, ElementsAre("test"));
}

TEST(PromqlParserTest, BoolWithVectorMatching) {
  EXPECT_EQ(Canon("a == bool on(x) b"), "a == bool on (x) b");
  EXPECT_EQ(Err("a + on(x) bool b"), "1:11: parse error: unexpected <bool>");
}

TEST(PromqlParserTest, SetOperatorsAreManyToMany) {
  ExprPtr e = MustParse("foo and on(test,blub) bar");
  EXPECT_EQ(e->As<Binary>().matching->card, VectorMatching::Cardinality::kManyToMany);
  EXPECT_EQ(e->String(), "foo and on (test, blub) bar");
  EXPECT_EQ(MustParse("foo or bar")->As<Binary>().matching->card,
            VectorMatching::Cardinality::kManyToMany);
  EXPECT_EQ(Canon("foo and on() bar"), "foo and on () bar");
  EXPECT_EQ(Canon("foo unless ignoring() bar"), "foo unless bar");
}

TEST(PromqlParserTest, ScalarOperandsHaveNoVectorMatching) {
  EXPECT_FALSE(MustParse("foo + 1")->As<Binary>().matching.has_value());
  EXPECT_FALSE(MustParse("1 + 1")->As<Binary>().matching.has_value());
  EXPECT_EQ(Canon("foo + on() 1"), "foo + 1");  // an empty on() is dropped, as in Prometheus
}

TEST(PromqlParserTest, VectorMatchingErrors) {
  EXPECT_EQ(Err("foo == on(bar) 10"),
            "1:1: parse error: vector matching only allowed between instant vectors");
  EXPECT_EQ(Err("1 or on(bar) foo"),
            "1:1: parse error: vector matching only allowed between instant vectors");
  EXPECT_EQ(Err("foo + group_left(baz) bar"), "1:7: parse error: unexpected <group_left>");
  EXPECT_EQ(Err("a - on(b) ignoring(c) d"), "1:11: parse error: unexpected <ignoring>");
  // As Prometheus 2.42 answers (checked by tests/integration/test_promql_differential.py).
  EXPECT_EQ(Err("a + on(x) group_left group_right b"),
            "1:22: parse error: unexpected <group_right> in grouping opts, expected \"(\"");
  EXPECT_EQ(Err("a + on b"),
            "1:8: parse error: unexpected identifier \"b\" in grouping opts, expected \"(\"");
  EXPECT_EQ(Err("a + on(1) b"),
            "1:8: parse error: unexpected number \"1\" in grouping opts, expected label");
  EXPECT_EQ(Err(R"(http_requests{group="production"} + on(instance) group_left(job,instance) )"
                R"(cpu_count{type="smp"})"),
            "1:35: parse error: label \"instance\" must not occur in ON and GROUP clause at once");
  EXPECT_EQ(Canon("a + ignoring(x) group_left(x) b"), "a + ignoring (x) group_left (x) b");
}

TEST(PromqlParserTest, SetOperatorErrors) {
  EXPECT_EQ(Err("1 and 1"),
            "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  EXPECT_EQ(Err("1 or 1"),
            "1:1: parse error: set operator \"or\" not allowed in binary scalar expression");
  EXPECT_EQ(Err("foo unless 1"),
            "1:1: parse error: set operator \"unless\" not allowed in binary scalar expression");
  EXPECT_EQ(Err("1 and foo"),
            "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
  EXPECT_EQ(Err("foo and on(bar) group_left(baz) bar"),
            "1:1: parse error: no grouping allowed for \"and\" operation");
  EXPECT_EQ(Err("foo or on(bar) group_right(baz) bar"),
            "1:1: parse error: no grouping allowed for \"or\" operation");
  EXPECT_EQ(Err("foo unless on(bar) group_left(baz) bar"),
            "1:1: parse error: no grouping allowed for \"unless\" operation");
}

TEST(PromqlParserTest, BinaryOperandTypeErrors) {
  const std::string msg = "binary expression must contain only scalar and instant vector types";
  EXPECT_EQ(Err("foo + \"a\""), "1:7: parse error: " + msg);
  EXPECT_EQ(Err("\"a\" + 1"), "1:1: parse error: " + msg);
  EXPECT_EQ(Err("foo[5m] + 1"), "1:1: parse error: " + msg);
  EXPECT_EQ(Err("1 * foo[5m:]"), "1:5: parse error: " + msg);
}

TEST(PromqlParserTest, UnaryTypeErrors) {
  EXPECT_EQ(Err("-\"string\""),
            "1:1: parse error: unary expression only allowed on expressions of type scalar or "
            "instant vector, got \"string\"");
  EXPECT_EQ(Err("-test[5m]"),
            "1:1: parse error: unary expression only allowed on expressions of type scalar or "
            "instant vector, got \"range vector\"");
}

TEST(PromqlParserTest, OperatorSyntaxErrors) {
  EXPECT_EQ(Err("1+"), "1:3: parse error: unexpected end of input");
  EXPECT_EQ(Err("1 /"), "1:4: parse error: unexpected end of input");
  EXPECT_EQ(Err("*1"), "1:1: parse error: unexpected <op:*>");
  EXPECT_EQ(Err("*test"), "1:1: parse error: unexpected <op:*>");
  EXPECT_EQ(Err("1 !~ 1"), "1:3: parse error: unexpected character after '!': '~'");
  EXPECT_EQ(Err("1 =~ 1"), "1:3: parse error: unexpected character after '=': '~'");
  EXPECT_EQ(Err("foo = 1"), "1:5: parse error: unexpected \"=\"");
  EXPECT_EQ(Err("-="), "1:2: parse error: unexpected \"=\"");
  EXPECT_EQ(Err("++-++-+-+-<"), "1:11: parse error: unexpected <op:<>");
  EXPECT_EQ(Err("e-+=/(0)"), "1:4: parse error: unexpected \"=\"");
  EXPECT_EQ(Err("!"), "1:1: parse error: unexpected character after '!': '\xEF\xBF\xBD'");
  EXPECT_EQ(Err("foo bool"), "1:5: parse error: unexpected <bool>");
  EXPECT_EQ(Err("on"), "1:1: parse error: unexpected <on>");
  EXPECT_EQ(Err("1 + ,"), "1:5: parse error: unexpected \",\"");
  EXPECT_EQ(Err("foo 1"), "1:5: parse error: unexpected number \"1\"");
  EXPECT_EQ(Err("foo 5m"), "1:5: parse error: unexpected duration \"5m\"");
  EXPECT_EQ(Err("foo \"barbazquxquux\""),
            "1:5: parse error: unexpected string \"\\\"barbazqux\"...");
  EXPECT_EQ(Err("foo \xc3\xa9"), "1:5: parse error: unexpected character: '\xc3\xa9'");
}

TEST(PromqlParserTest, ParenthesisErrors) {
  EXPECT_EQ(Err("(1))"), "1:5: parse error: unexpected right parenthesis ')'");
  EXPECT_EQ(Err("((1)"), "1:5: parse error: unclosed left parenthesis");
  EXPECT_EQ(Err("("), "1:2: parse error: unclosed left parenthesis");
  EXPECT_EQ(Err("()"), "1:2: parse error: unexpected \")\"");
  EXPECT_EQ(Err("(foo bar)"), "1:6: parse error: unexpected identifier \"bar\"");
  EXPECT_EQ(Err("foo + )"), "1:8: parse error: unexpected right parenthesis ')'");
}

TEST(PromqlParserTest, ParensArePreserved) {
  ExprPtr e = MustParse("(foo + bar) * 2");
  EXPECT_EQ(e->As<Binary>().lhs->kind, ExprKind::kParen);
  EXPECT_EQ(e->String(), "(foo + bar) * 2");
  EXPECT_EQ(Canon("((1))"), "((1))");
  EXPECT_EQ(Canon("-(1)"), "-(1)");
  EXPECT_EQ(Canon("(-1)^2"), "(-1) ^ 2");
}

// ---------------------------------------------------------------------------------------------
// Aggregations.

TEST(PromqlParserTest, AggregationWithGroupingBeforeOrAfter) {
  ExprPtr e = MustParse("sum by (foo)(some_metric)");
  const auto& a = e->As<Aggregate>();
  EXPECT_EQ(a.op, AggregateOp::kSum);
  EXPECT_THAT(a.grouping, ElementsAre("foo"));
  EXPECT_FALSE(a.without);
  EXPECT_EQ(a.param, nullptr);
  EXPECT_EQ(e->pos.end, 25u);
  EXPECT_EQ(e->String(), "sum by (foo) (some_metric)");

  ExprPtr after = MustParse("sum (some_metric) without (foo)");
  EXPECT_TRUE(after->As<Aggregate>().without);
  EXPECT_EQ(after->pos.end, 31u);
  EXPECT_EQ(after->String(), "sum without (foo) (some_metric)");
}

TEST(PromqlParserTest, AllAggregationOperators) {
  for (const char* op : {"sum", "avg", "count", "min", "max", "group", "stddev", "stdvar"}) {
    const std::string q = std::string(op) + " by (a) (x)";
    EXPECT_EQ(Canon(q), q);
    EXPECT_EQ(MustParse(q)->Type(), ValueType::kVector);
  }
  EXPECT_EQ(Canon("topk(5, x)"), "topk(5, x)");
  EXPECT_EQ(Canon("bottomk by (a) (5, x)"), "bottomk by (a) (5, x)");
  EXPECT_EQ(Canon("quantile(0.9, x)"), "quantile(0.9, x)");
  EXPECT_EQ(Canon("count_values(\"value\", x)"), "count_values(\"value\", x)");
  EXPECT_EQ(Canon("limitk(2, x)"), "limitk(2, x)");
  EXPECT_EQ(Canon("limit_ratio(0.5, x)"), "limit_ratio(0.5, x)");
}

TEST(PromqlParserTest, AggregationParameter) {
  ExprPtr e = MustParse("topk(5, some_metric)");
  const auto& a = e->As<Aggregate>();
  ASSERT_NE(a.param, nullptr);
  EXPECT_EQ(a.param->As<NumberLiteral>().value, 5);
  EXPECT_EQ(a.expr->As<VectorSelector>().name, "some_metric");
  ExprPtr cv = MustParse(R"(count_values("value", some_metric))");
  EXPECT_EQ(cv->As<Aggregate>().param->As<StringLiteral>().value, "value");
}

TEST(PromqlParserTest, GroupingLabelForms) {
  EXPECT_EQ(Canon("sum by ()(x)"), "sum(x)");
  EXPECT_EQ(Canon("sum without ()(x)"), "sum without () (x)");
  EXPECT_EQ(Canon("sum by (foo,bar,)(x)"), "sum by (foo, bar) (x)");
  EXPECT_EQ(Canon("sum without(and, by, avg, count, alert, annotations)(x)"),
            "sum without (and, by, avg, count, alert, annotations) (x)");
  EXPECT_EQ(Canon("sum by (offset, bool, on, start) (x)"), "sum by (offset, bool, on, start) (x)");
  EXPECT_EQ(Canon(R"(sum by ("foo bar", bar, 'baz')({"some.metric"}))"),
            R"(sum by ("foo bar", bar, baz) ({__name__="some.metric"}))");
  EXPECT_EQ(Canon("sum by (foo:bar) (x)"), "sum by (\"foo:bar\") (x)");
  EXPECT_EQ(Canon("sum by (\"nan\") (x)"), "sum by (\"nan\") (x)");
}

TEST(PromqlParserTest, AggregationKeywordsCaseInsensitive) {
  EXPECT_EQ(Canon("SUM BY (a) (x)"), "sum by (a) (x)");
  EXPECT_EQ(Canon("Count_Values WITHOUT (a) ('v', x)"), "count_values without (a) (\"v\", x)");
}

TEST(PromqlParserTest, AggregationErrors) {
  EXPECT_EQ(Err("sum()"), "1:1: parse error: no arguments for aggregate expression provided");
  EXPECT_EQ(Err("sum () by (test)"),
            "1:1: parse error: no arguments for aggregate expression provided");
  EXPECT_EQ(Err("sum(foo, bar)"),
            "1:1: parse error: wrong number of arguments for aggregate expression provided, "
            "expected 1, got 2");
  EXPECT_EQ(Err("topk(some_metric)"),
            "1:1: parse error: wrong number of arguments for aggregate expression provided, "
            "expected 2, got 1");
  EXPECT_EQ(Err("topk(1,2,foo)"),
            "1:1: parse error: wrong number of arguments for aggregate expression provided, "
            "expected 2, got 3");
  EXPECT_EQ(Err("topk(some_metric,)"),
            "1:17: parse error: trailing commas not allowed in function call args");
  EXPECT_EQ(Err("sum(foo[5m])"),
            "1:5: parse error: expected type instant vector in aggregation expression, got range "
            "vector");
  EXPECT_EQ(Err("sum(1)"),
            "1:5: parse error: expected type instant vector in aggregation expression, got scalar");
}

TEST(PromqlParserTest, AggregationParameterTypes) {
  EXPECT_EQ(Err("topk(some_metric, other_metric)"),
            "1:6: parse error: expected type scalar in aggregation parameter, got instant vector");
  EXPECT_EQ(Err("quantile(\"a\", foo)"),
            "1:10: parse error: expected type scalar in aggregation parameter, got string");
  EXPECT_EQ(Err("limitk(foo, foo)"),
            "1:8: parse error: expected type scalar in aggregation parameter, got instant vector");
  EXPECT_EQ(Err("count_values(5, other_metric)"),
            "1:14: parse error: expected type string in aggregation parameter, got scalar");
  EXPECT_EQ(Canon("topk(scalar(foo), bar)"), "topk(scalar(foo), bar)");
}

TEST(PromqlParserTest, AggregationGroupingErrors) {
  EXPECT_EQ(Err("sum without(==)(some_metric)"),
            "1:13: parse error: unexpected <op:==> in grouping opts, expected label");
  EXPECT_EQ(Err("sum without(,)(some_metric)"),
            "1:13: parse error: unexpected \",\" in grouping opts, expected label");
  EXPECT_EQ(Err("sum without(foo,,)(some_metric)"),
            "1:17: parse error: unexpected \",\" in grouping opts, expected label");
  EXPECT_EQ(Err("sum (some_metric) by test"),
            "1:22: parse error: unexpected identifier \"test\" in grouping opts, expected \"(\"");
  EXPECT_EQ(Err("sum by"),
            "1:7: parse error: unexpected end of input in grouping opts, expected \"(\"");
  EXPECT_EQ(Err("sum by (a b)"),
            "1:11: parse error: unexpected identifier \"b\" in grouping opts, expected \",\" or "
            "\")\"");
  EXPECT_EQ(Err("sum by (nan) (foo)"),
            "1:9: parse error: unexpected number \"nan\" in grouping opts, expected label");
  EXPECT_EQ(Err("sum by (\"\") (foo)"), "1:9: parse error: invalid label name for grouping: \"\"");
  EXPECT_EQ(Err("sum (some_metric) without (test) by (test)"),
            "1:34: parse error: unexpected <by>");
  EXPECT_EQ(Err("sum without (test) (some_metric) by (test)"),
            "1:34: parse error: unexpected <by>");
}

TEST(PromqlParserTest, ErrorsInsideAggregationMentionIt) {
  EXPECT_EQ(Err("sum(foo bar"), "1:9: parse error: unexpected identifier \"bar\" in aggregation");
  EXPECT_EQ(Err("sum((foo bar))"),
            "1:10: parse error: unexpected identifier \"bar\" in aggregation");
  EXPECT_EQ(Err("sum(rate(foo bar))"),
            "1:14: parse error: unexpected identifier \"bar\" in aggregation");
  EXPECT_EQ(Err("sum by (a) foo"),
            "1:12: parse error: unexpected identifier \"foo\" in aggregation");
  EXPECT_EQ(Err("sum(*foo)"), "1:5: parse error: unexpected <op:*> in aggregation");
  EXPECT_EQ(Err("sum(foo) bar"), "1:10: parse error: unexpected identifier \"bar\"");
  EXPECT_EQ(Err("sum some_metric by (test)"),
            "1:5: parse error: unexpected identifier \"some_metric\"");
  EXPECT_EQ(Err("MIN keep_common (some_metric)"),
            "1:5: parse error: unexpected identifier \"keep_common\"");
}

// ---------------------------------------------------------------------------------------------
// Function calls.

TEST(PromqlParserTest, FunctionCall) {
  ExprPtr e = MustParse("rate(some_metric[5m])");
  ASSERT_EQ(e->kind, ExprKind::kCall);
  const auto& c = e->As<Call>();
  EXPECT_EQ(c.func->name, "rate");
  ASSERT_EQ(c.args.size(), 1u);
  EXPECT_EQ(c.args[0]->kind, ExprKind::kMatrixSelector);
  EXPECT_EQ(e->Type(), ValueType::kVector);
  EXPECT_EQ(e->pos.end, 21u);
}

TEST(PromqlParserTest, FunctionWithoutArguments) {
  ExprPtr e = MustParse("time()");
  EXPECT_EQ(e->As<Call>().args.size(), 0u);
  EXPECT_EQ(e->Type(), ValueType::kScalar);
  EXPECT_EQ(e->String(), "time()");
}

TEST(PromqlParserTest, OptionalArguments) {
  EXPECT_EQ(Canon("round(some_metric)"), "round(some_metric)");
  EXPECT_EQ(Canon("round(some_metric, 5)"), "round(some_metric, 5)");
  EXPECT_EQ(Canon("hour()"), "hour()");
  EXPECT_EQ(Canon("hour(foo)"), "hour(foo)");
  EXPECT_EQ(Canon(R"(label_join(up, "dst", ",", "a", "b", "c"))"),
            R"(label_join(up, "dst", ",", "a", "b", "c"))");
  EXPECT_EQ(Canon(R"(label_join(up, "dst", ","))"), R"(label_join(up, "dst", ","))");
}

TEST(PromqlParserTest, FunctionArgumentCountErrors) {
  EXPECT_EQ(Err("floor()"), "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 0");
  EXPECT_EQ(Err("floor(some_metric, other_metric)"),
            "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 2");
  EXPECT_EQ(Err("abs(foo, bar)"),
            "1:1: parse error: expected 1 argument(s) in call to \"abs\", got 2");
  EXPECT_EQ(Err("time(some_metric)"),
            "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1");
  EXPECT_EQ(Err("hour(some_metric, some_metric, some_metric)"),
            "1:1: parse error: expected at most 1 argument(s) in call to \"hour\", got 3");
  EXPECT_EQ(Err("round()"),
            "1:1: parse error: expected at least 1 argument(s) in call to \"round\", got 0");
  EXPECT_EQ(Err("label_join(foo, \"a\")"),
            "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 2");
}

TEST(PromqlParserTest, FunctionArgumentTypeErrors) {
  EXPECT_EQ(Err("floor(1)"),
            "1:7: parse error: expected type instant vector in call to function \"floor\", got "
            "scalar");
  EXPECT_EQ(Err("rate(some_metric)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
  EXPECT_EQ(Err("rate(avg)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
  EXPECT_EQ(Err(R"(label_join(foo, "a", "b", 1))"),
            "1:27: parse error: expected type string in call to function \"label_join\", got "
            "scalar");
  EXPECT_EQ(Err("histogram_quantile(foo, bar)"),
            "1:20: parse error: expected type scalar in call to function \"histogram_quantile\", "
            "got instant vector");
}

TEST(PromqlParserTest, UnknownFunction) {
  EXPECT_EQ(Err("non_existent_function_far_bar()"),
            "1:1: parse error: unknown function with name \"non_existent_function_far_bar\"");
  EXPECT_EQ(Err("a>b()"), "1:3: parse error: unknown function with name \"b\"");
  EXPECT_EQ(Err("Rate(foo[5m])"), "1:1: parse error: unknown function with name \"Rate\"");
}

TEST(PromqlParserTest, CallSyntaxErrors) {
  EXPECT_EQ(Err("rate("), "1:6: parse error: unclosed left parenthesis");
  EXPECT_EQ(Err("rate(foo bar)"), "1:10: parse error: unexpected identifier \"bar\"");
  EXPECT_EQ(Err("abs(foo,)"),
            "1:8: parse error: trailing commas not allowed in function call args");
  EXPECT_EQ(Err("foo:bar(1)"), "1:8: parse error: unexpected \"(\"");
  EXPECT_EQ(Err("start()"), "1:6: parse error: unexpected \"(\"");
}

// ---------------------------------------------------------------------------------------------
// Limits and round trips.

TEST(PromqlParserTest, DeepParenthesesAreRejected) {
  std::string ok(kMaxNestingDepth - 1, '(');
  ok += "1";
  ok += std::string(kMaxNestingDepth - 1, ')');
  EXPECT_TRUE(ParseExpr(ok).ok());

  std::string deep(100000, '(');
  deep += "1";
  deep += std::string(100000, ')');
  EXPECT_THAT(Err(deep), HasSubstr("expression is nested too deeply (more than 256 levels"));
}

TEST(PromqlParserTest, DeepUnaryAndCallsAreRejected) {
  EXPECT_THAT(Err(std::string(100000, '-') + "1"), HasSubstr("nested too deeply"));
  std::string calls;
  for (int i = 0; i < 1000; ++i) calls += "abs(";
  calls += "foo";
  calls += std::string(1000, ')');
  EXPECT_THAT(Err(calls), HasSubstr("nested too deeply"));
}

TEST(PromqlParserTest, LongOperatorChainsAreBounded) {
  std::string chain = "1";
  for (int i = 0; i < 1000; ++i) chain += " + 1";
  EXPECT_TRUE(ParseExpr(chain).ok());  // a long flat sum is fine
  std::string too_long = "1";
  for (int i = 0; i < 100000; ++i) too_long += "+1";
  EXPECT_THAT(Err(too_long), HasSubstr("expression is nested too deeply (more than 1024 levels)"));
}

class RoundTripTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RoundTripTest, PrintsCanonicalFormThatParsesToItself) {
  const std::string printed = Canon(GetParam());
  EXPECT_EQ(printed, GetParam());
  EXPECT_EQ(Canon(printed), printed);
}

INSTANTIATE_TEST_SUITE_P(
    Canonical, RoundTripTest,
    ::testing::Values("up", R"(http_requests_total{job="api",method!="GET"})", "foo offset 5m",
                      "foo offset -1w", "foo @ 1609746000.000", "foo @ start() offset 1h30m",
                      "rate(foo[5m])", "rate(foo[5m] @ end() offset 1d)",
                      "max_over_time(foo[1h:5m])", "max_over_time(rate(foo[1m])[1h:])",
                      "sum by (job) (rate(foo[5m]))", "sum without (instance) (foo)",
                      "topk(3, sum by (app) (bar))",
                      "histogram_quantile(0.9, sum by (le) (rate(bucket[5m])))",
                      "a / on (x) group_left (y, z) b", "a * ignoring (x) group_right () b",
                      "a > bool 10", "a and b unless c or d", "-foo", "-(1 + 2)", "2 ^ 3 ^ 2",
                      "(2 ^ 3) ^ 2", R"x(label_replace(up, "dst", "$1", "src", "(.*)"))x",
                      R"("tab\there")", "foo[1y]", "foo[2w]", "foo[90d]", "foo[1h1ms]",
                      "vector(1) + scalar(foo)", R"({"label.name"="x",__name__="my.metric"})",
                      R"(sum by ("a.b") (x))", "pi() * 2", "predict_linear(foo[1h], 3600)",
                      "absent_over_time(nonexistent{job=\"x\"}[1h])", "clamp(foo, 0, 1)",
                      "sort_by_label(foo, \"a\", \"b\")", "time() - timestamp(up)"));

// Inputs the fuzzer found: each parses, and its printed form parses back to the same string.
class FuzzRegressionTest : public ::testing::TestWithParam<const char*> {};

TEST_P(FuzzRegressionTest, PrintedFormIsAFixedPoint) {
  const std::string printed = Canon(GetParam());
  EXPECT_EQ(Canon(printed), printed) << GetParam();
  EXPECT_EQ(MustParse(printed)->Type(), MustParse(GetParam())->Type());
}

INSTANTIATE_TEST_SUITE_P(Found, FuzzRegressionTest,
                         ::testing::Values("-inf^ D3 ^ 2 * 4 % 3 atan2 1", "Inf ^ 2",
                                           "+Inf ^ -Inf ^ 2", "-Inf ^ 2 * 3"));

TEST(PromqlParserTest, SelfContainedPositions) {
  ExprPtr e = MustParse(" +some_metric");
  EXPECT_EQ(e->pos.start, 1u);
  EXPECT_EQ(e->As<Unary>().expr->pos.start, 2u);
  EXPECT_EQ(e->As<Unary>().expr->pos.end, 13u);
  ExprPtr b = MustParse("foo * bar");
  EXPECT_EQ(b->pos.start, 0u);
  EXPECT_EQ(b->pos.end, 9u);
  ExprPtr p = MustParse("  (1) ");
  EXPECT_EQ(p->pos.start, 2u);
  EXPECT_EQ(p->pos.end, 5u);
}

TEST(PromqlParserTest, ParseDurationMs) {
  EXPECT_EQ(*ParseDurationMs("1h30m"), 5400000);
  EXPECT_EQ(
      *ParseDurationMs("1y2w3d4h5m6s7ms"),
      365LL * 86400000 + 14LL * 86400000 + 3LL * 86400000 + 4 * 3600000 + 5 * 60000 + 6000 + 7);
  EXPECT_EQ(*ParseDurationMs("0"), 0);
  EXPECT_EQ(ParseDurationMs("1x").status().message(), "unknown unit \"x\" in duration \"1x\"");
  EXPECT_EQ(ParseDurationMs("h").status().message(), "not a valid duration string: \"h\"");
  EXPECT_EQ(ParseDurationMs("1s1m").status().message(), "not a valid duration string: \"1s1m\"");
  EXPECT_EQ(ParseDurationMs("300000y").status().message(), "duration out of range");
  EXPECT_EQ(*ParseDurationMs("292y"), 292LL * 365 * 86400000);
}

}  // namespace
}  // namespace strata::collector::promql
