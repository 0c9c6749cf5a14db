#pragma once

// DeltaAccumulator: turns OTLP delta-temporality points into cumulative values, as Prometheus'
// data model needs. Each series (its final label set, so sums and histograms of the same
// metric and attributes share nothing with others) keeps a running total that every delta
// point adds to; the cumulative value is what gets emitted.
//
// Bounds: at most `max_series` running totals; a point for a new series beyond that is refused
// (the caller rejects it, counted and reported in the partial-success response). A total not
// updated for `ttl_ms` is forgotten at the next Sweep(), so a series that comes back later
// starts from zero again, which Prometheus' rate() reads as a counter reset.
//
// Thread-safety: all methods may be called concurrently (one lock).

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "agent/inputs/otlp/classic_histogram.h"

namespace strata::agent::otlp {

class DeltaAccumulator {
 public:
  DeltaAccumulator(size_t max_series, int64_t ttl_ms) : max_series_(max_series), ttl_ms_(ttl_ms) {}

  // Adds `delta` to the series' running sum and returns the new total, or nullopt when the
  // series is new and the limit is reached.
  std::optional<double> AddSum(const std::string& series, double delta, int64_t now_ms);
  // Likewise for histograms.
  std::optional<ClassicHistogram> AddHistogram(const std::string& series,
                                               const ClassicHistogram& delta, int64_t now_ms);
  // Forgets the totals not updated for ttl_ms; returns how many.
  size_t Sweep(int64_t now_ms);
  size_t size() const;

 private:
  struct Entry {
    double sum = 0;
    ClassicHistogram histogram;
    int64_t last_ms = 0;
  };
  Entry* Find(const std::string& series, int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_series_;
  const int64_t ttl_ms_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strata::agent::otlp
