#pragma once

// GrpcReceiver: OTLP/gRPC, the MetricsService/Export method on its own gRPC server (plaintext:
// it binds to localhost by default, where applications on the host push to it). With a bearer
// token configured, calls without `authorization: Bearer <token>` metadata fail with
// UNAUTHENTICATED. Requests over max_request_bytes are refused by gRPC (RESOURCE_EXHAUSTED).
// Counted in strata_agent_otlp_requests_total{transport="grpc",code}.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/inputs/otlp/export_handler.h"
#include "agent/inputs/otlp/otlp_config.h"
#include "common/selfmon/metrics.h"

namespace grpc {
class Server;
}

namespace strata::agent::otlp {

class GrpcReceiver {
 public:
  GrpcReceiver(const OtlpOptions& options, std::string bearer_token, ExportHandler& handler,
               common::Registry& registry);
  ~GrpcReceiver();

  // Binds and starts serving; returns the bound address or why it could not.
  absl::StatusOr<std::string> Start();
  // Stops accepting calls and waits (at most a few seconds) for those in flight. Idempotent.
  void Stop();

 private:
  class Service;
  const OtlpOptions options_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace strata::agent::otlp
