#pragma once

// Segment files of one WAL directory: listing, deletion of old segments (checkpointing), and the
// record scanner shared by replay (wal_reader.h) and by WalWriter::Open's tail repair.
//
// A WAL directory holds segments named by an 8-digit sequence number ("00000001", "00000002",
// ...); files with other names are ignored. Segments are written strictly in order and a segment
// is fsynced before the next one receives data, so only the last segment can end in a torn
// record after a crash.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/storage/hot/wal/wal_format.h"

namespace strata::collector::hot {

struct SegmentInfo {
  uint32_t seq = 0;
  std::string path;
  uint64_t size_bytes = 0;
};

// Segments of `dir` in increasing sequence order. A missing directory is an empty WAL (OK, no
// segments); any other listing error is returned.
absl::StatusOr<std::vector<SegmentInfo>> ListSegments(const std::string& dir);

// Deletes every segment with a sequence number below `segment_seq` and fsyncs the directory.
// Used after a checkpoint made those segments redundant. Returns the first unlink error (segments
// deleted before it stay deleted; deleting is always from the oldest so the WAL never has a gap).
absl::Status TruncateBefore(const std::string& dir, uint32_t segment_seq);

// Outcome of scanning one segment up to its first invalid byte.
struct SegmentScan {
  uint64_t file_size = 0;
  // End of the segment header plus every valid record: everything before it is good. 0 when the
  // segment header itself is missing, short or has the wrong magic.
  uint64_t valid_end = 0;
  uint64_t records = 0;
  // Empty when the whole file is valid; otherwise why the bytes at valid_end are not a record.
  std::string damage;
  bool damaged() const { return valid_end != file_size; }
};

// Called for each valid record; `offset` is where its frame starts. The payload view is valid only
// during the call. A non-OK return stops the scan and is returned by ScanSegment.
using SegmentRecordFn =
    std::function<absl::Status(RecordType type, std::string_view payload, uint64_t offset)>;

// Reads the segment at `path` record by record, validating the segment header, then each record's
// length (against kMaxRecordPayloadBytes and the bytes left in the file, before allocating) and
// checksum. Stops at the first invalid byte and describes it in the result: damage is data, not an
// error. Returns an error for I/O failures, for a segment of an unknown format version
// (Unimplemented: a newer build's WAL must never be "repaired"), or when `on_record` fails.
// `on_record` may be null.
absl::StatusOr<SegmentScan> ScanSegment(const std::string& path, const SegmentRecordFn& on_record);

// Cuts `path` to `size` bytes and fsyncs it.
absl::Status TruncateSegmentFile(const std::string& path, uint64_t size);

}  // namespace strata::collector::hot
