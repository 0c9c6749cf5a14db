#include "agent/inputs/scrape/text_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/model/sample.h"

namespace strata::agent::scrape {
namespace {

using common::Labels;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Every test that expects a clean parse checks that nothing was rejected, with the first message
// shown on failure.
void ExpectNoErrors(const ParseResult& result) {
  EXPECT_EQ(result.error_count, 0u);
  if (!result.errors.empty()) {
    ADD_FAILURE() << "line " << result.errors[0].line << ": " << result.errors[0].message;
  }
}

ParsedSample ParseOne(std::string_view text) {
  ParseResult result = ParseTextExposition(text);
  ExpectNoErrors(result);
  EXPECT_EQ(result.samples.size(), 1u);
  if (result.samples.empty()) return {};
  return result.samples[0];
}

// Expects exactly one rejected line, number `line`, whose message contains `message_part`.
void ExpectSingleError(const ParseResult& result, int line, std::string_view message_part) {
  EXPECT_EQ(result.error_count, 1u);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].line, line);
  EXPECT_THAT(result.errors[0].message, HasSubstr(std::string(message_part)));
}

TEST(TextParserTest, EmptyInputYieldsNothing) {
  ParseResult result = ParseTextExposition("");
  EXPECT_THAT(result.samples, IsEmpty());
  EXPECT_THAT(result.metadata, IsEmpty());
  ExpectNoErrors(result);
}

TEST(TextParserTest, ParsesSampleWithoutLabels) {
  ParsedSample sample = ParseOne("up 1\n");
  EXPECT_EQ(sample.labels, (Labels{{"__name__", "up"}}));
  EXPECT_EQ(sample.value, 1.0);
  EXPECT_FALSE(sample.timestamp_ms.has_value());
}

TEST(TextParserTest, ParsesLastLineWithoutTrailingNewline) {
  ParseResult result = ParseTextExposition("a 1\nb 2");
  ExpectNoErrors(result);
  ASSERT_EQ(result.samples.size(), 2u);
  EXPECT_EQ(result.samples[1].labels.MetricName(), "b");
  EXPECT_EQ(result.samples[1].value, 2.0);
}

TEST(TextParserTest, ParsesLabelsIntoSortedLabelSet) {
  ParsedSample sample = ParseOne(R"(http_requests_total{method="post",code="200"} 1027)");
  EXPECT_EQ(sample.labels,
            (Labels{{"__name__", "http_requests_total"}, {"code", "200"}, {"method", "post"}}));
  EXPECT_EQ(sample.value, 1027.0);
}

TEST(TextParserTest, UnescapesBackslashQuoteAndNewlineInLabelValues) {
  ParsedSample sample = ParseOne(R"(m{path="C:\\dir\\file",q="say \"hi\"",nl="a\nb"} 1)");
  EXPECT_EQ(sample.labels.Get("path"), "C:\\dir\\file");
  EXPECT_EQ(sample.labels.Get("q"), "say \"hi\"");
  EXPECT_EQ(sample.labels.Get("nl"), "a\nb");
}

TEST(TextParserTest, KeepsUnknownEscapeInLabelValueVerbatim) {
  ParsedSample sample = ParseOne(R"(m{a="x\ty\\z\q"} 1)");
  EXPECT_EQ(sample.labels.Get("a"), "x\\ty\\z\\q");
}

TEST(TextParserTest, LabelValueMayContainBracesCommasAndHash) {
  ParsedSample sample = ParseOne(R"(m{a="}{,= #x"} 1)");
  EXPECT_EQ(sample.labels.Get("a"), "}{,= #x");
}

TEST(TextParserTest, EscapedQuoteDoesNotEndLabelValue) {
  ParsedSample sample = ParseOne(R"(m{a="\"",b="c"} 1)");
  EXPECT_EQ(sample.labels.Get("a"), "\"");
  EXPECT_EQ(sample.labels.Get("b"), "c");
}

TEST(TextParserTest, AcceptsUtf8LabelValue) {
  ParsedSample sample = ParseOne("m{city=\"Z\xC3\xBCrich\"} 1");
  EXPECT_EQ(sample.labels.Get("city"), "Z\xC3\xBCrich");
}

TEST(TextParserTest, RejectsInvalidUtf8LabelValue) {
  ExpectSingleError(ParseTextExposition("m{a=\"\xC3\x28\"} 1\n"), 1, "invalid UTF-8");
  ExpectSingleError(ParseTextExposition("m{a=\"\xED\xA0\x80\"} 1\n"), 1, "invalid UTF-8");
}

TEST(TextParserTest, EmptyLabelValueMeansNoLabel) {
  ParsedSample sample = ParseOne(R"(m{a="",b="x"} 1)");
  EXPECT_EQ(sample.labels, (Labels{{"__name__", "m"}, {"b", "x"}}));
}

TEST(TextParserTest, AcceptsEmptyLabelSet) {
  ParsedSample sample = ParseOne("m{} 3");
  EXPECT_EQ(sample.labels, (Labels{{"__name__", "m"}}));
  EXPECT_EQ(sample.value, 3.0);
}

TEST(TextParserTest, AcceptsTrailingCommaInLabelSet) {
  ParsedSample sample = ParseOne(R"(m{a="1",b="2",} 3)");
  EXPECT_EQ(sample.labels, (Labels{{"__name__", "m"}, {"a", "1"}, {"b", "2"}}));
}

TEST(TextParserTest, RejectsLoneCommaInLabelSet) {
  ExpectSingleError(ParseTextExposition("m{,} 1\n"), 1, "invalid label name");
  ExpectSingleError(ParseTextExposition("m{a=\"1\",,} 1\n"), 1, "invalid label name");
}

TEST(TextParserTest, AcceptsSpacesAndTabsBetweenTokens) {
  ParsedSample sample = ParseOne("  \tm \t{ a = \"1\" ,\tb=\"2\" , }\t 4.5 \t 1700000000000 \t");
  EXPECT_EQ(sample.labels, (Labels{{"__name__", "m"}, {"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(sample.value, 4.5);
  EXPECT_EQ(sample.timestamp_ms, 1700000000000);
}

TEST(TextParserTest, AcceptsValueDirectlyAfterClosingBrace) {
  ParsedSample sample = ParseOne(R"(m{a="1"}7)");
  EXPECT_EQ(sample.value, 7.0);
}

TEST(TextParserTest, ParsesNaN) {
  for (const char* text : {"m NaN", "m nan", "m NAN"}) {
    ParsedSample sample = ParseOne(text);
    EXPECT_TRUE(std::isnan(sample.value)) << text;
  }
}

TEST(TextParserTest, ParsedNaNIsNotTheStalenessMarker) {
  ParsedSample sample = ParseOne("m NaN");
  EXPECT_FALSE(common::IsStaleNaN(sample.value));
}

TEST(TextParserTest, ParsesInfinitiesWithSign) {
  for (const char* text : {"m +Inf", "m Inf", "m inf", "m +inf", "m INF", "m Infinity"}) {
    ParsedSample sample = ParseOne(text);
    EXPECT_TRUE(std::isinf(sample.value)) << text;
    EXPECT_FALSE(std::signbit(sample.value)) << text;
  }
  for (const char* text : {"m -Inf", "m -inf", "m -infinity"}) {
    ParsedSample sample = ParseOne(text);
    EXPECT_TRUE(std::isinf(sample.value)) << text;
    EXPECT_TRUE(std::signbit(sample.value)) << text;
  }
}

TEST(TextParserTest, ParsesDecimalValueForms) {
  EXPECT_EQ(ParseOne("m +1.5").value, 1.5);
  EXPECT_EQ(ParseOne("m -2").value, -2.0);
  EXPECT_EQ(ParseOne("m 1e3").value, 1000.0);
  EXPECT_EQ(ParseOne("m 1.5E-3").value, 0.0015);
  EXPECT_EQ(ParseOne("m 2.e+2").value, 200.0);
  EXPECT_EQ(ParseOne("m .25").value, 0.25);
  EXPECT_EQ(ParseOne("m 007").value, 7.0);
  EXPECT_EQ(ParseOne("m 1.7976931348623157e308").value, 1.7976931348623157e308);
}

TEST(TextParserTest, KeepsSignOfNegativeZero) {
  ParsedSample sample = ParseOne("m -0");
  EXPECT_EQ(sample.value, 0.0);
  EXPECT_TRUE(std::signbit(sample.value));
}

TEST(TextParserTest, UnderflowingValueBecomesZero) {
  ParsedSample sample = ParseOne("m 1e-400");
  EXPECT_EQ(sample.value, 0.0);
}

TEST(TextParserTest, RejectsBadValues) {
  for (const char* text :
       {"m abc", "m 1.2.3", "m +NaN", "m -nan", "m 1e", "m .", "m +", "m --1", "m +-1", "m 0x10",
        "m 1_000", "m 1e400", "m -1e400", "m nan(1)", "m Infinit", "m 1,5"}) {
    ParseResult result = ParseTextExposition(text);
    EXPECT_THAT(result.samples, IsEmpty()) << text;
    ExpectSingleError(result, 1, "bad value");
  }
}

TEST(TextParserTest, RejectsMissingValue) {
  ExpectSingleError(ParseTextExposition("m\n"), 1, "missing value");
  ExpectSingleError(ParseTextExposition("m{a=\"1\"}   \n"), 1, "missing value");
}

TEST(TextParserTest, ParsesTimestampWhenPresent) {
  ParsedSample sample = ParseOne("m 1 1395066363000");
  EXPECT_EQ(sample.timestamp_ms, 1395066363000);
}

TEST(TextParserTest, LeavesTimestampAbsentWhenMissing) {
  EXPECT_FALSE(ParseOne("m 1").timestamp_ms.has_value());
  EXPECT_FALSE(ParseOne("m 1   ").timestamp_ms.has_value());
}

TEST(TextParserTest, ParsesNegativeAndSignedTimestamps) {
  EXPECT_EQ(ParseOne("m 1 -1500").timestamp_ms, -1500);
  EXPECT_EQ(ParseOne("m 1 +15").timestamp_ms, 15);
  EXPECT_EQ(ParseOne("m 1 0").timestamp_ms, 0);
  EXPECT_EQ(ParseOne("m 1 9223372036854775807").timestamp_ms, INT64_MAX);
  EXPECT_EQ(ParseOne("m 1 -9223372036854775808").timestamp_ms, INT64_MIN);
}

TEST(TextParserTest, RejectsBadTimestamps) {
  for (const char* text : {"m 1 1.5", "m 1 abc", "m 1 -", "m 1 +-5", "m 1 1e3",
                           "m 1 9223372036854775808", "m 1 12x"}) {
    ParseResult result = ParseTextExposition(text);
    EXPECT_THAT(result.samples, IsEmpty()) << text;
    ExpectSingleError(result, 1, "bad timestamp");
  }
}

TEST(TextParserTest, RejectsTextAfterTimestamp) {
  ParseResult result = ParseTextExposition("m 1 1000 extra\n");
  EXPECT_THAT(result.samples, IsEmpty());
  ExpectSingleError(result, 1, "unexpected text after timestamp");
}

TEST(TextParserTest, IgnoresCommentsAndBlankLines) {
  ParseResult result = ParseTextExposition(
      "# a comment\n"
      "\n"
      "   \t\n"
      "  # indented comment\n"
      "#HELPER not a help line\n"
      "# HELP\n"
      "# TYPE   \n"
      "#\n"
      "m 1\n");
  ExpectNoErrors(result);
  EXPECT_THAT(result.metadata, IsEmpty());
  ASSERT_EQ(result.samples.size(), 1u);
  EXPECT_EQ(result.samples[0].labels.MetricName(), "m");
}

TEST(TextParserTest, ParsesHelpAndTypeIntoOneMetadataEntry) {
  ParseResult result = ParseTextExposition(
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total 3\n");
  ExpectNoErrors(result);
  ASSERT_EQ(result.metadata.size(), 1u);
  EXPECT_EQ(result.metadata[0].name, "http_requests_total");
  EXPECT_EQ(result.metadata[0].type, MetricType::kCounter);
  EXPECT_EQ(result.metadata[0].help, "The total number of HTTP requests.");
}

TEST(TextParserTest, MergesTypeBeforeHelpAndKeepsFirstMentionOrder) {
  ParseResult result = ParseTextExposition(
      "# TYPE b gauge\n"
      "# TYPE a summary\n"
      "# HELP b Bee.\n"
      "# HELP c See.\n");
  ExpectNoErrors(result);
  ASSERT_EQ(result.metadata.size(), 3u);
  EXPECT_EQ(result.metadata[0].name, "b");
  EXPECT_EQ(result.metadata[0].type, MetricType::kGauge);
  EXPECT_EQ(result.metadata[0].help, "Bee.");
  EXPECT_EQ(result.metadata[1].name, "a");
  EXPECT_EQ(result.metadata[1].type, MetricType::kSummary);
  EXPECT_EQ(result.metadata[1].help, "");
  EXPECT_EQ(result.metadata[2].name, "c");
  EXPECT_EQ(result.metadata[2].type, MetricType::kUntyped);
  EXPECT_EQ(result.metadata[2].help, "See.");
}

TEST(TextParserTest, ParsesEveryMetricType) {
  ParseResult result = ParseTextExposition(
      "# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d summary\n"
      "# TYPE e untyped\n");
  ExpectNoErrors(result);
  ASSERT_EQ(result.metadata.size(), 5u);
  EXPECT_EQ(result.metadata[0].type, MetricType::kCounter);
  EXPECT_EQ(result.metadata[1].type, MetricType::kGauge);
  EXPECT_EQ(result.metadata[2].type, MetricType::kHistogram);
  EXPECT_EQ(result.metadata[3].type, MetricType::kSummary);
  EXPECT_EQ(result.metadata[4].type, MetricType::kUntyped);
}

TEST(TextParserTest, UnescapesBackslashAndNewlineInHelp) {
  ParseResult result = ParseTextExposition(R"(# HELP m Line one\nC:\\path "quoted" \q end)");
  ExpectNoErrors(result);
  ASSERT_EQ(result.metadata.size(), 1u);
  EXPECT_EQ(result.metadata[0].help, "Line one\nC:\\path \"quoted\" \\q end");
}

TEST(TextParserTest, HelpWithoutTextIsEmpty) {
  ParseResult result = ParseTextExposition("# HELP m\n");
  ExpectNoErrors(result);
  ASSERT_EQ(result.metadata.size(), 1u);
  EXPECT_EQ(result.metadata[0].help, "");
}

TEST(TextParserTest, RejectsUnknownMetricType) {
  ParseResult result = ParseTextExposition("# TYPE m gaugehistogram\n# TYPE n Counter\n");
  EXPECT_EQ(result.error_count, 2u);
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].line, 1);
  EXPECT_THAT(result.errors[0].message, HasSubstr("unknown metric type"));
  EXPECT_EQ(result.errors[1].line, 2);
  EXPECT_THAT(result.metadata, IsEmpty());
}

TEST(TextParserTest, RejectsTypeLineProblems) {
  ExpectSingleError(ParseTextExposition("# TYPE m\n"), 1, "missing metric type");
  ExpectSingleError(ParseTextExposition("# TYPE m counter extra\n"), 1, "unexpected text");
  ExpectSingleError(ParseTextExposition("# TYPE 1m counter\n"), 1, "invalid metric name");
  ExpectSingleError(ParseTextExposition("# HELP m-x text\n"), 1, "invalid metric name");
}

TEST(TextParserTest, RejectsSecondHelpOrTypeAndKeepsFirst) {
  ParseResult result =
      ParseTextExposition("# HELP m first\n# TYPE m counter\n# HELP m second\n# TYPE m gauge\n");
  EXPECT_EQ(result.error_count, 2u);
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].line, 3);
  EXPECT_THAT(result.errors[0].message, HasSubstr("duplicate HELP"));
  EXPECT_EQ(result.errors[1].line, 4);
  EXPECT_THAT(result.errors[1].message, HasSubstr("duplicate TYPE"));
  ASSERT_EQ(result.metadata.size(), 1u);
  EXPECT_EQ(result.metadata[0].help, "first");
  EXPECT_EQ(result.metadata[0].type, MetricType::kCounter);
}

TEST(TextParserTest, ToleratesCrlfLineEndings) {
  ParseResult result =
      ParseTextExposition("# HELP m Help.\r\n# TYPE m gauge\r\nm{a=\"b\"} 1 1000\r\n\r\nn 2\r\n");
  ExpectNoErrors(result);
  ASSERT_EQ(result.samples.size(), 2u);
  EXPECT_EQ(result.samples[0].labels, (Labels{{"__name__", "m"}, {"a", "b"}}));
  EXPECT_EQ(result.samples[0].timestamp_ms, 1000);
  EXPECT_EQ(result.samples[1].value, 2.0);
  ASSERT_EQ(result.metadata.size(), 1u);
  EXPECT_EQ(result.metadata[0].help, "Help.");
  EXPECT_EQ(result.metadata[0].type, MetricType::kGauge);
}

TEST(TextParserTest, SkipsMalformedLineAndKeepsNeighbours) {
  ParseResult result = ParseTextExposition(
      "good_before 1\n"
      "# comment\n"
      "bad{a=\"1\" 2\n"
      "good_after 3\n");
  ASSERT_EQ(result.samples.size(), 2u);
  EXPECT_EQ(result.samples[0].labels.MetricName(), "good_before");
  EXPECT_EQ(result.samples[0].value, 1.0);
  EXPECT_EQ(result.samples[1].labels.MetricName(), "good_after");
  EXPECT_EQ(result.samples[1].value, 3.0);
  ExpectSingleError(result, 3, "expected ',' or '}'");
}

TEST(TextParserTest, RejectsDuplicateLabelName) {
  ParseResult result = ParseTextExposition("m{a=\"1\",b=\"2\",a=\"3\"} 1\n");
  EXPECT_THAT(result.samples, IsEmpty());
  ExpectSingleError(result, 1, "duplicate label name: \"a\"");
}

TEST(TextParserTest, RejectsDuplicateLabelNameEvenWithEmptyValue) {
  ParseResult result = ParseTextExposition("m{a=\"\",a=\"x\"} 1\n");
  EXPECT_THAT(result.samples, IsEmpty());
  ExpectSingleError(result, 1, "duplicate label name");
}

TEST(TextParserTest, RejectsMetricNameLabelInsideBraces) {
  ParseResult result = ParseTextExposition("m{__name__=\"other\"} 1\n");
  EXPECT_THAT(result.samples, IsEmpty());
  ExpectSingleError(result, 1, "reserved label name");
}

TEST(TextParserTest, AcceptsOtherDoubleUnderscoreLabelNames) {
  ParsedSample sample = ParseOne("m{__meta_x=\"1\"} 1");
  EXPECT_EQ(sample.labels.Get("__meta_x"), "1");
}

TEST(TextParserTest, AcceptsColonsInMetricName) {
  ParsedSample sample = ParseOne("job:rate5m:sum 1");
  EXPECT_EQ(sample.labels.MetricName(), "job:rate5m:sum");
}

TEST(TextParserTest, RejectsInvalidMetricName) {
  for (const char* text : {"1abc 1", "a-b 1", "a.b 1", "{a=\"1\"} 1", "m\"x 1", "m} 1"}) {
    ParseResult result = ParseTextExposition(text);
    EXPECT_THAT(result.samples, IsEmpty()) << text;
    ExpectSingleError(result, 1, "invalid metric name");
  }
}

TEST(TextParserTest, RejectsInvalidLabelName) {
  for (const char* text :
       {"m{1a=\"1\"} 1", "m{a-b=\"1\"} 1", "m{a:b=\"1\"} 1", "m{\"a\"=\"1\"} 1"}) {
    ParseResult result = ParseTextExposition(text);
    EXPECT_THAT(result.samples, IsEmpty()) << text;
    ExpectSingleError(result, 1, "invalid label name");
  }
}

TEST(TextParserTest, RejectsLabelWithoutEqualsOrQuotes) {
  ExpectSingleError(ParseTextExposition("m{a \"1\"} 1"), 1, "expected '='");
  ExpectSingleError(ParseTextExposition("m{a=1} 1"), 1, "expected '\"'");
}

TEST(TextParserTest, RejectsUnterminatedQuote) {
  ParseResult result = ParseTextExposition("ok 1\nm{a=\"abc} 1\nok 2\n");
  ASSERT_EQ(result.samples.size(), 2u);
  ExpectSingleError(result, 2, "unterminated label value");
}

TEST(TextParserTest, RejectsQuoteEndingInBackslash) {
  ExpectSingleError(ParseTextExposition("m{a=\"abc\\"), 1, "unterminated label value");
}

TEST(TextParserTest, RejectsUnterminatedLabelSet) {
  ExpectSingleError(ParseTextExposition("m{a=\"1\""), 1, "unterminated label set");
  ExpectSingleError(ParseTextExposition("m{a=\"1\","), 1, "unterminated label set");
  ExpectSingleError(ParseTextExposition("m{"), 1, "unterminated label set");
}

TEST(TextParserTest, CountsEveryErrorButRecordsFirstTen) {
  std::string text;
  for (int i = 0; i < 25; ++i) text += "bad-name 1\nok 1\n";
  ParseResult result = ParseTextExposition(text);
  EXPECT_EQ(result.samples.size(), 25u);
  EXPECT_EQ(result.error_count, 25u);
  ASSERT_EQ(result.errors.size(), kMaxRecordedParseErrors);
  EXPECT_EQ(result.errors[0].line, 1);
  EXPECT_EQ(result.errors[9].line, 19);
}

TEST(TextParserTest, QuotesOffendingTokenSafelyAndTruncated) {
  std::string long_name = "1" + std::string(200, 'x');
  ParseResult result = ParseTextExposition(long_name + " 1\n\x01\"bad 1\n");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(result.errors[0].message, "invalid metric name: \"1" + std::string(63, 'x') + "\"...");
  EXPECT_EQ(result.errors[1].message, "invalid metric name: \"\\x01\\\"bad\"");
}

TEST(TextParserTest, ParsesNodeExporterHistogramSnippet) {
  constexpr std::string_view kText =
      "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
      "# TYPE node_cpu_seconds_total counter\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 12345.67\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 890.12\n"
      "# HELP node_disk_io_time_seconds_total Total seconds spent doing I/Os.\n"
      "# TYPE node_disk_io_time_seconds_total counter\n"
      "node_disk_io_time_seconds_total{device=\"nvme0n1\"} 45.3\n"
      "# HELP http_request_duration_seconds A histogram of the request duration.\n"
      "# TYPE http_request_duration_seconds histogram\n"
      "http_request_duration_seconds_bucket{handler=\"/metrics\",le=\"0.05\"} 24054\n"
      "http_request_duration_seconds_bucket{handler=\"/metrics\",le=\"0.1\"} 33444\n"
      "http_request_duration_seconds_bucket{handler=\"/metrics\",le=\"0.5\"} 129389\n"
      "http_request_duration_seconds_bucket{handler=\"/metrics\",le=\"+Inf\"} 144320\n"
      "http_request_duration_seconds_sum{handler=\"/metrics\"} 53423\n"
      "http_request_duration_seconds_count{handler=\"/metrics\"} 144320\n"
      "# HELP go_gc_duration_seconds A summary of the pause duration of GC cycles.\n"
      "# TYPE go_gc_duration_seconds summary\n"
      "go_gc_duration_seconds{quantile=\"0\"} 2.3716e-05\n"
      "go_gc_duration_seconds{quantile=\"1\"} NaN\n"
      "go_gc_duration_seconds_sum 0.012\n"
      "go_gc_duration_seconds_count 42\n";
  ParseResult result = ParseTextExposition(kText);
  ExpectNoErrors(result);
  ASSERT_EQ(result.samples.size(), 13u);

  const ParsedSample& inf_bucket = result.samples[6];
  EXPECT_EQ(inf_bucket.labels, (Labels{{"__name__", "http_request_duration_seconds_bucket"},
                                       {"handler", "/metrics"},
                                       {"le", "+Inf"}}));
  EXPECT_EQ(inf_bucket.value, 144320.0);
  EXPECT_EQ(result.samples[7].labels.MetricName(), "http_request_duration_seconds_sum");
  EXPECT_EQ(result.samples[7].value, 53423.0);
  EXPECT_EQ(result.samples[8].labels.MetricName(), "http_request_duration_seconds_count");
  EXPECT_EQ(result.samples[8].value, 144320.0);
  EXPECT_EQ(result.samples[9].value, 2.3716e-05);
  EXPECT_TRUE(std::isnan(result.samples[10].value));
  EXPECT_EQ(result.samples[12].value, 42.0);

  std::vector<std::string> names;
  std::vector<MetricType> types;
  for (const MetricMetadata& m : result.metadata) {
    names.push_back(m.name);
    types.push_back(m.type);
  }
  EXPECT_THAT(names, ElementsAre("node_cpu_seconds_total", "node_disk_io_time_seconds_total",
                                 "http_request_duration_seconds", "go_gc_duration_seconds"));
  EXPECT_THAT(types, ElementsAre(MetricType::kCounter, MetricType::kCounter, MetricType::kHistogram,
                                 MetricType::kSummary));
  EXPECT_EQ(result.metadata[2].help, "A histogram of the request duration.");
}

}  // namespace
}  // namespace strata::agent::scrape
