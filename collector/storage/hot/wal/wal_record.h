#pragma once

// Payload codecs of the WAL record types. A kSeries record binds series refs to label sets
// (written once per new series); a kSamples record carries (ref, timestamp, value) triples that
// refer to refs defined by an earlier kSeries record; a kChunks record (checkpoints only) carries
// whole XOR chunks (collector/storage/hot/chunk/xor_chunk.h) of such refs, so a checkpoint costs
// what the head's memory does, about 1-4 bytes per sample instead of 10-12. The byte layout is
// described in collector/storage/FORMAT.md ("Write-ahead log"):
//
//   kSeries:  uvarint count, then per entry: ref (first: uvarint; then zigzag varint delta from
//             the previous ref), uvarint label count, per label uvarint name length + name bytes,
//             uvarint value length + value bytes.
//   kSamples: uvarint count, then per entry: zigzag varint ref delta, zigzag varint timestamp
//             delta (both from the previous entry, starting at 0), 8-byte little-endian IEEE-754
//             value bits (so the staleness NaN survives bit for bit).
//   kChunks:  uvarint count, then per entry: zigzag varint ref delta (from the previous entry,
//             starting at 0), uvarint chunk length, chunk bytes. The chunk bytes are not
//             validated here; the reader decodes them with XorChunkIterator, which checks them.
//   kColumns: uvarint count, then per entry: zigzag varint ref delta, uvarint sample count n,
//             uvarint timestamps source (0: the encoded timestamps follow as uvarint length +
//             bytes; k > 0: the same timestamps as entry k - 1 of this record, which must be
//             earlier and inline), uvarint values length + bytes. Timestamps and values are
//             block chunk codec columns (collector/storage/hot/chunk/block_chunk_codec.h), not
//             validated here; the reader decodes them with BlockChunkIterator, which checks them.
//
// Decoders take untrusted bytes: every count and length is checked against the bytes left before
// anything is reserved, trailing bytes are an error, and label sets must be strictly sorted by
// name with non-empty names and values (as common::Labels produces them). They return
// InvalidArgument describing the first problem and never crash.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/model/labels.h"

namespace strata::collector::hot {

struct WalSeries {
  uint64_t ref = 0;
  common::Labels labels;
  bool operator==(const WalSeries&) const = default;
};

struct WalSample {
  uint64_t ref = 0;
  int64_t timestamp_ms = 0;
  double value = 0;
};

// One chunk of a kChunks record. `data` borrows: the encoder's caller owns it; after decoding it
// points into the payload.
struct WalChunk {
  uint64_t ref = 0;
  std::string_view data;
};

// One entry of a kColumns record: the samples of one series as block-codec columns. `timestamps`
// and `values` borrow as in WalChunk; decoded entries that reuse an earlier entry's timestamps
// point at the same bytes.
struct WalColumns {
  uint64_t ref = 0;
  uint32_t num_samples = 0;
  std::string_view timestamps;
  std::string_view values;
};

// Append the encoding to `out` (which is not cleared).
void EncodeSeries(std::span<const WalSeries> series, std::string* out);
void EncodeSamples(std::span<const WalSample> samples, std::string* out);
void EncodeChunks(std::span<const WalChunk> chunks, std::string* out);
// Entries whose timestamps bytes equal an earlier entry's in the same call are written as a
// reference to it.
void EncodeColumns(std::span<const WalColumns> entries, std::string* out);

// Replace the contents of `out` with the decoded entries. On error `out` holds the entries decoded
// before the problem and should be discarded.
absl::Status DecodeSeries(std::string_view payload, std::vector<WalSeries>* out);
absl::Status DecodeSamples(std::string_view payload, std::vector<WalSample>* out);
absl::Status DecodeChunks(std::string_view payload, std::vector<WalChunk>* out);
absl::Status DecodeColumns(std::string_view payload, std::vector<WalColumns>* out);

}  // namespace strata::collector::hot
