#pragma once

// OtlpInput: the agent's OTLP metrics receiver, OTLP/gRPC (grpc_receiver.h) and OTLP/HTTP
// (http_receiver.h) in front of one translator (otlp_translator.h, which documents the mapping
// onto series). Every export request becomes one batch pushed to the sink as it arrives; there
// is nothing buffered to flush at Stop(), which waits for the requests in flight.

#include <memory>
#include <string>

#include "agent/input.h"
#include "agent/inputs/otlp/export_handler.h"
#include "agent/inputs/otlp/grpc_receiver.h"
#include "agent/inputs/otlp/http_receiver.h"
#include "agent/inputs/otlp/otlp_config.h"
#include "agent/inputs/otlp/otlp_translator.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::otlp {

class OtlpInput final : public Input {
 public:
  // `clock` and `registry` must outlive the input.
  OtlpInput(OtlpOptions options, const common::Clock& clock, common::Registry& registry);
  ~OtlpInput() override;

  std::string Name() const override { return "otlp"; }
  // Reads the bearer token file, binds both receivers and serves. InvalidArgument for an
  // unreadable token file, Unavailable when an address cannot be bound.
  absl::Status Start(SampleSink& sink) override;
  void Stop() override;

  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& http_address() const { return http_address_; }

 private:
  const OtlpOptions options_;
  const common::Clock& clock_;
  common::Registry& registry_;
  std::unique_ptr<OtlpTranslator> translator_;
  std::unique_ptr<ExportHandler> handler_;
  std::unique_ptr<GrpcReceiver> grpc_;
  std::unique_ptr<HttpReceiver> http_;
  std::string grpc_address_;
  std::string http_address_;
};

}  // namespace strata::agent::otlp
