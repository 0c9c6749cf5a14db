#pragma once

// Byte-aligned helpers for the block chunk codecs (delta_pack.h, block_chunk_codec.h): LEB128
// varints and fixed-width little-endian integers appended to a std::string, and ByteReader, a
// bounds-checked cursor over untrusted bytes. (The bit-granular counterparts are in
// bit_stream.h.)
//
// ByteReader never reads outside its span: a read past the end, or a varint longer than 10 bytes
// or with bits beyond 64, returns 0 and sets a sticky failed() flag, so a parser can read a whole
// header and test failed() once.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/base/varint.h"

namespace strata::collector::hot {

// Appends `v` as an unsigned LEB128 varint (1 to 10 bytes): common/base/varint.h's.
inline void PutUvarint(std::string* out, uint64_t v) { common::AppendVarint(out, v); }

// Bytes PutUvarint(v) appends.
inline size_t UvarintSize(uint64_t v) { return common::VarintSize(v); }

// Appends the 8 bytes of `v`, least significant first.
inline void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  uint8_t Byte() {
    if (pos_ >= data_.size()) return static_cast<uint8_t>(Fail());
    return data_[pos_++];
  }

  uint64_t Uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= data_.size()) return Fail();
      const uint8_t b = data_[pos_++];
      if (shift == 63 && b > 1) return Fail();  // bits past 64, or an 11th byte would follow
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();  // unreachable: shift 63 returns or fails above
  }

  uint64_t Fixed64() {
    if (data_.size() - pos_ < 8) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return v;
  }

  bool failed() const { return failed_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  // The unread bytes.
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

 private:
  uint64_t Fail() {
    failed_ = true;
    pos_ = data_.size();
    return 0;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace strata::collector::hot
