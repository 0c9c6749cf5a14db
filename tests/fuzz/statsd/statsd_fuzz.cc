// Arbitrary bytes as a StatsD packet, applied to an aggregator and flushed twice: no crash, and
// every flushed sample a well-formed series (a valid metric name, canonical labels, job and
// instance set) whatever the names, tags and values. Small limits make the series cap, tag cap
// and expiry paths reachable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/inputs/statsd/statsd_aggregator.h"
#include "common/model/names.h"
#include "common/model/utf8.h"
#include "common/selfmon/metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  static common::Registry registry;
  agent::statsd::StatsdOptions options;
  options.max_series = 64;
  options.max_tags = 8;
  options.series_ttl_ms = 1000;
  options.hll_precision = 10;
  agent::statsd::StatsdAggregator agg(options, "fuzz", registry);
  std::string_view packet(reinterpret_cast<const char*>(data), size);
  agg.ApplyPacket(packet, 0);
  for (int64_t now : {int64_t{500}, int64_t{2000}}) {
    for (const common::SeriesSample& s : agg.Flush(now)) {
      if (!common::IsValidMetricName(s.labels.MetricName())) abort();
      if (!s.labels.Has("job") || !s.labels.Has("instance")) abort();
      std::string_view prev;
      for (const auto& l : s.labels) {
        if (l.value.empty() || l.name <= prev || !common::IsValidUtf8(l.value)) abort();
        if (l.name != common::kMetricNameLabel && !common::IsValidLabelName(l.name)) abort();
        prev = l.name;
      }
    }
  }
  if (agg.SeriesCount() != 0) abort();  // everything expired by 2000
  return 0;
}
