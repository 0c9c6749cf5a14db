#pragma once

// Bit-granular writer and reader for the chunk codecs (xor_chunk.h).
//
// Bits are packed most-significant-bit first: the first bit written is bit 7 of byte 0, the
// ninth is bit 7 of byte 1. WriteBits(value, n) emits the low n bits of value, high bit first,
// so a reader calling ReadBits(n) at the same position gets value back. The unused low bits of
// a partially filled last byte are always ones, so bytes() is a complete stream after any call.
// Ones rather than zeros because in the chunk codecs a run of zero bits is a valid sample
// ("same timestamp step, same value"): a reader could not tell zero padding from a sample and
// would miss a corrupted sample count, whereas no sample fits in fewer than 8 one bits.
//
// BitWriter owns its buffer and appends to it; BitReader borrows a byte span that must outlive
// it. Neither is thread-safe; each is used by one thread at a time (the series' appender or one
// query). The reader treats its input as untrusted: reading past the end never touches memory
// outside the span, sets a sticky error flag and yields zeros, so a decoder can run a whole
// step and test error() once.
//
// WriteBits/ReadBits/ReadBit are inline: they run several times per sample on the ingest and
// query hot paths. The varint helpers run once or twice per chunk and live in the .cc.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "common/base/check.h"

namespace strata::collector::hot {

class BitWriter {
 public:
  BitWriter() = default;

  // Appends one bit.
  void WriteBit(bool bit) {
    if (free_bits_ == 0) {
      buf_.push_back(static_cast<char>(0xff));
      free_bits_ = 8;
    }
    --free_bits_;
    if (!bit) buf_.back() = static_cast<char>(buf_.back() & ~(1 << free_bits_));
  }

  // Appends the low `nbits` bits of `value` (0 <= nbits <= 64), most significant first. Bits of
  // `value` above `nbits` are ignored.
  void WriteBits(uint64_t value, int nbits) {
    STRATA_DCHECK(nbits >= 0 && nbits <= 64) << "nbits=" << nbits;
    if (nbits < 64) value &= (uint64_t{1} << nbits) - 1;
    if (free_bits_ > 0) {
      const unsigned open = static_cast<uint8_t>(buf_.back()) & ~((1u << free_bits_) - 1);
      if (nbits <= free_bits_) {
        // Keep the padding ones below the new bits.
        free_bits_ -= nbits;
        buf_.back() = static_cast<char>(open | (value << free_bits_) | ((1u << free_bits_) - 1));
        return;
      }
      // Top `free_bits_` bits of the value complete the partial byte.
      nbits -= free_bits_;
      buf_.back() = static_cast<char>(open | (value >> nbits));
      free_bits_ = 0;
    }
    while (nbits >= 8) {
      nbits -= 8;
      buf_.push_back(static_cast<char>(value >> nbits));
    }
    if (nbits > 0) {
      free_bits_ = 8 - nbits;
      buf_.push_back(static_cast<char>((value << free_bits_) | ((1u << free_bits_) - 1)));
    }
  }

  // Appends `value` as an unsigned LEB128 varint (7 bits per byte, least significant group
  // first, high bit set on every byte but the last): 1 to 10 bytes.
  void WriteUvarint(uint64_t value);

  // Replaces a byte already written. For fixed-size headers whose content (a count) is only
  // known later; the index must be below bytes().size() and the byte must not be the partial
  // last byte's still-open bits (callers patch whole header bytes only).
  void OverwriteByte(size_t index, uint8_t value) {
    STRATA_DCHECK(index < buf_.size()) << "index=" << index;
    buf_[index] = static_cast<char>(value);
  }

  // Number of bits written so far.
  size_t bit_size() const { return buf_.size() * 8 - static_cast<size_t>(free_bits_); }

  // The stream so far, padded with one bits to a whole byte.
  const std::string& bytes() const { return buf_; }

  void Reserve(size_t bytes) { buf_.reserve(bytes); }

  // Empties the stream, keeping the buffer's capacity for reuse.
  void Clear() {
    buf_.clear();
    free_bits_ = 0;
  }

 private:
  std::string buf_;
  int free_bits_ = 0;  // unused (one) low-order bits of buf_.back(); 0 when byte-aligned
};

class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> data)
      : data_(data.data()), size_(data.size()), size_bits_(data.size() * 8) {}

  // Returns the next bit; past the end, returns false and sets error().
  bool ReadBit() {
    if (pos_ >= size_bits_) {
      error_ = true;
      return false;
    }
    const bool bit = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    ++pos_;
    return bit;
  }

  // Returns the next `nbits` bits (0 <= nbits <= 64) as an unsigned number, first bit most
  // significant. If fewer than `nbits` bits remain, returns 0, consumes the rest of the input
  // and sets error().
  uint64_t ReadBits(int nbits) {
    if (nbits <= 0) return 0;
    if (static_cast<size_t>(nbits) > size_bits_ - pos_) {
      error_ = true;
      pos_ = size_bits_;
      return 0;
    }
    // One 8-byte window holds any 56 bits whatever the bit offset (7 + 56 < 64); wider reads
    // are split in two.
    if (nbits > 56) {
      const uint64_t high = ReadChecked(nbits - 32);
      return (high << 32) | ReadChecked(32);
    }
    return ReadChecked(nbits);
  }

  // Reads `count` numbers of `nbits` bits each (0 <= nbits <= 64) and calls emit(i, number) for
  // i = 0..count-1 in order: the same numbers, position and error as `count` calls of
  // ReadBits(nbits). Numbers are read from 8-byte windows without a bounds check each (the last
  // few bytes through a zero-padded copy of them), and `emit` is inlined into that loop, so a
  // caller that turns the numbers into values (delta_pack.h) does so in the same pass.
  template <class Emit>
  void ReadBitsEach(int nbits, size_t count, Emit&& emit) {
    if (nbits <= 0) {  // a constant run (a counter that does not move): no bits, all zeros
      for (size_t i = 0; i < count; ++i) emit(i, uint64_t{0});
      return;
    }
    if (nbits > 56 || count * static_cast<size_t>(nbits) > size_bits_ - pos_) {
      for (size_t i = 0; i < count; ++i) emit(i, ReadBits(nbits));  // wide, or runs out
      return;
    }
    const int drop = 64 - nbits;
    const size_t step = static_cast<size_t>(nbits);
    size_t i = 0;
    size_t pos = pos_;
    if (size_ >= 8) {
      // A read at bit p touches bytes [p / 8, p / 8 + 8): inside the input for p <= last.
      const size_t last = (size_ - 8) * 8 + 7;
      if (pos <= last) {
        const size_t safe = std::min(count, (last - pos) / step + 1);
        for (; i < safe; ++i) {
          emit(i, (Window(data_ + (pos >> 3)) << (pos & 7)) >> drop);
          pos += step;
        }
      }
    }
    if (i < count) {
      // The rest lies in the input's last (at most 8) bytes: read them from a copy padded
      // with zeros, which only ever fill bits below the numbers' own.
      const size_t first_byte = pos >> 3;
      uint8_t tail[16] = {};
      std::memcpy(tail, data_ + first_byte, size_ - first_byte);
      size_t p = pos - first_byte * 8;
      for (; i < count; ++i) {
        emit(i, (Window(tail + (p >> 3)) << (p & 7)) >> drop);
        p += step;
      }
      pos = first_byte * 8 + p;
    }
    pos_ = pos;
  }

  // Reads `count` numbers of `nbits` bits each into out[0..count) (ReadBitsEach storing them).
  void ReadBitsBatch(int nbits, size_t count, uint64_t* out) {
    ReadBitsEach(nbits, count, [out](size_t i, uint64_t x) { out[i] = x; });
  }

  // Reads an unsigned LEB128 varint written by BitWriter::WriteUvarint. A varint longer than 10
  // bytes or overflowing 64 bits, or running past the end, returns 0 and sets error().
  uint64_t ReadUvarint();

  // True once any read ran past the end or a varint was malformed. Sticky.
  bool error() const { return error_; }
  void set_error() { error_ = true; }

  size_t bits_remaining() const { return size_bits_ - pos_; }

 private:
  // The 8 bytes at p as a big-endian number.
  static uint64_t Window(const uint8_t* p) {
    uint64_t window;
    std::memcpy(&window, p, 8);
    if constexpr (std::endian::native == std::endian::little) window = __builtin_bswap64(window);
    return window;
  }

  // Precondition: 1 <= nbits <= 56 and nbits <= bits_remaining().
  uint64_t ReadChecked(int nbits) {
    const size_t byte = pos_ >> 3;
    const int shift = static_cast<int>(pos_ & 7);
    uint64_t window = 0;
    if (size_ - byte >= 8) {
      std::memcpy(&window, data_ + byte, 8);
      if constexpr (std::endian::native == std::endian::little) window = __builtin_bswap64(window);
    } else {
      // Near the end: assemble only the bytes that exist; the bits we need are among them.
      for (size_t i = byte; i < size_; ++i) {
        window |= uint64_t{data_[i]} << (56 - 8 * (i - byte));
      }
    }
    pos_ += static_cast<size_t>(nbits);
    return (window << shift) >> (64 - nbits);
  }

  const uint8_t* data_;
  size_t size_;
  size_t size_bits_;
  size_t pos_ = 0;  // next bit to read
  bool error_ = false;
};

// ZigZag maps signed to unsigned so that small magnitudes of either sign get small codes:
// 0, -1, 1, -2, ... -> 0, 1, 2, 3, ...
inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode(uint64_t u) { return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1)); }

}  // namespace strata::collector::hot
