#include "agent/inputs/otlp/otlp_translator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "agent/inputs/otlp/attribute_labels.h"
#include "agent/inputs/otlp/classic_histogram.h"
#include "agent/inputs/otlp/metric_naming.h"
#include "common/model/float_text.h"

namespace strata::agent::otlp {

namespace pb = opentelemetry::proto::metrics::v1;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;

namespace {

constexpr std::string_view kServiceName = "service.name";
constexpr std::string_view kServiceNamespace = "service.namespace";
constexpr std::string_view kServiceInstance = "service.instance.id";

int64_t TimestampMs(uint64_t unix_nano, int64_t now_ms) {
  if (unix_nano == 0) return now_ms;
  return static_cast<int64_t>(unix_nano / 1'000'000);
}

bool NoRecordedValue(uint32_t flags) {
  return (flags & pb::DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK) != 0;
}

}  // namespace

// One request's translation: the resource's labels, the output and the tally.
class OtlpTranslator::Request {
 public:
  Request(OtlpTranslator& t, int64_t now_ms, common::SampleBatch* out)
      : t_(t), now_ms_(now_ms), out_(out) {}

  void Resource(const pb::ResourceMetrics& rm) {
    std::string name;
    std::string ns;
    std::string instance;
    Attributes others;
    for (const auto& kv : rm.resource().attributes()) {
      if (kv.key() == kServiceName) {
        name = AnyValueText(kv.value());
      } else if (kv.key() == kServiceNamespace) {
        ns = AnyValueText(kv.value());
      } else if (kv.key() == kServiceInstance) {
        instance = AnyValueText(kv.value());
      } else {
        *others.Add() = kv;
      }
    }
    job_ = ns.empty() ? name : ns + "/" + name;
    instance_ = instance;
    latest_ms_ = std::numeric_limits<int64_t>::min();
    for (const pb::ScopeMetrics& sm : rm.scope_metrics()) {
      for (const pb::Metric& m : sm.metrics()) Metric(m);
    }
    if (!others.empty() && latest_ms_ != std::numeric_limits<int64_t>::min()) {
      std::vector<common::Label> labels;
      AppendAttributeLabels(others, &labels);
      Emit("target_info", std::move(labels), latest_ms_, 1);
    }
  }

  Result result;

 private:
  void Reject(size_t points, std::string reason) {
    if (points == 0) return;
    result.rejected_points += static_cast<int64_t>(points);
    if (result.error.empty()) result.error = std::move(reason);
  }

  // Emits one sample with `labels` (attributes) plus __name__, job and instance.
  void Emit(const std::string& name, std::vector<common::Label> labels, int64_t ts, double v) {
    labels.push_back({std::string(common::kMetricNameLabel), name});
    labels.push_back({"job", job_});
    labels.push_back({"instance", instance_});
    // FromUnsorted lets the later pair win: job and instance over attributes of those names.
    out_->push_back({common::Labels::FromUnsorted(std::move(labels)), {ts, v}});
    latest_ms_ = std::max(latest_ms_, ts);
  }

  // The running-total key of a series: its kind and final labels.
  std::string DeltaKey(char kind, const std::string& name, const std::vector<common::Label>& l) {
    std::vector<common::Label> all = l;
    all.push_back({std::string(common::kMetricNameLabel), name});
    all.push_back({"job", job_});
    all.push_back({"instance", instance_});
    return std::string(1, kind) + common::Labels::FromUnsorted(std::move(all)).ToString();
  }

  void Metric(const pb::Metric& m) {
    switch (m.data_case()) {
      case pb::Metric::kGauge:
        return Numbers(m, m.gauge().data_points(), MetricKind::kGauge, /*delta=*/false);
      case pb::Metric::kSum: {
        const pb::Sum& s = m.sum();
        if (s.aggregation_temporality() == pb::AGGREGATION_TEMPORALITY_UNSPECIFIED) {
          return Reject(static_cast<size_t>(s.data_points_size()),
                        "metric " + m.name() + ": sum with unspecified aggregation temporality");
        }
        return Numbers(m, s.data_points(),
                       s.is_monotonic() ? MetricKind::kCounter : MetricKind::kUpDownCounter,
                       s.aggregation_temporality() == pb::AGGREGATION_TEMPORALITY_DELTA);
      }
      case pb::Metric::kHistogram:
        return Histograms(m, m.histogram().data_points(), m.histogram().aggregation_temporality());
      case pb::Metric::kExponentialHistogram:
        return Histograms(m, m.exponential_histogram().data_points(),
                          m.exponential_histogram().aggregation_temporality());
      case pb::Metric::kSummary:
        return Summaries(m);
      case pb::Metric::DATA_NOT_SET:
        return;  // nothing to map, nothing rejected (OTLP counts points)
    }
  }

  // The Prometheus name, or "" after rejecting the metric's `points` for a name without one.
  std::string Name(const pb::Metric& m, MetricKind kind, size_t points) {
    std::string name = PrometheusMetricName(m.name(), m.unit(), kind);
    if (name.empty()) Reject(points, "metric \"" + m.name() + "\" has no usable name");
    return name;
  }

  template <typename Points>
  void Numbers(const pb::Metric& m, const Points& points, MetricKind kind, bool delta) {
    const std::string name = Name(m, kind, static_cast<size_t>(points.size()));
    if (name.empty()) return;
    for (const pb::NumberDataPoint& p : points) {
      std::vector<common::Label> labels;
      AppendAttributeLabels(p.attributes(), &labels);
      const int64_t ts = TimestampMs(p.time_unix_nano(), now_ms_);
      if (NoRecordedValue(p.flags())) {
        Emit(name, std::move(labels), ts, common::StaleNaN());
        ++result.accepted_points;
        continue;
      }
      double v = p.value_case() == pb::NumberDataPoint::kAsInt ? static_cast<double>(p.as_int())
                                                               : p.as_double();
      if (delta) {
        std::optional<double> total = t_.deltas_.AddSum(DeltaKey('s', name, labels), v, now_ms_);
        if (!total) {
          Reject(1, "metric " + m.name() + ": more than max_delta_series delta series");
          continue;
        }
        v = *total;
      }
      Emit(name, std::move(labels), ts, v);
      ++result.accepted_points;
    }
  }

  void EmitHistogram(const std::string& name, const std::vector<common::Label>& labels, int64_t ts,
                     const ClassicHistogram& h) {
    double cumulative = 0;
    for (const auto& [bound, count] : h.buckets) {
      cumulative += count;
      std::vector<common::Label> l = labels;
      l.push_back({"le", common::FormatFloatPlain(bound)});
      Emit(name + "_bucket", std::move(l), ts, cumulative);
    }
    std::vector<common::Label> inf = labels;
    inf.push_back({"le", "+Inf"});
    Emit(name + "_bucket", std::move(inf), ts, h.count);
    if (h.sum.has_value()) Emit(name + "_sum", labels, ts, *h.sum);
    Emit(name + "_count", labels, ts, h.count);
  }

  void EmitStaleHistogram(const std::string& name, const std::vector<common::Label>& labels,
                          int64_t ts) {
    // Only the series whose labels are known without a value: +Inf, sum and count.
    std::vector<common::Label> inf = labels;
    inf.push_back({"le", "+Inf"});
    Emit(name + "_bucket", std::move(inf), ts, common::StaleNaN());
    Emit(name + "_sum", labels, ts, common::StaleNaN());
    Emit(name + "_count", labels, ts, common::StaleNaN());
  }

  template <typename Points>
  void Histograms(const pb::Metric& m, const Points& points,
                  pb::AggregationTemporality temporality) {
    const size_t n = static_cast<size_t>(points.size());
    if (temporality == pb::AGGREGATION_TEMPORALITY_UNSPECIFIED) {
      return Reject(n,
                    "metric " + m.name() + ": histogram with unspecified aggregation temporality");
    }
    const std::string name = Name(m, MetricKind::kHistogram, n);
    if (name.empty()) return;
    const size_t max_buckets = static_cast<size_t>(t_.options_.max_histogram_buckets);
    for (const auto& p : points) {
      std::vector<common::Label> labels;
      AppendAttributeLabels(p.attributes(), &labels);
      const int64_t ts = TimestampMs(p.time_unix_nano(), now_ms_);
      if (NoRecordedValue(p.flags())) {
        EmitStaleHistogram(name, labels, ts);
        ++result.accepted_points;
        continue;
      }
      std::string error;
      std::optional<ClassicHistogram> h;
      if constexpr (std::is_same_v<std::decay_t<decltype(p)>, pb::HistogramDataPoint>) {
        h = FromExplicit(p, max_buckets, &error);
      } else {
        h = FromExponential(p, max_buckets, &error);
      }
      if (!h) {
        Reject(1, "metric " + m.name() + ": " + error);
        continue;
      }
      if (temporality == pb::AGGREGATION_TEMPORALITY_DELTA) {
        h = t_.deltas_.AddHistogram(DeltaKey('h', name, labels), *h, now_ms_);
        if (!h) {
          Reject(1, "metric " + m.name() + ": more than max_delta_series delta series");
          continue;
        }
      }
      EmitHistogram(name, labels, ts, *h);
      ++result.accepted_points;
    }
  }

  void Summaries(const pb::Metric& m) {
    const auto& points = m.summary().data_points();
    const std::string name = Name(m, MetricKind::kSummary, static_cast<size_t>(points.size()));
    if (name.empty()) return;
    for (const pb::SummaryDataPoint& p : points) {
      std::vector<common::Label> labels;
      AppendAttributeLabels(p.attributes(), &labels);
      const int64_t ts = TimestampMs(p.time_unix_nano(), now_ms_);
      const bool stale = NoRecordedValue(p.flags());
      for (const auto& q : p.quantile_values()) {
        std::vector<common::Label> l = labels;
        l.push_back({"quantile", common::FormatFloatPlain(q.quantile())});
        Emit(name, std::move(l), ts, stale ? common::StaleNaN() : q.value());
      }
      Emit(name + "_sum", labels, ts, stale ? common::StaleNaN() : p.sum());
      Emit(name + "_count", labels, ts,
           stale ? common::StaleNaN() : static_cast<double>(p.count()));
      ++result.accepted_points;
    }
  }

  OtlpTranslator& t_;
  const int64_t now_ms_;
  common::SampleBatch* out_;
  std::string job_;
  std::string instance_;
  int64_t latest_ms_ = 0;
};

OtlpTranslator::OtlpTranslator(const OtlpOptions& options, common::Registry& registry)
    : options_(options),
      deltas_(static_cast<size_t>(options.max_delta_series), options.delta_series_ttl_ms),
      accepted_(registry.GetCounter("strata_agent_otlp_data_points_total",
                                    "OTLP data points received, by outcome.",
                                    {{"outcome", "accepted"}})),
      rejected_(registry.GetCounter("strata_agent_otlp_data_points_total",
                                    "OTLP data points received, by outcome.",
                                    {{"outcome", "rejected"}})),
      delta_series_(registry.GetGauge(
          "strata_agent_otlp_delta_series",
          "Delta-temporality series whose running totals the OTLP receiver keeps.")) {}

OtlpTranslator::Result OtlpTranslator::Translate(const ExportMetricsServiceRequest& request,
                                                 int64_t now_ms, common::SampleBatch* out) {
  {
    std::lock_guard<std::mutex> lock(sweep_mu_);
    if (now_ms >= next_sweep_ms_) {
      deltas_.Sweep(now_ms);
      next_sweep_ms_ = now_ms + std::max<int64_t>(1000, options_.delta_series_ttl_ms / 10);
    }
  }
  Request r(*this, now_ms, out);
  for (const pb::ResourceMetrics& rm : request.resource_metrics()) r.Resource(rm);
  accepted_.Inc(static_cast<double>(r.result.accepted_points));
  rejected_.Inc(static_cast<double>(r.result.rejected_points));
  delta_series_.Set(static_cast<double>(deltas_.size()));
  return r.result;
}

}  // namespace strata::agent::otlp
