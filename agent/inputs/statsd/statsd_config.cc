#include "agent/inputs/statsd/statsd_config.h"

#include <cmath>

namespace strata::agent::statsd {
namespace {

common::Schema<StatsdOptions> MakeSchema() {
  common::Schema<StatsdOptions> s;
  s.Bool("enabled", &StatsdOptions::enabled, "Receive StatsD / DogStatsD metrics.")
      .String("udp_listen", &StatsdOptions::udp_listen,
              "UDP address to listen on, host:port (\"\" disables UDP).")
      .String("tcp_listen", &StatsdOptions::tcp_listen,
              "TCP address to listen on, host:port, newline-delimited (\"\" disables TCP).")
      .DurationMs("flush_interval", &StatsdOptions::flush_interval_ms,
                  "How often the aggregated series are pushed (and timer quantiles reset).", 100)
      .DoubleList("quantiles", &StatsdOptions::quantiles,
                  "Quantiles reported for timers, histograms and distributions.")
      .DurationMs("series_ttl", &StatsdOptions::series_ttl_ms,
                  "A series not updated for this long is dropped and marked stale (0: never).")
      .Int("max_series", &StatsdOptions::max_series,
           "Series held at most; lines for new series beyond it are rejected and counted.", 1)
      .Int("max_tags", &StatsdOptions::max_tags, "Tags a line may carry; more are rejected.", 0,
           1000)
      .Int("max_packet_bytes", &StatsdOptions::max_packet_bytes,
           "Larger UDP datagrams are refused and counted.", 64, 65535)
      .Int("max_line_bytes", &StatsdOptions::max_line_bytes,
           "Longer TCP lines are refused and counted.", 64, 16 << 20)
      .Int("max_tcp_connections", &StatsdOptions::max_tcp_connections,
           "TCP connections held at most; more are closed at once and counted.", 1, 65536)
      .Int("udp_receive_buffer_bytes", &StatsdOptions::udp_receive_buffer_bytes,
           "SO_RCVBUF asked for the UDP socket (the kernel caps it at net.core.rmem_max).", 0,
           1 << 30)
      .Double("tdigest_compression", &StatsdOptions::tdigest_compression,
              "t-digest compression for timer quantiles (higher: more accurate, more memory).")
      .Int("hll_precision", &StatsdOptions::hll_precision,
           "HyperLogLog precision p for sets: 2^p registers, error about 1.04/sqrt(2^p).", 4, 18)
      .String("job", &StatsdOptions::job, "The job label on every StatsD series.")
      .String("instance", &StatsdOptions::instance,
              "The instance label on every StatsD series (default: hostname).")
      .Check([](const StatsdOptions& o) -> std::string {
        if (o.enabled && o.udp_listen.empty() && o.tcp_listen.empty()) {
          return "statsd is enabled but both udp_listen and tcp_listen are empty";
        }
        for (double q : o.quantiles) {
          if (!(q >= 0 && q <= 1)) return "quantiles must be between 0 and 1";
        }
        if (!(o.tdigest_compression >= 10 && o.tdigest_compression <= 1000)) {
          return "tdigest_compression must be between 10 and 1000";
        }
        return "";
      });
  return s;
}

}  // namespace

const common::Schema<StatsdOptions>& StatsdOptionsSchema() {
  static const common::Schema<StatsdOptions> schema = MakeSchema();
  return schema;
}

}  // namespace strata::agent::statsd
