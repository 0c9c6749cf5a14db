#pragma once

// One scrape job, in the shape of Prometheus' scrape_configs (the subset supported so far:
// static_configs, file_sd_configs, http_sd_configs, kubernetes_sd_configs with role pod,
// relabel_configs and metric_relabel_configs, params, scheme http or https with tls_config,
// basic_auth and authorization).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "agent/discovery/file_sd.h"
#include "agent/discovery/http_sd.h"
#include "agent/discovery/kubernetes_sd_config.h"
#include "agent/discovery/target_group.h"
#include "agent/http/http_client_config.h"
#include "agent/inputs/scrape/scrape_limits.h"
#include "agent/relabel/relabel_config.h"
#include "common/config/schema.h"

namespace strata::agent::scrape {

using StaticConfig = discovery::TargetGroup;

struct ScrapeConfig {
  std::string job_name;
  int64_t scrape_interval_ms = 15000;
  int64_t scrape_timeout_ms = 10000;
  std::string metrics_path = "/metrics";
  std::string scheme = "http";  // http or https; __scheme__ may change it per target
  // URL query parameters, name -> values; each target starts with __param_<name> = the first
  // value (target_builder.h says how relabeling changes them).
  std::vector<std::pair<std::string, std::vector<std::string>>> params;
  http::TlsConfig tls_config;  // for https targets
  http::BasicAuth basic_auth;  // at most one of basic_auth and authorization
  http::Authorization authorization;
  bool honor_labels = false;
  bool honor_timestamps = true;
  int64_t body_size_limit_bytes = 64LL << 20;
  std::vector<StaticConfig> static_configs;
  std::vector<discovery::FileSdConfig> file_sd_configs;
  std::vector<discovery::HttpSdConfig> http_sd_configs;
  std::vector<discovery::KubernetesSdConfig> kubernetes_sd_configs;
  std::vector<relabel::RelabelConfig> relabel_configs;         // over each target's labels
  std::vector<relabel::RelabelConfig> metric_relabel_configs;  // over each scraped series
  int64_t sample_limit = 0;                                    // ScrapeLimits; 0: no limit
  int64_t label_limit = 0;
  int64_t label_name_length_limit = 0;
  int64_t label_value_length_limit = 0;

  ScrapeLimits Limits() const {
    return {sample_limit, label_limit, label_name_length_limit, label_value_length_limit};
  }
};

const common::Schema<ScrapeConfig>& ScrapeConfigSchema();

}  // namespace strata::agent::scrape
