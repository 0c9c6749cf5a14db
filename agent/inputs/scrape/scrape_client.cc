#include "agent/inputs/scrape/scrape_client.h"

#include <httplib.h>

#include "absl/status/statusor.h"
#include "agent/http/http_client.h"

namespace strata::agent::scrape {
namespace {

// The Host header: the address as written, a bare IPv6 address in brackets.
std::string HostHeader(const ScrapeTarget& target) {
  if (target.address.find(':') != std::string::npos && target.address.front() != '[' &&
      target.address.find(':') != target.address.rfind(':')) {
    return "[" + target.address + "]";
  }
  return target.address;
}

}  // namespace

ScrapeClient::ScrapeClient(const ScrapeConfig& config, const common::Clock& clock)
    : clock_(clock),
      body_size_limit_bytes_(config.body_size_limit_bytes),
      options_{config.tls_config, config.basic_auth, config.authorization,
               config.scrape_timeout_ms} {}

FetchResult ScrapeClient::Fetch(const ScrapeTarget& target) const {
  FetchResult out;
  const int64_t timeout = options_.timeout_ms;
  httplib::Headers headers = {
      // OpenMetrics preferred, the text format accepted: Prometheus 2.x's Accept header.
      {"Accept",
       "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
       "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"},
      {"Accept-Encoding", "gzip"},
      {"X-Prometheus-Scrape-Timeout-Seconds", std::to_string(timeout / 1000.0)},
      {"User-Agent", "strata-agent"},
      {"Host", HostHeader(target)}};
  absl::StatusOr<http::HttpClient> client =
      http::HttpClient::Create({target.scheme, target.host, target.port, target.address}, options_);
  if (!client.ok()) return {std::string(client.status().message()), "", ""};

  std::string path = target.metrics_path;
  if (!target.query.empty()) {
    path += (path.find('?') == std::string::npos ? "?" : "&") + target.query;
  }
  const int64_t start = clock_.MonotonicMs();
  auto res = client->Get(path, std::move(headers), [&](const char* data, size_t len) {
    if (out.body.size() + len > static_cast<size_t>(body_size_limit_bytes_)) {
      out.error = "body exceeds body_size_limit";
      return false;
    }
    if (clock_.MonotonicMs() - start > timeout) {
      out.error = "scrape_timeout exceeded";
      return false;
    }
    out.body.append(data, len);
    return true;
  });
  if (!out.error.empty()) return out;
  if (!res) {
    out.error = client->DescribeError(res.error());
    return out;
  }
  if (res->status != 200) {
    out.error = "HTTP status " + std::to_string(res->status);
    return out;
  }
  out.content_type = res->get_header_value("Content-Type");
  return out;
}

}  // namespace strata::agent::scrape
