#pragma once

// The collector's side of the agent protocol (proto/strata/v1/ingest.proto): a gRPC service that
// reads batches from each agent stream, decodes them against the stream's series table, appends
// the samples to storage, and answers each batch with an Ack or a typed Reject.
//
// Threads: gRPC's synchronous server runs one handler thread per open stream (bounded by the
// server's thread cap). A batch is acknowledged only after every sample has been handed to the
// Appender, so an ack means "stored". Bad batches are rejected and counted by reason; they never
// end the stream.

#include <atomic>
#include <cstdint>

#include "collector/storage/storage.h"
#include "common/selfmon/metrics.h"
#include "common/wire/batch_codec.h"
#include "strata/v1/ingest.grpc.pb.h"

namespace strata::collector {

struct IngestOptions {
  common::wire::DecodeLimits limits;
};

class IngestService final : public v1::Ingest::Service {
 public:
  IngestService(IngestOptions options, Appender& appender, common::Registry& registry);

  grpc::Status Stream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::CollectorMessage, v1::AgentMessage>* stream) override;

  // Handles one batch: decodes, appends, commits the stream's definitions. Exposed for tests.
  v1::CollectorMessage HandleBatch(const v1::Batch& batch, common::wire::SeriesRefTable& table);

 private:
  void CountReject(v1::RejectReason reason);

  IngestOptions options_;
  Appender& appender_;
  common::Registry& registry_;
  common::Counter& batches_accepted_;
  common::Counter& samples_accepted_;
  common::Counter& samples_duplicate_;
  common::Counter& samples_out_of_bounds_;
  common::Counter& samples_series_limited_;
  common::Counter& bytes_received_;
  common::Counter& streams_total_;
  std::atomic<int64_t> active_streams_{0};
};

}  // namespace strata::collector
