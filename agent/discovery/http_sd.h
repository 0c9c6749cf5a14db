#pragma once

// http_sd_configs: target groups fetched from an HTTP endpoint, following Prometheus' HTTP SD
// contract: GET `url` every refresh_interval with the header
// X-Prometheus-Refresh-Interval-Seconds; a 200 response with Content-Type application/json
// holding a list of target groups (as in file_sd); each group gets `__meta_url`. A failed fetch
// (connection, TLS, an unreadable secret file, status, content type, body over the size cap, bad
// JSON) keeps the last groups, is logged once per change of error and counted.
//
// The URL is http:// or https://. The HTTP client options are a scrape job's, with the same keys
// and behaviour (agent/http/http_client_config.h): tls_config, and basic_auth or authorization.
// The scrape job checks the TLS files when it starts (so a wrong path fails the config, naming the
// key); every fetch builds its client anew, so TLS files and secret files (password_file,
// credentials_file) rotated on disk are used from the next fetch on. Host is the URL's host and
// port as written, also with tls_config.server_name.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/discovery/discoverer.h"
#include "agent/http/http_client_config.h"
#include "common/base/clock.h"
#include "common/config/schema.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::discovery {

struct HttpSdConfig {
  std::string url;
  int64_t refresh_interval_ms = 60 * 1000;
  http::TlsConfig tls_config;  // for https URLs
  http::BasicAuth basic_auth;  // at most one of basic_auth and authorization
  http::Authorization authorization;
};

const common::Schema<HttpSdConfig>& HttpSdConfigSchema();

class HttpDiscoverer final : public Discoverer {
 public:
  // Largest response accepted.
  static constexpr size_t kMaxBodyBytes = 16 << 20;

  // `config` passed HttpSdConfigSchema(); failed fetches are counted in `errors`.
  HttpDiscoverer(HttpSdConfig config, const common::Clock& clock, common::Counter& errors);
  std::optional<std::vector<TargetGroup>> Poll() override;

  // Why the last fetch failed (as logged), "" when it succeeded or none was made yet.
  const std::string& last_error() const { return last_error_; }

 private:
  // The groups the endpoint returns now, or the reason it could not be read.
  absl::StatusOr<std::vector<TargetGroup>> Fetch() const;

  const HttpSdConfig config_;
  const common::Clock& clock_;
  common::Counter& errors_;
  http::HttpServer server_;  // from the URL; `address` is its host and port as written
  http::HttpClientOptions client_options_;
  std::string path_;  // path and query
  std::optional<int64_t> last_fetch_ms_;
  std::optional<std::vector<TargetGroup>> groups_;  // the last good response
  std::string last_error_;
};

// Splits an http:// or https:// URL into scheme, host, port (80 or 443 when absent) and path with
// query ("/" when absent). False for other schemes, user info, and malformed hosts or ports.
bool SplitUrl(const std::string& url, std::string* scheme, std::string* host, int* port,
              std::string* path);

// "host:port", or "[host]:port" when host is an IPv6 address.
std::string JoinHostPort(const std::string& host, int port);

}  // namespace strata::agent::discovery
