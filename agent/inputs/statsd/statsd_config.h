#pragma once

// The `statsd:` section of the agent's config: where the StatsD listeners bind, how often the
// aggregated series are flushed, and the bounds that keep a misbehaving client from exhausting
// the agent (series, tags, packet and line sizes, TCP connections).

#include <cstdint>
#include <string>
#include <vector>

#include "common/config/schema.h"

namespace strata::agent::statsd {

struct StatsdOptions {
  bool enabled = false;
  std::string udp_listen = "127.0.0.1:8125";  // "" = no UDP listener
  std::string tcp_listen = "127.0.0.1:8125";  // "" = no TCP listener
  int64_t flush_interval_ms = 10000;
  std::vector<double> quantiles = {0.5, 0.9, 0.99};
  int64_t series_ttl_ms = 300000;  // 0 = series never expire
  int64_t max_series = 100000;
  int64_t max_tags = 64;
  int64_t max_packet_bytes = 65535;  // UDP datagrams larger than this are refused
  int64_t max_line_bytes = 65536;    // TCP lines longer than this are refused
  int64_t max_tcp_connections = 256;
  int64_t udp_receive_buffer_bytes = 4 << 20;
  double tdigest_compression = 100;
  int64_t hll_precision = 14;
  std::string job = "statsd";
  std::string instance;  // "" = this machine's hostname
};

// Keys: enabled, udp_listen, tcp_listen, flush_interval, quantiles, series_ttl, max_series,
// max_tags, max_packet_bytes, max_line_bytes, max_tcp_connections, udp_receive_buffer_bytes,
// tdigest_compression, hll_precision, job, instance.
const common::Schema<StatsdOptions>& StatsdOptionsSchema();

}  // namespace strata::agent::statsd
