#pragma once

// XOR chunk: the hot tier's compressed encoding of up to 65535 samples of one series.
//
// Algorithm: delta-of-delta timestamps and XOR-ed float values, after Pelkonen et al., "Gorilla:
// A Fast, Scalable, In-Memory Time Series Database", VLDB 2015 (section 4.1). Differences from
// the paper, chosen for millisecond Prometheus-style scrapes: timestamps are int64 milliseconds
// (the paper uses seconds), so the delta-of-delta buckets are re-sized for a few ms of scrape
// jitter and for a missed scrape at up to a 60 s interval; the chunk carries its sample count so
// no end marker is needed; the XOR leading-zero count has 6 bits instead of 5 so it is never
// clamped; and the encoder picks between reusing the previous bit window and opening a new one by
// comparing their exact cost. Lossless: every timestamp and every value bit pattern (any NaN
// payload, the staleness marker, -0.0, infinities, denormals) round-trips exactly.
//
// Cost per sample (the paper's 1.37 bytes/sample is an average over Facebook's production mix):
//   timestamp: 1 bit on a perfectly regular interval, 7 bits with up to +-15 ms of change in the
//     interval, 12 bits up to +-256 ms, 21 bits up to +-65 s, 37 bits up to +-24 days, 69 beyond;
//   value: 1 bit if unchanged, else 2 + N bits (N = width of the reused window) or 14 + M bits
//     (M = significant bits of the XOR).
// Fixed cost per chunk: 2 (count) + 1..10 (first timestamp, 6 for current epoch ms) + 8 (first
// value) + 1..10 (second timestamp delta, 2 for 15 s) bytes. A constant series at a regular
// 15 s interval therefore takes 18 + ceil((1 + 2 * (n - 2)) / 8) bytes: 48 bytes for 120 samples.
//
// Layout (bit strings are written most significant bit first, see bit_stream.h):
//   bytes 0-1  sample count n, uint16 big-endian. 0 = empty chunk (nothing follows).
//   sample 0   timestamp t0 as a ZigZag-encoded LEB128 varint (1-10 bytes), then the value's 64
//              bits raw, big-endian (8 bytes).
//   sample 1   delta d1 = t1 - t0 >= 0 as a LEB128 varint (1-10 bytes), then the value code.
//   sample k>=2: the timestamp code for dod = dk - d(k-1), where dk = tk - t(k-1), then the value
//              code.
//   After sample n-1 the stream is padded with 1 bits to a whole byte; nothing else follows.
//   (Ones, not zeros: '00' is a whole sample, so zero padding could hide a wrong count.)
// Up to and including d1 the stream is byte-aligned; from the first value code on it is a bit
// stream. Deltas and delta-of-deltas are computed modulo 2^64 (timestamps may span the whole
// int64 range); dod is then read as a two's-complement int64 to choose its bucket.
//
// Timestamp code (dod as signed):
//   '0'                     dod == 0
//   '10'    + 5-bit dod     -16 .. 15
//   '110'   + 9-bit dod     -256 .. 255
//   '1110'  + 17-bit dod    -65536 .. 65535
//   '11110' + 32-bit dod    -2^31 .. 2^31-1
//   '11111' + 64-bit dod    anything else
// The n-bit fields are two's complement.
//
// Value code, x = bits(value) XOR bits(previous value):
//   '0'                     x == 0 (same bit pattern)
//   '10' + w bits           x fits the current window: w = the window's significant-bit count,
//                           the bits are x >> (64 - leading - w).
//   '11' + 6-bit leading L + 6-bit count S (0 means 64) + S bits
//                           opens a new window (L leading zero bits, S significant bits, L + S
//                           <= 64) and writes x >> (64 - L - S) in it.
// Before sample 1 the window is L = 0, S = 64 (the whole word), so '10' is always decodable.
//
// Threading: an appender is used by one writer; a chunk's bytes may be copied and read by any
// number of iterators. Not internally synchronized.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "collector/storage/hot/chunk/bit_stream.h"

namespace strata::collector::hot {

// The value half of the XOR code above, on its own: XorChunkAppender/XorChunkIterator interleave
// it with timestamp codes, and the block chunk codec (block_chunk_codec.h) uses it alone for
// values that are neither decimal nor smooth as integers. The first value is written as its raw
// 64 bits, every later one as a value code against the previous one. Not thread-safe.
class XorValueWriter {
 public:
  // Appends the code of the value with bit pattern `bits` to `out`.
  void Write(BitWriter& out, uint64_t bits);

 private:
  bool first_ = true;
  uint64_t last_ = 0;       // previous bit pattern
  int window_leading_ = 0;  // current XOR window, see the layout above
  int window_bits_ = 64;
};

class XorValueReader {
 public:
  // Reads the next value's bit pattern from `in` into *bits. Returns false on malformed input
  // (past the end, or a window wider than 64 bits); `in` may then be in any state.
  bool Read(BitReader& in, uint64_t* bits);

 private:
  bool first_ = true;
  uint64_t value_ = 0;
  int window_leading_ = 0;
  int window_bits_ = 64;
};

// Builds one XOR chunk. Appending never allocates except for the amortized growth of the
// byte buffer.
class XorChunkAppender {
 public:
  static constexpr size_t kMaxSamples = 65535;  // the header count is a uint16

  XorChunkAppender();

  // Appends (t, v). Returns false, and leaves the chunk unchanged, if t is less than the
  // previous sample's timestamp or the chunk already holds kMaxSamples samples; the caller then
  // cuts a new chunk (or drops an out-of-order sample). Equal timestamps are accepted and kept in
  // order: deduplication is the caller's policy.
  bool Append(int64_t t, double v);

  size_t num_samples() const { return num_samples_; }

  // The encoded chunk, complete and decodable after every Append.
  const std::string& bytes() const { return writer_.bytes(); }
  std::span<const uint8_t> span() const {
    return {reinterpret_cast<const uint8_t*>(bytes().data()), bytes().size()};
  }

  // First and last timestamp (timestamps are non-decreasing). 0 when the chunk is empty.
  int64_t MinTime() const { return first_t_; }
  int64_t MaxTime() const { return last_t_; }

  // Starts loading the bytes the next Append writes into the cache.
  void PrefetchTail() const {
    const std::string& b = writer_.bytes();
    __builtin_prefetch(b.data() + (b.empty() ? 0 : b.size() - 1), 1);
  }

 private:
  void WriteDod(int64_t dod);

  BitWriter writer_;
  XorValueWriter values_;
  size_t num_samples_ = 0;
  int64_t first_t_ = 0;
  int64_t last_t_ = 0;
  uint64_t last_delta_ = 0;  // t(k) - t(k-1) modulo 2^64
};

// Decodes a chunk. Borrows the bytes, which must outlive the iterator. The input is untrusted:
// a truncated or corrupt chunk makes Next() return false with error() set, after at most the
// declared count (<= 65535) of steps, without reading outside the span or allocating.
//
//   XorChunkIterator it(chunk_bytes);
//   while (it.Next()) Use(it.t(), it.v());
//   if (it.error()) Reject(...);
class XorChunkIterator {
 public:
  explicit XorChunkIterator(std::span<const uint8_t> chunk);
  explicit XorChunkIterator(std::string_view chunk)
      : XorChunkIterator(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(chunk.data()),
                                                  chunk.size())) {}

  // Advances to the next sample. Returns true if t() and v() now hold it; false at the end of
  // the chunk or on malformed input (then error() is true). A chunk is malformed if it is
  // shorter than its header, ends before its declared count of samples, decodes to a decreasing
  // timestamp or to an XOR window wider than 64 bits, or has anything but one-bit padding after its
  // last sample; in the last case the last sample is not returned.
  bool Next();

  int64_t t() const { return t_; }
  double v() const { return std::bit_cast<double>(value_); }
  uint64_t v_bits() const { return value_; }  // the value's exact bit pattern
  bool error() const { return error_; }

  // The sample count declared by the header (0 if the header is missing).
  size_t num_samples() const { return count_; }

 private:
  bool Fail() {
    error_ = true;
    return false;
  }
  bool ReadDod(uint64_t* dod);

  BitReader reader_;
  XorValueReader values_;
  size_t count_ = 0;
  size_t index_ = 0;  // samples returned so far
  bool error_ = false;
  int64_t t_ = 0;
  uint64_t delta_ = 0;
  uint64_t value_ = 0;
};

}  // namespace strata::collector::hot
