#include "collector/query/promql/range_functions.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "collector/query/promql/eval_helpers.h"
#include "collector/query/promql/extrapolated_rate.h"

namespace strata::collector::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr std::array<std::string_view, 22> kRangeFunctions = {"rate",
                                                              "irate",
                                                              "increase",
                                                              "delta",
                                                              "idelta",
                                                              "deriv",
                                                              "predict_linear",
                                                              "resets",
                                                              "changes",
                                                              "avg_over_time",
                                                              "min_over_time",
                                                              "max_over_time",
                                                              "sum_over_time",
                                                              "count_over_time",
                                                              "quantile_over_time",
                                                              "stddev_over_time",
                                                              "stdvar_over_time",
                                                              "last_over_time",
                                                              "present_over_time",
                                                              "mad_over_time",
                                                              "double_exponential_smoothing",
                                                              "first_over_time"};

bool InstantDelta(std::span<const Point> pts, bool is_rate, double& result) {
  if (pts.size() < 2) return false;
  const Point& last = pts[pts.size() - 1];
  const Point& prev = pts[pts.size() - 2];
  if (is_rate && last.value < prev.value) {
    result = last.value;  // counter reset
  } else {
    result = last.value - prev.value;
  }
  const int64_t interval = last.timestamp_ms - prev.timestamp_ms;
  if (interval == 0) return false;
  if (is_rate) result /= static_cast<double>(interval) / 1000.0;
  return true;
}

// Least-squares fit of v over (t - intercept_t) in seconds, with compensated sums.
std::pair<double, double> LinearRegression(std::span<const Point> pts, int64_t intercept_t) {
  double n = 0, sum_x = 0, c_x = 0, sum_y = 0, c_y = 0, sum_xy = 0, c_xy = 0, sum_x2 = 0, c_x2 = 0;
  const double init_y = pts[0].value;
  bool const_y = true;
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point& p = pts[i];
    if (const_y && i > 0 && p.value != init_y) const_y = false;
    n += 1;
    const double x = static_cast<double>(p.timestamp_ms - intercept_t) / 1000.0;
    std::tie(sum_x, c_x) = KahanSumInc(x, sum_x, c_x);
    std::tie(sum_y, c_y) = KahanSumInc(p.value, sum_y, c_y);
    std::tie(sum_xy, c_xy) = KahanSumInc(x * p.value, sum_xy, c_xy);
    std::tie(sum_x2, c_x2) = KahanSumInc(x * x, sum_x2, c_x2);
  }
  if (const_y) {
    if (std::isinf(init_y)) return {kNaN, kNaN};
    return {0, init_y};
  }
  sum_x += c_x;
  sum_y += c_y;
  sum_xy += c_xy;
  sum_x2 += c_x2;
  const double cov_xy = sum_xy - sum_x * sum_y / n;
  const double var_x = sum_x2 - sum_x * sum_x / n;
  const double slope = cov_xy / var_x;
  const double intercept = sum_y / n - slope * sum_x / n;
  return {slope, intercept};
}

double AvgOverTime(std::span<const Point> pts) {
  double sum = pts[0].value, c = 0, mean = 0, count = 1;
  bool incremental = false;
  for (size_t i = 1; i < pts.size(); ++i) {
    const double f = pts[i].value;
    count += 1;
    if (!incremental) {
      auto [ns, nc] = KahanSumInc(f, sum, c);
      if (!std::isinf(ns)) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    if (std::isinf(mean)) {
      if (std::isinf(f) && (mean > 0) == (f > 0)) continue;
      if (!std::isinf(f) && !std::isnan(f)) continue;
    }
    const double current = mean + c;
    std::tie(mean, c) = KahanSumInc(f / count - current / count, mean, c);
  }
  if (incremental) return mean + c;
  return (sum + c) / count;
}

double Variance(std::span<const Point> pts) {
  double count = 0, mean = 0, c_mean = 0, aux = 0, c_aux = 0;
  for (const Point& p : pts) {
    count += 1;
    const double delta = p.value - (mean + c_mean);
    std::tie(mean, c_mean) = KahanSumInc(delta / count, mean, c_mean);
    std::tie(aux, c_aux) = KahanSumInc(delta * (p.value - (mean + c_mean)), aux, c_aux);
  }
  return (aux + c_aux) / count;
}

// Holt's linear trend ("double exponential smoothing"); needs two points and factors in (0, 1).
bool DoubleExponentialSmoothing(std::span<const Point> pts, double sf, double tf, double& result) {
  if (pts.size() < 2) return false;
  double s0 = pts[0].value;
  double b = pts[1].value - pts[0].value;
  double s1 = s0;
  for (size_t i = 1; i < pts.size(); ++i) {
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    s0 = s1;
    s1 = sf * pts[i].value + (1 - sf) * (s0 + b);
    // The trend for the next step uses the new smoothed value.
  }
  result = s1;
  return true;
}

}  // namespace

bool IsRangeFunction(std::string_view name) {
  return std::find(kRangeFunctions.begin(), kRangeFunctions.end(), name) != kRangeFunctions.end();
}

RangeFn RangeFnByName(std::string_view name) {
  auto it = std::find(kRangeFunctions.begin(), kRangeFunctions.end(), name);
  if (it == kRangeFunctions.end()) {
    ThrowExecution("function \"" + std::string(name) + "\" is not supported");
  }
  return static_cast<RangeFn>(it - kRangeFunctions.begin());
}

bool RangeFnKeepsName(RangeFn fn) {
  return fn == RangeFn::kLastOverTime || fn == RangeFn::kFirstOverTime;
}

void CheckRangeFnScalars(RangeFn fn, std::span<const double> scalars) {
  if (fn != RangeFn::kDoubleExponentialSmoothing) return;
  const double sf = scalars.size() > 0 ? scalars[0] : kNaN;
  const double tf = scalars.size() > 1 ? scalars[1] : kNaN;
  if (!(sf > 0 && sf < 1)) {
    ThrowExecution("invalid smoothing factor. Expected: 0 < sf < 1, got: " + FormatFloatPlain(sf));
  }
  if (!(tf > 0 && tf < 1)) {
    ThrowExecution("invalid trend factor. Expected: 0 < tf < 1, got: " + FormatFloatPlain(tf));
  }
}

bool RangeFnValue(RangeFn fn, const RangeBounds& bounds, std::span<const Point> pts,
                  std::span<const double> scalars, int64_t t_ms, double& v) {
  if (pts.empty()) return false;
  v = 0;
  switch (fn) {
    case RangeFn::kRate:
    case RangeFn::kIncrease:
    case RangeFn::kDelta:
      return ExtrapolatedRate(bounds, pts, fn != RangeFn::kDelta, fn == RangeFn::kRate, v);
    case RangeFn::kIrate:
    case RangeFn::kIdelta:
      return InstantDelta(pts, fn == RangeFn::kIrate, v);
    case RangeFn::kDeriv:
      if (pts.size() < 2) return false;
      v = LinearRegression(pts, pts[0].timestamp_ms).first;
      return true;
    case RangeFn::kPredictLinear: {
      if (pts.size() < 2) return false;
      auto [slope, intercept] = LinearRegression(pts, t_ms);
      v = slope * scalars[0] + intercept;
      return true;
    }
    case RangeFn::kResets:
      for (size_t i = 1; i < pts.size(); ++i) v += pts[i].value < pts[i - 1].value ? 1 : 0;
      return true;
    case RangeFn::kChanges:
      for (size_t i = 1; i < pts.size(); ++i) {
        const double a = pts[i - 1].value, b = pts[i].value;
        if (a != b && !(std::isnan(a) && std::isnan(b))) v += 1;
      }
      return true;
    case RangeFn::kAvgOverTime:
      v = AvgOverTime(pts);
      return true;
    case RangeFn::kMinOverTime:
      v = pts[0].value;
      for (const Point& p : pts) {
        if (p.value < v || std::isnan(v)) v = p.value;
      }
      return true;
    case RangeFn::kMaxOverTime:
      v = pts[0].value;
      for (const Point& p : pts) {
        if (p.value > v || std::isnan(v)) v = p.value;
      }
      return true;
    case RangeFn::kSumOverTime: {
      double c = 0;
      for (const Point& p : pts) std::tie(v, c) = KahanSumInc(p.value, v, c);
      v += c;
      return true;
    }
    case RangeFn::kCountOverTime:
      v = static_cast<double>(pts.size());
      return true;
    case RangeFn::kQuantileOverTime: {
      std::vector<double> values;
      values.reserve(pts.size());
      for (const Point& p : pts) values.push_back(p.value);
      v = Quantile(scalars[0], values);
      return true;
    }
    case RangeFn::kStddevOverTime:
      v = std::sqrt(Variance(pts));
      return true;
    case RangeFn::kStdvarOverTime:
      v = Variance(pts);
      return true;
    case RangeFn::kLastOverTime:
      v = pts.back().value;
      return true;
    case RangeFn::kFirstOverTime:
      v = pts.front().value;
      return true;
    case RangeFn::kPresentOverTime:
      v = 1;
      return true;
    case RangeFn::kMadOverTime: {
      std::vector<double> values;
      values.reserve(pts.size());
      for (const Point& p : pts) values.push_back(p.value);
      const double median = Quantile(0.5, values);
      for (double& x : values) x = std::fabs(x - median);
      v = Quantile(0.5, values);
      return true;
    }
    case RangeFn::kDoubleExponentialSmoothing:
      return DoubleExponentialSmoothing(pts, scalars[0], scalars[1], v);
  }
  return false;
}

Vector EvalRangeFunction(std::string_view name, const RangeArg& arg,
                         std::span<const double> scalars, int64_t t_ms) {
  const RangeFn fn = RangeFnByName(name);
  CheckRangeFnScalars(fn, scalars);
  const RangeBounds bounds{arg.range_start_ms, arg.range_end_ms, arg.range_ms};
  const bool keep_name = RangeFnKeepsName(fn);
  Vector out;
  out.reserve(arg.series.size());
  for (const RangeWindow& w : arg.series) {
    double v = 0;
    if (!RangeFnValue(fn, bounds, w.points, scalars, t_ms, v)) continue;
    out.push_back({keep_name ? *w.metric : DropMetricName(*w.metric), v, t_ms});
  }
  return out;
}

}  // namespace strata::collector::promql
