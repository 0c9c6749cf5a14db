#pragma once

// Ships queued samples to the collector over one mTLS gRPC stream (proto/strata/v1/ingest.proto).
//
// One exporter thread owns the connection: it connects (waiting for the TLS handshake), opens the
// stream, and sends batches of up to max_batch_samples every flush interval, keeping at most
// max_in_flight_batches unacknowledged. A reader thread per stream takes acks and rejections.
// When the stream breaks, unacknowledged batches go back to the front of the queue, the series
// table starts afresh, and the exporter reconnects with exponential backoff (with jitter).
//
// Rejections: UNAVAILABLE is retried; UNKNOWN_SERIES_REF restarts the stream and retries;
// every other reason is permanent for that batch, whose samples are dropped and counted.
//
// Stop(deadline) stops taking new work once the queue is drained, waits for outstanding acks
// until the deadline, then closes the stream.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "agent/sample_queue.h"
#include "common/base/clock.h"
#include "common/net/tls_files.h"
#include "common/selfmon/metrics.h"
#include "common/wire/batch_codec.h"

namespace strata::agent {

struct ExporterOptions {
  std::string address = "localhost:9471";
  std::string agent_id;
  common::TlsFileOptions tls;
  std::string server_name;  // TLS name to verify, when it differs from the address' host
  int64_t flush_interval_ms = 1000;
  int64_t max_batch_samples = 10000;
  int64_t max_in_flight_batches = 8;
  int64_t connect_timeout_ms = 5000;
  int64_t backoff_initial_ms = 200;
  int64_t backoff_max_ms = 30000;
  bool compress = true;
};

class GrpcExporter {
 public:
  GrpcExporter(ExporterOptions options, SampleQueue& queue, common::Registry& registry);
  ~GrpcExporter();

  // Loads the TLS files and starts the exporter thread. Fails on unreadable TLS material.
  absl::Status Start();
  // Flushes what is queued and in flight for at most `flush_timeout_ms`, then stops.
  void Stop(int64_t flush_timeout_ms);

 private:
  struct InFlight {
    common::SampleBatch samples;
    std::vector<uint32_t> defined_refs;
  };
  void Run();
  // Runs one connected stream until it breaks or the exporter is told to stop.
  void RunSession();
  bool SleepInterruptible(int64_t ms);

  ExporterOptions options_;
  SampleQueue& queue_;
  common::Registry& registry_;
  common::TlsMaterial tls_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;    // guarded by mu_
  int64_t drain_deadline_ms_ = 0;  // steady clock, guarded by mu_

  common::SystemClock clock_;
  std::thread thread_;
  uint64_t next_batch_id_ = 1;

  common::Counter& batches_acked_;
  common::Counter& samples_acked_;
  common::Counter& connect_failures_;
  common::Counter& stream_breaks_;
  common::Counter& bytes_sent_;
  common::Counter& bytes_uncompressed_;
  common::Gauge& connected_;
  common::Gauge& in_flight_gauge_;
};

}  // namespace strata::agent
