#pragma once

// The `otlp:` section of the agent's config: the OTLP/gRPC and OTLP/HTTP metrics receivers,
// their request bounds, optional bearer-token auth, and the state kept to turn delta
// temporality into cumulative series.

#include <cstdint>
#include <string>

#include "common/config/schema.h"

namespace strata::agent::otlp {

struct OtlpOptions {
  bool enabled = false;
  std::string grpc_listen = "127.0.0.1:4317";  // "" = no gRPC receiver
  std::string http_listen = "127.0.0.1:4318";  // "" = no HTTP receiver
  int64_t max_request_bytes = 16 << 20;
  std::string bearer_token_file;  // "" = no auth
  int64_t max_delta_series = 100000;
  int64_t delta_series_ttl_ms = 3600000;
  int64_t max_histogram_buckets = 1000;
};

// Keys: enabled, grpc_listen, http_listen, max_request_bytes, bearer_token_file,
// max_delta_series, delta_series_ttl, max_histogram_buckets.
const common::Schema<OtlpOptions>& OtlpOptionsSchema();

}  // namespace strata::agent::otlp
