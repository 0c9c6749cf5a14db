#include "agent/discovery/http_sd.h"

#include <httplib.h>

#include <algorithm>

#include "agent/discovery/bounded_get.h"
#include "agent/http/http_client.h"
#include "common/base/log.h"
#include "common/net/http_server.h"

namespace strata::agent::discovery {
namespace {

// The host and port of `url` as written ("sd.local:8080", "[::1]:9", "sd.local"): the Host
// header, as Prometheus sends it, and the server's name in error texts.
std::string Authority(const std::string& url) {
  const size_t start = url.find("://") + 3;
  return url.substr(start, url.find_first_of("/?", start) - start);
}

}  // namespace

bool SplitUrl(const std::string& url, std::string* scheme, std::string* host, int* port,
              std::string* path) {
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return false;
  *scheme = url.substr(0, sep);
  int default_port = 0;
  if (*scheme == "http") {
    default_port = 80;
  } else if (*scheme == "https") {
    default_port = 443;
  } else {
    return false;
  }
  const std::string rest = url.substr(sep + 3);
  const size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  *path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!path->empty() && (*path)[0] == '?') *path = "/" + *path;
  if (authority.empty() || authority.find('@') != std::string::npos) return false;
  // host:port or [v6]:port goes through the shared parser; without a port, the scheme's.
  const size_t close = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && (close == std::string::npos || colon > close)) {
    if (!common::SplitHostPort(authority, host, port) || *port == 0) return false;
    if (authority[0] != '[' && authority.substr(0, colon).empty()) return false;
  } else {
    if (authority[0] == '[' && close != authority.size() - 1) return false;
    *host = authority[0] == '[' ? authority.substr(1, authority.size() - 2) : authority;
    *port = default_port;
  }
  return !host->empty();
}

std::string JoinHostPort(const std::string& host, int port) {
  const std::string p = std::to_string(port);
  return host.find(':') != std::string::npos ? "[" + host + "]:" + p : host + ":" + p;
}

const common::Schema<HttpSdConfig>& HttpSdConfigSchema() {
  static const common::Schema<HttpSdConfig> schema = [] {
    common::Schema<HttpSdConfig> s;
    s.String("url", &HttpSdConfig::url,
             "http:// or https:// endpoint returning a JSON list of target groups")
        .DurationMs("refresh_interval", &HttpSdConfig::refresh_interval_ms,
                    "how often the endpoint is fetched", 1000)
        .Object("tls_config", &HttpSdConfig::tls_config, http::TlsConfigSchema(),
                "TLS settings for an https url (as a scrape job's)")
        .Object("basic_auth", &HttpSdConfig::basic_auth, http::BasicAuthSchema(),
                "HTTP basic authentication sent with every fetch (http or https)")
        .Object("authorization", &HttpSdConfig::authorization, http::AuthorizationSchema(),
                "Authorization header (type, then credentials) sent with every fetch")
        .Check([](const HttpSdConfig& c) -> std::string {
          std::string scheme, host, path;
          int port = 0;
          if (!SplitUrl(c.url, &scheme, &host, &port, &path)) {
            return "url \"" + c.url + "\" is not an http:// or https:// URL";
          }
          return http::CheckOneAuthorization(c.basic_auth, c.authorization);
        });
    return s;
  }();
  return schema;
}

HttpDiscoverer::HttpDiscoverer(HttpSdConfig config, const common::Clock& clock,
                               common::Counter& errors)
    : config_(std::move(config)),
      clock_(clock),
      errors_(errors),
      client_options_{config_.tls_config, config_.basic_auth, config_.authorization,
                      std::min<int64_t>(config_.refresh_interval_ms, 10000)} {
  SplitUrl(config_.url, &server_.scheme, &server_.host, &server_.port, &path_);  // checked
  server_.address = Authority(config_.url);
}

absl::StatusOr<std::vector<TargetGroup>> HttpDiscoverer::Fetch() const {
  absl::StatusOr<http::HttpClient> client = http::HttpClient::Create(server_, client_options_);
  if (!client.ok()) return client.status();
  const httplib::Headers headers = {{"Accept", "application/json"},
                                    {"User-Agent", "strata-agent"},
                                    {"Host", server_.address},
                                    {"X-Prometheus-Refresh-Interval-Seconds",
                                     std::to_string(config_.refresh_interval_ms / 1000)}};
  std::string body;
  bool too_large = false;
  auto res = GetBounded(*client, path_, headers, kMaxBodyBytes, &body, &too_large);
  if (too_large) {
    return absl::ResourceExhaustedError("response exceeds " + std::to_string(kMaxBodyBytes) +
                                        " bytes");
  }
  if (!res) return absl::UnavailableError(client->DescribeError(res.error()));
  if (res->status != 200) {
    return absl::UnavailableError("server returned HTTP status " + std::to_string(res->status));
  }
  const std::string type = res->get_header_value("Content-Type");
  if (type.compare(0, 16, "application/json") != 0) {
    return absl::InvalidArgumentError("unsupported content type \"" + type + "\"");
  }
  return ParseTargetGroups(body, "__meta_url", config_.url);
}

std::optional<std::vector<TargetGroup>> HttpDiscoverer::Poll() {
  const int64_t now = clock_.MonotonicMs();
  if (last_fetch_ms_ && now - *last_fetch_ms_ < config_.refresh_interval_ms) return std::nullopt;
  last_fetch_ms_ = now;
  absl::StatusOr<std::vector<TargetGroup>> fetched = Fetch();
  if (!fetched.ok()) {
    errors_.Inc();
    const std::string error(fetched.status().message());
    if (error != last_error_) {
      common::Log(common::LogLevel::kWarn, "discovery",
                  "HTTP SD endpoint not read; keeping its previous targets",
                  {{"url", config_.url}, {"error", error}});
    }
    last_error_ = error;
    // Nothing known yet: report the empty set once, so the job starts with its other targets.
    if (!groups_) {
      groups_.emplace();
      return groups_;
    }
    return std::nullopt;
  }
  if (!last_error_.empty()) {
    common::Log(common::LogLevel::kInfo, "discovery", "HTTP SD endpoint read again",
                {{"url", config_.url}});
  }
  last_error_.clear();
  if (groups_ && *groups_ == *fetched) return std::nullopt;
  groups_ = *std::move(fetched);
  return groups_;
}

}  // namespace strata::agent::discovery
