#pragma once

// A synthetic, deterministic node_exporter-like data set for the ingest benchmark, pre-encoded as
// Prometheus remote-write requests and as Strata agent-protocol batches.
//
// Shape: one "host" (scrape target instance=host-NNN:9100, job=node) exposes 100 series: 70
// counters (node_cpu_seconds_total per cpu/mode, network/disk/vmstat/netstat counters, a few that
// never move such as error counters), 24 gauges (memory and filesystem bytes doing random walks in
// 4 KiB steps, load averages with 2 decimals, small integer gauges, constants such as MemTotal)
// and one classic histogram (4 `_bucket` series with `le`, plus `_sum` and `_count`). N series =
// N/100 hosts. Every host is scraped every 15 s; all series of one scrape share its timestamp,
// which is the 15 s grid plus a per-host offset (targets are spread over the interval, as
// Prometheus does) plus a per-scrape jitter of -5..+5 ms. Values come from a per-host splitmix64
// stream seeded by (seed, host), so the data does not depend on how hosts are split into shards.
//
// Sending model: K senders ("shards", one per connection), each owning the hosts h with
// h % K == k, like K Prometheus servers with hashmod target sharding. A shard walks its hosts'
// scrapes in time order and cuts a request every `samples_per_request` samples (Prometheus'
// max_samples_per_send, default 2000): one TimeSeries with one sample each, so labels travel with
// every sample as in real remote write. A request thus spans part of one or two scrape
// intervals. The agent-protocol batches carry exactly the same samples, cut at the same points;
// each series is defined in the first batch that uses it and referenced by ref afterwards (the
// bench confirms refs as if that batch were acknowledged at once, valid because the collector
// handles a stream's batches in order).

#include <cstdint>
#include <string>
#include <vector>

#include "common/model/labels.h"
#include "strata/v1/ingest.pb.h"

namespace strata::bench {

struct DatasetOptions {
  int64_t series = 10000;  // rounded up to a multiple of 100 (series per host)
  int64_t hours = 24;
  int shards = 4;
  int samples_per_request = 2000;
  uint64_t seed = 1;
  int threads = 2;         // generation/encoding threads
  int64_t start_ms = 0;    // timestamp of the first scrape grid point
  bool build_grpc = true;  // also build agent-protocol batches
};

// One expected sample, for the spot checks against query results.
struct SpotSample {
  std::string selector;  // exact label matchers, e.g. {__name__="x",instance="...",...}
  int64_t timestamp_ms;
  double value;
};

struct Shard {
  std::vector<std::string> remote_write;  // snappy-compressed WriteRequest bodies, in send order
  std::vector<uint64_t> remote_write_samples;
  std::vector<v1::AgentMessage> grpc;  // same samples as remote_write, same order
  std::vector<uint64_t> grpc_samples;
};

struct Dataset {
  int64_t series = 0;
  int64_t hosts = 0;
  int64_t scrapes = 0;  // per series
  int64_t total_samples = 0;
  int64_t first_ms = 0;
  int64_t last_grid_ms = 0;  // grid point of the last scrape (each host's sample is at/after it)
  uint64_t remote_write_bytes = 0;
  uint64_t remote_write_uncompressed_bytes = 0;
  uint64_t grpc_bytes = 0;
  std::vector<Shard> shards;
  std::vector<SpotSample> spot;
};

// Generates and encodes the whole data set. Aborts with a message on an internal inconsistency
// (e.g. the first request does not parse back with the generated remote-write messages).
Dataset BuildDataset(const DatasetOptions& options);

}  // namespace strata::bench
