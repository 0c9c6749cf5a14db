#pragma once

// http_sd_configs: target groups fetched from an HTTP endpoint, following Prometheus' HTTP SD
// contract: GET `url` every refresh_interval with the header
// X-Prometheus-Refresh-Interval-Seconds; a 200 response with Content-Type application/json
// holding a list of target groups (as in file_sd); each group gets `__meta_url`. A failed fetch
// (connection, status, content type, body over the size cap, bad JSON) keeps the last groups,
// is logged once per change of error and counted. Only http:// URLs for now.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/discovery/discoverer.h"
#include "common/base/clock.h"
#include "common/config/schema.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::discovery {

struct HttpSdConfig {
  std::string url;
  int64_t refresh_interval_ms = 60 * 1000;
};

const common::Schema<HttpSdConfig>& HttpSdConfigSchema();

class HttpDiscoverer final : public Discoverer {
 public:
  // Largest response accepted.
  static constexpr size_t kMaxBodyBytes = 16 << 20;

  HttpDiscoverer(HttpSdConfig config, const common::Clock& clock, common::Counter& errors);
  std::optional<std::vector<TargetGroup>> Poll() override;

 private:
  // The groups the endpoint returns now, or the reason it could not be read.
  absl::StatusOr<std::vector<TargetGroup>> Fetch() const;

  const HttpSdConfig config_;
  const common::Clock& clock_;
  common::Counter& errors_;
  std::string host_;
  int port_ = 0;
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

// SplitUrl for http:// URLs only.
bool SplitHttpUrl(const std::string& url, std::string* host, int* port, std::string* path);

}  // namespace strata::agent::discovery
