#include "agent/cardinality/cardinality_guard.h"

#include <re2/re2.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "common/base/log.h"
#include "common/model/metric_id.h"
#include "common/model/names.h"

namespace strata::agent::cardinality {
namespace {

bool Compiles(const std::string& regex, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re("^(?:" + regex + ")$", options);
  if (!re.ok()) *error = re.error();
  return re.ok();
}

}  // namespace

const common::Schema<CardinalityConfig>& CardinalityConfigSchema() {
  static const common::Schema<CardinalityConfig> schema = [] {
    common::Schema<LabelDropRule> rule;
    rule.String("metric_regex", &LabelDropRule::metric_regex,
                "metric names the rule applies to (anchored RE2)")
        .StringList("labels", &LabelDropRule::labels, "labels removed from those metrics")
        .Check([](const LabelDropRule& r) -> std::string {
          std::string error;
          if (!Compiles(r.metric_regex, &error)) {
            return "invalid metric_regex \"" + r.metric_regex + "\": " + error;
          }
          if (r.labels.empty()) return "labels must name at least one label";
          for (const std::string& l : r.labels) {
            if (l == "__name__") return "the metric name cannot be dropped";
            if (!common::IsValidLabelName(l)) return "invalid label name \"" + l + "\"";
          }
          return "";
        });
    common::Schema<MetricSeriesLimit> limit;
    limit.String("metric", &MetricSeriesLimit::metric, "metric name")
        .Int("max_series", &MetricSeriesLimit::max_series,
             "distinct series admitted for this metric (0: no limit)", 0)
        .Check([](const MetricSeriesLimit& l) -> std::string {
          return common::IsValidMetricName(l.metric) ? "" : "invalid metric \"" + l.metric + "\"";
        });
    common::Schema<CardinalityConfig> s;
    s.Int("max_series_per_metric", &CardinalityConfig::max_series_per_metric,
          "distinct series admitted per metric name (0: no limit)", 0)
        .ObjectList("metric_limits", &CardinalityConfig::metric_limits, limit,
                    "per-metric overrides of max_series_per_metric")
        .ObjectList("drop_labels", &CardinalityConfig::drop_labels, rule,
                    "labels removed from matching metrics before the limits apply")
        .DurationMs("series_ttl", &CardinalityConfig::series_ttl_ms,
                    "a series unseen this long no longer counts against its limit", 1000);
    return s;
  }();
  return schema;
}

absl::StatusOr<std::unique_ptr<CardinalityGuard>> CardinalityGuard::Create(
    const CardinalityConfig& config, SampleSink& next, const common::Clock& clock,
    common::Registry& registry) {
  for (const LabelDropRule& r : config.drop_labels) {
    std::string error;
    if (!Compiles(r.metric_regex, &error)) {
      return absl::InvalidArgumentError("cardinality.drop_labels: invalid metric_regex \"" +
                                        r.metric_regex + "\": " + error);
    }
  }
  return std::unique_ptr<CardinalityGuard>(new CardinalityGuard(config, next, clock, registry));
}

CardinalityGuard::CardinalityGuard(const CardinalityConfig& config, SampleSink& next,
                                   const common::Clock& clock, common::Registry& registry)
    : config_(config), next_(next), clock_(clock), registry_(registry) {
  for (const LabelDropRule& r : config_.drop_labels) {
    rules_.push_back(Rule{std::make_unique<RE2>("^(?:" + r.metric_regex + ")$"), r.labels});
  }
  for (const MetricSeriesLimit& l : config_.metric_limits) limits_[l.metric] = l.max_series;
  last_sweep_ms_ = clock_.MonotonicMs();
}

CardinalityGuard::~CardinalityGuard() = default;

int64_t CardinalityGuard::LimitFor(const std::string& metric) const {
  auto it = limits_.find(metric);
  return it != limits_.end() ? it->second : config_.max_series_per_metric;
}

common::Counter& CardinalityGuard::DroppedCounterLocked(const std::string& metric, int64_t limit) {
  auto it = dropped_.find(metric);
  if (it != dropped_.end()) return *it->second;
  const bool named = dropped_.size() < kMaxCountedMetrics;
  // Logged once per counted metric, and once for all the rest: a flood of metric names must not
  // become a flood of log lines.
  if (named || !other_logged_) {
    other_logged_ = other_logged_ || !named;
    common::Log(common::LogLevel::kWarn, "cardinality",
                named ? "metric reached its series limit; new series are dropped"
                      : "more metrics reached their series limits; counted as _other_",
                {{"metric", metric}, {"limit", limit}});
  }
  common::Counter& c = registry_.GetCounter(
      "strata_agent_cardinality_dropped_samples_total",
      "Samples of series over their metric's series limit, dropped on the host.",
      {{"metric", named ? metric : "_other_"}});
  if (named) dropped_[metric] = &c;
  return c;
}

bool CardinalityGuard::Admit(const common::SeriesSample& s, int64_t now) {
  const std::string metric(s.labels.MetricName());
  const int64_t limit = LimitFor(metric);
  if (limit <= 0) return true;
  MetricSeries& m = series_[metric];
  const uint64_t id = common::MetricId(s.labels);
  const bool stale = common::IsStaleNaN(s.sample.value);
  auto it = m.last_seen_ms.find(id);
  if (it != m.last_seen_ms.end()) {
    if (stale) {
      m.last_seen_ms.erase(it);  // the series ended: it no longer counts
    } else {
      it->second = now;
    }
    return true;
  }
  if (stale) return false;  // the end of a series that was never admitted
  if (static_cast<int64_t>(m.last_seen_ms.size()) < limit) {
    m.last_seen_ms.emplace(id, now);
    return true;
  }
  DroppedCounterLocked(metric, limit).Inc();
  return false;
}

void CardinalityGuard::SweepLocked(int64_t now) {
  const int64_t oldest = now - config_.series_ttl_ms;
  for (auto it = series_.begin(); it != series_.end();) {
    auto& seen = it->second.last_seen_ms;
    for (auto s = seen.begin(); s != seen.end();) {
      s = s->second < oldest ? seen.erase(s) : std::next(s);
    }
    it = seen.empty() ? series_.erase(it) : std::next(it);
  }
}

void CardinalityGuard::Push(common::SampleBatch batch) {
  if (!rules_.empty()) {
    for (common::SeriesSample& s : batch) {
      const std::string_view name = s.labels.MetricName();
      common::LabelsBuilder* builder = nullptr;
      std::optional<common::LabelsBuilder> b;
      for (const Rule& r : rules_) {
        if (!RE2::FullMatch(name, *r.metric)) continue;
        for (const std::string& l : r.labels) {
          if (!s.labels.Has(l)) continue;
          if (builder == nullptr) builder = &b.emplace(s.labels);
          builder->Del(l);
        }
      }
      if (builder != nullptr) s.labels = builder->Build();
    }
  }
  const bool limited = config_.max_series_per_metric > 0 || !limits_.empty();
  if (limited) {
    const int64_t now = clock_.MonotonicMs();
    std::lock_guard<std::mutex> lock(mu_);
    if (now - last_sweep_ms_ >= std::min<int64_t>(config_.series_ttl_ms, 60000)) {
      SweepLocked(now);
      last_sweep_ms_ = now;
    }
    size_t kept = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!Admit(batch[i], now)) continue;
      if (kept != i) batch[kept] = std::move(batch[i]);
      ++kept;
    }
    batch.resize(kept);
  }
  if (!batch.empty()) next_.Push(std::move(batch));
}

}  // namespace strata::agent::cardinality
