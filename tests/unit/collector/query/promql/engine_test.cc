#include "collector/query/promql/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "collector/storage/memory/memory_store.h"
#include "common/model/sample.h"

namespace strata::collector::promql {
namespace {

using common::Labels;

constexpr int64_t kMin = 60 * 1000;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

std::string Num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ptr);
}

// Prometheus' series notation: name{a="b", c="d"}, just `name` without other labels, {} when empty.
std::string PromString(const Labels& labels) {
  std::string out(labels.MetricName());
  std::string inner;
  for (const auto& l : labels) {
    if (l.name == common::kMetricNameLabel) continue;
    if (!inner.empty()) inner += ", ";
    inner.append(l.name).append("=\"").append(l.value).append("\"");
  }
  if (!inner.empty() || out.empty()) out += "{" + inner + "}";
  return out;
}

// Renders a value compactly: vectors as `labels value` sorted (unless `ordered`), joined by " | ".
std::string Fmt(const Value& value, bool ordered = false) {
  if (const Scalar* s = std::get_if<Scalar>(&value)) return "scalar " + Num(s->v);
  if (const String* s = std::get_if<String>(&value)) return "string " + s->v;
  std::vector<std::string> lines;
  if (const Vector* v = std::get_if<Vector>(&value)) {
    for (const VectorElement& e : *v) lines.push_back(PromString(e.metric) + " " + Num(e.v));
  } else {
    for (const Series& s : std::get<Matrix>(value)) {
      std::string line = PromString(s.metric) + " ";
      for (size_t i = 0; i < s.points.size(); ++i) {
        if (i > 0) line += ",";
        line += Num(s.points[i].value) + "@" + std::to_string(s.points[i].timestamp_ms / 1000);
      }
      lines.push_back(line);
    }
  }
  if (!ordered) std::sort(lines.begin(), lines.end());
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += " | ";
    out += lines[i];
  }
  return out;
}

class ManualClock final : public common::Clock {
 public:
  int64_t NowMs() const override { return now_; }
  int64_t MonotonicMs() const override { return now_ += advance_per_call_; }
  mutable int64_t now_ = 0;
  int64_t advance_per_call_ = 0;
};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : store_(MemoryStoreOptions{.out_of_order_window_ms = INT64_MAX / 4}) {}

  // Samples start_ms, start_ms + interval_ms, ... with the given values.
  void Load(const Labels& labels, int64_t start_ms, int64_t interval_ms,
            const std::vector<double>& values) {
    std::vector<common::Sample> samples;
    for (size_t i = 0; i < values.size(); ++i) {
      samples.push_back({start_ms + static_cast<int64_t>(i) * interval_ms, values[i]});
    }
    ASSERT_TRUE(store_.Append(labels, samples).ok());
  }
  void LoadSamples(const Labels& labels, const std::vector<common::Sample>& samples) {
    ASSERT_TRUE(store_.Append(labels, samples).ok());
  }

  Engine MakeEngine() { return Engine(store_, options_); }

  std::string Instant(std::string_view q, int64_t t_ms, bool ordered = false) {
    auto r = MakeEngine().InstantQuery(q, t_ms);
    if (!r.ok()) return "error: " + std::string(r.status().message());
    return Fmt(r->value, ordered);
  }
  std::string Range(std::string_view q, int64_t start, int64_t end, int64_t step) {
    auto r = MakeEngine().RangeQuery(q, start, end, step);
    if (!r.ok()) return "error: " + std::string(r.status().message());
    return Fmt(r->value, true);
  }
  absl::Status InstantStatus(std::string_view q, int64_t t_ms) {
    return MakeEngine().InstantQuery(q, t_ms).status();
  }

  MemoryStore store_;
  EngineOptions options_;
};

TEST_F(EngineTest, NumberLiteralIsScalar) { EXPECT_EQ(Instant("1 + 2 * 3", 0), "scalar 7"); }

// Counters sampled every minute from 0 to 10m:
//   req{job="api",instance="0"}: 0 10 20 ... 100
//   req{job="api",instance="1"}: 0 20 40 ... 200
//   req{job="db",instance="0"}:  0 30 60 ... 300
class EngineDataTest : public EngineTest {
 protected:
  void SetUp() override {
    for (auto [job, inst, mult] : {std::tuple{"api", "0", 10.0}, std::tuple{"api", "1", 20.0},
                                   std::tuple{"db", "0", 30.0}}) {
      std::vector<double> values;
      for (int i = 0; i <= 10; ++i) values.push_back(i * mult);
      Load({{"__name__", "req"}, {"job", job}, {"instance", inst}}, 0, kMin, values);
    }
  }
};

TEST_F(EngineTest, StringLiteralIsString) { EXPECT_EQ(Instant("\"hello\"", 0), "string hello"); }

TEST_F(EngineTest, ScalarArithmeticAndPrecedence) {
  EXPECT_EQ(Instant("2 ^ 3 ^ 2", 0), "scalar 512");
  EXPECT_EQ(Instant("-2 ^ 2", 0), "scalar -4");
  EXPECT_EQ(Instant("7 % 4", 0), "scalar 3");
  EXPECT_EQ(Instant("-7 % 4", 0), "scalar -3");
  EXPECT_EQ(Instant("1 / 0", 0), "scalar +Inf");
  EXPECT_EQ(Instant("0 / 0", 0), "scalar NaN");
  EXPECT_EQ(Instant("(1 atan2 1) * 4", 0), "scalar " + Num(M_PI));
}

TEST_F(EngineTest, ScalarComparisonWithBool) {
  EXPECT_EQ(Instant("1 < bool 2", 0), "scalar 1");
  EXPECT_EQ(Instant("1 == bool 2", 0), "scalar 0");
  EXPECT_EQ(Instant("NaN != bool NaN", 0), "scalar 1");
}

TEST_F(EngineDataTest, InstantSelectorTakesLatestSampleAndKeepsName) {
  EXPECT_EQ(Instant("req", 5 * kMin),
            "req{instance=\"0\", job=\"api\"} 50 | req{instance=\"0\", job=\"db\"} 150 | "
            "req{instance=\"1\", job=\"api\"} 100");
}

TEST_F(EngineDataTest, InstantSelectorBetweenSamplesTakesOlderOne) {
  EXPECT_EQ(Instant("req{job=\"db\"}", 5 * kMin + 59999), "req{instance=\"0\", job=\"db\"} 150");
}

TEST_F(EngineDataTest, LookbackWindowIsLeftOpen) {
  EXPECT_EQ(Instant("req{job=\"db\"}", 15 * kMin - 1), "req{instance=\"0\", job=\"db\"} 300");
  EXPECT_EQ(Instant("req{job=\"db\"}", 15 * kMin), "");
}

TEST_F(EngineDataTest, LookbackDeltaIsConfigurable) {
  options_.lookback_delta_ms = 30 * 1000;
  EXPECT_EQ(Instant("req{job=\"db\"}", 10 * kMin + 29999), "req{instance=\"0\", job=\"db\"} 300");
  EXPECT_EQ(Instant("req{job=\"db\"}", 10 * kMin + 30000), "");
}

TEST_F(EngineDataTest, RegexAndNegativeMatchers) {
  EXPECT_EQ(Instant("req{job=~\"d.*\"}", kMin), "req{instance=\"0\", job=\"db\"} 30");
  EXPECT_EQ(Instant("count(req{job!=\"db\"})", kMin), "{} 2");
  EXPECT_EQ(Instant("count(req{instance!~\"0\"})", kMin), "{} 1");
}

TEST_F(EngineTest, StalenessMarkerEndsSeries) {
  LoadSamples({{"__name__", "g"}}, {{0, 1}, {kMin, 2}, {2 * kMin, common::StaleNaN()}});
  EXPECT_EQ(Instant("g", kMin + 1000), "g 2");
  EXPECT_EQ(Instant("g", 2 * kMin), "");
  EXPECT_EQ(Instant("g", 3 * kMin), "");
}

TEST_F(EngineTest, StalenessMarkersAreNotInRangeWindows) {
  LoadSamples({{"__name__", "g"}}, {{0, 1}, {kMin, 2}, {2 * kMin, common::StaleNaN()}});
  EXPECT_EQ(Instant("count_over_time(g[5m])", 3 * kMin), "{} 2");
  EXPECT_EQ(Instant("g[5m]", 3 * kMin), "g 1@0,2@60");
}

TEST_F(EngineTest, SampleAfterStalenessMarkerRevivesSeries) {
  LoadSamples({{"__name__", "g"}}, {{0, 1}, {kMin, common::StaleNaN()}, {2 * kMin, 5}});
  EXPECT_EQ(Instant("g", kMin + 30000), "");
  EXPECT_EQ(Instant("g", 2 * kMin), "g 5");
}

TEST_F(EngineTest, UserNaNIsAValue) {
  LoadSamples({{"__name__", "g"}}, {{0, kNaN}});
  EXPECT_EQ(Instant("g", 0), "g NaN");
}

TEST_F(EngineDataTest, OffsetShiftsBack) {
  EXPECT_EQ(Instant("req{job=\"db\"} offset 2m", 5 * kMin), "req{instance=\"0\", job=\"db\"} 90");
}

TEST_F(EngineDataTest, NegativeOffsetLooksAhead) {
  EXPECT_EQ(Instant("req{job=\"db\"} offset -2m", 5 * kMin), "req{instance=\"0\", job=\"db\"} 210");
}

TEST_F(EngineDataTest, AtModifierPinsTime) {
  EXPECT_EQ(Instant("req{job=\"db\"} @ 120", 9 * kMin), "req{instance=\"0\", job=\"db\"} 60");
  EXPECT_EQ(Instant("req{job=\"db\"} @ 180 offset 1m", 9 * kMin),
            "req{instance=\"0\", job=\"db\"} 60");
}

TEST_F(EngineDataTest, AtStartAndEndInRangeQuery) {
  EXPECT_EQ(Range("req{job=\"db\"} @ start()", 2 * kMin, 4 * kMin, kMin),
            "req{instance=\"0\", job=\"db\"} 60@120,60@180,60@240");
  EXPECT_EQ(Range("req{job=\"db\"} @ end()", 2 * kMin, 4 * kMin, kMin),
            "req{instance=\"0\", job=\"db\"} 120@120,120@180,120@240");
}

TEST_F(EngineDataTest, RangeSelectorWindowIsLeftOpen) {
  EXPECT_EQ(Instant("req{job=\"db\"}[2m]", 5 * kMin),
            "req{instance=\"0\", job=\"db\"} 120@240,150@300");
  EXPECT_EQ(Instant("req{job=\"db\"}[2m] offset 1m", 5 * kMin),
            "req{instance=\"0\", job=\"db\"} 90@180,120@240");
}

TEST_F(EngineDataTest, RateExtrapolatesToWindowStart) {
  // Samples at 1m..5m (10..50): increase 40 over 240s, extrapolated by 60s to the window start.
  EXPECT_EQ(Instant("rate(req{job=\"api\",instance=\"0\"}[5m])", 5 * kMin),
            "{instance=\"0\", job=\"api\"} " + Num(50.0 / 300));
  EXPECT_EQ(Instant("increase(req{job=\"api\",instance=\"0\"}[5m])", 5 * kMin),
            "{instance=\"0\", job=\"api\"} 50");
}

TEST_F(EngineDataTest, RateDropsMetricNameAndNeedsTwoSamples) {
  EXPECT_EQ(Instant("rate(req{job=\"db\"}[1m])", 5 * kMin), "");
  EXPECT_EQ(Instant("rate(req{job=\"db\"}[90s])", 5 * kMin + 1000),
            "{instance=\"0\", job=\"db\"} 0.5");
}

TEST_F(EngineTest, RateHandlesCounterReset) {
  // 0 10 20 5 15 at 1m spacing, evaluated at 4m with [5m]: samples at 0..4m.
  Load({{"__name__", "c"}}, 0, kMin, {0, 10, 20, 5, 15});
  // Raw increase 15 + 20 (reset) = 35 over 240s; first sample is 0 so the zero point limits
  // extrapolation to the start to 0s; the end is at the sample. 35/300.
  EXPECT_EQ(Instant("increase(c[5m])", 4 * kMin), "{} 35");
  EXPECT_EQ(Instant("rate(c[5m])", 4 * kMin), "{} " + Num(35.0 / 300));
  EXPECT_EQ(Instant("resets(c[5m])", 4 * kMin), "{} 1");
}

TEST_F(EngineTest, RateExtrapolatesHalfIntervalWhenSeriesStartsInsideWindow) {
  // Samples at 3m, 4m, 5m (values 100, 110, 120) with [5m] at 5m: start gap 180s > 1.1 * 60s,
  // so extrapolate by 30s at the start only. Zero point is 100/20*120s = 600s away: no limit.
  Load({{"__name__", "c"}}, 3 * kMin, kMin, {100, 110, 120});
  EXPECT_EQ(Instant("increase(c[5m])", 5 * kMin), "{} " + Num(20.0 * 150 / 120));
}

TEST_F(EngineTest, DeltaDoesNotTreatDecreaseAsReset) {
  Load({{"__name__", "g"}}, kMin, kMin, {10, 5, 0, -5, -10});
  // -20 over 240s extrapolated by 60s at the start (gap 60s) = -25.
  EXPECT_EQ(Instant("delta(g[5m])", 5 * kMin), "{} -25");
}

TEST_F(EngineTest, IrateAndIdeltaUseLastTwoSamples) {
  Load({{"__name__", "c"}}, 0, kMin, {0, 10, 40});
  EXPECT_EQ(Instant("irate(c[5m])", 2 * kMin), "{} 0.5");
  EXPECT_EQ(Instant("idelta(c[5m])", 2 * kMin), "{} 30");
}

TEST_F(EngineTest, IrateAfterResetUsesLastValue) {
  Load({{"__name__", "c"}}, 0, kMin, {0, 40, 6});
  EXPECT_EQ(Instant("irate(c[5m])", 2 * kMin), "{} 0.1");
  EXPECT_EQ(Instant("idelta(c[5m])", 2 * kMin), "{} -34");
}

TEST_F(EngineDataTest, DerivIsLeastSquaresSlope) {
  EXPECT_EQ(Instant("deriv(req{job=\"db\"}[5m])", 5 * kMin), "{instance=\"0\", job=\"db\"} 0.5");
}

TEST_F(EngineDataTest, PredictLinearInterceptsAtEvaluationTime) {
  EXPECT_EQ(Instant("predict_linear(req{job=\"db\"}[5m], 60)", 5 * kMin),
            "{instance=\"0\", job=\"db\"} 180");
  // Evaluated between samples: the line is extended to the evaluation time.
  EXPECT_EQ(Instant("predict_linear(req{job=\"db\"}[5m], 0)", 5 * kMin + 30000),
            "{instance=\"0\", job=\"db\"} 165");
}

TEST_F(EngineTest, DerivOfConstantIsZero) {
  Load({{"__name__", "g"}}, 0, kMin, {3, 3, 3});
  EXPECT_EQ(Instant("deriv(g[5m])", 2 * kMin), "{} 0");
}

TEST_F(EngineTest, ChangesCountsValueChanges) {
  Load({{"__name__", "g"}}, 0, kMin, {1, 1, 2, 2, 1, kNaN, kNaN});
  EXPECT_EQ(Instant("changes(g[10m])", 6 * kMin), "{} 3");
}

TEST_F(EngineTest, OverTimeFunctions) {
  Load({{"__name__", "g"}, {"a", "x"}}, 0, kMin, {4, 2, 8, 6});
  const int64_t t = 3 * kMin;
  EXPECT_EQ(Instant("avg_over_time(g[5m])", t), "{a=\"x\"} 5");
  EXPECT_EQ(Instant("sum_over_time(g[5m])", t), "{a=\"x\"} 20");
  EXPECT_EQ(Instant("min_over_time(g[5m])", t), "{a=\"x\"} 2");
  EXPECT_EQ(Instant("max_over_time(g[5m])", t), "{a=\"x\"} 8");
  EXPECT_EQ(Instant("count_over_time(g[5m])", t), "{a=\"x\"} 4");
  EXPECT_EQ(Instant("last_over_time(g[5m])", t), "g{a=\"x\"} 6");
  EXPECT_EQ(Instant("present_over_time(g[5m])", t), "{a=\"x\"} 1");
  EXPECT_EQ(Instant("stdvar_over_time(g[2m])", t), "{a=\"x\"} 1");
  EXPECT_EQ(Instant("stddev_over_time(g[2m])", t), "{a=\"x\"} 1");
  EXPECT_EQ(Instant("stdvar_over_time(g[1m])", t), "{a=\"x\"} 0");
  EXPECT_EQ(Instant("quantile_over_time(0.5, g[5m])", t), "{a=\"x\"} 5");
  EXPECT_EQ(Instant("quantile_over_time(0.25, g[5m])", t), "{a=\"x\"} 3.5");
  EXPECT_EQ(Instant("quantile_over_time(-1, g[5m])", t), "{a=\"x\"} -Inf");
  EXPECT_EQ(Instant("quantile_over_time(2, g[5m])", t), "{a=\"x\"} +Inf");
  // |x - 5| = 1 3 3 1 -> median 2.
  EXPECT_EQ(Instant("mad_over_time(g[5m])", t), "{a=\"x\"} 2");
}

TEST_F(EngineTest, MinMaxOverTimeIgnoreNaN) {
  Load({{"__name__", "g"}}, 0, kMin, {kNaN, 3, 1});
  EXPECT_EQ(Instant("min_over_time(g[5m])", 2 * kMin), "{} 1");
  EXPECT_EQ(Instant("max_over_time(g[5m])", 2 * kMin), "{} 3");
}

TEST_F(EngineTest, AvgOverTimeDoesNotOverflow) {
  Load({{"__name__", "g"}}, 0, kMin, {1e308, 1e308});
  EXPECT_EQ(Instant("avg_over_time(g[5m])", kMin), "{} 1e+308");
}

TEST_F(EngineTest, SumOverTimeIsCompensated) {
  Load({{"__name__", "g"}}, 0, kMin, {1, 1e100, 1, -1e100});
  EXPECT_EQ(Instant("sum_over_time(g[5m])", 3 * kMin), "{} 2");
}

TEST_F(EngineTest, AbsentOverTime) {
  Load({{"__name__", "g"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("absent_over_time(g[5m])", kMin), "");
  EXPECT_EQ(Instant("absent_over_time(g{job=\"x\"}[5m])", kMin), "{job=\"x\"} 1");
  EXPECT_EQ(Instant("absent_over_time(g[5m])", 10 * kMin), "{} 1");
}

TEST_F(EngineTest, AbsentDerivesLabelsFromEqualityMatchers) {
  EXPECT_EQ(Instant("absent(nope{job=\"a\",env=~\"x\",inst=\"1\"})", 0),
            "{inst=\"1\", job=\"a\"} 1");
  EXPECT_EQ(Instant("absent(nope{job=\"a\",job=\"b\"})", 0), "{} 1");
  EXPECT_EQ(Instant("absent(sum(nope))", 0), "{} 1");
}

TEST_F(EngineDataTest, AbsentOfPresentSeriesIsEmpty) {
  EXPECT_EQ(Instant("absent(req)", kMin), "");
}

// Aggregations.

TEST_F(EngineDataTest, SumByAndWithout) {
  const int64_t t = kMin;  // values 10, 20, 30
  EXPECT_EQ(Instant("sum(req)", t), "{} 60");
  EXPECT_EQ(Instant("sum by (job) (req)", t), "{job=\"api\"} 30 | {job=\"db\"} 30");
  EXPECT_EQ(Instant("sum without (instance) (req)", t), "{job=\"api\"} 30 | {job=\"db\"} 30");
  EXPECT_EQ(Instant("sum(req) by (instance)", t), "{instance=\"0\"} 40 | {instance=\"1\"} 20");
}

TEST_F(EngineDataTest, ByNameKeepsMetricName) {
  EXPECT_EQ(Instant("count by (__name__) (req)", kMin), "req 3");
}

TEST_F(EngineDataTest, AvgCountMinMaxGroup) {
  const int64_t t = kMin;
  EXPECT_EQ(Instant("avg(req)", t), "{} 20");
  EXPECT_EQ(Instant("count by (job) (req)", t), "{job=\"api\"} 2 | {job=\"db\"} 1");
  EXPECT_EQ(Instant("min(req)", t), "{} 10");
  EXPECT_EQ(Instant("max by (job) (req)", t), "{job=\"api\"} 20 | {job=\"db\"} 30");
  EXPECT_EQ(Instant("group by (job) (req)", t), "{job=\"api\"} 1 | {job=\"db\"} 1");
}

TEST_F(EngineDataTest, StddevAndStdvarArePopulationStatistics) {
  // 10, 20, 30: mean 20, variance 200/3.
  EXPECT_EQ(Instant("stdvar(req)", kMin), "{} " + Num(200.0 / 3));
  EXPECT_EQ(Instant("stddev(req)", kMin), "{} " + Num(std::sqrt(200.0 / 3)));
}

TEST_F(EngineDataTest, QuantileInterpolates) {
  EXPECT_EQ(Instant("quantile(0.5, req)", kMin), "{} 20");
  EXPECT_EQ(Instant("quantile(0.75, req)", kMin), "{} 25");
  EXPECT_EQ(Instant("quantile(1.5, req)", kMin), "{} +Inf");
  EXPECT_EQ(Instant("quantile(-0.5, req)", kMin), "{} -Inf");
}

TEST_F(EngineDataTest, TopkAndBottomkKeepLabelsAndOrder) {
  EXPECT_EQ(Instant("topk(2, req)", kMin, true),
            "req{instance=\"0\", job=\"db\"} 30 | req{instance=\"1\", job=\"api\"} 20");
  EXPECT_EQ(Instant("bottomk(1, req)", kMin, true), "req{instance=\"0\", job=\"api\"} 10");
  EXPECT_EQ(Instant("topk by (job) (1, req)", kMin),
            "req{instance=\"0\", job=\"db\"} 30 | req{instance=\"1\", job=\"api\"} 20");
  EXPECT_EQ(Instant("topk(0, req)", kMin), "");
}

TEST_F(EngineTest, TopkRanksNaNLast) {
  Load({{"__name__", "g"}, {"i", "a"}}, 0, kMin, {kNaN});
  Load({{"__name__", "g"}, {"i", "b"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("topk(1, g)", 0), "g{i=\"b\"} 1");
  EXPECT_EQ(Instant("bottomk(1, g)", 0), "g{i=\"b\"} 1");
}

TEST_F(EngineTest, TopkWithNaNParameterFails) {
  Load({{"__name__", "g"}}, 0, kMin, {1});
  EXPECT_EQ(ErrorTypeOf(InstantStatus("topk(NaN, g)", 0)), ErrorType::kExecution);
}

TEST_F(EngineDataTest, CountValuesGroupsByValue) {
  Load({{"__name__", "v"}, {"i", "a"}}, 0, kMin, {1});
  Load({{"__name__", "v"}, {"i", "b"}}, 0, kMin, {1});
  Load({{"__name__", "v"}, {"i", "c"}}, 0, kMin, {2.5});
  EXPECT_EQ(Instant("count_values(\"val\", v)", 0), "{val=\"1\"} 2 | {val=\"2.5\"} 1");
}

TEST_F(EngineDataTest, LimitkTakesKSeriesPerGroup) {
  EXPECT_EQ(Instant("count(limitk(2, req))", kMin), "{} 2");
  EXPECT_EQ(Instant("count(limitk by (job) (1, req))", kMin), "{} 2");
}

TEST_F(EngineDataTest, LimitRatioBounds) {
  EXPECT_EQ(Instant("count(limit_ratio(1, req))", kMin), "{} 3");
  EXPECT_EQ(Instant("count(limit_ratio(0, req))", kMin), "");
  // r and -(1 - r) select complementary sets.
  EXPECT_EQ(Instant("count(limit_ratio(0.5, req) or limit_ratio(-0.5, req))", kMin), "{} 3");
  EXPECT_EQ(Instant("limit_ratio(0.5, req) and limit_ratio(-0.5, req)", kMin), "");
}

TEST_F(EngineTest, MinMaxAggregationIgnoreNaN) {
  Load({{"__name__", "g"}, {"i", "a"}}, 0, kMin, {kNaN});
  Load({{"__name__", "g"}, {"i", "b"}}, 0, kMin, {3});
  Load({{"__name__", "g"}, {"i", "c"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("min(g)", 0), "{} 1");
  EXPECT_EQ(Instant("max(g)", 0), "{} 3");
  EXPECT_EQ(Instant("max(g{i=\"a\"})", 0), "{} NaN");
}

TEST_F(EngineTest, AvgWithInfinities) {
  Load({{"__name__", "g"}, {"i", "a"}}, 0, kMin, {kInf});
  Load({{"__name__", "g"}, {"i", "b"}}, 0, kMin, {1});
  Load({{"__name__", "h"}, {"i", "a"}}, 0, kMin, {kInf});
  Load({{"__name__", "h"}, {"i", "b"}}, 0, kMin, {-kInf});
  EXPECT_EQ(Instant("avg(g)", 0), "{} +Inf");
  EXPECT_EQ(Instant("avg(h)", 0), "{} NaN");
  EXPECT_EQ(Instant("sum(g)", 0), "{} +Inf");
}

TEST_F(EngineTest, AvgOfHugeValuesDoesNotOverflow) {
  Load({{"__name__", "g"}, {"i", "a"}}, 0, kMin, {1.5e308});
  Load({{"__name__", "g"}, {"i", "b"}}, 0, kMin, {1.5e308});
  EXPECT_EQ(Instant("avg(g)", 0), "{} 1.5e+308");
}

TEST_F(EngineTest, SumIsCompensated) {
  Load({{"__name__", "g"}, {"i", "a"}}, 0, kMin, {1});
  Load({{"__name__", "g"}, {"i", "b"}}, 0, kMin, {1e100});
  Load({{"__name__", "g"}, {"i", "c"}}, 0, kMin, {1});
  Load({{"__name__", "g"}, {"i", "d"}}, 0, kMin, {-1e100});
  EXPECT_EQ(Instant("sum(g)", 0), "{} 2");
}

TEST_F(EngineTest, AggregationOfEmptyVectorIsEmpty) {
  EXPECT_EQ(Instant("sum(nothing)", 0), "");
  EXPECT_EQ(Instant("count(nothing)", 0), "");
}

// Binary operators.

TEST_F(EngineDataTest, VectorScalarArithmeticDropsName) {
  EXPECT_EQ(Instant("req{job=\"db\"} * 2", kMin), "{instance=\"0\", job=\"db\"} 60");
  EXPECT_EQ(Instant("100 - req{job=\"db\"}", kMin), "{instance=\"0\", job=\"db\"} 70");
  EXPECT_EQ(Instant("2 ^ req{job=\"db\"} / 2 ^ 29", kMin), "{instance=\"0\", job=\"db\"} 2");
}

TEST_F(EngineDataTest, VectorScalarComparisonFiltersAndKeepsName) {
  EXPECT_EQ(Instant("req > 15", kMin),
            "req{instance=\"0\", job=\"db\"} 30 | req{instance=\"1\", job=\"api\"} 20");
  EXPECT_EQ(Instant("15 < req", kMin),
            "req{instance=\"0\", job=\"db\"} 30 | req{instance=\"1\", job=\"api\"} 20");
}

TEST_F(EngineDataTest, ComparisonWithBoolDropsName) {
  EXPECT_EQ(Instant("req > bool 15", kMin),
            "{instance=\"0\", job=\"api\"} 0 | {instance=\"0\", job=\"db\"} 1 | "
            "{instance=\"1\", job=\"api\"} 1");
}

TEST_F(EngineDataTest, UnaryMinusDropsName) {
  EXPECT_EQ(Instant("-req{job=\"db\"}", kMin), "{instance=\"0\", job=\"db\"} -30");
  EXPECT_EQ(Instant("+req{job=\"db\"}", kMin), "req{instance=\"0\", job=\"db\"} 30");
}

TEST_F(EngineDataTest, VectorVectorOneToOneMatchesAllLabelsButName) {
  EXPECT_EQ(Instant("req - req offset 1m", 2 * kMin),
            "{instance=\"0\", job=\"api\"} 10 | {instance=\"0\", job=\"db\"} 30 | "
            "{instance=\"1\", job=\"api\"} 20");
}

TEST_F(EngineDataTest, VectorVectorComparisonKeepsLeftValueAndName) {
  EXPECT_EQ(Instant("req > req offset 1m", 2 * kMin),
            "req{instance=\"0\", job=\"api\"} 20 | req{instance=\"0\", job=\"db\"} 60 | "
            "req{instance=\"1\", job=\"api\"} 40");
  EXPECT_EQ(Instant("req == bool req", 2 * kMin),
            "{instance=\"0\", job=\"api\"} 1 | {instance=\"0\", job=\"db\"} 1 | "
            "{instance=\"1\", job=\"api\"} 1");
}

TEST_F(EngineDataTest, OnAndIgnoringRestrictMatching) {
  EXPECT_EQ(Instant("req / on(job) sum by (job) (req)", kMin),
            "error: multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
  EXPECT_EQ(Instant("sum by (job) (req) / on(job) sum by (job) (req)", kMin),
            "{job=\"api\"} 1 | {job=\"db\"} 1");
  EXPECT_EQ(Instant("req{job=\"db\"} - ignoring(job) req{job=\"db\"}", kMin), "{instance=\"0\"} 0");
}

TEST_F(EngineDataTest, GroupLeftManyToOne) {
  EXPECT_EQ(Instant("req / on(job) group_left sum by (job) (req)", kMin),
            "{instance=\"0\", job=\"api\"} " + Num(10.0 / 30) +
                " | {instance=\"0\", job=\"db\"} 1 | "
                "{instance=\"1\", job=\"api\"} " +
                Num(20.0 / 30));
}

TEST_F(EngineTest, GroupLeftCopiesIncludeLabels) {
  Load({{"__name__", "m"}, {"job", "a"}, {"i", "1"}}, 0, kMin, {2});
  Load({{"__name__", "m"}, {"job", "a"}, {"i", "2"}}, 0, kMin, {4});
  Load({{"__name__", "info"}, {"job", "a"}, {"version", "v1"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("m * on(job) group_left(version) info", 0),
            "{i=\"1\", job=\"a\", version=\"v1\"} 2 | {i=\"2\", job=\"a\", version=\"v1\"} 4");
}

TEST_F(EngineTest, GroupRightOneToMany) {
  Load({{"__name__", "m"}, {"job", "a"}, {"i", "1"}}, 0, kMin, {2});
  Load({{"__name__", "m"}, {"job", "a"}, {"i", "2"}}, 0, kMin, {4});
  Load({{"__name__", "info"}, {"job", "a"}, {"version", "v1"}}, 0, kMin, {10});
  EXPECT_EQ(Instant("info - on(job) group_right(version) m", 0),
            "{i=\"1\", job=\"a\", version=\"v1\"} 8 | {i=\"2\", job=\"a\", version=\"v1\"} 6");
}

TEST_F(EngineDataTest, OneToOneWithDuplicatesOnLeftFails) {
  EXPECT_EQ(Instant("req * on(job) group_left sum by (job) (req)", kMin).substr(0, 6), "{insta");
  EXPECT_EQ(Instant("sum by (job) (req) * on(job) req", kMin),
            "error: found duplicate series for the match group {job=\"api\"} on the right "
            "hand-side of the operation: [{__name__=\"req\", instance=\"1\", job=\"api\"}, "
            "{__name__=\"req\", instance=\"0\", job=\"api\"}];many-to-many matching not allowed: "
            "matching labels must be unique on one side");
}

TEST_F(EngineTest, OneToOneMultipleMatchesOnLeftFails) {
  Load({{"__name__", "a"}, {"job", "x"}, {"i", "1"}}, 0, kMin, {1});
  Load({{"__name__", "a"}, {"job", "x"}, {"i", "2"}}, 0, kMin, {1});
  Load({{"__name__", "b"}, {"job", "x"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("a + on(job) b", 0),
            "error: multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
}

TEST_F(EngineTest, GroupLeftNeedsUniqueResult) {
  Load({{"__name__", "a"}, {"job", "x"}, {"i", "1"}}, 0, kMin, {1});
  Load({{"__name__", "a"}, {"job", "x"}, {"i", "2"}}, 0, kMin, {1});
  Load({{"__name__", "b"}, {"job", "x"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("a + on(job) group_left b", 0),
            "{i=\"1\", job=\"x\"} 2 | {i=\"2\", job=\"x\"} 2");
  EXPECT_EQ(Instant("a + ignoring(i) group_left b", 0),
            "{i=\"1\", job=\"x\"} 2 | {i=\"2\", job=\"x\"} 2");
  EXPECT_EQ(Instant("(a * 0) + ignoring(i, job) group_left (b{job=\"x\"} * 0 or a{i=\"1\"} * 0)", 0)
                .substr(0, 6),
            "error:");
}

TEST_F(EngineTest, ArithmeticProducingSameLabelsetFails) {
  Load({{"__name__", "a"}, {"job", "x"}}, 0, kMin, {1});
  Load({{"__name__", "b"}, {"job", "x"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("{job=\"x\"} * 2", 0),
            "error: vector cannot contain metrics with the same labelset");
  EXPECT_EQ(Instant("{job=\"x\"} > 0", 0), "a{job=\"x\"} 1 | b{job=\"x\"} 1");
  EXPECT_EQ(Instant("abs({job=\"x\"})", 0),
            "error: vector cannot contain metrics with the same labelset");
}

TEST_F(EngineDataTest, SetOperators) {
  EXPECT_EQ(Instant("req and req{job=\"db\"}", kMin), "req{instance=\"0\", job=\"db\"} 30");
  EXPECT_EQ(Instant("req unless req{job=\"db\"}", kMin),
            "req{instance=\"0\", job=\"api\"} 10 | req{instance=\"1\", job=\"api\"} 20");
  EXPECT_EQ(Instant("req{job=\"db\"} or sum by (job) (req)", kMin),
            "req{instance=\"0\", job=\"db\"} 30 | {job=\"api\"} 30 | {job=\"db\"} 30");
  EXPECT_EQ(Instant("req and on(job) sum by (job) (req{job=\"db\"})", kMin),
            "req{instance=\"0\", job=\"db\"} 30");
  EXPECT_EQ(Instant("req{job=\"db\"} or on(job) req", kMin),
            "req{instance=\"0\", job=\"api\"} 10 | req{instance=\"0\", job=\"db\"} 30 | "
            "req{instance=\"1\", job=\"api\"} 20");
  EXPECT_EQ(Instant("req{job=\"db\"} or on(job) req{instance=\"0\"}", kMin),
            "req{instance=\"0\", job=\"api\"} 10 | req{instance=\"0\", job=\"db\"} 30");
}

TEST_F(EngineDataTest, OrWithEmptySides) {
  EXPECT_EQ(Instant("nothing or req{job=\"db\"}", kMin), "req{instance=\"0\", job=\"db\"} 30");
  EXPECT_EQ(Instant("req{job=\"db\"} and nothing", kMin), "");
}

TEST_F(EngineTest, ModAndPowAndAtan2OnVectors) {
  Load({{"__name__", "g"}}, 0, kMin, {7});
  EXPECT_EQ(Instant("g % 3", 0), "{} 1");
  EXPECT_EQ(Instant("g ^ 2", 0), "{} 49");
  EXPECT_EQ(Instant("g atan2 0", 0), "{} " + Num(std::atan2(7, 0)));
}

// Functions on instant vectors.

TEST_F(EngineTest, MathFunctions) {
  Load({{"__name__", "g"}}, 0, kMin, {-2.5});
  EXPECT_EQ(Instant("abs(g)", 0), "{} 2.5");
  EXPECT_EQ(Instant("ceil(g)", 0), "{} -2");
  EXPECT_EQ(Instant("floor(g)", 0), "{} -3");
  EXPECT_EQ(Instant("round(g)", 0), "{} -2");
  EXPECT_EQ(Instant("round(g, 2)", 0), "{} -2");
  EXPECT_EQ(Instant("sgn(g)", 0), "{} -1");
  EXPECT_EQ(Instant("exp(g * 0)", 0), "{} 1");
  EXPECT_EQ(Instant("sqrt(-g * 0 + 64)", 0), "{} 8");
  EXPECT_EQ(Instant("ln(g)", 0), "{} NaN");
  EXPECT_EQ(Instant("log2(-g * 0 + 8)", 0), "{} 3");
  EXPECT_EQ(Instant("log10(-g * 0 + 1000)", 0), "{} 3");
}

TEST_F(EngineTest, RoundToNearest) {
  Load({{"__name__", "g"}}, 0, kMin, {12.34});
  EXPECT_EQ(Instant("round(g, 0.1)", 0), "{} 12.3");
  EXPECT_EQ(Instant("round(g, 5)", 0), "{} 10");
}

TEST_F(EngineTest, ClampFunctions) {
  Load({{"__name__", "g"}, {"i", "a"}}, 0, kMin, {-5});
  Load({{"__name__", "g"}, {"i", "b"}}, 0, kMin, {5});
  EXPECT_EQ(Instant("clamp(g, -1, 1)", 0), "{i=\"a\"} -1 | {i=\"b\"} 1");
  EXPECT_EQ(Instant("clamp(g, 1, -1)", 0), "");
  EXPECT_EQ(Instant("clamp_min(g, 0)", 0), "{i=\"a\"} 0 | {i=\"b\"} 5");
  EXPECT_EQ(Instant("clamp_max(g, 0)", 0), "{i=\"a\"} -5 | {i=\"b\"} 0");
}

TEST_F(EngineTest, TrigonometryAndConversions) {
  Load({{"__name__", "g"}}, 0, kMin, {0});
  EXPECT_EQ(Instant("cos(g)", 0), "{} 1");
  EXPECT_EQ(Instant("sin(g)", 0), "{} 0");
  EXPECT_EQ(Instant("deg(g + pi())", 0), "{} 180");
  EXPECT_EQ(Instant("rad(g + 180)", 0), "{} " + Num(M_PI));
  EXPECT_EQ(Instant("pi()", 0), "scalar " + Num(M_PI));
}

TEST_F(EngineTest, TimeAndVectorAndScalar) {
  EXPECT_EQ(Instant("time()", 90500), "scalar 90.5");
  EXPECT_EQ(Instant("vector(3)", 0), "{} 3");
  EXPECT_EQ(Instant("scalar(vector(3))", 0), "scalar 3");
  EXPECT_EQ(Instant("scalar(nothing)", 0), "scalar NaN");
}

TEST_F(EngineTest, TimestampReturnsSampleTime) {
  LoadSamples({{"__name__", "g"}, {"i", "a"}}, {{10500, 1}});
  EXPECT_EQ(Instant("timestamp(g)", 60000), "{i=\"a\"} 10.5");
  EXPECT_EQ(Instant("timestamp(g + 1)", 60000), "{i=\"a\"} 60");
}

TEST_F(EngineTest, DateFunctionsUseUtc) {
  // 2024-02-29T13:45:00Z is a Thursday.
  const int64_t t = 1709214300000;
  LoadSamples({{"__name__", "ts"}}, {{t, static_cast<double>(t / 1000)}});
  EXPECT_EQ(Instant("year(ts)", t), "{} 2024");
  EXPECT_EQ(Instant("month(ts)", t), "{} 2");
  EXPECT_EQ(Instant("day_of_month(ts)", t), "{} 29");
  EXPECT_EQ(Instant("day_of_week(ts)", t), "{} 4");
  EXPECT_EQ(Instant("day_of_year(ts)", t), "{} 60");
  EXPECT_EQ(Instant("days_in_month(ts)", t), "{} 29");
  EXPECT_EQ(Instant("hour(ts)", t), "{} 13");
  EXPECT_EQ(Instant("minute(ts)", t), "{} 45");
  EXPECT_EQ(Instant("hour()", t), "{} 13");
  EXPECT_EQ(Instant("year()", 0), "{} 1970");
}

TEST_F(EngineDataTest, SortFunctionsOrderByValueAndKeepName) {
  EXPECT_EQ(Instant("sort(req)", kMin, true),
            "req{instance=\"0\", job=\"api\"} 10 | req{instance=\"1\", job=\"api\"} 20 | "
            "req{instance=\"0\", job=\"db\"} 30");
  EXPECT_EQ(Instant("sort_desc(req)", kMin, true),
            "req{instance=\"0\", job=\"db\"} 30 | req{instance=\"1\", job=\"api\"} 20 | "
            "req{instance=\"0\", job=\"api\"} 10");
}

TEST_F(EngineTest, SortPutsNaNLast) {
  Load({{"__name__", "g"}, {"i", "a"}}, 0, kMin, {kNaN});
  Load({{"__name__", "g"}, {"i", "b"}}, 0, kMin, {2});
  Load({{"__name__", "g"}, {"i", "c"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("sort(g)", 0, true), "g{i=\"c\"} 1 | g{i=\"b\"} 2 | g{i=\"a\"} NaN");
  EXPECT_EQ(Instant("sort_desc(g)", 0, true), "g{i=\"b\"} 2 | g{i=\"c\"} 1 | g{i=\"a\"} NaN");
}

TEST_F(EngineTest, SortByLabelUsesNaturalOrder) {
  Load({{"__name__", "g"}, {"i", "10"}}, 0, kMin, {1});
  Load({{"__name__", "g"}, {"i", "9"}}, 0, kMin, {2});
  Load({{"__name__", "g"}, {"i", "a"}}, 0, kMin, {3});
  EXPECT_EQ(Instant("sort_by_label(g, \"i\")", 0, true),
            "g{i=\"9\"} 2 | g{i=\"10\"} 1 | g{i=\"a\"} 3");
  EXPECT_EQ(Instant("sort_by_label_desc(g, \"i\")", 0, true),
            "g{i=\"a\"} 3 | g{i=\"10\"} 1 | g{i=\"9\"} 2");
}

TEST_F(EngineTest, LabelReplace) {
  Load({{"__name__", "g"}, {"src", "host-42:9090"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("label_replace(g, \"dst\", \"$1-${2}x\", \"src\", \"host-(\\\\d+):(.*)\")", 0),
            "g{dst=\"42-9090x\", src=\"host-42:9090\"} 1");
  EXPECT_EQ(Instant("label_replace(g, \"dst\", \"$1\", \"src\", \"nomatch\")", 0),
            "g{src=\"host-42:9090\"} 1");
  EXPECT_EQ(Instant("label_replace(g, \"src\", \"\", \"src\", \".*\")", 0), "g 1");
  EXPECT_EQ(Instant("label_replace(g, \"dst\", \"$name\", \"src\", \"(?P<name>h[a-z]+).*\")", 0),
            "g{dst=\"host\", src=\"host-42:9090\"} 1");
  EXPECT_EQ(Instant("label_replace(g, \"dst\", \"$1x\", \"src\", \"(h).*\")", 0),
            "g{src=\"host-42:9090\"} 1");
  EXPECT_EQ(Instant("label_replace(g, \"dst\", \"$$1\", \"src\", \"(h).*\")", 0),
            "g{dst=\"$1\", src=\"host-42:9090\"} 1");
}

TEST_F(EngineTest, LabelReplaceErrors) {
  Load({{"__name__", "g"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("label_replace(g, \"dst\", \"\", \"src\", \"(\")", 0),
            "error: invalid regular expression in label_replace(): error parsing regexp: missing "
            "closing ): `^(?:()$`");
  EXPECT_EQ(Instant("label_replace(g, \"\", \"\", \"src\", \".*\")", 0),
            "error: invalid destination label name in label_replace(): ");
}

TEST_F(EngineTest, LabelReplaceCanCreateDuplicates) {
  Load({{"__name__", "g"}, {"a", "1"}}, 0, kMin, {1});
  Load({{"__name__", "g"}, {"a", "2"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("label_replace(g, \"a\", \"x\", \"a\", \".*\")", 0),
            "error: vector cannot contain metrics with the same labelset");
}

TEST_F(EngineTest, LabelJoin) {
  Load({{"__name__", "g"}, {"a", "x"}, {"b", "y"}}, 0, kMin, {1});
  EXPECT_EQ(Instant("label_join(g, \"d\", \"-\", \"a\", \"b\", \"missing\")", 0),
            "g{a=\"x\", b=\"y\", d=\"x-y-\"} 1");
  EXPECT_EQ(Instant("label_join(g, \"d\", \",\")", 0), "g{a=\"x\", b=\"y\"} 1");
  EXPECT_EQ(Instant("label_join(g, \"\", \",\", \"a\")", 0),
            "error: invalid destination label name in label_join(): ");
}

// histogram_quantile over classic buckets.

class HistogramTest : public EngineTest {
 protected:
  void Bucket(const std::string& le, double count, const std::string& job = "a") {
    Load({{"__name__", "h_bucket"}, {"job", job}, {"le", le}}, 0, kMin, {count});
  }
};

TEST_F(HistogramTest, InterpolatesInsideBucket) {
  Bucket("0.1", 10);
  Bucket("0.5", 20);
  Bucket("1", 40);
  Bucket("+Inf", 40);
  // rank 20 -> end of bucket 0.5; rank 30 -> halfway through (0.5, 1].
  EXPECT_EQ(Instant("histogram_quantile(0.5, h_bucket)", 0), "{job=\"a\"} 0.5");
  EXPECT_EQ(Instant("histogram_quantile(0.75, h_bucket)", 0), "{job=\"a\"} 0.75");
  // Lowest bucket starts at 0: rank 4 of 10 in (0, 0.1].
  EXPECT_EQ(Instant("histogram_quantile(0.1, h_bucket)", 0),
            "{job=\"a\"} " + Num(0.1 * (4.0 / 10)));
}

TEST_F(HistogramTest, EdgeQuantiles) {
  Bucket("1", 10);
  Bucket("2", 10);
  Bucket("+Inf", 20);
  EXPECT_EQ(Instant("histogram_quantile(0.99, h_bucket)", 0), "{job=\"a\"} 2");
  EXPECT_EQ(Instant("histogram_quantile(-1, h_bucket)", 0), "{job=\"a\"} -Inf");
  EXPECT_EQ(Instant("histogram_quantile(1.5, h_bucket)", 0), "{job=\"a\"} +Inf");
  EXPECT_EQ(Instant("histogram_quantile(NaN, h_bucket)", 0), "{job=\"a\"} NaN");
}

TEST_F(HistogramTest, NeedsInfBucket) {
  Bucket("1", 10);
  Bucket("2", 20);
  EXPECT_EQ(Instant("histogram_quantile(0.5, h_bucket)", 0), "{job=\"a\"} NaN");
}

TEST_F(HistogramTest, ZeroObservationsIsNaN) {
  Bucket("1", 0);
  Bucket("+Inf", 0);
  EXPECT_EQ(Instant("histogram_quantile(0.5, h_bucket)", 0), "{job=\"a\"} NaN");
}

TEST_F(HistogramTest, NegativeLowestBucketReturnsItsBound) {
  Bucket("-1", 10);
  Bucket("0", 20);
  Bucket("+Inf", 20);
  EXPECT_EQ(Instant("histogram_quantile(0.25, h_bucket)", 0), "{job=\"a\"} -1");
}

TEST_F(HistogramTest, FixesNonMonotonicBuckets) {
  Bucket("1", 10);
  Bucket("2", 8);  // treated as 10
  Bucket("3", 20);
  Bucket("+Inf", 20);
  // rank 15 is in (2, 3] with 10 observations there: 2 + 0.5.
  EXPECT_EQ(Instant("histogram_quantile(0.75, h_bucket)", 0), "{job=\"a\"} 2.5");
}

TEST_F(HistogramTest, GroupsByLabelsOtherThanLe) {
  Bucket("1", 10, "a");
  Bucket("+Inf", 10, "a");
  Bucket("1", 0, "b");
  Bucket("2", 10, "b");
  Bucket("+Inf", 10, "b");
  Load({{"__name__", "h_bucket"}, {"job", "c"}}, 0, kMin, {5});  // no le: ignored
  EXPECT_EQ(Instant("histogram_quantile(0.5, h_bucket)", 0), "{job=\"a\"} 0.5 | {job=\"b\"} 1.5");
}

TEST_F(HistogramTest, WorksOverRate) {
  Load({{"__name__", "h_bucket"}, {"le", "1"}}, 0, kMin, {0, 60, 120});
  Load({{"__name__", "h_bucket"}, {"le", "+Inf"}}, 0, kMin, {0, 120, 240});
  EXPECT_EQ(Instant("histogram_quantile(0.5, sum by (le) (rate(h_bucket[2m])))", 2 * kMin), "{} 1");
}

TEST_F(HistogramTest, NativeHistogramFunctionsIgnoreFloats) {
  Bucket("1", 10);
  EXPECT_EQ(Instant("histogram_count(h_bucket)", 0), "");
  EXPECT_EQ(Instant("histogram_sum(h_bucket)", 0), "");
  EXPECT_EQ(Instant("histogram_fraction(0, 1, h_bucket)", 0), "");
}

// Subqueries.

TEST_F(EngineDataTest, SubqueryEvaluatesAtAlignedSteps) {
  // Steps at 2m, 3m, 4m, 5m within (1m, 5m]: values 60 90 120 150.
  EXPECT_EQ(Instant("req{job=\"db\"}[4m:1m]", 5 * kMin),
            "req{instance=\"0\", job=\"db\"} 60@120,90@180,120@240,150@300");
  EXPECT_EQ(Instant("sum_over_time(req{job=\"db\"}[4m:1m])", 5 * kMin),
            "{instance=\"0\", job=\"db\"} 420");
}

TEST_F(EngineDataTest, SubqueryStepsAreAbsolutelyAligned) {
  // At 5m30s, (1m30s, 5m30s] with 2m steps holds 2m and 4m.
  EXPECT_EQ(Instant("req{job=\"db\"}[4m:2m]", 5 * kMin + 30000),
            "req{instance=\"0\", job=\"db\"} 60@120,120@240");
}

TEST_F(EngineDataTest, SubqueryDefaultStepIsEvaluationInterval) {
  options_.default_evaluation_interval_ms = 2 * kMin;
  EXPECT_EQ(Instant("count_over_time(req{job=\"db\"}[4m:])", 4 * kMin),
            "{instance=\"0\", job=\"db\"} 2");
}

TEST_F(EngineDataTest, SubqueryOfRate) {
  EXPECT_EQ(Instant("max_over_time(rate(req{job=\"db\"}[2m])[3m:1m])", 5 * kMin),
            "{instance=\"0\", job=\"db\"} 0.5");
}

TEST_F(EngineDataTest, SubqueryWithOffsetAndAt) {
  EXPECT_EQ(Instant("last_over_time(req{job=\"db\"}[2m:1m] offset 3m)", 5 * kMin),
            "req{instance=\"0\", job=\"db\"} 60");
  EXPECT_EQ(Instant("last_over_time(req{job=\"db\"}[2m:1m] @ 240)", 9 * kMin),
            "req{instance=\"0\", job=\"db\"} 120");
}

TEST_F(EngineDataTest, NestedSubquery) {
  EXPECT_EQ(Instant("max_over_time(sum_over_time(req{job=\"db\"}[2m:1m])[2m:1m])", 5 * kMin),
            "{instance=\"0\", job=\"db\"} 270");
}

TEST_F(EngineDataTest, SubqueryInRangeQuery) {
  EXPECT_EQ(Range("max_over_time(req{job=\"db\"}[2m:1m])", 3 * kMin, 5 * kMin, kMin),
            "{instance=\"0\", job=\"db\"} 90@180,120@240,150@300");
}

// Range queries.

TEST_F(EngineDataTest, RangeQueryReturnsMatrixSortedByLabels) {
  EXPECT_EQ(Range("req", 0, 2 * kMin, kMin),
            "req{instance=\"0\", job=\"api\"} 0@0,10@60,20@120 | "
            "req{instance=\"0\", job=\"db\"} 0@0,30@60,60@120 | "
            "req{instance=\"1\", job=\"api\"} 0@0,20@60,40@120");
}

TEST_F(EngineDataTest, RangeQueryOmitsStepsWithoutValue) {
  EXPECT_EQ(Range("req{job=\"db\"} > 40", 0, 2 * kMin, kMin),
            "req{instance=\"0\", job=\"db\"} 60@120");
  EXPECT_EQ(Range("req{job=\"db\"}", 14 * kMin, 16 * kMin, kMin),
            "req{instance=\"0\", job=\"db\"} 300@840");
  EXPECT_EQ(Range("nothing", 0, 2 * kMin, kMin), "");
}

TEST_F(EngineDataTest, RangeQueryOfScalarIsOneSeriesWithoutLabels) {
  EXPECT_EQ(Range("time()", 0, 2 * kMin, kMin), "{} 0@0,60@60,120@120");
  EXPECT_EQ(Range("scalar(req{job=\"db\"})", 0, kMin, kMin), "{} 0@0,30@60");
}

TEST_F(EngineDataTest, RangeQueryOfRate) {
  EXPECT_EQ(Range("rate(req{job=\"db\"}[2m])", 2 * kMin, 4 * kMin, kMin),
            "{instance=\"0\", job=\"db\"} 0.5@120,0.5@180,0.5@240");
}

TEST_F(EngineDataTest, RangeQueryStepNotMultipleOfData) {
  EXPECT_EQ(Range("req{job=\"db\"}", 30000, 150000, 45000),
            "req{instance=\"0\", job=\"db\"} 0@30,30@75,60@120");
}

TEST_F(EngineDataTest, RangeQueryRejectsRangeVector) {
  EXPECT_EQ(Range("req[5m]", 0, kMin, kMin),
            "error: invalid expression type \"range vector\" for range query, must be Scalar or "
            "instant Vector");
  EXPECT_EQ(Range("\"s\"", 0, kMin, kMin),
            "error: invalid expression type \"string\" for range query, must be Scalar or instant "
            "Vector");
}

TEST_F(EngineTest, RangeQueryValidatesStepAndBounds) {
  EXPECT_EQ(Range("1", 0, kMin, 0),
            "error: zero or negative query resolution step widths are not accepted. Try a positive "
            "integer");
  EXPECT_EQ(Range("1", kMin, 0, 1000), "error: end timestamp must not be before start time");
}

TEST_F(EngineTest, RangeQueryDetectsDuplicateLabelsetsPerStep) {
  Load({{"__name__", "a"}, {"job", "x"}}, 0, kMin, {1, 1});
  Load({{"__name__", "b"}, {"job", "x"}}, kMin, kMin, {1});
  EXPECT_EQ(Range("{job=\"x\"} + 1", 0, kMin, kMin),
            "error: vector cannot contain metrics with the same labelset");
}

// Errors and limits.

TEST_F(EngineTest, ParseErrorIsBadData) {
  absl::Status s = InstantStatus("foo{", 0);
  EXPECT_EQ(ErrorTypeOf(s), ErrorType::kBadData);
  EXPECT_EQ(ErrorTypeName(ErrorTypeOf(s)), "bad_data");
}

TEST_F(EngineDataTest, TooManySamplesIsExecutionError) {
  options_.max_samples = 5;
  absl::Status s = InstantStatus("sum_over_time(req[10m])", 10 * kMin);
  EXPECT_EQ(ErrorTypeOf(s), ErrorType::kExecution);
  EXPECT_EQ(std::string(s.message()), kTooManySamplesError);
  options_.max_samples = 1000;
  EXPECT_TRUE(InstantStatus("sum_over_time(req[10m])", 10 * kMin).ok());
}

TEST_F(EngineDataTest, TooManySamplesInRangeQueryResult) {
  options_.max_samples = 10;
  auto r = MakeEngine().RangeQuery("req", 0, 10 * kMin, kMin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()), kTooManySamplesError);
}

// Each clock read takes a second; the deadline is 2.5 s after the first read. The whole-grid
// path (a selector) reads the clock at load, in its kernel and at the end; the per-step path
// (topk has no whole-grid kernel) at load and at every step.
TEST_F(EngineDataTest, TimeoutIsReported) {
  ManualClock clock;
  clock.advance_per_call_ = 1000;
  options_.clock = &clock;
  options_.timeout_ms = 2500;
  for (const char* query : {"req", "topk(1, req)"}) {
    auto r = MakeEngine().RangeQuery(query, 0, 10 * kMin, 1000);
    ASSERT_FALSE(r.ok()) << query;
    EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kTimeout) << query;
  }
  EXPECT_EQ(ErrorTypeName(ErrorType::kTimeout), "timeout");
}

TEST_F(EngineTest, StorageErrorIsExecutionError) {
  class Failing final : public StorageReader {
   public:
    absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>&, int64_t,
                                                   int64_t) override {
      return absl::UnavailableError("disk on fire");
    }
    absl::StatusOr<std::vector<Labels>> Series(const std::vector<LabelMatcher>&, int64_t,
                                               int64_t) override {
      return absl::UnavailableError("x");
    }
    absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<LabelMatcher>&, int64_t,
                                                        int64_t) override {
      return absl::UnavailableError("x");
    }
    absl::StatusOr<std::vector<std::string>> LabelValues(const std::string&,
                                                         const std::vector<LabelMatcher>&, int64_t,
                                                         int64_t) override {
      return absl::UnavailableError("x");
    }
  } failing;
  Engine engine(failing);
  auto r = engine.InstantQuery("up", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorTypeOf(r.status()), ErrorType::kExecution);
  EXPECT_EQ(std::string(r.status().message()), "disk on fire");
}

TEST_F(EngineTest, DeeplyNestedQueryDoesNotCrash) {
  std::string q;
  for (int i = 0; i < 200; ++i) q += "abs(";
  q += "vector(1)";
  for (int i = 0; i < 200; ++i) q += ")";
  EXPECT_EQ(Instant(q, 0), "{} 1");
}

TEST_F(EngineTest, DoubleExponentialSmoothing) {
  Load({{"__name__", "g"}}, 0, kMin, {1, 2, 3, 4});
  // A perfect line is reproduced exactly.
  EXPECT_EQ(Instant("double_exponential_smoothing(g[5m], 0.5, 0.5)", 3 * kMin), "{} 4");
  EXPECT_EQ(Instant("double_exponential_smoothing(g[5m], 1.5, 0.5)", 3 * kMin).substr(0, 34),
            "error: invalid smoothing factor. E");
}

TEST_F(EngineDataTest, InstantQueryOfRangeSelectorReturnsMatrix) {
  auto r = MakeEngine().InstantQuery("req{job=\"db\"}[1m]", 5 * kMin);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(std::holds_alternative<Matrix>(r->value));
  EXPECT_EQ(Fmt(r->value), "req{instance=\"0\", job=\"db\"} 150@300");
}

}  // namespace
}  // namespace strata::collector::promql
