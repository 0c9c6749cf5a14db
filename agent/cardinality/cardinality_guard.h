#pragma once

// The edge cardinality guard: series limits per metric and label-drop rules, applied to every
// sample before it is queued for the collector, so a misbehaving exporter or client (a request
// id in a label, a metric per user) is contained on the host instead of reaching storage.
//
// For each sample, in order:
//   1. drop_labels: for metrics whose name matches `metric_regex` (anchored RE2), the listed
//      labels are removed (series that differed only in them merge);
//   2. limits: a metric may have at most its `metric_limits` entry's max_series, else
//      max_series_per_metric (0: no limit), distinct series. A sample of a series past the limit
//      is dropped and counted in strata_agent_cardinality_dropped_samples_total{metric} (the first
//      100 metric names get their own label value, the rest share "_other_"); the first drop of
//      each of those 100 is logged, and of the rest once. Series already admitted keep flowing.
// A series leaves the count when its staleness marker passes or when it has not been seen for
// series_ttl, so churn frees room over time. Thread-safe (inputs push from their own threads).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/input.h"
#include "common/base/clock.h"
#include "common/config/schema.h"
#include "common/selfmon/metrics.h"

namespace re2 {
class RE2;
}

namespace strata::agent::cardinality {

struct LabelDropRule {
  std::string metric_regex = ".*";
  std::vector<std::string> labels;
  bool operator==(const LabelDropRule&) const = default;
};

struct MetricSeriesLimit {
  std::string metric;
  int64_t max_series = 0;
  bool operator==(const MetricSeriesLimit&) const = default;
};

struct CardinalityConfig {
  int64_t max_series_per_metric = 0;  // 0: no limit
  std::vector<MetricSeriesLimit> metric_limits;
  std::vector<LabelDropRule> drop_labels;
  int64_t series_ttl_ms = 60 * 60 * 1000;
  bool operator==(const CardinalityConfig&) const = default;
};

const common::Schema<CardinalityConfig>& CardinalityConfigSchema();

class CardinalityGuard final : public SampleSink {
 public:
  // Distinct `metric` label values on the dropped-samples counter before "_other_".
  static constexpr size_t kMaxCountedMetrics = 100;

  static absl::StatusOr<std::unique_ptr<CardinalityGuard>> Create(const CardinalityConfig& config,
                                                                  SampleSink& next,
                                                                  const common::Clock& clock,
                                                                  common::Registry& registry);
  ~CardinalityGuard() override;

  void Push(common::SampleBatch batch) override;

 private:
  struct Rule {
    std::unique_ptr<re2::RE2> metric;
    std::vector<std::string> labels;
  };
  struct MetricSeries {
    std::unordered_map<uint64_t, int64_t> last_seen_ms;  // by series hash
  };

  CardinalityGuard(const CardinalityConfig& config, SampleSink& next, const common::Clock& clock,
                   common::Registry& registry);
  // True when the sample may pass; updates the counts. Locked.
  bool Admit(const common::SeriesSample& s, int64_t now);
  int64_t LimitFor(const std::string& metric) const;
  void SweepLocked(int64_t now);
  // The metric's dropped-samples counter; the first time, logs the drop.
  common::Counter& DroppedCounterLocked(const std::string& metric, int64_t limit);

  const CardinalityConfig config_;
  SampleSink& next_;
  const common::Clock& clock_;
  common::Registry& registry_;
  std::vector<Rule> rules_;
  std::unordered_map<std::string, int64_t> limits_;  // metric_limits by name

  std::mutex mu_;
  std::unordered_map<std::string, MetricSeries> series_;       // by metric name; guarded
  std::unordered_map<std::string, common::Counter*> dropped_;  // at most kMaxCountedMetrics
  bool other_logged_ = false;
  int64_t last_sweep_ms_ = 0;
};

}  // namespace strata::agent::cardinality
