#include "collector/storage/hot/chunk/bit_stream.h"

namespace strata::collector::hot {

void BitWriter::WriteUvarint(uint64_t value) {
  while (value >= 0x80) {
    WriteBits((value & 0x7f) | 0x80, 8);
    value >>= 7;
  }
  WriteBits(value, 8);
}

uint64_t BitReader::ReadUvarint() {
  uint64_t result = 0;
  // 64 bits need at most 10 groups of 7; the tenth may only carry the top bit.
  for (int shift = 0; shift < 70; shift += 7) {
    const uint64_t byte = ReadBits(8);
    if (error_) return 0;
    if (shift == 63 && byte > 1) {
      error_ = true;  // overflows 64 bits, or an 11th byte would follow
      return 0;
    }
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return result;
  }
  error_ = true;  // unreachable: shift == 63 returns or fails above
  return 0;
}

}  // namespace strata::collector::hot
