#include "agent/inputs/otlp/export_handler.h"

#include <utility>

namespace strata::agent::otlp {

opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse ExportHandler::Export(
    const opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest& request) {
  common::SampleBatch batch;
  OtlpTranslator::Result r = translator_.Translate(request, clock_.NowMs(), &batch);
  if (!batch.empty()) sink_.Push(std::move(batch));
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse response;
  if (r.rejected_points > 0) {
    response.mutable_partial_success()->set_rejected_data_points(r.rejected_points);
    response.mutable_partial_success()->set_error_message(r.error);
  }
  return response;
}

}  // namespace strata::agent::otlp
