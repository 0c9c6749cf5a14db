#include "agent/inputs/statsd/statsd_aggregator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "common/model/labels.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::statsd {
namespace {

// The samples of one flush by series, in Prometheus notation.
std::map<std::string, double> ByName(const common::SampleBatch& batch) {
  std::map<std::string, double> out;
  for (const common::SeriesSample& s : batch) out[s.labels.ToString()] = s.sample.value;
  return out;
}

class StatsdAggregatorTest : public ::testing::Test {
 protected:
  StatsdAggregatorTest() { options_.job = "app"; }
  StatsdAggregator& Agg() {
    if (agg_ == nullptr) agg_ = std::make_unique<StatsdAggregator>(options_, "h1", registry_);
    return *agg_;
  }
  std::map<std::string, double> Flush(int64_t now_ms = 10'000) {
    return ByName(Agg().Flush(now_ms));
  }
  double Rejected(const std::string& reason) {
    return registry_.ValueOf("strata_agent_statsd_rejected_lines_total", {{"reason", reason}});
  }

  StatsdOptions options_;
  common::Registry registry_;
  std::unique_ptr<StatsdAggregator> agg_;
};

TEST_F(StatsdAggregatorTest, CounterIsCumulativeAndScaledBySampleRate) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Agg().ApplyLine("hits:1|c|@0.1", 1000));
  EXPECT_DOUBLE_EQ(Flush()[R"(hits_total{instance="h1",job="app"})"], 30);
  // Still there at the next flush, and it keeps counting from where it was.
  EXPECT_DOUBLE_EQ(Flush()[R"(hits_total{instance="h1",job="app"})"], 30);
  ASSERT_TRUE(Agg().ApplyLine("hits:2|c", 2000));
  EXPECT_DOUBLE_EQ(Flush()[R"(hits_total{instance="h1",job="app"})"], 32);
}

TEST_F(StatsdAggregatorTest, CounterNamedTotalKeepsItsName) {
  ASSERT_TRUE(Agg().ApplyLine("jobs_total:4|c", 1000));
  EXPECT_EQ(Flush().count(R"(jobs_total{instance="h1",job="app"})"), 1u);
}

TEST_F(StatsdAggregatorTest, RejectsDecrementsBecauseCountersNeverGoDown) {
  EXPECT_FALSE(Agg().ApplyLine("hits:-1|c", 1000));
  EXPECT_FALSE(Agg().ApplyLine("hits:1:-1|c", 1000));
  EXPECT_EQ(Rejected("negative_counter"), 2);
  EXPECT_TRUE(Flush().empty());
}

TEST_F(StatsdAggregatorTest, GaugeSetsAndSignedValuesAreDeltas) {
  const std::string g = R"(temp{instance="h1",job="app"})";
  Agg().ApplyPacket("temp:+3|g\n", 1000);  // a new gauge starts at 0
  EXPECT_DOUBLE_EQ(Flush()[g], 3);
  Agg().ApplyPacket("temp:5|g\ntemp:+3|g\ntemp:-10|g", 1000);
  EXPECT_DOUBLE_EQ(Flush()[g], -2);
  Agg().ApplyPacket("temp:7|g|@0.5", 1000);  // rates do not scale gauges
  EXPECT_DOUBLE_EQ(Flush()[g], 7);
}

TEST_F(StatsdAggregatorTest, TimerIsASummaryInSecondsWithExactSumAndCount) {
  // 1..1000 ms: the exact quantile q of these values is about q seconds.
  for (int ms = 1; ms <= 1000; ++ms) {
    ASSERT_TRUE(Agg().ApplyLine("req:" + std::to_string(ms) + "|ms", 1000));
  }
  auto f = Flush();
  const std::string l = R"({instance="h1",job="app")";
  EXPECT_DOUBLE_EQ(f["req_count" + l + "}"], 1000);
  EXPECT_NEAR(f["req_sum" + l + "}"], 500.5, 1e-9);
  // t-digest with compression 100: rank error well under 1 % here, i.e. 10 ms of this range.
  EXPECT_NEAR(f["req" + l + R"(,quantile="0.5"})"], 0.5, 0.01);
  EXPECT_NEAR(f["req" + l + R"(,quantile="0.9"})"], 0.9, 0.01);
  EXPECT_NEAR(f["req" + l + R"(,quantile="0.99"})"], 0.99, 0.005);
}

TEST_F(StatsdAggregatorTest, HistogramsAndDistributionsAreOneSummaryTakenAsSent) {
  Agg().ApplyPacket("size:100|h|@0.5\nsize:300:500|d\nsize:1000|ms", 1000);
  auto f = Flush();
  // Every value counts 1 / rate times; h and d are taken as sent, ms converted to seconds.
  EXPECT_DOUBLE_EQ(f[R"(size_count{instance="h1",job="app"})"], 5);
  EXPECT_DOUBLE_EQ(f[R"(size_sum{instance="h1",job="app"})"], 200 + 800 + 1);
  EXPECT_DOUBLE_EQ(registry_.ValueOf("strata_agent_statsd_series"), 1);
}

TEST_F(StatsdAggregatorTest, AGaugeAndASetOfOneNameConflict) {
  EXPECT_TRUE(Agg().ApplyLine("x:1|g", 1000));
  EXPECT_FALSE(Agg().ApplyLine("x:a|s", 1000));
  EXPECT_TRUE(Agg().ApplyLine("x:a|s|#k:v", 1000));  // other tags: another series
  EXPECT_TRUE(Agg().ApplyLine("y:a|s", 1000));
  EXPECT_FALSE(Agg().ApplyLine("y:1|g", 1000));
  EXPECT_EQ(Rejected("type_conflict"), 2);
  EXPECT_DOUBLE_EQ(Flush()[R"(x{instance="h1",job="app"})"], 1);
}

TEST_F(StatsdAggregatorTest, SummaryQuantilesCoverOneIntervalSumAndCountAccumulate) {
  const std::string l = R"({instance="h1",job="app")";
  Agg().ApplyPacket("lat:10|h\nlat:20|h\nlat:30|h", 1000);
  auto first = Flush();
  EXPECT_DOUBLE_EQ(first["lat" + l + R"(,quantile="0.5"})"], 20);
  auto second = Flush();
  EXPECT_TRUE(std::isnan(second["lat" + l + R"(,quantile="0.5"})"]));
  EXPECT_DOUBLE_EQ(second["lat_count" + l + "}"], 3);
  EXPECT_DOUBLE_EQ(second["lat_sum" + l + "}"], 60);
  Agg().ApplyLine("lat:40|h", 2000);
  auto third = Flush();
  EXPECT_DOUBLE_EQ(third["lat" + l + R"(,quantile="0.99"})"], 40);
  EXPECT_DOUBLE_EQ(third["lat_count" + l + "}"], 4);
}

TEST_F(StatsdAggregatorTest, QuantileLabelsAreFormattedLikePrometheus) {
  options_.quantiles = {0.5, 0.999, 1};
  Agg().ApplyLine("x:1|d", 1000);
  auto f = Flush();
  EXPECT_EQ(f.count(R"(x{instance="h1",job="app",quantile="0.5"})"), 1u);
  EXPECT_EQ(f.count(R"(x{instance="h1",job="app",quantile="0.999"})"), 1u);
  EXPECT_EQ(f.count(R"(x{instance="h1",job="app",quantile="1"})"), 1u);
}

TEST_F(StatsdAggregatorTest, SetCountsDistinctMembersPerInterval) {
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i) Agg().ApplyLine("users:u" + std::to_string(i) + "|s", 1000);
  }
  const std::string s = R"(users{instance="h1",job="app"})";
  // HyperLogLog at p=14: standard error about 0.8 % of 200 here, so 3 is beyond 3.5 sigma.
  EXPECT_NEAR(Flush()[s], 200, 3);
  EXPECT_DOUBLE_EQ(Flush()[s], 0);
}

TEST_F(StatsdAggregatorTest, TagsBecomeLabelsWhateverTheirOrder) {
  Agg().ApplyPacket("m:1|c|#b:2,a:1\nm,b=2:1|c|#a:1\nm:1|c|#a:1,b:2", 1000);
  auto f = Flush();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_DOUBLE_EQ(f[R"(m_total{a="1",b="2",instance="h1",job="app"})"], 3);
}

TEST_F(StatsdAggregatorTest, OfTheSameTagTheLastWins) {
  Agg().ApplyLine("m:1|g|#a:1,a:2", 1000);
  EXPECT_EQ(Flush().count(R"(m{a="2",instance="h1",job="app"})"), 1u);
}

TEST_F(StatsdAggregatorTest, TagsMayOverrideJobAndInstance) {
  Agg().ApplyLine("m:1|g|#job:web,instance:pod-7", 1000);
  EXPECT_EQ(Flush().count(R"(m{instance="pod-7",job="web"})"), 1u);
}

TEST_F(StatsdAggregatorTest, NormalizesNamesAndDropsReservedOrBareTags) {
  Agg().ApplyLine("api.req-ms/x:1|g|#http.method:GET,__secret:1,bare", 1000);
  Agg().ApplyLine("9lives:1|g", 1000);
  Agg().ApplyLine("t:1|ms|#quantile:9", 1000);
  auto f = Flush();
  EXPECT_EQ(f.count(R"(api_req_ms_x{http_method="GET",instance="h1",job="app"})"), 1u);
  EXPECT_EQ(f.count(R"(_9lives{instance="h1",job="app"})"), 1u);
  EXPECT_EQ(f.count(R"(t{instance="h1",job="app",quantile="0.5"})"), 1u);
  const char* dropped = "strata_agent_statsd_tags_dropped_total";
  EXPECT_EQ(registry_.ValueOf(dropped, {{"reason", "reserved"}}), 2);
  EXPECT_EQ(registry_.ValueOf(dropped, {{"reason", "no_value"}}), 1);
}

TEST_F(StatsdAggregatorTest, BadLinesCostNothingOfTheGoodOnesBesideThem) {
  Agg().ApplyPacket("a:1|c\ngarbage\nb:2|g\nc:x|c\n_e{1,1}:t|x\nd:1|c|@7\ne:1|c|#k:\xff", 1000);
  auto f = Flush();
  EXPECT_EQ(f.size(), 2u);
  EXPECT_DOUBLE_EQ(f[R"(a_total{instance="h1",job="app"})"], 1);
  EXPECT_DOUBLE_EQ(f[R"(b{instance="h1",job="app"})"], 2);
  EXPECT_EQ(Rejected("no_value"), 1);
  EXPECT_EQ(Rejected("bad_value"), 1);
  EXPECT_EQ(Rejected("unsupported"), 1);
  EXPECT_EQ(Rejected("bad_sample_rate"), 1);
  EXPECT_EQ(Rejected("invalid_utf8"), 1);
  EXPECT_EQ(registry_.ValueOf("strata_agent_statsd_samples_total", {{"type", "counter"}}), 1);
}

TEST_F(StatsdAggregatorTest, SeriesLimitRejectsNewSeriesAndKeepsUpdatingOldOnes) {
  options_.max_series = 2;
  EXPECT_TRUE(Agg().ApplyLine("a:1|c", 1000));
  EXPECT_TRUE(Agg().ApplyLine("b:1|c", 1000));
  EXPECT_FALSE(Agg().ApplyLine("c:1|c", 1000));
  EXPECT_FALSE(Agg().ApplyLine("a:1|c|#k:v", 1000));  // another series of the same name
  EXPECT_TRUE(Agg().ApplyLine("a:1|c", 1000));
  EXPECT_EQ(Rejected("series_limit"), 2);
  EXPECT_DOUBLE_EQ(Flush()[R"(a_total{instance="h1",job="app"})"], 2);
}

TEST_F(StatsdAggregatorTest, TooManyTagsRejectTheLine) {
  options_.max_tags = 2;
  EXPECT_TRUE(Agg().ApplyLine("a:1|c|#x:1,y:2", 1000));
  EXPECT_FALSE(Agg().ApplyLine("a:1|c|#x:1,y:2,z:3", 1000));
  EXPECT_EQ(Rejected("too_many_tags"), 1);
}

TEST_F(StatsdAggregatorTest, IdleSeriesExpireWithStalenessMarkers) {
  options_.series_ttl_ms = 60'000;
  Agg().ApplyPacket("old:1|c\nlat:5|ms", 1000);
  EXPECT_EQ(Agg().Flush(30'000).size(), 6u);  // counter + 3 quantiles + sum + count
  Agg().ApplyLine("new:1|g", 50'000);
  common::SampleBatch batch = Agg().Flush(61'000);
  size_t stale = 0;
  for (const auto& s : batch) {
    if (common::IsStaleNaN(s.sample.value)) {
      ++stale;
      EXPECT_NE(s.labels.MetricName(), "new");
    }
  }
  EXPECT_EQ(stale, 6u);
  EXPECT_EQ(Agg().SeriesCount(), 1u);
  EXPECT_EQ(registry_.ValueOf("strata_agent_statsd_series_expired_total"), 2);
  EXPECT_EQ(Agg().Flush(62'000).size(), 1u);
}

TEST_F(StatsdAggregatorTest, ZeroTtlKeepsSeriesForever) {
  options_.series_ttl_ms = 0;
  Agg().ApplyLine("a:1|c", 0);
  EXPECT_EQ(Agg().Flush(int64_t{1} << 40).size(), 1u);
}

TEST_F(StatsdAggregatorTest, SamplesAreStampedWithTheFlushTime) {
  Agg().ApplyLine("a:1|c", 1000);
  for (const auto& s : Agg().Flush(12'345)) EXPECT_EQ(s.sample.timestamp_ms, 12'345);
}

}  // namespace
}  // namespace strata::agent::statsd
