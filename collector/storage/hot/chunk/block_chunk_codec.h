#pragma once

// Block chunk codec: the encoding of one series' samples inside an on-disk block (block_writer.h,
// FORMAT.md "Blocks"). The head keeps XOR chunks (xor_chunk.h), which append in O(1) but spend
// about 7 bits per timestamp and XOR-code decimal values poorly; a block is written once and read
// many times, so its writer can afford to look at a whole chunk and pick the cheapest of several
// encodings. Timestamps and values are encoded separately, so that the block writer can store a
// timestamp column once and share it between every chunk with the same timestamps (all series
// of one scrape target).
//
// Timestamps: DeltaPack (delta_pack.h), in practice order 1 or 2 with a frame of reference; the
// count n is stored by the caller (the block's timestamps record).
//
// Values: the first byte names one of four encodings, chosen per chunk by exact encoded size
// (ties go to the earlier line):
//   1 decimal, divide     v = m / 10^k       m integers, DeltaPack-ed; 0 <= k <= 18
//   2 decimal, multiply   v = m * 10^-k      (10^-k is the double nearest to it)
//   3 raw bits            the 64-bit patterns as int64 integers, DeltaPack-ed
//   4 XOR                 Gorilla value codes (xor_chunk.h), padded with one bits to a byte
// Decimal is what most Prometheus values are: integer counters and gauges (k = 0), or decimals
// with a few digits. Both ways to compute a decimal are supported because both occur: parsing
// "12.34" or dividing ticks by 100 gives the double nearest to 1234/100 (mode 1), while
// computing round(x / 0.01) * 0.01 or ticks * 0.01 may give its neighbour (mode 2). Lossless:
// the encoder keeps only values whose exact bit pattern the decoder's formula reproduces, and
// stores the others (NaN, including the staleness marker, infinities, -0.0, values needing more
// than 18 digits) as exceptions: their position and raw 64 bits. Raw bits suit full-precision
// floats that change smoothly (a histogram's _sum), and are not tried when every value is a
// decimal with digits after the point; XOR suits values that rarely change.
//
// Decimal layout: byte encoding (1 or 2); byte k; varint e (exceptions, <= n); e times: varint
// gap (the first exception's position, then the distance to the next one minus 1), 8 bytes of
// the value's bits, little-endian; then DeltaPack of n integers m through the end of the span.
// An exception's m is ignored by the decoder; the encoder interpolates it from the integers
// around it (or extrapolates at either end) so that it does not disturb the differences.
// Raw layout: byte 3; DeltaPack of n bit patterns through the end. XOR layout: byte 4; the value
// codes of n values; padding of 0-7 one bits; nothing after.
//
// Threading: one thread per encoder or iterator. The encoder keeps scratch buffers so that
// encoding does not allocate per sample (only when a chunk is longer than any before it).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "collector/storage/hot/chunk/bit_stream.h"
#include "collector/storage/hot/chunk/delta_pack.h"
#include "collector/storage/hot/chunk/xor_chunk.h"

namespace strata::collector::hot {

// Upper bound on the samples of one chunk, enforced by the decoder so that a corrupt count
// cannot make it spin (a constant DeltaPack column costs no bytes per value).
inline constexpr size_t kBlockChunkMaxSamples = 65535;

enum class BlockValueEncoding : uint8_t {
  kDecimalDivide = 1,
  kDecimalMultiply = 2,
  kRawBits = 3,
  kXor = 4,
};

class BlockChunkEncoder {
 public:
  static constexpr int kMaxDecimals = 18;

  // Appends the encoding of the timestamps `t` (non-decreasing, 1 to kBlockChunkMaxSamples).
  void EncodeTimestamps(std::span<const int64_t> t, std::string* out);

  // Appends the smallest encoding of the values `v` (1 to kBlockChunkMaxSamples) and returns
  // which one it is.
  BlockValueEncoding EncodeValues(std::span<const double> v, std::string* out);

 private:
  struct Decimal {
    BlockValueEncoding encoding;
    int k;
  };
  // Fills ints_ with the scaled integers of `v` at `d` and exceptions_ with the positions that do
  // not round-trip; returns the encoded size of the decimal encoding.
  size_t BuildDecimal(std::span<const double> v, Decimal d);
  // Sets ints_ at the exceptions' positions.
  void FillExceptions();

  DeltaPackEncoder pack_;
  int pack_order_ = -1;  // difference order of the last BuildDecimal's column
  std::vector<int64_t> ints_;
  std::vector<uint32_t> exceptions_;  // positions
  std::vector<int8_t> min_k_;         // per value: smallest k that round-trips, -1 if none
  BitWriter xor_;
};

// Decodes n samples from a timestamps encoding and a values encoding. Borrows both spans. The
// input is untrusted: a malformed encoding, n of 0 or above kBlockChunkMaxSamples, or decreasing
// timestamps make Next() return false with error() set, without reading outside the spans or
// allocating. Structure that can be checked up front (headers, lengths, exception positions) is
// checked by the constructor, so error() may already be true before the first Next().
//
//   BlockChunkIterator it(n, timestamps, values);
//   while (it.Next()) Use(it.t(), it.v());
//   if (it.error()) Reject(...);
// Decodes a timestamps column of n samples (1 to kBlockChunkMaxSamples) into out[0..n); false
// when it is malformed or not non-decreasing. A reader that meets the same column again (the
// block writer shares it between the series of one target) can keep the result and hand it to
// BlockChunkIterator's second constructor instead of decoding it once per series.
bool DecodeBlockTimestamps(std::span<const uint8_t> data, size_t n, int64_t* out);

class BlockChunkIterator {
 public:
  BlockChunkIterator(size_t n, std::span<const uint8_t> timestamps,
                     std::span<const uint8_t> values);
  // Over timestamps decoded (and checked) by DecodeBlockTimestamps; they must outlive the
  // iterator. n is timestamps.size().
  BlockChunkIterator(std::span<const int64_t> timestamps, std::span<const uint8_t> values);

  // Advances to the next sample: true if t() and v() hold it, false at the end or on malformed
  // input (then error() is true).
  bool Next();
  // Decodes the next up to min(max, kBatch) samples into t[0..) and v[0..) and returns how many:
  // 0 at the end or on malformed input (then error()). Same samples and checks as Next(), a
  // column at a time; t() and v() then hold the last one. Over pre-decoded timestamps `t` may be
  // null: the caller already has them.
  static constexpr size_t kBatch = 256;
  size_t NextBatch(int64_t* t, double* v, size_t max);

  int64_t t() const { return t_; }
  double v() const { return std::bit_cast<double>(bits_); }
  uint64_t v_bits() const { return bits_; }
  bool error() const { return error_; }
  size_t num_samples() const { return n_; }

 private:
  bool Fail() {
    error_ = true;
    return false;
  }
  // Reads the value encoding's header (the constructors' common part).
  void InitValues(std::span<const uint8_t> values);
  // Reads the next exception's position and bits, or marks that none is left.
  void LoadException();

  size_t n_;
  const int64_t* decoded_t_ = nullptr;  // pre-decoded timestamps, or null: decode timestamps_
  size_t index_ = 0;
  bool error_ = false;
  BlockValueEncoding encoding_ = BlockValueEncoding::kRawBits;
  DeltaPackDecoder timestamps_;
  DeltaPackDecoder ints_;                // decimal and raw bits
  double scale_ = 1;                     // 10^k (divide) or 10^-k (multiply)
  std::span<const uint8_t> exceptions_;  // unread part of the exception list
  size_t exceptions_left_ = 0;
  size_t next_exception_ = 0;  // position; n_ when none is left
  uint64_t exception_bits_ = 0;
  BitReader xor_in_;
  XorValueReader xor_;
  int64_t t_ = 0;
  uint64_t bits_ = 0;
};

}  // namespace strata::collector::hot
