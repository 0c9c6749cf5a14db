#pragma once

// A histogram in Prometheus' classic form, built from an OTLP explicit-bucket or exponential
// histogram point, and the sum of such histograms (for delta temporality).
//
// Buckets are (upper bound, count of that bucket alone), sorted by bound; the "+Inf" bucket is
// implicit: `count` minus everything below it. Exponential histograms (base = 2^(2^-scale)) are
// converted bucket for bucket: positive bucket i, (base^i, base^(i+1)], gets the bound
// base^(i+1); negative bucket i, [-base^(i+1), -base^i), the bound -base^i; the zero bucket the
// bound zero_threshold. Emitting cumulative counts at those bounds preserves every count of the
// point; only the resolution of Prometheus' native histograms is not kept.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "opentelemetry/proto/metrics/v1/metrics.pb.h"

namespace strata::agent::otlp {

struct ClassicHistogram {
  std::vector<std::pair<double, double>> buckets;  // (upper bound, count), bounds increasing
  double count = 0;
  std::optional<double> sum;

  // Adds `other` (delta temporality): counts and sums add, buckets merge by bound.
  void Add(const ClassicHistogram& other);
  size_t BucketCount() const { return buckets.size(); }
};

// The point as a ClassicHistogram, or the reason it is malformed (bucket_counts not one longer
// than explicit_bounds, bounds not increasing or not finite, bucket counts not adding up to
// count, more than `max_buckets` buckets).
std::optional<ClassicHistogram> FromExplicit(
    const opentelemetry::proto::metrics::v1::HistogramDataPoint& p, size_t max_buckets,
    std::string* error);
// Likewise for an exponential point (scale must be in [-10, 20]).
std::optional<ClassicHistogram> FromExponential(
    const opentelemetry::proto::metrics::v1::ExponentialHistogramDataPoint& p, size_t max_buckets,
    std::string* error);

}  // namespace strata::agent::otlp
