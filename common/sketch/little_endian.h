#pragma once

// Fixed-width little-endian reads and writes shared by the sketches' wire formats (FORMAT.md).
// Doubles travel as their IEEE-754 bit pattern, so a round trip keeps every bit (-0.0, NaN
// payloads) and the bytes are the same on every host.

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::common::sketch {

inline void AppendU8(uint8_t v, std::string* out) { out->push_back(static_cast<char>(v)); }

inline void AppendLe(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline void AppendF64(double v, std::string* out) { AppendLe(std::bit_cast<uint64_t>(v), 8, out); }

// Reads `bytes` (1..8) bytes at `p` as an unsigned little-endian integer. The caller has checked
// that they are there.
inline uint64_t LoadLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

inline double LoadF64(const char* p) { return std::bit_cast<double>(LoadLe(p, 8)); }

}  // namespace strata::common::sketch
