#pragma once

// The collector's configuration: one struct with defaults (the embedded defaults that work on one
// machine) and one option table that parses and documents it. See
// packaging/config/collector.yaml for the reference.

#include <string>

#include "common/config/schema.h"

namespace strata::collector {

struct TlsConfig {
  std::string ca_file = "certs/ca.pem";
  std::string cert_file = "certs/collector.pem";
  std::string key_file = "certs/collector-key.pem";
};

struct IngestConfig {
  int64_t max_batch_bytes = 16 << 20;
  int64_t max_uncompressed_bytes = 64 << 20;
  int64_t max_series_per_stream = 1 << 20;
  int64_t max_streams = 256;
  int64_t remote_write_max_body_bytes = 32 << 20;
  int64_t remote_write_max_uncompressed_bytes = 128 << 20;
};

struct StorageConfig {
  int64_t retention_ms = 3LL * 24 * 3600 * 1000;
  std::string fsync = "always";  // always | interval
  int64_t fsync_interval_ms = 1000;
  int64_t wal_segment_size_bytes = 64LL << 20;
  int64_t wal_checkpoint_segments = 4;
  int64_t block_range_ms = 2LL * 3600 * 1000;
  int64_t maintenance_interval_ms = 60 * 1000;
  int64_t max_samples_per_chunk = 120;
  int64_t out_of_order_window_ms = 10LL * 60 * 1000;
  int64_t max_series = 1'000'000;
  int64_t max_series_per_metric = 0;
};

struct QueryConfig {
  int64_t lookback_delta_ms = 5LL * 60 * 1000;
  int64_t max_series = 100'000;
  int64_t timeout_ms = 2LL * 60 * 1000;
  int64_t max_samples = 50'000'000;
  bool read_ahead = true;
  int64_t read_threads = 2;
};

struct CollectorConfig {
  std::string log_level = "info";
  std::string data_dir = "strata-data";
  std::string http_listen = "0.0.0.0:9470";
  std::string grpc_listen = "0.0.0.0:9471";
  std::string http_bearer_token_file;
  TlsConfig tls;
  IngestConfig ingest;
  StorageConfig storage;
  QueryConfig query;
};

const common::Schema<CollectorConfig>& CollectorConfigSchema();

}  // namespace strata::collector
