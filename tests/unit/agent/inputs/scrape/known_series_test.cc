// The parser's known-series path (text_parser.h, KnownSeries) and the scrape loop's series cache
// (series_cache.h) that feeds it.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "agent/inputs/scrape/scrape_input.h"
#include "agent/inputs/scrape/series_cache.h"
#include "agent/inputs/scrape/text_parser.h"
#include "tests/unit/agent/relabel_rule.h"

namespace strata::agent::scrape {
namespace {

class SetOfSeries final : public KnownSeries {
 public:
  bool Contains(std::string_view s) const override { return set.count(std::string(s)) > 0; }
  std::set<std::string> set;
};

TEST(KnownSeriesTest, SeriesTextIsTheNameThroughTheClosingBrace) {
  const std::string body =
      "bare 1\n"
      "  spaced  {a=\"1\"}  2 1000\n"
      "m{a=\"x}y\",b=\"q\\\"}\"} 3\n"
      "t{a=\"1\",} 4\n"
      "e{} 5\n";
  ParseResult r = ParseTextExposition(body);
  ASSERT_EQ(r.error_count, 0u);
  ASSERT_EQ(r.samples.size(), 5u);
  EXPECT_EQ(r.samples[0].series, "bare");
  EXPECT_EQ(r.samples[1].series, "spaced  {a=\"1\"}");
  EXPECT_EQ(r.samples[2].series, "m{a=\"x}y\",b=\"q\\\"}\"}");
  EXPECT_EQ(r.samples[3].series, "t{a=\"1\",}");
  EXPECT_EQ(r.samples[4].series, "e{}");

  // With every series known, the same body gives the same series and values, without labels.
  SetOfSeries known;
  for (const ParsedSample& p : r.samples) known.set.insert(std::string(p.series));
  ParseResult again = ParseTextExposition(body, &known);
  ASSERT_EQ(again.error_count, 0u);
  ASSERT_EQ(again.samples.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(again.samples[i].labels.empty()) << i;
    EXPECT_EQ(again.samples[i].series, r.samples[i].series);
    EXPECT_EQ(again.samples[i].value, r.samples[i].value);
    EXPECT_EQ(again.samples[i].timestamp_ms, r.samples[i].timestamp_ms);
  }
}

TEST(KnownSeriesTest, UnknownSeriesAreParsedAndKnownOnesStillNeedAGoodValue) {
  SetOfSeries known;
  known.set = {"k{a=\"1\"}"};
  ParseResult r =
      ParseTextExposition("k{a=\"1\"} 1\nk{a=\"2\"} 2\nk{a=\"1\"} bad\nk{a=\"1\"} 3 4 5\n", &known);
  EXPECT_EQ(r.error_count, 2u);  // a bad value and trailing text, known or not
  ASSERT_EQ(r.samples.size(), 2u);
  EXPECT_TRUE(r.samples[0].labels.empty());
  EXPECT_EQ(r.samples[1].labels.Get("a"), "2");
  // An unterminated label set is never looked up; the full parse reports it.
  known.set.insert("u{a=\"1\"");
  ParseResult bad = ParseTextExposition("u{a=\"1\" 1\n", &known);
  EXPECT_EQ(bad.error_count, 1u);
  EXPECT_TRUE(bad.samples.empty());
}

TEST(KnownSeriesTest, OpenMetricsExemplarsAfterAKnownSeries) {
  SetOfSeries known;
  known.set = {"c_total{a=\"1\"}"};
  ParseResult r = ParseOpenMetrics(
      "# TYPE c counter\nc_total{a=\"1\"} 7 # {trace_id=\"x\"} 1 2\n# EOF\n", &known);
  EXPECT_EQ(r.error_count, 0u);
  ASSERT_EQ(r.samples.size(), 1u);
  EXPECT_TRUE(r.samples[0].labels.empty());
  EXPECT_EQ(r.samples[0].value, 7);
}

TEST(SeriesCacheTest, SecondScrapeReusesTheFinalLabelsAndEvictsWhatIsGone) {
  ScrapeTarget target;
  target.address = "h:1";
  target.target_labels = common::Labels{{"job", "node"}, {"instance", "h:1"}};
  ScrapeConfig config;
  auto relabeler =
      relabel::Relabeler::Create({test_support::Rule("drop", {"__name__"}, "", "go_.*")});
  ASSERT_TRUE(relabeler.ok()) << relabeler.status();
  SeriesCache cache;

  const std::string first = "a{x=\"1\"} 1\nb 2\ngo_x 3\n";
  cache.StartScrape();
  ParseResult p1 = ParseTextExposition(first, &cache);
  common::SampleBatch out1;
  EXPECT_EQ(AppendTargetSamples(p1, target, config, *relabeler, 100, &out1, &cache), 2u);
  cache.EvictUnseen();
  EXPECT_EQ(cache.size(), 3u);  // the dropped series is cached as dropped

  const std::string second = "a{x=\"1\"} 10\ngo_x 30\nc 40\n";
  cache.StartScrape();
  ParseResult p2 = ParseTextExposition(second, &cache);
  ASSERT_EQ(p2.samples.size(), 3u);
  EXPECT_TRUE(p2.samples[0].labels.empty());   // known
  EXPECT_TRUE(p2.samples[1].labels.empty());   // known, dropped
  EXPECT_FALSE(p2.samples[2].labels.empty());  // new
  common::SampleBatch out2;
  EXPECT_EQ(AppendTargetSamples(p2, target, config, *relabeler, 200, &out2, &cache), 2u);
  cache.EvictUnseen();
  ASSERT_EQ(out2.size(), 2u);
  EXPECT_TRUE(out2[0].labels.SameAs(out1[0].labels));  // shared, not rebuilt
  EXPECT_EQ(out2[0].labels,
            (common::Labels{{"__name__", "a"}, {"x", "1"}, {"job", "node"}, {"instance", "h:1"}}));
  EXPECT_EQ(out2[0].sample.value, 10);
  EXPECT_EQ(out2[1].labels.MetricName(), "c");
  EXPECT_EQ(cache.size(), 3u);  // b is gone
  EXPECT_FALSE(cache.Contains("b"));
  EXPECT_TRUE(cache.Contains("c"));
}

}  // namespace
}  // namespace strata::agent::scrape
