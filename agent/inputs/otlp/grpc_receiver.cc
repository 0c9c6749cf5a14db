#include "agent/inputs/otlp/grpc_receiver.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "common/net/http_server.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"

namespace strata::agent::otlp {

namespace collector = opentelemetry::proto::collector::metrics::v1;

class GrpcReceiver::Service final : public collector::MetricsService::Service {
 public:
  Service(std::string bearer_token, ExportHandler& handler, common::Registry& registry)
      : bearer_token_(std::move(bearer_token)),
        handler_(handler),
        ok_(Requests(registry, "ok")),
        unauthenticated_(Requests(registry, "unauthenticated")) {}

  grpc::Status Export(grpc::ServerContext* context,
                      const collector::ExportMetricsServiceRequest* request,
                      collector::ExportMetricsServiceResponse* response) override {
    if (!bearer_token_.empty()) {
      auto it = context->client_metadata().find("authorization");
      if (it == context->client_metadata().end() ||
          std::string_view(it->second.data(), it->second.size()) != "Bearer " + bearer_token_) {
        unauthenticated_.Inc();
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing or wrong bearer token");
      }
    }
    *response = handler_.Export(*request);
    ok_.Inc();
    return grpc::Status::OK;
  }

 private:
  static common::Counter& Requests(common::Registry& registry, const std::string& code) {
    return registry.GetCounter("strata_agent_otlp_requests_total",
                               "OTLP export requests, by transport and outcome.",
                               {{"transport", "grpc"}, {"code", code}});
  }

  const std::string bearer_token_;
  ExportHandler& handler_;
  common::Counter& ok_;
  common::Counter& unauthenticated_;
};

GrpcReceiver::GrpcReceiver(const OtlpOptions& options, std::string bearer_token,
                           ExportHandler& handler, common::Registry& registry)
    : options_(options),
      service_(std::make_unique<Service>(std::move(bearer_token), handler, registry)) {}

GrpcReceiver::~GrpcReceiver() { Stop(); }

absl::StatusOr<std::string> GrpcReceiver::Start() {
  std::string host;
  int port = 0;
  if (!common::SplitHostPort(options_.grpc_listen, &host, &port)) {
    return absl::InvalidArgumentError("otlp grpc_listen \"" + options_.grpc_listen +
                                      "\" is not host:port");
  }
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(options_.grpc_listen, grpc::InsecureServerCredentials(), &bound);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_request_bytes));
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 1);
  grpc::ResourceQuota quota("strata-otlp");
  quota.SetMaxThreads(8);
  builder.SetResourceQuota(quota);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || bound == 0) {
    server_.reset();
    return absl::UnavailableError("cannot listen on " + options_.grpc_listen + " (otlp grpc)");
  }
  return host + ":" + std::to_string(bound);
}

void GrpcReceiver::Stop() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_->Wait();
  server_.reset();
}

}  // namespace strata::agent::otlp
