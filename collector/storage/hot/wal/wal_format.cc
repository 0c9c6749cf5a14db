#include "collector/storage/hot/wal/wal_format.h"

#include <xxhash.h>

#include <cstdio>

namespace strata::collector::hot {

std::string SegmentName(uint32_t seq) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08u", seq);
  return buf;
}

std::optional<uint32_t> ParseSegmentName(std::string_view name) {
  if (name.size() != 8) return std::nullopt;
  uint32_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0) return std::nullopt;
  return v;
}

std::string SegmentHeader() {
  std::string h(kSegmentMagic, sizeof(kSegmentMagic));
  h.push_back(static_cast<char>(kSegmentVersion));
  h.append(3, '\0');
  return h;
}

uint32_t RecordChecksum(RecordType type, std::string_view payload) {
  const uint64_t seed = uint64_t{static_cast<uint8_t>(type)} << 32 | uint64_t{payload.size()};
  return static_cast<uint32_t>(XXH3_64bits_withSeed(payload.data(), payload.size(), seed));
}

void EncodeRecordHeader(RecordType type, std::string_view payload, char* out) {
  out[0] = static_cast<char>(type);
  StoreU32Le(static_cast<uint32_t>(payload.size()), out + 1);
  StoreU32Le(RecordChecksum(type, payload), out + 5);
}

}  // namespace strata::collector::hot
