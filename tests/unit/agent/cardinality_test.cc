#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/cardinality/cardinality_guard.h"
#include "tests/fakes/fake_clock.h"

namespace strata::agent::cardinality {
namespace {

using common::Labels;

using strata::fakes::FakeClock;

class Collect final : public SampleSink {
 public:
  void Push(common::SampleBatch batch) override {
    for (auto& s : batch) got.push_back(std::move(s));
  }
  std::vector<common::SeriesSample> got;
};

common::SeriesSample S(const std::string& metric, const std::string& id, double v = 1) {
  return {Labels{{"__name__", metric}, {"id", id}}, {1, v}};
}

class CardinalityGuardTest : public ::testing::Test {
 protected:
  std::unique_ptr<CardinalityGuard> Guard(const CardinalityConfig& c) {
    auto g = CardinalityGuard::Create(c, sink_, clock_, registry_);
    EXPECT_TRUE(g.ok()) << g.status();
    return g.ok() ? *std::move(g) : nullptr;
  }
  double Dropped(const std::string& metric) {
    return registry_.ValueOf("strata_agent_cardinality_dropped_samples_total",
                             {{"metric", metric}});
  }
  Collect sink_;
  FakeClock clock_;
  common::Registry registry_;
};

TEST_F(CardinalityGuardTest, AdmitsUpToTheLimitAndKeepsAdmittedSeriesFlowing) {
  CardinalityConfig c;
  c.max_series_per_metric = 2;
  c.metric_limits = {{"wide", 3}, {"free", 0}};
  auto g = Guard(c);
  g->Push({S("m", "a"), S("m", "b"), S("m", "c"), S("m", "a", 2)});
  ASSERT_EQ(sink_.got.size(), 3u);
  EXPECT_EQ(sink_.got[2].labels.Get("id"), "a");
  EXPECT_EQ(sink_.got[2].sample.value, 2);
  EXPECT_EQ(Dropped("m"), 1);
  sink_.got.clear();
  g->Push({S("wide", "1"), S("wide", "2"), S("wide", "3"), S("wide", "4")});
  EXPECT_EQ(sink_.got.size(), 3u);
  EXPECT_EQ(Dropped("wide"), 1);
  sink_.got.clear();
  std::vector<common::SeriesSample> many;
  for (int i = 0; i < 50; ++i) many.push_back(S("free", std::to_string(i)));
  g->Push(many);
  EXPECT_EQ(sink_.got.size(), 50u);  // a 0 override lifts the default limit
}

TEST_F(CardinalityGuardTest, StaleMarkersAndTheTtlFreeRoom) {
  CardinalityConfig c;
  c.max_series_per_metric = 1;
  c.series_ttl_ms = 10 * 60 * 1000;
  auto g = Guard(c);
  g->Push({S("m", "a"), S("m", "b")});
  EXPECT_EQ(sink_.got.size(), 1u);
  // a ends with a staleness marker: b may come in.
  g->Push({S("m", "a", common::StaleNaN()), S("m", "b")});
  ASSERT_EQ(sink_.got.size(), 3u);
  EXPECT_TRUE(common::IsStaleNaN(sink_.got[1].sample.value));
  EXPECT_EQ(sink_.got[2].labels.Get("id"), "b");
  // A marker for a series never admitted is not passed on.
  g->Push({S("m", "z", common::StaleNaN())});
  EXPECT_EQ(sink_.got.size(), 3u);
  // b goes quiet for longer than the TTL: c takes its place.
  g->Push({S("m", "c")});
  EXPECT_EQ(sink_.got.size(), 3u);
  clock_.now_ms += c.series_ttl_ms + 60000;
  g->Push({S("m", "c")});
  EXPECT_EQ(sink_.got.size(), 4u);
}

TEST_F(CardinalityGuardTest, DropsLabelsOfMatchingMetricsBeforeLimiting) {
  CardinalityConfig c;
  c.max_series_per_metric = 1;
  c.drop_labels = {{"http_.*", {"id", "absent"}}};
  auto g = Guard(c);
  g->Push({S("http_requests_total", "1"), S("http_requests_total", "2"), S("rpc", "1")});
  ASSERT_EQ(sink_.got.size(), 3u);  // id gone: one series, so both samples pass
  EXPECT_EQ(sink_.got[0].labels, (Labels{{"__name__", "http_requests_total"}}));
  EXPECT_EQ(sink_.got[2].labels.Get("id"), "1");  // rpc does not match the rule
}

TEST_F(CardinalityGuardTest, CountsAtMostAHundredMetricNames) {
  CardinalityConfig c;
  c.max_series_per_metric = 1;
  auto g = Guard(c);
  for (int m = 0; m < 120; ++m) {
    const std::string name = "m" + std::to_string(m);
    g->Push({S(name, "a"), S(name, "b")});
  }
  EXPECT_EQ(sink_.got.size(), 120u);
  EXPECT_EQ(Dropped("m0"), 1);
  EXPECT_EQ(Dropped("m99"), 1);
  EXPECT_EQ(Dropped("_other_"), 20);
}

TEST_F(CardinalityGuardTest, ConfigIsValidated) {
  CardinalityConfig c;
  c.drop_labels = {{"(", {"x"}}};
  EXPECT_FALSE(CardinalityGuard::Create(c, sink_, clock_, registry_).ok());
  const YAML::Node bad = YAML::Load("drop_labels: [{metric_regex: 'x', labels: [__name__]}]");
  CardinalityConfig d;
  EXPECT_NE(CardinalityConfigSchema()
                .Decode(bad, "a.yaml", "cardinality", &d)
                .message()
                .find("the metric name cannot be dropped"),
            std::string::npos);
  const YAML::Node good = YAML::Load(
      "max_series_per_metric: 5000\nmetric_limits: [{metric: x, max_series: 10}]\n"
      "series_ttl: 30m\n");
  ASSERT_TRUE(CardinalityConfigSchema().Decode(good, "a.yaml", "cardinality", &d).ok());
  EXPECT_EQ(d.max_series_per_metric, 5000);
  EXPECT_EQ(d.metric_limits[0].max_series, 10);
  EXPECT_EQ(d.series_ttl_ms, 30 * 60 * 1000);
}

}  // namespace
}  // namespace strata::agent::cardinality
