#include <gtest/gtest.h>

#include <string>

#include "agent/inputs/scrape/text_parser.h"

namespace strata::agent::scrape {
namespace {

const ParsedSample* Find(const ParseResult& r, const std::string& name,
                         const std::string& label = "", const std::string& value = "") {
  for (const ParsedSample& s : r.samples) {
    if (s.labels.MetricName() == name && (label.empty() || s.labels.Get(label) == value)) {
      return &s;
    }
  }
  return nullptr;
}

TEST(OpenMetricsTest, ParsesFamiliesTimestampsInSecondsAndSkipsExemplars) {
  const ParseResult r = ParseOpenMetrics(R"(# TYPE acme_http_requests counter
# UNIT acme_http_requests requests
# HELP acme_http_requests Requests served.
acme_http_requests_total{code="200"} 1027 1520879607.789 # {trace_id="KOO5S4vxi0o"} 1 1520879607.7
acme_http_requests_created{code="200"} 1520430000.123
# TYPE build info
build_info{version="1.2"} 1
# TYPE door stateset
door{door="open"} 1
door{door="closed"} 0
# TYPE lat histogram
lat_bucket{le="0.1"} 8 # {trace_id="a"} 0.05
lat_bucket{le="+Inf"} 10
lat_count 10
lat_sum 1.5
# TYPE temp gauge
temp NaN
temp2 -Inf 1e3
# EOF
)");
  EXPECT_EQ(r.error_count, 0u) << (r.errors.empty() ? "" : r.errors[0].message);
  const ParsedSample* total = Find(r, "acme_http_requests_total", "code", "200");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->value, 1027);
  EXPECT_EQ(total->timestamp_ms, 1520879607789);
  ASSERT_NE(Find(r, "acme_http_requests_created"), nullptr);
  EXPECT_EQ(Find(r, "acme_http_requests_created")->value, 1520430000.123);
  EXPECT_FALSE(Find(r, "acme_http_requests_created")->timestamp_ms.has_value());
  ASSERT_NE(Find(r, "lat_bucket", "le", "0.1"), nullptr);
  EXPECT_EQ(Find(r, "lat_bucket", "le", "0.1")->value, 8);
  EXPECT_EQ(Find(r, "door", "door", "closed")->value, 0);
  EXPECT_EQ(Find(r, "temp2")->timestamp_ms, 1000000);
  EXPECT_EQ(r.samples.size(), 11u);
  ASSERT_EQ(r.metadata.size(), 5u);
  EXPECT_EQ(r.metadata[0].type, MetricType::kCounter);
  EXPECT_EQ(r.metadata[0].help, "Requests served.");
  EXPECT_EQ(r.metadata[1].type, MetricType::kInfo);
  EXPECT_EQ(r.metadata[2].type, MetricType::kStateSet);
}

TEST(OpenMetricsTest, BadLinesAreCountedAndTheRestKept) {
  const ParseResult r = ParseOpenMetrics(
      "# TYPE a gauge\n"
      "a 1\n"
      "# random comment\n"        // 3: not allowed in OpenMetrics
      "b 2 # trace_id=\"x\" 1\n"  // 4: an exemplar needs braces
      "c 3 12x\n"                 // 5: bad timestamp
      "# TYPE d untyped\n"        // 6: "unknown" in OpenMetrics
      "e 5\n"
      "# EOF\n"
      "f 6\n");  // 9: after EOF
  EXPECT_EQ(r.samples.size(), 2u);
  EXPECT_NE(Find(r, "a"), nullptr);
  EXPECT_NE(Find(r, "e"), nullptr);
  ASSERT_EQ(r.error_count, 5u);
  EXPECT_EQ(r.errors[0].line, 3);
  EXPECT_EQ(r.errors[0].message, "unknown comment: \"random\"");
  EXPECT_EQ(r.errors[1].line, 4);
  EXPECT_EQ(r.errors[2].line, 5);
  EXPECT_EQ(r.errors[3].line, 6);
  EXPECT_EQ(r.errors[4].message, "data after # EOF");
}

TEST(OpenMetricsTest, ATruncatedBodyKeepsItsSamplesAndCountsTheMissingEof) {
  const ParseResult r = ParseOpenMetrics("a 1\nb 2\n");
  EXPECT_EQ(r.samples.size(), 2u);
  ASSERT_EQ(r.error_count, 1u);
  EXPECT_EQ(r.errors[0].message, "missing # EOF at the end");
  // The text format has no EOF and takes millisecond timestamps.
  const ParseResult text = ParseTextExposition("a 1 1520879607789\n");
  EXPECT_EQ(text.error_count, 0u);
  EXPECT_EQ(text.samples[0].timestamp_ms, 1520879607789);
  EXPECT_EQ(ParseTextExposition("# EOF\nb 1\n").samples.size(), 1u);  // a comment there
}

TEST(OpenMetricsTest, RecognizesTheContentType) {
  EXPECT_TRUE(
      IsOpenMetricsContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"));
  EXPECT_TRUE(IsOpenMetricsContentType("application/openmetrics-text"));
  EXPECT_TRUE(IsOpenMetricsContentType("Application/OpenMetrics-Text;version=0.0.1"));
  EXPECT_FALSE(IsOpenMetricsContentType("text/plain; version=0.0.4"));
  EXPECT_FALSE(IsOpenMetricsContentType("application/openmetrics-textual"));
  EXPECT_FALSE(IsOpenMetricsContentType(""));
}

}  // namespace
}  // namespace strata::agent::scrape
