#pragma once

// Constants and helpers shared by the WAL writer and reader: segment naming, the segment header,
// the record frame and its checksum. The byte-by-byte description is in
// collector/storage/FORMAT.md ("Write-ahead log"); keep the two in sync.
//
// Frame of one record (all integers little-endian):
//   offset 0  u8   type       RecordType; 0 is reserved and always invalid (zero-filled tails)
//   offset 1  u32  length     payload length in bytes, at most kMaxRecordPayloadBytes
//   offset 5  u32  checksum   low 32 bits of XXH3_64bits_withSeed(payload, length,
//                             seed = (type << 32) | length): covers type, length and payload
//   offset 9  payload
//
// The checksum is XXH3 (not a CRC) because xxhash is already a dependency and XXH3 runs at
// memory speed; seeding it with type and length makes a flipped bit in the header as detectable
// as one in the payload without hashing two discontiguous buffers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::collector::hot {

enum class RecordType : uint8_t {
  kInvalid = 0,  // never written; a zero byte here means a torn or zero-filled tail
  kSeries = 1,   // payload: EncodeSeries (wal_record.h)
  kSamples = 2,  // payload: EncodeSamples (wal_record.h)
  kChunks = 3,   // payload: EncodeChunks (wal_record.h); read, no longer written
  kColumns = 4,  // payload: EncodeColumns (wal_record.h); written by checkpoints only
};

// Every segment starts with these 8 bytes: "STRW" magic, format version, 3 zero bytes.
inline constexpr char kSegmentMagic[4] = {'S', 'T', 'R', 'W'};
inline constexpr uint8_t kSegmentVersion = 1;
inline constexpr uint64_t kSegmentHeaderBytes = 8;

inline constexpr uint64_t kRecordHeaderBytes = 9;
// Hard cap on one record's payload. Larger appends are rejected (InvalidArgument); readers treat a
// larger length field as corruption before allocating anything.
inline constexpr uint64_t kMaxRecordPayloadBytes = uint64_t{64} << 20;

// Segment sequence numbers are 8 decimal digits: 1 .. 99,999,999.
inline constexpr uint32_t kMaxSegmentSeq = 99'999'999;

// "00000042" for 42.
std::string SegmentName(uint32_t seq);
// Parses a file name made of exactly 8 decimal digits with a value >= 1; nullopt otherwise (other
// files in the directory, such as a future checkpoint, are ignored by the WAL).
std::optional<uint32_t> ParseSegmentName(std::string_view name);

// The 8-byte segment header.
std::string SegmentHeader();

uint32_t RecordChecksum(RecordType type, std::string_view payload);
// Writes the 9-byte frame header for `payload` into `out` (kRecordHeaderBytes bytes).
void EncodeRecordHeader(RecordType type, std::string_view payload, char* out);

inline uint32_t LoadU32Le(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}
inline void StoreU32Le(uint32_t v, char* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace strata::collector::hot
