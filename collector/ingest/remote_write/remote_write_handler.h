#pragma once

// Prometheus remote write 1.0 receiver (POST /api/v1/write), independent of the HTTP server: the
// route hands over the request body and two headers and sends back the status and message this
// handler returns. Message layout: proto/prometheus/remote_write.proto.
//
// Pipeline of one request, each step bounded before the next allocates:
//   body size <= max_body_bytes                        else 413 body_too_large
//   Content-Encoding is snappy                         else 415 unsupported_encoding
//   Content-Type is application/x-protobuf (or absent) else 415 unsupported_content_type
//   snappy's declared length <= max_uncompressed_bytes else 413 uncompressed_too_large
//   snappy block decodes                               else 400 snappy_decode_failed
//   WriteRequest parses                                else 400 protobuf_parse_failed
//   every series is valid                              else 400 naming the first bad series
//   append every series                                5xx on a storage error, else 204
//
// Decisions (senders retry 5xx and drop 4xx, so the code says whether retrying can help):
// - All or nothing on validation: all series are checked before the first append, so a 400
//   stores nothing. A bad series is a sender bug that a retry cannot fix; accepting the rest
//   would hide it. Prometheus answers bad label sets with 400 as well.
// - Per-sample outcomes reported by storage (duplicate timestamp, out of bounds, series limit)
//   are counted and answered with 204, as VictoriaMetrics does: a retry would get the same
//   outcome, and a 400 would make Prometheus drop the good samples of the same request.
// - A storage error answers 503 (Unavailable / ResourceExhausted) or 500 (anything else); both
//   are retried by senders. Series appended before the error stay stored; the retry re-sends
//   them and storage counts them as duplicates, so the end state is the same as one delivery.
// - Labels are sorted here whatever order the sender used (error messages echo them sorted); a
//   name sent twice is rejected (which value would be meant is unknowable). Empty values mean
//   "label absent", as in Prometheus.
// - Label values must be valid UTF-8 (the query API renders them as JSON). NaN and ±Inf sample
//   values, including the staleness marker, are stored bit for bit.
// - Exemplars, native histograms and metadata are not stored yet: they are counted as dropped
//   and do not fail the request.
//
// Threads: Handle() may be called concurrently. Each thread keeps its decompression buffer and
// the decoded request (write_request_decoder.h: label views into that buffer, samples in one
// array) for reuse, released after a request larger than kRetainedBufferBytes, so steady-state
// requests allocate nothing per series or sample; storage copies the labels of new series only.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "collector/storage/storage.h"
#include "common/selfmon/metrics.h"

namespace strata::collector::ingest {

struct RemoteWriteOptions {
  // Largest compressed request body accepted. The HTTP server should enforce the same cap while
  // reading, so a bigger body is never buffered.
  uint64_t max_body_bytes = 32ull << 20;
  // Largest uncompressed WriteRequest accepted, checked against snappy's declared length before
  // the output buffer is allocated. Values above 2 GiB - 1 act as 2 GiB - 1 (protobuf's limit).
  uint64_t max_uncompressed_bytes = 128ull << 20;
};

// Why a request was refused; each value is a `reason` label of
// strata_collector_remote_write_rejected_requests_total.
enum class RemoteWriteReject {
  kBodyTooLarge,
  kUnsupportedEncoding,
  kUnsupportedContentType,
  kUncompressedTooLarge,
  kSnappyDecodeFailed,
  kProtobufParseFailed,
  kMissingMetricName,
  kInvalidMetricName,
  kInvalidLabelName,
  kDuplicateLabelName,
  kInvalidLabelValue,
  kStorageError,
};
inline constexpr int kNumRemoteWriteRejects = 12;

// The label value used in metrics for `reason` ("body_too_large", ...).
std::string_view RemoteWriteRejectName(RemoteWriteReject reason);

struct RemoteWriteResult {
  int http_status = 204;
  // Empty on 204; otherwise a one-line explanation for the response body. Contains at most a
  // truncated, escaped rendering of the offending series.
  std::string error_message;
  // Set when http_status != 204.
  RemoteWriteReject reason = RemoteWriteReject::kStorageError;

  // What the request carried (zero when it was refused before parsing).
  uint64_t series = 0;
  uint64_t samples = 0;
  // Per-sample outcomes summed over all series that reached storage.
  AppendResult stored;
  uint64_t histograms_dropped = 0;
  uint64_t exemplars_dropped = 0;
  uint64_t metadata_dropped = 0;
};

class RemoteWriteHandler {
 public:
  // A decompression buffer grown past this size is freed after its request, so one huge request
  // does not pin memory on every HTTP thread.
  static constexpr uint64_t kRetainedBufferBytes = 4ull << 20;

  // `appender` and `registry` must outlive the handler. Registers all counters up front.
  RemoteWriteHandler(RemoteWriteOptions options, Appender& appender, common::Registry& registry);
  RemoteWriteHandler(const RemoteWriteHandler&) = delete;
  RemoteWriteHandler& operator=(const RemoteWriteHandler&) = delete;

  // Handles one POST body with its Content-Encoding and Content-Type header values ("" when
  // absent). Never throws; every outcome is a status code with counters updated.
  RemoteWriteResult Handle(std::string_view body, std::string_view content_encoding,
                           std::string_view content_type);

 private:
  // Fills the rejection fields of `result` and counts it.
  void Reject(RemoteWriteResult& result, int http_status, RemoteWriteReject reason,
              std::string message);
  common::Counter& RequestsWithCode(int http_status);
  // Decompresses and parses into `result`; the parsing state is private to the .cc file.
  void Process(std::string_view body, RemoteWriteResult& result);

  const RemoteWriteOptions options_;
  Appender& appender_;
  common::Registry& registry_;

  // strata_collector_remote_write_requests_total{code} for the codes Handle() can return.
  common::Counter& requests_204_;
  common::Counter& requests_400_;
  common::Counter& requests_413_;
  common::Counter& requests_415_;
  common::Counter& requests_500_;
  common::Counter& requests_503_;
  std::array<common::Counter*, kNumRemoteWriteRejects> rejected_requests_{};
  common::Counter& samples_;  // samples stored
  common::Counter& samples_duplicate_;
  common::Counter& samples_out_of_bounds_;
  common::Counter& samples_series_limited_;
  common::Counter& histograms_dropped_;
  common::Counter& exemplars_dropped_;
  common::Counter& metadata_dropped_;
};

}  // namespace strata::collector::ingest
