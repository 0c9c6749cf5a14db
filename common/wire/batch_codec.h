#pragma once

// Encoding and decoding of protocol batches (proto/strata/v1/ingest.proto): grouping samples by
// interned series, protobuf serialization, LZ4 block compression and the XXH64 payload checksum.
//
// Agent side: EncodeBatch(). Collector side: one SeriesRefTable per stream; Decode() validates a
// batch completely (sizes are checked before any allocation, refs resolved, labels validated)
// without changing the table, and Commit() adds the batch's definitions once the batch has been
// accepted by storage, so a rejected batch leaves the stream state untouched.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/model/packed_labels.h"
#include "common/model/sample.h"
#include "common/wire/series_interner.h"
#include "strata/v1/ingest.pb.h"

namespace strata::common::wire {

struct EncodeOptions {
  bool compress = true;  // COMPRESSION_LZ4_BLOCK, else COMPRESSION_NONE
};

struct EncodeStats {
  size_t uncompressed_bytes = 0;
  size_t compressed_bytes = 0;
  std::vector<uint32_t> defined_refs;  // pass to SeriesInterner::Confirm() when acked
};

// Working buffers of EncodeBatch, kept by a caller that encodes batch after batch (the
// exporter) so that steady state allocates nothing but the payload itself, which gets its exact
// size. Opaque: its contents between calls mean nothing.
struct EncodeScratch {
  struct Group {
    uint32_t ref;
    uint32_t first;
    uint32_t last;
    uint32_t count;
  };
  std::string raw;
  std::string compressed;
  std::vector<Group> groups;
  std::vector<uint32_t> next;
  absl::flat_hash_map<uint32_t, uint32_t> group_of_ref;
};

// Encodes `samples` into `out`. Series the collector has not confirmed get a definition.
// `scratch`, when given, lends its buffers (see EncodeScratch); otherwise they are local.
void EncodeBatch(const SampleBatch& samples, uint64_t batch_id, const std::string& agent_id,
                 SeriesInterner& interner, const EncodeOptions& options, v1::Batch* out,
                 EncodeStats* stats, EncodeScratch* scratch = nullptr);

struct DecodeLimits {
  uint32_t max_compressed_bytes = 16u << 20;
  uint32_t max_uncompressed_bytes = 64u << 20;
  uint32_t max_series_refs = 1u << 20;  // per stream
};

// A rejected batch: the reason travels back to the agent in a v1::Reject.
struct DecodeError {
  v1::RejectReason reason = v1::REJECT_REASON_UNSPECIFIED;
  std::string message;
};

// One series of a decoded batch. Both members borrow: `labels` (canonical: sorted, unique
// names, no empty value) from DecodedBatch::label_views, whose strings point into the packed
// label sets of the SeriesRefTable or of DecodedBatch::definitions; `samples` from
// DecodedBatch::samples. Valid while the batch and the table it was decoded against live, until
// a later Commit() replaces a definition it uses.
struct DecodedSeries {
  std::span<const LabelView> labels;
  std::span<const Sample> samples;
};

// Move-only: the series' spans point into `samples`, whose buffer moves with it.
struct DecodedBatch {
  DecodedBatch() = default;
  DecodedBatch(DecodedBatch&&) = default;
  DecodedBatch& operator=(DecodedBatch&&) = default;
  DecodedBatch(const DecodedBatch&) = delete;
  DecodedBatch& operator=(const DecodedBatch&) = delete;

  uint64_t batch_id = 0;
  std::vector<DecodedSeries> series;
  std::vector<Sample> samples;  // every sample of the batch, series after series
  uint64_t num_samples = 0;
  std::vector<LabelView> label_views;  // every series' labels, series after series
  // Definitions carried by this batch, moved into the table by Commit().
  std::vector<std::pair<uint32_t, PackedLabels>> definitions;
};

// Decompresses and checks the payload of `batch` into `payload` (bounded by `limits`).
bool DecompressPayload(const v1::Batch& batch, const DecodeLimits& limits, std::string* payload,
                       DecodeError* error);

class SeriesRefTable {
 public:
  explicit SeriesRefTable(DecodeLimits limits) : limits_(limits) {}

  // Fully decodes and validates `batch`. Returns false with `error` set when the batch must be
  // rejected; the table is not modified either way.
  bool Decode(const v1::Batch& batch, DecodedBatch* out, DecodeError* error) const;
  // Moves the batch's definitions into the table (call once the batch has been accepted and its
  // series used; their label views stay valid while the table keeps those definitions).
  void Commit(DecodedBatch& batch);
  size_t size() const { return refs_.size(); }

 private:
  DecodeLimits limits_;
  // Packed: a stream's table holds every series its agent sends, for the stream's life (about
  // 100 bytes per node_exporter series instead of about 500 as Labels).
  absl::flat_hash_map<uint32_t, PackedLabels> refs_;
};

}  // namespace strata::common::wire
