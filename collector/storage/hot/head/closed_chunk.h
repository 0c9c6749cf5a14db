#pragma once

// A closed head chunk: the samples of one series that its open XOR chunk (xor_chunk.h) held when
// it filled up, re-encoded once with the block chunk codec (block_chunk_codec.h). Closed chunks
// are most of the head's memory (a series holds one to three hours of them); XOR spends 2-4
// bytes per typical Prometheus sample where the block codec spends about one, and a chunk is
// closed once and read rarely (queries of the last hours, checkpoints, duplicate checks).
//
// Layout: one heap array holding the timestamps encoding and then the values encoding; the
// object keeps the count, the two lengths and the time range, 40 bytes in all (an XOR
// chunk's entry, with its std::string, took 48). Encoding takes a
// few microseconds per 120-sample chunk (one per series per half hour at 15 s), paid on the
// append path under the shard lock.
//
// Threading: immutable once built; any number of iterators may read it. Encode() uses
// thread-local scratch buffers, so it may run on several threads at once.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "collector/storage/hot/chunk/block_chunk_codec.h"
#include "collector/storage/hot/chunk/xor_chunk.h"

namespace strata::collector::hot {

class ClosedChunk {
 public:
  // Re-encodes the samples of `open` (1 to kBlockChunkMaxSamples, a well-formed chunk the head
  // built). Bit-exact: every value, including NaN payloads such as the staleness marker, decodes
  // to the same 64 bits.
  static ClosedChunk Encode(const XorChunkAppender& open);

  int64_t min_t() const { return min_t_; }
  int64_t max_t() const { return max_t_; }
  size_t num_samples() const { return num_samples_; }
  // Heap bytes of the encoding (not counting this object).
  size_t encoded_bytes() const { return size_t{timestamps_bytes_} + values_bytes_; }

  std::span<const uint8_t> timestamps() const { return {data_.get(), timestamps_bytes_}; }
  std::span<const uint8_t> values() const {
    return {data_.get() + timestamps_bytes_, values_bytes_};
  }
  // An iterator over the samples; borrows this chunk.
  BlockChunkIterator Iterator() const {
    return BlockChunkIterator(num_samples_, timestamps(), values());
  }

 private:
  ClosedChunk() = default;

  int64_t min_t_ = 0;
  int64_t max_t_ = 0;
  std::unique_ptr<uint8_t[]> data_;
  uint32_t timestamps_bytes_ = 0;
  uint32_t values_bytes_ = 0;
  uint16_t num_samples_ = 0;
};

}  // namespace strata::collector::hot
