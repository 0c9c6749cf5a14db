#pragma once

// DeltaPack: a compact encoding of a sequence of int64 integers, used by the block chunk codec
// (block_chunk_codec.h) for timestamps and for values that are integers once scaled.
//
// Algorithm: the sequence is replaced by its differences of order 0, 1 or 2 (the residuals;
// order 1 suits counters and random walks, order 2 regular timestamps), then frame-of-reference
// bit-packing (Goldstein, Ramakrishnan, Shaft, "Compressing relations and indexes", ICDE 1998)
// with two refinements: residuals are divided by their greatest common divisor (gauges that move
// in 4096-byte pages, timestamps on whole seconds), and they are packed in miniblocks of 64, each
// with its own minimum and bit width, as in Apache Parquet's DELTA_BINARY_PACKED, so that one
// outlier (a counter reset, a missed scrape) widens 64 residuals and not the whole sequence. The
// encoder computes the exact size of every order with both a single frame for all residuals and
// per-miniblock frames, and writes the smallest; the decoder handles all six.
//
// For residuals drawn from a distribution of standard deviation s, a frame costs about
// log2(range of 64 draws) ~ log2(s) + 2.5 bits per value, within a bit of their entropy.
// Constant sequences cost only their header. Lossless for every int64 sequence: all arithmetic is
// modulo 2^64.
//
// Layout (n values; n is not stored, the caller knows it; all varints LEB128, "zz" = ZigZag):
//   byte    flags: bits 0-1 order o (0, 1 or 2), bit 2 layout (0 = one frame, 1 = miniblocks);
//           other bits zero
//   min(o, n) zz varints: x0, then (for o = 2) x1 - x0
//   if n > o, with m = n - o residuals r (differences of order o, modulo 2^64, read as int64):
//     zz varint  r_min, the smallest residual
//     varint     g >= 1: every r - r_min is a multiple of g
//     layout 0:  byte w <= 64; the body holds (r - r_min) / g in w bits per residual
//     layout 1:  ceil(m / 64) miniblock headers, each a varint q = (mb_min - r_min) / g and a
//                byte w <= 64; the body holds (r - mb_min) / g in w bits per residual, where
//                mb_min = r_min + q * g
//   body: the packed residuals in order, most significant bit first (bit_stream.h), padded with
//         one bits to a whole byte. The encoding ends there: a decoder given more or fewer bytes
//         than the headers imply rejects it.
//
// Threading: encoder and decoder objects are used by one thread at a time.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "collector/storage/hot/chunk/bit_stream.h"

namespace strata::collector::hot {

class DeltaPackEncoder {
 public:
  static constexpr size_t kMiniblockSize = 64;

  // Bytes Encode(values) would append. O(n); uses internal scratch space, so no allocation once
  // the scratch has grown to the longest sequence seen. If `order` is not null it receives the
  // difference order of that smallest encoding, which Encode may be given to skip the search.
  size_t EncodedSize(std::span<const int64_t> values, int* order = nullptr);

  // Appends the smallest encoding of `values` (any length, including 0) to *out; with `order` in
  // 0..2 (as returned by EncodedSize for the same values), the smallest of that order.
  void Encode(std::span<const int64_t> values, std::string* out, int order = -1);

 private:
  struct Plan {
    int order = 0;
    bool miniblocks = false;
    uint64_t min = 0;  // smallest and largest residual, as the bits of int64s
    uint64_t max = 0;
    uint64_t gcd = 1;
    size_t size = 0;  // total bytes
  };
  // Fills residuals_ for `order` and returns the cheaper layout's plan for it.
  Plan PlanOrder(std::span<const int64_t> values, int order);
  Plan Best(std::span<const int64_t> values);

  // Scratch for the order last planned: its residuals, and each miniblock's extremes (int64s as
  // uint64 bits).
  std::vector<uint64_t> residuals_;
  std::vector<uint64_t> mb_min_;
  std::vector<uint64_t> mb_max_;
  BitWriter body_;
};

// Decodes n values encoded by DeltaPackEncoder that occupy exactly `data`. Borrows `data`. The
// input is untrusted: the constructor checks the headers and that the body has exactly the implied
// length, so that Next() can never run out of input; malformed input sets error() and Next()
// returns false. Never allocates; each Next() is O(1), so decoding is bounded by n (the caller
// bounds n, e.g. by kBlockChunkMaxSamples).
class DeltaPackDecoder {
 public:
  // A larger n is rejected (keeps the size arithmetic far from overflow).
  static constexpr size_t kMaxValues = size_t{1} << 32;

  DeltaPackDecoder(std::span<const uint8_t> data, size_t n);

  // Writes the next value to *value. False after n values or on malformed input.
  bool Next(int64_t* value);
  // Writes the next up to `max` values to out[0..) and returns how many: fewer than `max` only
  // at the end (or on malformed input, then error()). The same values as calling Next() that many
  // times, without a call and the order and frame checks per value.
  size_t NextBatch(int64_t* out, size_t max);

  bool error() const { return error_; }

 private:
  bool Fail() {
    error_ = true;
    return false;
  }
  // Reads the next miniblock header at headers_pos_ (already validated by the constructor).
  void NextMiniblock();

  std::span<const uint8_t> data_;
  BitReader body_;
  size_t n_;
  size_t index_ = 0;
  int order_ = 0;
  bool miniblocks_ = false;
  bool error_ = false;
  uint64_t first_[2] = {0, 0};  // x0 and x1 - x0 as read
  uint64_t min_ = 0;            // r_min
  uint64_t gcd_ = 1;
  size_t headers_pos_ = 0;   // next miniblock header in data_
  size_t in_miniblock_ = 0;  // residuals left in the current miniblock
  uint64_t frame_min_ = 0;
  int width_ = 0;
  uint64_t prev_ = 0;   // previous value
  uint64_t delta_ = 0;  // previous first difference (order 2)
};

}  // namespace strata::collector::hot
