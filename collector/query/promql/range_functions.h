#pragma once

// Functions over range vectors: rate, increase, delta (with Prometheus' extrapolation to the
// window boundaries and counter-reset handling), irate, idelta, deriv and predict_linear (least
// squares; predict_linear's intercept is at the evaluation time), resets, changes,
// {avg,min,max,sum,count,quantile,stddev,stdvar,last,present,mad}_over_time and
// double_exponential_smoothing. Staleness markers are never in a range window.
//
// Every function drops __name__ except last_over_time. A series for which a function has no
// value (e.g. rate over fewer than two points) is left out of the result.

#include <cstdint>
#include <span>
#include <string_view>

#include "collector/query/promql/evaluator.h"
#include "collector/query/promql/value.h"

namespace strata::collector::promql {

// True for the functions this file implements.
bool IsRangeFunction(std::string_view name);

// The functions, in the order of the name table in range_functions.cc.
enum class RangeFn {
  kRate,
  kIrate,
  kIncrease,
  kDelta,
  kIdelta,
  kDeriv,
  kPredictLinear,
  kResets,
  kChanges,
  kAvgOverTime,
  kMinOverTime,
  kMaxOverTime,
  kSumOverTime,
  kCountOverTime,
  kQuantileOverTime,
  kStddevOverTime,
  kStdvarOverTime,
  kLastOverTime,
  kPresentOverTime,
  kMadOverTime,
  kDoubleExponentialSmoothing,
  kFirstOverTime,
};

// The window a range function looks at: points in (start_ms, end_ms], range_ms long.
struct RangeBounds {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t range_ms = 0;
  // Set by a caller that knows no value in the window is below its predecessor: rate and
  // increase then skip their counter-reset scan.
  bool no_counter_resets = false;
};

// Throws for a name IsRangeFunction() rejects.
RangeFn RangeFnByName(std::string_view name);
// last_over_time and first_over_time keep __name__; the others drop it.
bool RangeFnKeepsName(RangeFn fn);
// Throws Prometheus' error for invalid scalar arguments (double_exponential_smoothing's factors).
void CheckRangeFnScalars(RangeFn fn, std::span<const double> scalars);
// The function's value over one series' window `pts`; false when it has none (e.g. rate over
// fewer than two points).
bool RangeFnValue(RangeFn fn, const RangeBounds& bounds, std::span<const Point> pts,
                  std::span<const double> scalars, int64_t t_ms, double& v);

// `scalars` are the function's scalar arguments in order (quantile_over_time's phi,
// predict_linear's seconds, double_exponential_smoothing's factors); `t_ms` is the evaluation
// time.
Vector EvalRangeFunction(std::string_view name, const RangeArg& arg,
                         std::span<const double> scalars, int64_t t_ms);

}  // namespace strata::collector::promql
