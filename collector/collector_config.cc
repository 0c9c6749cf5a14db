#include "collector/collector_config.h"

#include "common/base/log.h"

namespace strata::collector {

const common::Schema<CollectorConfig>& CollectorConfigSchema() {
  static const common::Schema<CollectorConfig> schema = [] {
    common::Schema<TlsConfig> tls;
    tls.String("ca_file", &TlsConfig::ca_file, "CA certificate (PEM) that signs agent certificates")
        .String("cert_file", &TlsConfig::cert_file, "collector certificate chain (PEM)")
        .String("key_file", &TlsConfig::key_file, "collector private key (PEM)");
    common::Schema<IngestConfig> ingest;
    ingest
        .Int("max_batch_bytes", &IngestConfig::max_batch_bytes,
             "largest compressed agent batch accepted; larger ones are rejected as OVERSIZED", 1024,
             1LL << 30)
        .Int("max_uncompressed_bytes", &IngestConfig::max_uncompressed_bytes,
             "largest declared uncompressed batch size accepted", 1024, 1LL << 31)
        .Int("max_series_per_stream", &IngestConfig::max_series_per_stream,
             "series refs one agent stream may define", 1, 1LL << 30)
        .Int("max_streams", &IngestConfig::max_streams, "agent streams served at once", 1, 65536)
        .Int("remote_write_max_body_bytes", &IngestConfig::remote_write_max_body_bytes,
             "largest compressed Prometheus remote-write body accepted (413 beyond)", 1024,
             1LL << 30)
        .Int("remote_write_max_uncompressed_bytes",
             &IngestConfig::remote_write_max_uncompressed_bytes,
             "largest decompressed remote-write request accepted (413 beyond)", 1024, 1LL << 31);
    common::Schema<StorageConfig> storage;
    storage
        .DurationMs("retention", &StorageConfig::retention_ms,
                    "how long raw samples are kept in the hot tier", 60000)
        .String("fsync", &StorageConfig::fsync,
                "always: a batch is acknowledged once fsynced to the WAL; interval: once written, "
                "fsynced every fsync_interval (a machine crash may lose that window)")
        .DurationMs("fsync_interval", &StorageConfig::fsync_interval_ms,
                    "WAL fsync period when fsync is interval", 1)
        .Int("wal_segment_size", &StorageConfig::wal_segment_size_bytes,
             "WAL segment file size in bytes", 1 << 20, 1LL << 30)
        .DurationMs("block_range", &StorageConfig::block_range_ms,
                    "time span of an on-disk block cut from the head (the head keeps about 1.5 "
                    "of them in memory)",
                    60000)
        .DurationMs("maintenance_interval", &StorageConfig::maintenance_interval_ms,
                    "how often blocks are cut, retention applied and the WAL checkpointed", 100)
        .Int("wal_checkpoint_segments", &StorageConfig::wal_checkpoint_segments,
             "write a WAL checkpoint (and delete older segments) once more segments than this "
             "have accumulated; bounds replay time at start",
             1, 1 << 20)
        .Int("max_samples_per_chunk", &StorageConfig::max_samples_per_chunk,
             "samples per compressed chunk before a new one is cut", 16, 65535)
        .DurationMs("out_of_order_window", &StorageConfig::out_of_order_window_ms,
                    "how far behind a series' newest sample a late sample is still accepted")
        .Int("max_series", &StorageConfig::max_series,
             "series stored at most; new series beyond it are rejected and counted", 1)
        .Int("max_series_per_metric", &StorageConfig::max_series_per_metric,
             "series one metric name may have (0 = unlimited); beyond it new series are rejected "
             "and counted per metric",
             0)
        .Check([](const StorageConfig& c) -> std::string {
          if (c.fsync != "always" && c.fsync != "interval") {
            return "fsync must be always or interval";
          }
          return "";
        });
    common::Schema<QueryConfig> query;
    query
        .DurationMs("lookback_delta", &QueryConfig::lookback_delta_ms,
                    "how far back an instant query looks for a series' latest sample", 1000)
        .Int("max_series", &QueryConfig::max_series, "series one series/labels request may return",
             1)
        .DurationMs("timeout", &QueryConfig::timeout_ms,
                    "longest a PromQL query may run (a request's timeout can only shorten it)", 1)
        .Int("max_samples", &QueryConfig::max_samples,
             "samples one PromQL query may load or hold at once", 1)
        .Bool("read_ahead", &QueryConfig::read_ahead,
              "a range query decodes storage on other threads while it evaluates")
        .Int("read_threads", &QueryConfig::read_threads,
             "threads that read and compute a range query's series, each a shard of them "
             "(with read_ahead; 1: one reader thread ahead of the evaluation)",
             1, 64);
    common::Schema<CollectorConfig> s;
    s.String("log_level", &CollectorConfig::log_level, "debug, info, warn or error")
        .String("data_dir", &CollectorConfig::data_dir,
                "directory for the collector's data (the hot tier's WAL is in data_dir/hot/wal)")
        .String("http_listen", &CollectorConfig::http_listen,
                "address of the HTTP API, /metrics and health endpoints (port 0 = any free port)")
        .String("grpc_listen", &CollectorConfig::grpc_listen,
                "address of the agent gRPC ingest endpoint, mTLS (port 0 = any free port)")
        .String("http_bearer_token_file", &CollectorConfig::http_bearer_token_file,
                "file holding a bearer token required on /api/ (empty = no auth)")
        .Object("tls", &CollectorConfig::tls, tls, "mutual TLS for agent connections")
        .Object("ingest", &CollectorConfig::ingest, ingest, "limits of the agent ingest path")
        .Object("storage", &CollectorConfig::storage, storage,
                "hot tier: WAL-backed compressed chunks")
        .Object("query", &CollectorConfig::query, query, "query API")
        .Check([](const CollectorConfig& c) -> std::string {
          common::LogLevel l;
          if (!common::ParseLogLevel(c.log_level, &l)) {
            return "log_level must be debug, info, warn or error";
          }
          return "";
        });
    return s;
  }();
  return schema;
}

}  // namespace strata::collector
