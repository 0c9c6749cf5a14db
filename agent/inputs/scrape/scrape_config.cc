#include "agent/inputs/scrape/scrape_config.h"

#include "common/model/names.h"

namespace strata::agent::scrape {

const common::Schema<ScrapeConfig>& ScrapeConfigSchema() {
  static const common::Schema<ScrapeConfig> schema = [] {
    common::Schema<StaticConfig> static_config;
    static_config.StringList("targets", &StaticConfig::targets, "host:port of each target")
        .StringMap("labels", &StaticConfig::labels, "labels added to every scraped series")
        .Check([](const StaticConfig& c) -> std::string {
          for (const auto& [k, v] : c.labels) {
            if (!common::IsValidLabelName(k)) return "invalid label name \"" + k + "\"";
          }
          return "";
        });
    common::Schema<ScrapeConfig> s;
    s.String("job_name", &ScrapeConfig::job_name, "value of the job label; must be unique")
        .DurationMs("scrape_interval", &ScrapeConfig::scrape_interval_ms, "how often to scrape",
                    100)
        .DurationMs("scrape_timeout", &ScrapeConfig::scrape_timeout_ms,
                    "a scrape taking longer fails with up=0", 10)
        .String("metrics_path", &ScrapeConfig::metrics_path, "HTTP path of the metrics")
        .String("scheme", &ScrapeConfig::scheme,
                "http or https (relabeling may change it per target through __scheme__)")
        .StringListMap("params", &ScrapeConfig::params,
                       "URL query parameters, name: [values]; __param_<name> labels start with "
                       "the first value and relabeling may change them")
        .Object("tls_config", &ScrapeConfig::tls_config, http::TlsConfigSchema(),
                "TLS settings for https targets")
        .Object("basic_auth", &ScrapeConfig::basic_auth, http::BasicAuthSchema(),
                "HTTP basic authentication sent with every scrape (http or https)")
        .Object("authorization", &ScrapeConfig::authorization, http::AuthorizationSchema(),
                "Authorization header (type, then credentials) sent with every scrape")
        .Bool("honor_labels", &ScrapeConfig::honor_labels,
              "keep the target's job/instance labels on conflict (else they become exported_*)")
        .Bool("honor_timestamps", &ScrapeConfig::honor_timestamps,
              "use timestamps from the exposition when present")
        .Int("body_size_limit", &ScrapeConfig::body_size_limit_bytes,
             "largest response body accepted, bytes; larger scrapes fail", 1024)
        .Int("sample_limit", &ScrapeConfig::sample_limit,
             "more series than this (after metric relabeling) fails the scrape; 0: no limit", 0)
        .Int("label_limit", &ScrapeConfig::label_limit,
             "a series with more labels than this fails the scrape; 0: no limit", 0)
        .Int("label_name_length_limit", &ScrapeConfig::label_name_length_limit,
             "a longer label name fails the scrape; 0: no limit", 0)
        .Int("label_value_length_limit", &ScrapeConfig::label_value_length_limit,
             "a longer label value fails the scrape; 0: no limit", 0)
        .ObjectList("static_configs", &ScrapeConfig::static_configs, static_config,
                    "fixed lists of targets")
        .ObjectList("file_sd_configs", &ScrapeConfig::file_sd_configs,
                    discovery::FileSdConfigSchema(),
                    "targets from JSON/YAML files, re-read when they change")
        .ObjectList("http_sd_configs", &ScrapeConfig::http_sd_configs,
                    discovery::HttpSdConfigSchema(),
                    "targets from an HTTP endpoint (Prometheus HTTP SD), fetched periodically")
        .ObjectList("kubernetes_sd_configs", &ScrapeConfig::kubernetes_sd_configs,
                    discovery::KubernetesSdConfigSchema(),
                    "pods on this node from the Kubernetes API (Prometheus' role: pod), listed "
                    "periodically")
        .ObjectList("relabel_configs", &ScrapeConfig::relabel_configs,
                    relabel::RelabelConfigSchema(),
                    "rewrite or drop targets before scraping (Prometheus relabel_config)")
        .ObjectList("metric_relabel_configs", &ScrapeConfig::metric_relabel_configs,
                    relabel::RelabelConfigSchema(),
                    "rewrite or drop scraped series before they are sent (Prometheus "
                    "relabel_config)")
        .Check([](const ScrapeConfig& c) -> std::string {
          if (c.job_name.empty()) return "job_name is required";
          if (c.scheme != "http" && c.scheme != "https") {
            return "scheme \"" + c.scheme + "\" is not supported (http or https)";
          }
          for (const auto& [name, values] : c.params) {
            if (name.empty()) return "params: a parameter name must not be empty";
          }
          if (std::string e = http::CheckOneAuthorization(c.basic_auth, c.authorization);
              !e.empty()) {
            return e;
          }
          if (c.scrape_timeout_ms > c.scrape_interval_ms) {
            return "scrape_timeout must not exceed scrape_interval";
          }
          return "";
        });
    return s;
  }();
  return schema;
}

}  // namespace strata::agent::scrape
