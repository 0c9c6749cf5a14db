#pragma once

// histogram_quantile over classic histograms: series with an `le` label, grouped by their other
// labels (without __name__). Per group the buckets are sorted by bound, buckets with equal bounds
// merged, counts forced monotonic (differences within a relative 1e-12 are treated as float
// noise), and the quantile interpolated linearly inside its bucket, as Prometheus does:
//   - phi < 0 -> -Inf, phi > 1 -> +Inf, phi NaN -> NaN;
//   - no +Inf bucket, fewer than two buckets or zero observations -> NaN;
//   - a rank in the +Inf bucket -> the upper bound of the second-highest bucket;
//   - a rank in the lowest bucket with a bound <= 0 -> that bound; otherwise the lowest bucket
//     starts at 0.
// Series without a parseable `le` are ignored. The native-histogram functions (histogram_count,
// _sum, _avg, _fraction, _stddev, _stdvar) ignore float samples, so over stored data (floats only)
// they return nothing.

#include "collector/query/promql/value.h"

namespace strata::collector::promql {

Vector HistogramQuantile(double phi, const Vector& buckets);

}  // namespace strata::collector::promql
