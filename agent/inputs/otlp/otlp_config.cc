#include "agent/inputs/otlp/otlp_config.h"

namespace strata::agent::otlp {
namespace {

common::Schema<OtlpOptions> MakeSchema() {
  common::Schema<OtlpOptions> s;
  s.Bool("enabled", &OtlpOptions::enabled, "Receive OTLP metrics (gRPC and HTTP).")
      .String("grpc_listen", &OtlpOptions::grpc_listen,
              "OTLP/gRPC address, host:port (\"\" disables it; OTLP's default port is 4317).")
      .String("http_listen", &OtlpOptions::http_listen,
              "OTLP/HTTP address for POST /v1/metrics, protobuf or JSON (\"\" disables it; "
              "OTLP's default port is 4318).")
      .Int("max_request_bytes", &OtlpOptions::max_request_bytes,
           "Larger requests (after decompression) are refused.", 1024, int64_t{1} << 30)
      .String("bearer_token_file", &OtlpOptions::bearer_token_file,
              "When set, requests must carry `Authorization: Bearer <the file's token>`.")
      .Int("max_delta_series", &OtlpOptions::max_delta_series,
           "Delta-temporality series whose running totals are kept at most; points of new "
           "ones beyond it are rejected.",
           1)
      .DurationMs("delta_series_ttl", &OtlpOptions::delta_series_ttl_ms,
                  "A delta series' running total is forgotten after this long without points.",
                  1000)
      .Int("max_histogram_buckets", &OtlpOptions::max_histogram_buckets,
           "Histogram points with more buckets are rejected.", 1, 100000)
      .Check([](const OtlpOptions& o) -> std::string {
        if (o.enabled && o.grpc_listen.empty() && o.http_listen.empty()) {
          return "otlp is enabled but both grpc_listen and http_listen are empty";
        }
        return "";
      });
  return s;
}

}  // namespace

const common::Schema<OtlpOptions>& OtlpOptionsSchema() {
  static const common::Schema<OtlpOptions> schema = MakeSchema();
  return schema;
}

}  // namespace strata::agent::otlp
