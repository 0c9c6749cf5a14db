#pragma once

// ExportHandler: what both OTLP receivers do with a decoded request: translate it
// (otlp_translator.h), push the samples to the sink, and build the OTLP response, whose
// partial_success reports the points that were rejected and why. Shared by the gRPC and HTTP
// receivers; thread-safe.

#include "agent/input.h"
#include "agent/inputs/otlp/otlp_translator.h"
#include "common/base/clock.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace strata::agent::otlp {

class ExportHandler {
 public:
  ExportHandler(OtlpTranslator& translator, SampleSink& sink, const common::Clock& clock)
      : translator_(translator), sink_(sink), clock_(clock) {}

  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse Export(
      const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request);

 private:
  OtlpTranslator& translator_;
  SampleSink& sink_;
  const common::Clock& clock_;
};

}  // namespace strata::agent::otlp
