#pragma once

// The agent's configuration: defaults are the embedded config that works on one machine (ship to
// a collector on localhost, scrape the agent itself, the collector and a local node_exporter, read
// host counters). See packaging/config/agent.yaml for the reference.

#include <string>
#include <vector>

#include "agent/cardinality/cardinality_guard.h"
#include "agent/inputs/ebpf/ebpf_config.h"
#include "agent/inputs/host/host_input.h"
#include "agent/inputs/otlp/otlp_config.h"
#include "agent/inputs/scrape/scrape_config.h"
#include "agent/inputs/statsd/statsd_config.h"
#include "common/config/schema.h"

namespace strata::agent {

struct AgentTlsConfig {
  std::string ca_file = "certs/ca.pem";
  std::string cert_file = "certs/agent.pem";
  std::string key_file = "certs/agent-key.pem";
  std::string server_name;
};

struct CollectorConnConfig {
  std::string address = "localhost:9471";
  AgentTlsConfig tls;
  int64_t flush_interval_ms = 1000;
  int64_t max_batch_samples = 10000;
  int64_t max_in_flight_batches = 8;
  int64_t queue_max_samples = 2'000'000;
  int64_t connect_timeout_ms = 5000;
  int64_t backoff_max_ms = 30000;
  int64_t shutdown_flush_timeout_ms = 5000;
  bool compress = true;
};

struct AgentConfig {
  std::string log_level = "info";
  std::string agent_id;  // empty = hostname
  std::string http_listen = "127.0.0.1:9472";
  CollectorConnConfig collector;
  std::vector<scrape::ScrapeConfig> scrape_configs = DefaultScrapeConfigs();
  host::HostOptions host;
  statsd::StatsdOptions statsd;
  otlp::OtlpOptions otlp;
  ebpf::EbpfOptions ebpf;
  cardinality::CardinalityConfig cardinality;

  static std::vector<scrape::ScrapeConfig> DefaultScrapeConfigs();
};

const common::Schema<AgentConfig>& AgentConfigSchema();

}  // namespace strata::agent
