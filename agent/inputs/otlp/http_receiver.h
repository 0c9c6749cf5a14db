#pragma once

// HttpReceiver: OTLP/HTTP, `POST /v1/metrics` with an ExportMetricsServiceRequest as binary
// protobuf (Content-Type application/x-protobuf) or OTLP's JSON encoding (application/json),
// optionally gzip-compressed (Content-Encoding: gzip). The response has the request's content
// type: 200 with an ExportMetricsServiceResponse (partial_success set when points were
// rejected), 400 with a google.rpc.Status for a body that does not decode, 413 for a body over
// max_request_bytes (counted after decompression, so a small compressed body cannot expand
// without bound), 415 for another content type, 401 without the bearer token when one is
// configured. Counted in strata_agent_otlp_requests_total{transport="http",code}.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "agent/inputs/otlp/export_handler.h"
#include "agent/inputs/otlp/otlp_config.h"
#include "common/net/http_server.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::otlp {

class HttpReceiver {
 public:
  HttpReceiver(const OtlpOptions& options, std::string bearer_token, ExportHandler& handler,
               common::Registry& registry);
  ~HttpReceiver();

  // Binds and starts serving; returns the bound address or why it could not.
  absl::StatusOr<std::string> Start();
  void Stop();

 private:
  void Handle(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader);
  common::Counter& Requests(const std::string& code);

  const OtlpOptions options_;
  ExportHandler& handler_;
  common::Registry& registry_;
  common::HttpServer server_;
  bool started_ = false;
};

}  // namespace strata::agent::otlp
