#include "agent/inputs/otlp/classic_histogram.h"

#include <charconv>
#include <cmath>

namespace strata::agent::otlp {

using opentelemetry::proto::metrics::v1::ExponentialHistogramDataPoint;
using opentelemetry::proto::metrics::v1::HistogramDataPoint;

void ClassicHistogram::Add(const ClassicHistogram& other) {
  std::vector<std::pair<double, double>> merged;
  merged.reserve(buckets.size() + other.buckets.size());
  size_t i = 0;
  size_t j = 0;
  while (i < buckets.size() || j < other.buckets.size()) {
    if (j == other.buckets.size() ||
        (i < buckets.size() && buckets[i].first < other.buckets[j].first)) {
      merged.push_back(buckets[i++]);
    } else if (i == buckets.size() || other.buckets[j].first < buckets[i].first) {
      merged.push_back(other.buckets[j++]);
    } else {
      merged.push_back({buckets[i].first, buckets[i].second + other.buckets[j].second});
      ++i;
      ++j;
    }
  }
  buckets = std::move(merged);
  count += other.count;
  if (sum.has_value() && other.sum.has_value()) {
    *sum += *other.sum;
  } else {
    sum.reset();  // a histogram without a sum makes the running sum unknown
  }
}

std::optional<ClassicHistogram> FromExplicit(const HistogramDataPoint& p, size_t max_buckets,
                                             std::string* error) {
  ClassicHistogram h;
  h.count = static_cast<double>(p.count());
  if (p.has_sum()) h.sum = p.sum();
  const int bounds = p.explicit_bounds_size();
  if (p.bucket_counts_size() == 0 && bounds == 0) return h;  // count and sum only
  if (p.bucket_counts_size() != bounds + 1) {
    *error = "histogram point has " + std::to_string(p.bucket_counts_size()) +
             " bucket counts for " + std::to_string(bounds) + " bounds (want bounds + 1)";
    return std::nullopt;
  }
  if (static_cast<size_t>(bounds) > max_buckets) {
    *error = "histogram point has " + std::to_string(bounds) + " buckets, more than " +
             std::to_string(max_buckets);
    return std::nullopt;
  }
  uint64_t total = 0;
  for (int i = 0; i < bounds; ++i) {
    const double b = p.explicit_bounds(i);
    if (!std::isfinite(b) || (i > 0 && b <= p.explicit_bounds(i - 1))) {
      *error = "histogram bounds are not finite and increasing";
      return std::nullopt;
    }
    h.buckets.push_back({b, static_cast<double>(p.bucket_counts(i))});
    total += p.bucket_counts(i);
  }
  total += p.bucket_counts(bounds);
  if (total != p.count()) {
    *error = "histogram bucket counts add up to " + std::to_string(total) + ", not count " +
             std::to_string(p.count());
    return std::nullopt;
  }
  return h;
}

std::optional<ClassicHistogram> FromExponential(const ExponentialHistogramDataPoint& p,
                                                size_t max_buckets, std::string* error) {
  if (p.scale() < -10 || p.scale() > 20) {
    *error = "exponential histogram scale " + std::to_string(p.scale()) + " outside [-10, 20]";
    return std::nullopt;
  }
  const size_t n = static_cast<size_t>(p.positive().bucket_counts_size()) +
                   static_cast<size_t>(p.negative().bucket_counts_size()) + 1;
  if (n > max_buckets) {
    *error = "exponential histogram point has " + std::to_string(n) + " buckets, more than " +
             std::to_string(max_buckets);
    return std::nullopt;
  }
  if (!(p.zero_threshold() >= 0) || !std::isfinite(p.zero_threshold())) {
    *error = "exponential histogram zero_threshold is negative or not finite";
    return std::nullopt;
  }
  // base^i = 2^(i * 2^-scale)
  auto power = [&](int64_t i) { return std::exp2(std::ldexp(static_cast<double>(i), -p.scale())); };
  ClassicHistogram h;
  h.count = static_cast<double>(p.count());
  if (p.has_sum()) h.sum = p.sum();
  uint64_t total = p.zero_count();
  // Negative buckets, most negative first: bucket i's upper bound is -base^i.
  const auto& neg = p.negative();
  for (int k = neg.bucket_counts_size() - 1; k >= 0; --k) {
    const uint64_t c = neg.bucket_counts(k);
    total += c;
    if (c == 0) continue;
    h.buckets.push_back({-power(int64_t{neg.offset()} + k), static_cast<double>(c)});
  }
  if (p.zero_count() > 0 || p.zero_threshold() > 0) {
    h.buckets.push_back({p.zero_threshold(), static_cast<double>(p.zero_count())});
  }
  const auto& pos = p.positive();
  for (int k = 0; k < pos.bucket_counts_size(); ++k) {
    const uint64_t c = pos.bucket_counts(k);
    total += c;
    if (c == 0) continue;
    const double bound = power(int64_t{pos.offset()} + k + 1);
    if (!h.buckets.empty() && bound <= h.buckets.back().first) {
      // Only possible for buckets inside the zero threshold: fold them into it.
      h.buckets.back().second += static_cast<double>(c);
      continue;
    }
    h.buckets.push_back({bound, static_cast<double>(c)});
  }
  if (total != p.count()) {
    *error = "exponential histogram bucket counts add up to " + std::to_string(total) +
             ", not count " + std::to_string(p.count());
    return std::nullopt;
  }
  // Bounds past double's range (huge offsets) would print as +Inf: refuse rather than emit
  // two "+Inf" buckets.
  for (const auto& [bound, c] : h.buckets) {
    if (!std::isfinite(bound)) {
      *error = "exponential histogram bucket bound out of range";
      return std::nullopt;
    }
  }
  return h;
}

}  // namespace strata::agent::otlp
