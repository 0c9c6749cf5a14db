#pragma once

// rate, increase and delta over one window: the difference between its first and last points,
// corrected for counter resets (is_counter), extrapolated towards the window's ends as
// Prometheus does (by up to half the average sample interval, and for counters not below zero),
// and for rate divided by the range in seconds. False for fewer than two points.
//
// Inline because a range query evaluates it once per step and series (millions of times for a
// day of a few thousand series): the step evaluator's loop over rate windows inlines it.

#include <span>

#include "collector/query/promql/range_functions.h"
#include "collector/query/promql/value.h"

namespace strata::collector::promql {

// The parts of the result before its one division: the value is delta * (num / den). A caller
// evaluating many windows computes the parts first and divides afterwards in a separate pass,
// which keeps the division's latency out of the window walk; the value is the same bit for bit.
struct ExtrapolatedParts {
  double delta = 0;
  double num = 0;
  double den = 1;
};

inline double ExtrapolatedValue(const ExtrapolatedParts& p) { return p.delta * (p.num / p.den); }

// One window of a rate, increase or delta, as its parts: [start_ms, end_ms] the window, range_s
// its length in seconds (double(range_ms) / 1000, which a caller walking many windows of one
// range computes once: a division per window would sit in the walk's dependency chain), `resets`
// whether the counter-reset scan is needed. False for fewer than two points (then `parts` is
// left alone).
inline bool ExtrapolatedRateWindow(int64_t start_ms, int64_t end_ms, double range_s,
                                   std::span<const Point> pts, bool is_counter, bool is_rate,
                                   bool resets, ExtrapolatedParts& parts) {
  if (pts.size() < 2) return false;
  double result = pts.back().value - pts.front().value;
  if (is_counter && resets) {
    double last = 0;
    for (const Point& p : pts) {
      if (p.value < last) result += last;
      last = p.value;
    }
  }
  // Prometheus' arithmetic, in milliseconds and with the divisions folded into one: the
  // durations are exact integers, and the same extrapolation decisions follow (up to rounding at
  // an exact tie with the 1.1 threshold). The reads are per step of a range query, so the five
  // divisions a literal transcription costs dominate the whole function.
  const double n1 = static_cast<double>(pts.size() - 1);
  const double sampled = static_cast<double>(pts.back().timestamp_ms - pts.front().timestamp_ms);
  double to_start = static_cast<double>(pts.front().timestamp_ms - start_ms);
  double to_end = static_cast<double>(end_ms - pts.back().timestamp_ms);
  // "duration >= 1.1 x the average interval", multiplied through by n - 1.
  const double threshold = sampled * 1.1;
  if (to_start * n1 >= threshold) to_start = sampled / n1 / 2;
  if (is_counter && result > 0 && pts.front().value >= 0) {
    // A counter cannot go below zero: do not extrapolate past the point where it would be 0
    // (at sampled * first / result before the first point).
    const double first = pts.front().value;
    if (sampled * first < to_start * result) to_start = sampled * (first / result);
  }
  if (to_end * n1 >= threshold) to_end = sampled / n1 / 2;
  parts.delta = result;
  parts.num = sampled + to_start + to_end;
  parts.den = is_rate ? sampled * range_s : sampled;
  return true;
}

// False for fewer than two points (then `parts` is left alone).
inline bool ExtrapolatedRateParts(const RangeBounds& arg, std::span<const Point> pts,
                                  bool is_counter, bool is_rate, ExtrapolatedParts& parts) {
  return ExtrapolatedRateWindow(arg.start_ms, arg.end_ms,
                                static_cast<double>(arg.range_ms) / 1000.0, pts, is_counter,
                                is_rate, !arg.no_counter_resets, parts);
}

inline bool ExtrapolatedRate(const RangeBounds& arg, std::span<const Point> pts, bool is_counter,
                             bool is_rate, double& result) {
  ExtrapolatedParts parts;
  if (!ExtrapolatedRateParts(arg, pts, is_counter, is_rate, parts)) return false;
  result = ExtrapolatedValue(parts);
  return true;
}

}  // namespace strata::collector::promql
