// The whole-grid step evaluator against the per-step evaluator: the same range queries over the
// same data must give the same series, timestamps and values (bit for bit, or within 1e-12
// relative where only the order of a floating-point sum differs) and the same errors.

#include "collector/query/promql/step_evaluator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "collector/query/promql/engine.h"
#include "collector/query/promql/evaluator.h"
#include "collector/query/promql/parser.h"
#include "collector/storage/memory/memory_store.h"
#include "common/model/sample.h"

namespace strata::collector::promql {
namespace {

using common::Labels;

constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

bool SameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
}

class StepEvaluatorTest : public ::testing::Test {
 protected:
  StepEvaluatorTest() : store_(MemoryStoreOptions{.out_of_order_window_ms = INT64_MAX / 4}) {}

  void SetUp() override {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int64_t> jitter(-2000, 2000);
    std::uniform_real_distribution<double> unit(0, 1);
    // Counters with resets and a gap, gauges, a histogram, a series with NaN and Inf, a series
    // that goes stale, and two metrics whose labels collide once __name__ is dropped.
    for (const char* inst : {"a", "b", "c"}) {
      for (const char* mode : {"idle", "user", "system"}) {
        Labels labels({{"__name__", "cpu_seconds_total"}, {"instance", inst}, {"mode", mode}});
        std::vector<common::Sample> samples;
        double v = 0;
        for (int64_t t = 0; t < 60 * kMin; t += 15 * kSec) {
          if (t > 20 * kMin && t < 26 * kMin && std::string(inst) == "b") continue;  // a gap
          v += unit(rng) * 10;
          if (t == 40 * kMin && std::string(mode) == "user") v = 1;  // a counter reset
          samples.push_back({t + jitter(rng), v});
        }
        Append(labels, samples);
      }
      Labels mem({{"__name__", "mem_avail"}, {"instance", inst}});
      Labels total({{"__name__", "mem_total"}, {"instance", inst}});
      std::vector<common::Sample> avail, tot;
      double g = 500;
      for (int64_t t = 0; t < 60 * kMin; t += 15 * kSec) {
        g += (unit(rng) - 0.5) * 40;
        avail.push_back({t + jitter(rng), g});
        tot.push_back({t + jitter(rng), 1000});
      }
      Append(mem, avail);
      Append(total, tot);
      for (const char* le : {"0.1", "0.5", "1", "+Inf"}) {
        Labels bucket({{"__name__", "lat_bucket"}, {"instance", inst}, {"le", le}});
        std::vector<common::Sample> samples;
        double c = 0;
        const double share = std::string(le) == "0.1" ? 0.2 : std::string(le) == "0.5" ? 0.6 : 1;
        for (int64_t t = 0; t < 60 * kMin; t += 15 * kSec) {
          c += share * 100 * unit(rng) + (std::string(le) == "+Inf" ? 5 : 0);
          samples.push_back({t + jitter(rng), std::floor(c)});
        }
        Append(bucket, samples);
      }
    }
    std::vector<common::Sample> odd;
    for (int64_t t = 0; t < 60 * kMin; t += 15 * kSec) {
      const int64_t k = t / (15 * kSec);
      const double v = k % 17 == 0   ? std::numeric_limits<double>::quiet_NaN()
                       : k % 23 == 0 ? std::numeric_limits<double>::infinity()
                                     : static_cast<double>(k % 5);
      odd.push_back({t + 1234, v});
    }
    Append(Labels({{"__name__", "odd"}, {"instance", "a"}}), odd);
    // A counter that resets every 7 samples, some resets to a value above zero.
    std::vector<common::Sample> saw;
    for (int64_t t = 0, k = 0; t < 60 * kMin; t += 15 * kSec, ++k) {
      saw.push_back({t + 700, static_cast<double>((k % 7) * 10 + (k % 3 == 0 ? 0 : 5))});
    }
    Append(Labels({{"__name__", "saw_total"}, {"instance", "a"}}), saw);
    std::vector<common::Sample> stale;
    for (int64_t t = 0; t < 30 * kMin; t += 15 * kSec) stale.push_back({t + 500, 7});
    stale.push_back({30 * kMin + 500, common::StaleNaN()});
    Append(Labels({{"__name__", "goes_stale"}, {"instance", "a"}}), stale);
    // x and y have the same labels without __name__ and overlap only from 20m to 30m.
    std::vector<common::Sample> xs, ys;
    for (int64_t t = 0; t < 30 * kMin; t += 15 * kSec) xs.push_back({t + 100, t / 1000.0});
    for (int64_t t = 20 * kMin; t < 60 * kMin; t += 15 * kSec) ys.push_back({t + 100, t / 500.0});
    Append(Labels({{"__name__", "x"}, {"instance", "a"}}), xs);
    Append(Labels({{"__name__", "y"}, {"instance", "a"}}), ys);
  }

  void Append(const Labels& labels, const std::vector<common::Sample>& samples) {
    ASSERT_TRUE(store_.Append(labels, samples).ok());
  }

  // `readers`: 0 reads in place, 1 with the prefetcher, more with that many parallel readers.
  absl::StatusOr<QueryResult> Run(const std::string& q, bool step_evaluation, int64_t start,
                                  int64_t end, int64_t step, int readers = 2) {
    EngineOptions options;
    options.step_evaluation = step_evaluation;
    options.read_ahead = readers > 0;
    options.read_threads = readers > 0 ? readers : 1;
    return Engine(store_, options).RangeQuery(q, start, end, step);
  }

  // Runs `q` with the step evaluator reading in place, with the prefetcher and with 2 and 3
  // parallel readers, and compares each with the per-step evaluator.
  void Compare(const std::string& q, int64_t start = 0, int64_t end = 60 * kMin,
               int64_t step = 30 * kSec) {
    for (int readers : {2, 0, 1, 3}) Compare(q, start, end, step, readers);
  }
  void Compare(const std::string& q, int64_t start, int64_t end, int64_t step, int readers) {
    SCOPED_TRACE(q + " (readers: " + std::to_string(readers) + ")");
    const bool read_ahead = readers == 2;  // counts each query once
    auto fast = Run(q, true, start, end, step, readers);
    auto slow = Run(q, false, start, end, step);
    ASSERT_EQ(fast.ok(), slow.ok()) << (fast.ok() ? slow.status() : fast.status());
    if (read_ahead) ++compared_;  // counted once per query
    if (!fast.ok()) {
      EXPECT_EQ(fast.status(), slow.status());
      if (read_ahead) ++errors_;
      return;
    }
    const Matrix& a = std::get<Matrix>(fast->value);
    const Matrix& b = std::get<Matrix>(slow->value);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].metric, b[i].metric) << a[i].metric.ToString();
      ASSERT_EQ(a[i].points.size(), b[i].points.size()) << a[i].metric.ToString();
      for (size_t j = 0; j < a[i].points.size(); ++j) {
        ASSERT_EQ(a[i].points[j].timestamp_ms, b[i].points[j].timestamp_ms)
            << a[i].metric.ToString();
        ASSERT_TRUE(SameValue(a[i].points[j].value, b[i].points[j].value))
            << a[i].metric.ToString() << " at " << a[i].points[j].timestamp_ms << ": "
            << a[i].points[j].value << " vs " << b[i].points[j].value;
      }
    }
    if (!a.empty() && read_ahead) ++non_empty_;
  }

  // Whether the step evaluator computes the whole of `q` (rather than leaving its root to the
  // per-step evaluator).
  bool WholeGrid(const std::string& q) {
    auto root = ParseExpr(q);
    EXPECT_TRUE(root.ok()) << q;
    EngineOptions options;
    const common::SystemClock clock;
    const int64_t start = 0, end = 60 * kMin, step = 30 * kSec;
    Evaluator ev(store_, options, clock, clock.MonotonicMs() + 60 * kSec, start, end, step);
    ev.Prepare(**root, start, end);
    const StepGrid grid{start, step, static_cast<size_t>((end - start) / step + 1)};
    ev.SetStepGrid(grid);
    return StepEvaluator(ev, grid).Precompute(**root);
  }

  MemoryStore store_;
  int compared_ = 0;
  int errors_ = 0;
  int non_empty_ = 0;
};

TEST_F(StepEvaluatorTest, SelectorsAndModifiers) {
  for (const char* q :
       {"cpu_seconds_total", "cpu_seconds_total{mode!=\"idle\"}", "goes_stale", "odd",
        "cpu_seconds_total offset 5m", "cpu_seconds_total offset -3m", "mem_avail @ 1200",
        "mem_avail @ start()", "mem_avail @ end() offset 10m", "(cpu_seconds_total)", "nonexistent",
        "1", "time()", "-time() + 3 * 2", "+mem_avail", "-mem_avail", "-(cpu_seconds_total)"}) {
    Compare(q);
  }
  EXPECT_EQ(compared_, 17);
  EXPECT_GE(non_empty_, 15);
}

TEST_F(StepEvaluatorTest, RangeFunctions) {
  for (const char* q : {"rate(cpu_seconds_total[5m])",
                        "irate(cpu_seconds_total[1m])",
                        "increase(cpu_seconds_total[5m] offset 1m)",
                        "delta(mem_avail[2m])",
                        "idelta(mem_avail[2m])",
                        "deriv(mem_avail[10m])",
                        "predict_linear(mem_avail[10m], 600)",
                        "predict_linear(mem_avail[10m], time() / 1e6)",
                        "resets(cpu_seconds_total[20m])",
                        "changes(odd[5m])",
                        "avg_over_time(odd[5m])",
                        "min_over_time(odd[3m])",
                        "max_over_time(odd[3m])",
                        "sum_over_time(mem_avail[5m])",
                        "count_over_time(goes_stale[5m])",
                        "quantile_over_time(0.9, mem_avail[10m])",
                        "stddev_over_time(mem_avail[10m])",
                        "stdvar_over_time(odd[10m])",
                        "last_over_time(mem_avail[1m])",
                        "first_over_time(mem_avail[1m])",
                        "present_over_time(goes_stale[2m])",
                        "mad_over_time(mem_avail[10m])",
                        "rate(cpu_seconds_total[5m] @ 1800)",
                        "rate(cpu_seconds_total[45s])",
                        "rate(odd[5m])",
                        "increase(odd[2m])",
                        "double_exponential_smoothing(mem_avail[10m], 0.5, 0.5)",
                        "double_exponential_smoothing(mem_avail[10m], 2, 0.5)"}) {
    Compare(q);
  }
  EXPECT_EQ(compared_, 28);
}

TEST_F(StepEvaluatorTest, Aggregations) {
  for (const char* q : {"sum(rate(cpu_seconds_total[5m]))",
                        "sum by (instance) (rate(cpu_seconds_total[5m]))",
                        "sum without (mode) (rate(cpu_seconds_total{mode!=\"idle\"}[5m]))",
                        "avg by (mode) (rate(cpu_seconds_total[5m]))",
                        "min by (instance) (mem_avail)",
                        "max(mem_avail)",
                        "count(cpu_seconds_total)",
                        "group by (mode) (cpu_seconds_total)",
                        "stddev by (mode) (rate(cpu_seconds_total[5m]))",
                        "stdvar(mem_avail)",
                        "sum(odd)",
                        "avg(odd)",
                        "min(odd)",
                        "max(odd)",
                        "sum(sum by (instance, mode) (cpu_seconds_total))",
                        "count(count by (mode) (cpu_seconds_total))",
                        "topk(2, mem_avail)",
                        "bottomk(1, sum by (instance) (rate(cpu_seconds_total[5m])))",
                        "topk(1, sum by (mode) (rate(cpu_seconds_total[5m])))",
                        "quantile(0.5, mem_avail)",
                        "count_values(\"v\", odd)",
                        "sum by (le) (rate(lat_bucket[5m]))",
                        "histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))",
                        "histogram_quantile(0.5, rate(lat_bucket[5m]))",
                        "sum(rate({__name__=~\"x|y\"}[5m]))",
                        "sum by (instance) (quantile_over_time(0.5, mem_avail[10m]))",
                        "avg(((mem_avail)))",
                        "max by (instance) (rate(cpu_seconds_total[5m] offset 2m))",
                        "count({__name__=~\"x|y\"})"}) {
    Compare(q);
  }
  EXPECT_EQ(compared_, 29);
}

TEST_F(StepEvaluatorTest, RateWindowsAroundCounterResets) {
  for (const char* q : {"rate(saw_total[30s])", "rate(saw_total[1m])", "increase(saw_total[2m])",
                        "rate(saw_total[5m])", "delta(saw_total[1m])", "increase(saw_total[1h])",
                        "rate(saw_total[1m] @ 600)", "rate(saw_total[45s] offset 10s)"}) {
    Compare(q);
    Compare(q, 0, 60 * kMin, 15 * kSec);
    Compare(q, 5 * kSec, 60 * kMin, 7 * kSec);
  }
  EXPECT_EQ(compared_, 24);
  EXPECT_EQ(non_empty_, 24);
}

TEST_F(StepEvaluatorTest, Selections) {
  for (const char* q : {"topk(2, mem_avail)",
                        "bottomk(2, mem_avail)",
                        "limitk(2, mem_avail)",
                        "topk(3, cpu_seconds_total)",
                        "topk by (mode) (1, cpu_seconds_total)",
                        "bottomk without (instance) (2, cpu_seconds_total)",
                        "limitk by (instance) (2, cpu_seconds_total)",
                        "topk(2, odd)",  // NaN ranks last; ties keep input order
                        "bottomk(1, odd)",
                        "topk(1, count by (instance) (cpu_seconds_total))",  // all tie
                        "bottomk(2, count by (instance, mode) (cpu_seconds_total))",
                        "topk(5, sum by (instance) (rate(cpu_seconds_total[5m])))",
                        "topk(1, sum by (mode) (rate(cpu_seconds_total[5m])))",
                        "topk(0, mem_avail)",
                        "topk(-1, mem_avail)",
                        "topk(1e300, mem_avail)",
                        "topk(2.9, mem_avail)",
                        "topk(1, topk(2, mem_avail))",
                        "bottomk(1, topk(3, cpu_seconds_total))",
                        "sum(topk(2, mem_avail))",
                        "topk(2, mem_avail) * 2",
                        "topk(2, {__name__=~\"x|y\"})",
                        "topk(scalar(count(mem_avail)) - 2, mem_avail)",
                        "topk(2, rate({__name__=~\"x|y\"}[5m]))",
                        "topk(NaN, mem_avail)"}) {
    Compare(q);
  }
  EXPECT_EQ(compared_, 25);
  EXPECT_EQ(errors_, 2);  // k = NaN, and rate() of x and y colliding
}

TEST_F(StepEvaluatorTest, BinaryOperators) {
  for (const char* q :
       {"100 * (1 - mem_avail / mem_total)",
        "mem_avail / ignoring(instance) mem_total",
        "mem_avail / on(instance) mem_total",
        "mem_avail > 500",
        "mem_avail > bool 500",
        "500 < mem_avail",
        "500 < bool mem_avail",
        "mem_avail == mem_avail",
        "mem_avail > on(instance) mem_total / 2",
        "mem_avail >= bool ignoring(x) mem_total * 0.5",
        "cpu_seconds_total / on(instance) group_left mem_total",
        "cpu_seconds_total / on(instance) group_left(__name__) mem_total",
        "mem_total * on(instance) group_right cpu_seconds_total",
        "cpu_seconds_total / on(instance) mem_total",  // many-to-one without group_left
        "cpu_seconds_total + on(instance) group_left cpu_seconds_total",  // many-to-many
        "sum by (instance) (rate(cpu_seconds_total[5m])) / on(instance) mem_total",
        "rate(cpu_seconds_total[5m]) + rate(cpu_seconds_total[5m] offset 1m)",
        "mem_avail and mem_total",
        "mem_avail or cpu_seconds_total",
        "mem_avail unless goes_stale",
        "1 + 2 * time()",
        "odd ^ 2",
        "2 ^ odd",
        "odd % 3",
        "odd atan2 mem_avail",
        "rate({__name__=~\"x|y\"}[5m])",  // collide after dropping __name__ between 20m and 30m
        "-{__name__=~\"x|y\"}",
        "{__name__=~\"x|y\"} * 2",
        "{__name__=~\"x|y\"} > 1",
        "{__name__=~\"x|y\"} > bool 1",
        "x + y",
        "x + on(instance) y"}) {
    Compare(q);
  }
  EXPECT_EQ(compared_, 32);
}

TEST_F(StepEvaluatorTest, FunctionsOverComputedSubtrees) {
  for (const char* q :
       {"abs(-mem_avail)", "clamp(rate(cpu_seconds_total[5m]), 0.1, 0.2)", "round(mem_avail, 10)",
        "label_replace(sum by (instance) (mem_avail), \"i\", \"$1\", "
        "\"instance\", \"(.*)\")",
        "timestamp(mem_avail)", "timestamp(rate(cpu_seconds_total[5m]))", "absent(nonexistent)",
        "absent(mem_avail)", "scalar(sum(mem_avail))", "vector(time())",
        "sum(mem_avail) * scalar(count(mem_avail))",
        "max_over_time(rate(cpu_seconds_total[1m])[5m:1m])", "sort(mem_avail)",
        "absent_over_time(mem_avail[1m])", "hour(mem_avail)"}) {
    Compare(q);
  }
  EXPECT_EQ(compared_, 15);
}

TEST_F(StepEvaluatorTest, ErrorsAreThePerStepEvaluatorsAtTheSameStep) {
  Compare("double_exponential_smoothing(mem_avail[10m], 2, 0.5)");
  Compare("cpu_seconds_total / on(instance) mem_total");
  Compare("cpu_seconds_total + on(instance) group_left cpu_seconds_total");
  Compare("rate({__name__=~\"x|y\"}[5m])");
  Compare("-{__name__=~\"x|y\"}");
  Compare("{__name__=~\"x|y\"} + on(instance) mem_total");  // x and y overlap from 20m to 30m
  Compare("sum(rate({__name__=~\"x|y\"}[5m]))");            // a fused aggregation ends its stream
  EXPECT_EQ(errors_, 7);
}

TEST_F(StepEvaluatorTest, DashboardQueriesRunWholeGrid) {
  for (const char* q :
       {"sum by (instance) (rate(cpu_seconds_total{mode!=\"idle\"}[5m]))",
        "100 * (1 - mem_avail / mem_total)", "max by (instance) (mem_avail)",
        "avg by (mode) (rate(cpu_seconds_total[5m]))",
        "sum by (instance) (rate(cpu_seconds_total[5m]) + rate(cpu_seconds_total[5m]))",
        "mem_avail > bool 500", "-time()", "predict_linear(mem_avail[10m], 600)",
        "sum by (instance) (quantile_over_time(0.5, mem_avail[10m]))", "topk(2, mem_avail)",
        "topk(5, sum by (instance) (rate(cpu_seconds_total[5m])))"}) {
    EXPECT_TRUE(WholeGrid(q)) << q;
  }
  // Left (at the root) to the per-step evaluator: no kernel, or a possible per-step error.
  for (const char* q :
       {"histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))", "timestamp(mem_avail)",
        "mem_avail or cpu_seconds_total", "rate({__name__=~\"x|y\"}[5m])",
        "sum(rate({__name__=~\"x|y\"}[5m]))", "max_over_time(mem_avail[5m:1m])"}) {
    EXPECT_FALSE(WholeGrid(q)) << q;
  }
}

TEST_F(StepEvaluatorTest, GridShapes) {
  Compare("sum by (instance) (rate(cpu_seconds_total[5m]))", 0, 0, 15 * kSec);
  Compare("sum by (instance) (rate(cpu_seconds_total[5m]))", 10 * kMin + 7, 50 * kMin, 7 * kSec);
  Compare("mem_avail", 59 * kMin, 61 * kMin, 1 * kSec);
  Compare("rate(cpu_seconds_total[5m])", -10 * kMin, 5 * kMin, kMin);
  EXPECT_EQ(compared_, 4);
}

}  // namespace
}  // namespace strata::collector::promql
