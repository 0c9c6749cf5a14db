#include "agent/inputs/statsd/statsd_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace strata::agent::statsd {
namespace {

StatsdLine MustParse(std::string_view text) {
  StatsdLine line;
  EXPECT_EQ(ParseLine(text, &line), ParseError::kOk) << text;
  return line;
}

std::vector<std::pair<std::string, std::string>> Tags(const StatsdLine& line) {
  std::vector<std::pair<std::string, std::string>> out;
  ForEachTag(line, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
  });
  return out;
}

TEST(StatsdParserTest, ParsesEveryType) {
  const std::pair<const char*, MetricType> cases[] = {
      {"a:1|c", MetricType::kCounter},      {"a:1|g", MetricType::kGauge},
      {"a:1|ms", MetricType::kTimer},       {"a:1|h", MetricType::kHistogram},
      {"a:1|d", MetricType::kDistribution}, {"a:x|s", MetricType::kSet}};
  for (const auto& [text, type] : cases) {
    StatsdLine line = MustParse(text);
    EXPECT_EQ(line.type, type) << text;
    EXPECT_EQ(line.name, "a");
    EXPECT_DOUBLE_EQ(line.sample_rate, 1);
  }
}

TEST(StatsdParserTest, ReadsSampleRateAndDogStatsdTags) {
  StatsdLine line = MustParse("page.views:3|c|@0.25|#env:prod,region:eu-1,bare");
  EXPECT_EQ(line.name, "page.views");
  EXPECT_EQ(line.values, "3");
  EXPECT_DOUBLE_EQ(line.sample_rate, 0.25);
  using Tag = std::pair<std::string, std::string>;
  EXPECT_EQ(Tags(line), (std::vector<Tag>{{"env", "prod"}, {"region", "eu-1"}, {"bare", ""}}));
}

TEST(StatsdParserTest, TagValuesMayContainColons) {
  StatsdLine line = MustParse("a:1|c|#url:http://x:80/");
  using Tag = std::pair<std::string, std::string>;
  EXPECT_EQ(Tags(line), (std::vector<Tag>{{"url", "http://x:80/"}}));
}

TEST(StatsdParserTest, ReadsTelegrafTagsBeforeDogStatsdTags) {
  StatsdLine line = MustParse("cpu,host=a,dc=x:5|g|#k:v");
  EXPECT_EQ(line.name, "cpu");
  using Tag = std::pair<std::string, std::string>;
  EXPECT_EQ(Tags(line), (std::vector<Tag>{{"host", "a"}, {"dc", "x"}, {"k", "v"}}));
}

TEST(StatsdParserTest, KeepsMultipleValuesAndSetMembersWhole) {
  EXPECT_EQ(MustParse("lat:1:2.5:3|h").values, "1:2.5:3");
  EXPECT_EQ(MustParse("users:a:b|s").values, "a:b");
}

TEST(StatsdParserTest, IgnoresUnknownDogStatsdFields) {
  StatsdLine line = MustParse("a:1|c|c:container123|T1656581400|#k:v|card:low");
  EXPECT_EQ(line.type, MetricType::kCounter);
  EXPECT_EQ(Tags(line).size(), 1u);
}

TEST(StatsdParserTest, SignedGaugeValueIsADelta) {
  double v = 0;
  bool delta = false;
  ASSERT_TRUE(ParseValue("+4", &v, &delta));
  EXPECT_TRUE(delta);
  EXPECT_DOUBLE_EQ(v, 4);
  ASSERT_TRUE(ParseValue("-10", &v, &delta));
  EXPECT_TRUE(delta);
  EXPECT_DOUBLE_EQ(v, -10);
  ASSERT_TRUE(ParseValue("7.5e1", &v, &delta));
  EXPECT_FALSE(delta);
  EXPECT_DOUBLE_EQ(v, 75);
  EXPECT_FALSE(ParseValue("++1", &v, &delta));
  EXPECT_FALSE(ParseValue("inf", &v, &delta));
  EXPECT_FALSE(ParseValue("nan", &v, &delta));
  EXPECT_FALSE(ParseValue("", &v, &delta));
  EXPECT_FALSE(ParseValue("1x", &v, &delta));
}

TEST(StatsdParserTest, RejectsMalformedLinesWithTheirReason) {
  const std::pair<const char*, ParseError> cases[] = {
      {"", ParseError::kNoValue},
      {"foo", ParseError::kNoValue},
      {"foo:1", ParseError::kNoValue},
      {"foo:|c", ParseError::kNoValue},
      {":1|c", ParseError::kEmptyName},
      {",a=b:1|c", ParseError::kEmptyName},
      {"foo:1|x", ParseError::kBadType},
      {"foo:1|", ParseError::kBadType},
      {"foo:abc|c", ParseError::kBadValue},
      {"foo:inf|g", ParseError::kBadValue},
      {"foo:1:x|h", ParseError::kBadValue},
      {"foo:1|c|@0", ParseError::kBadSampleRate},
      {"foo:1|c|@1.5", ParseError::kBadSampleRate},
      {"foo:1|c|@x", ParseError::kBadSampleRate},
      {"foo:1|c|#:v", ParseError::kBadTag},
      {"foo:1|c|#k:\xff", ParseError::kInvalidUtf8},
      {"foo,k=\xc0\x80:1|c", ParseError::kInvalidUtf8},
      {"_e{5,4}:title|text", ParseError::kUnsupported},
      {"_sc|svc|0", ParseError::kUnsupported},
  };
  for (const auto& [text, want] : cases) {
    StatsdLine line;
    EXPECT_EQ(ParseLine(text, &line), want) << '"' << text << '"';
  }
}

TEST(StatsdParserTest, SplitsPacketsIntoLinesSkippingEmptyOnes) {
  std::vector<std::string> lines;
  ForEachLine("a:1|c\r\n\nb:2|g\nc:3|c", [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(lines, (std::vector<std::string>{"a:1|c", "b:2|g", "c:3|c"}));
}

}  // namespace
}  // namespace strata::agent::statsd
