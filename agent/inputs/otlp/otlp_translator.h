#pragma once

// OtlpTranslator: OTLP metrics (ExportMetricsServiceRequest) onto Prometheus-style series,
// following the OpenTelemetry "Prometheus and OpenMetrics compatibility" rules as Prometheus'
// OTLP receiver applies them:
//
//   resource   job = "<service.namespace>/<service.name>" (or service.name), instance =
//              service.instance.id; the resource's other attributes go to one
//              `target_info{job,instance,...} 1` series per resource and request, not onto
//              every series. Scope name and version are not added as labels (Prometheus'
//              default).
//   Gauge      `<name>` (a gauge)
//   Sum        monotonic: `<name>_total` (a counter); not monotonic: `<name>` (a gauge)
//   Histogram  `<name>_bucket{le}` (cumulative counts, "+Inf" = count), `<name>_sum`,
//              `<name>_count`
//   ExponentialHistogram  the same classic series, bucket for bucket (classic_histogram.h)
//   Summary    `<name>{quantile}`, `<name>_sum`, `<name>_count`
//
// Names and labels as in metric_naming.h and attribute_labels.h; data point attributes become
// labels, and the resource's job and instance win over attributes of those names. Timestamps
// are time_unix_nano in milliseconds (the receive time when it is 0). A point flagged
// NO_RECORDED_VALUE becomes a staleness marker.
//
// Temporality: cumulative points pass through; delta points (sums and histograms) are added
// to running totals (delta_accumulator.h) and emitted cumulative. UNSPECIFIED is rejected.
//
// Rejections: a point that cannot be mapped (unspecified temporality, malformed histogram,
// limits) is counted, and the others in the request still are translated: the caller reports
// the count and the first reason in the OTLP partial-success response. A metric without a usable
// name or without data rejects its points.
//
// Thread-safety: Translate may be called from any number of threads at once.

#include <cstdint>
#include <string>

#include "agent/inputs/otlp/delta_accumulator.h"
#include "agent/inputs/otlp/otlp_config.h"
#include "common/model/sample.h"
#include "common/selfmon/metrics.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace strata::agent::otlp {

class OtlpTranslator {
 public:
  struct Result {
    int64_t accepted_points = 0;
    int64_t rejected_points = 0;
    std::string error;  // the first rejection's reason, "" when none
  };

  // `registry` must outlive the translator.
  OtlpTranslator(const OtlpOptions& options, common::Registry& registry);

  // Appends the request's samples to `out`. `now_ms` stamps points without a time and drives
  // the expiry of delta totals.
  Result Translate(
      const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request,
      int64_t now_ms, common::SampleBatch* out);

 private:
  class Request;

  const OtlpOptions options_;
  DeltaAccumulator deltas_;
  std::mutex sweep_mu_;
  int64_t next_sweep_ms_ = 0;
  common::Counter& accepted_;
  common::Counter& rejected_;
  common::Gauge& delta_series_;
};

}  // namespace strata::agent::otlp
