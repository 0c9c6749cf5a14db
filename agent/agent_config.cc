#include "agent/agent_config.h"

#include <set>

#include "common/base/log.h"

namespace strata::agent {

std::vector<scrape::ScrapeConfig> AgentConfig::DefaultScrapeConfigs() {
  auto job = [](std::string name, std::string target) {
    scrape::ScrapeConfig c;
    c.job_name = std::move(name);
    c.static_configs.push_back(scrape::StaticConfig{{std::move(target)}, {}});
    return c;
  };
  return {job("strata-agent", "localhost:9472"), job("strata-collector", "localhost:9470"),
          job("node", "localhost:9100")};
}

const common::Schema<AgentConfig>& AgentConfigSchema() {
  static const common::Schema<AgentConfig> schema = [] {
    common::Schema<AgentTlsConfig> tls;
    tls.String("ca_file", &AgentTlsConfig::ca_file,
               "CA certificate (PEM) that signs the collector's")
        .String("cert_file", &AgentTlsConfig::cert_file,
                "agent client certificate (PEM); the collector requires one")
        .String("key_file", &AgentTlsConfig::key_file, "agent private key (PEM)")
        .String("server_name", &AgentTlsConfig::server_name,
                "name to verify in the collector's certificate (default: the address' host)");
    common::Schema<CollectorConnConfig> conn;
    conn.String("address", &CollectorConnConfig::address, "collector gRPC address host:port")
        .Object("tls", &CollectorConnConfig::tls, tls, "mutual TLS")
        .DurationMs("flush_interval", &CollectorConnConfig::flush_interval_ms,
                    "longest a sample waits before its batch is sent", 10)
        .Int("max_batch_samples", &CollectorConnConfig::max_batch_samples, "samples per batch", 1,
             1'000'000)
        .Int("max_in_flight_batches", &CollectorConnConfig::max_in_flight_batches,
             "batches sent and not yet acknowledged", 1, 1024)
        .Int("queue_max_samples", &CollectorConnConfig::queue_max_samples,
             "samples buffered while the collector is slow or away; beyond it the oldest are "
             "dropped and counted",
             1000, 1LL << 32)
        .DurationMs("connect_timeout", &CollectorConnConfig::connect_timeout_ms,
                    "time allowed to connect and complete the TLS handshake", 100)
        .DurationMs("backoff_max", &CollectorConnConfig::backoff_max_ms,
                    "longest wait between reconnection attempts", 100)
        .DurationMs("shutdown_flush_timeout", &CollectorConnConfig::shutdown_flush_timeout_ms,
                    "time allowed at shutdown to deliver what is queued")
        .Bool("compress", &CollectorConnConfig::compress, "LZ4-compress batches");
    common::Schema<AgentConfig> s;
    s.String("log_level", &AgentConfig::log_level, "debug, info, warn or error")
        .String("agent_id", &AgentConfig::agent_id,
                "identity sent with every batch (default: hostname)")
        .String("http_listen", &AgentConfig::http_listen,
                "address of the agent's /metrics and /healthz (port 0 = any free port)")
        .Object("collector", &AgentConfig::collector, conn, "where and how samples are shipped")
        .ObjectList("scrape_configs", &AgentConfig::scrape_configs, scrape::ScrapeConfigSchema(),
                    "Prometheus-style scrape jobs")
        .Object("cardinality", &AgentConfig::cardinality, cardinality::CardinalityConfigSchema(),
                "series limits per metric and label-drop rules, applied before samples leave the "
                "host")
        .Object("host", &AgentConfig::host, host::HostOptionsSchema(),
                "host counters from /proc (node_exporter names)")
        .Object("statsd", &AgentConfig::statsd, statsd::StatsdOptionsSchema(),
                "StatsD / DogStatsD server (UDP and TCP), aggregated and flushed as series")
        .Object("otlp", &AgentConfig::otlp, otlp::OtlpOptionsSchema(),
                "OTLP metrics receivers (gRPC and HTTP), mapped onto Prometheus-style series")
        .Object("ebpf", &AgentConfig::ebpf, ebpf::EbpfOptionsSchema(),
                "kernel collectors in eBPF: run-queue and block I/O latency, TCP retransmits, "
                "syscalls and execs per cgroup, OOM kills")
        .Check([](const AgentConfig& c) -> std::string {
          common::LogLevel l;
          if (!common::ParseLogLevel(c.log_level, &l)) {
            return "log_level must be debug, info, warn or error";
          }
          std::set<std::string> jobs;
          for (const auto& j : c.scrape_configs) {
            if (!jobs.insert(j.job_name).second) {
              return "duplicate scrape job_name \"" + j.job_name + "\"";
            }
          }
          return "";
        });
    return s;
  }();
  return schema;
}

}  // namespace strata::agent
