#pragma once

// The HTTP request of one scrape: GET TargetUrl(target) over the agent's shared HTTP client
// (agent/http/http_client.h), with the job's scrape_timeout, body_size_limit, tls_config, and
// basic_auth or authorization. The Host header is the target's address as written, as Prometheus
// sends it; with tls_config.server_name the connection goes to the target's host while SNI and
// certificate verification use that name.
//
// Each Fetch() opens its own connection and reads the TLS files and secret files anew, so files
// rotated on disk are used from the next scrape on. Fetch() is const and is called from every
// target's thread of the job at once.

#include <cstdint>
#include <string>

#include "agent/http/http_client_config.h"
#include "agent/inputs/scrape/scrape_config.h"
#include "agent/inputs/scrape/target_builder.h"
#include "common/base/clock.h"

namespace strata::agent::scrape {

struct FetchResult {
  std::string error;  // "" : a 200 response was read whole; else why the scrape failed
  std::string body;
  std::string content_type;
};

class ScrapeClient {
 public:
  // Copies what it needs from `config`.
  ScrapeClient(const ScrapeConfig& config, const common::Clock& clock);

  // The response body on a 200, else `error` says what failed: the connection, TLS (with
  // OpenSSL's reason when the certificate is refused), a secret file that cannot be read, a
  // status other than 200, a body over body_size_limit, or the timeout.
  FetchResult Fetch(const ScrapeTarget& target) const;

 private:
  const common::Clock& clock_;
  const int64_t body_size_limit_bytes_;
  const http::HttpClientOptions options_;  // timeout_ms is the scrape_timeout
};

}  // namespace strata::agent::scrape
