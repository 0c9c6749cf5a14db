#pragma once

// StatsdAggregator: folds StatsD lines into series and turns them into Prometheus-style samples
// at every flush. This is the one documented mapping of StatsD onto the data model:
//
//   counter  c      `<name>_total`, cumulative since the series appeared: each line adds
//                   value / rate. Negative increments (decrements) are rejected and counted,
//                   because a Prometheus counter never goes down (statsd_exporter does the same).
//   gauge    g      `<name>`: the last value; "+v" / "-v" add to it (a new gauge starts at 0).
//   timer    ms     a summary: `<name>{quantile="q"}` over the values of the last flush interval
//   histogram h     (t-digest; NaN when the interval had none, as Prometheus client summaries
//   distribution d  report an empty window), `<name>_sum` and `<name>_count` cumulative. Each
//                   value counts 1 / rate times. Timer values are milliseconds on the wire and
//                   seconds in the series (Prometheus' base unit); h and d are taken as sent.
//   set      s      `<name>`: the number of distinct members in the last flush interval
//                   (HyperLogLog; 0 when none arrived).
//
// Names: every character outside [a-zA-Z0-9_:] becomes '_' ("api.req-ms" -> "api_req_ms") and a
// leading digit gets a '_' prefix. Tags become labels with normalized names; every series also
// gets `job` and `instance` (a tag of the same name wins). Tags without a value, tags whose name
// starts with "__" and a `quantile` tag on a summary are dropped and counted. Label order does
// not matter: the same name with the same tags in any order is the same series. Timers,
// histograms and distributions of one name and tags feed one summary. A set and a gauge of the
// same name and tags would be the same series: the one that comes second is rejected
// (reason="type_conflict").
//
// Lifetime: a series not updated for `series_ttl` is dropped at a flush, and its samples get
// staleness markers then, so queries stop seeing it at once. New series beyond `max_series` are
// rejected (counted) until others expire.
//
// Thread-safety: every method may be called from any thread; a packet is applied under one lock.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "agent/inputs/statsd/statsd_config.h"
#include "agent/inputs/statsd/statsd_parser.h"
#include "common/model/labels.h"
#include "common/model/sample.h"
#include "common/selfmon/metrics.h"
#include "common/sketch/hyperloglog.h"
#include "common/sketch/tdigest.h"

namespace strata::agent::statsd {

class StatsdAggregator {
 public:
  // `instance` is the resolved instance label; `registry` must outlive the aggregator.
  StatsdAggregator(const StatsdOptions& options, std::string instance, common::Registry& registry);

  // Applies every line of `packet` ('\n' separated), counting and skipping malformed ones.
  void ApplyPacket(std::string_view packet, int64_t now_ms);
  // Applies one line; false (and counted) when it was rejected.
  bool ApplyLine(std::string_view line, int64_t now_ms);

  // The samples of every live series at `now_ms`, then staleness markers for the series that
  // expired; resets the per-interval sketches.
  common::SampleBatch Flush(int64_t now_ms);

  size_t SeriesCount() const;

 private:
  // Why a line was rejected after it parsed.
  enum class Reject { kNegativeCounter, kSeriesLimit, kTooManyTags, kTypeConflict };
  // What a series is, whatever line type fed it: timers, histograms and distributions of one
  // name and tags are one summary.
  enum class Kind { kCounter, kGauge, kSummary, kSet };
  static Kind KindOf(MetricType type);
  struct Series {
    Kind kind = Kind::kCounter;
    std::vector<common::Labels> outputs;  // the label sets it emits, in Flush's order
    int64_t last_update_ms = 0;
    double value = 0;  // counter total or gauge value
    double sum = 0;    // summary sum and count, cumulative
    double count = 0;
    std::unique_ptr<common::sketch::TDigest> digest;   // summaries: this interval's values
    std::unique_ptr<common::sketch::HyperLogLog> set;  // sets: this interval's members
  };
  struct Tag {
    std::string name;
    std::string_view value;
  };

  bool Apply(std::string_view line, int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Builds key_ (and tags_) for the parsed line; false when it has too many tags.
  bool BuildKey(const StatsdLine& line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Series NewSeries(Kind kind) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Update(Series& s, const StatsdLine& line);
  void Emit(Series& s, int64_t now_ms, common::SampleBatch& out) const;
  bool Rejected(Reject reason);

  const StatsdOptions options_;
  const std::string instance_;

  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Series> series_ ABSL_GUARDED_BY(mu_);
  // Scratch for the line being applied, kept to reuse its memory.
  std::string key_ ABSL_GUARDED_BY(mu_);
  std::string name_ ABSL_GUARDED_BY(mu_);
  std::vector<Tag> tags_ ABSL_GUARDED_BY(mu_);
  size_t tags_used_ ABSL_GUARDED_BY(mu_) = 0;

  common::Counter* samples_[kNumMetricTypes];
  common::Counter* parse_errors_[kNumParseErrors] = {};
  common::Counter* negative_counter_;
  common::Counter* series_limit_;
  common::Counter* too_many_tags_;
  common::Counter* type_conflict_;
  common::Counter* tags_no_value_;
  common::Counter* tags_reserved_;
  common::Counter* expired_;
  common::Gauge& series_gauge_;
};

// The metric name a StatsD name maps to (see above).
std::string SanitizeMetricName(std::string_view name);

}  // namespace strata::agent::statsd
