#pragma once

// Unsigned LEB128 varints, as protobuf and the packed label sets write them.

#include <cstddef>
#include <cstdint>

namespace strata::common {

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes `v` at `p` (room for VarintSize(v) bytes) and returns the byte after it.
inline uint8_t* PutVarint(uint64_t v, uint8_t* p) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

}  // namespace strata::common
