#pragma once

// Replay of a WAL directory at start-up: every valid record of every segment, oldest first, is
// handed to a callback (which rebuilds the head). Runs on the starting thread, before the
// WalWriter for the same directory is opened and before ingest accepts data.
//
// What counts as damage and what happens to it:
//  - The last segment may end in a torn record: the process or machine died inside a write that
//    was never acknowledged (fsync=always acks only after fsync; segments are fsynced before the
//    next one is started). Everything from the first invalid byte of the last segment on (short
//    header, type 0, length above the cap or past the end of file, checksum mismatch, bad
//    segment magic) is cut off with ftruncate + fsync, counted in truncated_bytes and described
//    in the result. Replay then succeeds. A flipped byte in the middle of the last segment cannot
//    be told apart from a torn write and is handled the same way; the bytes dropped are
//    reported so the operator sees the size of the loss.
//  - Damage in any older segment cannot come from a crash, so it is corruption: replay stops at
//    that record (records before it have been delivered), fills corrupt_* in the result and
//    returns DataLoss naming the segment and offset. Nothing is modified. The operator decides
//    (restore, or move the damaged segment and the ones before it away).
//  - A gap in the sequence numbers (a missing middle segment) is also DataLoss.
//  - A segment of an unknown format version is Unimplemented and is never modified.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/storage/hot/wal/wal_format.h"

namespace strata::collector::hot {

// Called once per valid record, in log order. The payload view is valid only during the call.
// A non-OK return stops the replay; Replay returns that status with the position prepended.
using RecordCallback = std::function<absl::Status(RecordType type, std::string_view payload)>;

struct ReplayOptions {
  // Cut a torn tail off the last segment. Off for read-only inspection: damage is still reported
  // (truncated_bytes then says how much would have been cut).
  bool repair_torn_tail = true;
};

struct ReplayResult {
  uint64_t records = 0;
  uint64_t record_bytes = 0;  // frames delivered, headers included
  uint32_t segments = 0;      // segments read
  uint32_t first_segment = 0;
  uint32_t last_segment = 0;
  // Torn tail of the last segment: which segment, where the valid data ends, how many bytes
  // followed, and why they were not a record. truncated_bytes == 0 means no tail damage.
  uint64_t truncated_bytes = 0;
  std::string truncated_segment;
  uint64_t truncated_offset = 0;
  std::string truncate_reason;
  // Corruption in an older segment (replay stopped there and returned DataLoss).
  std::string corrupt_segment;
  uint64_t corrupt_offset = 0;
  std::string corrupt_reason;
};

class WalReader {
 public:
  explicit WalReader(std::string dir, ReplayOptions options = {});

  // Replays the whole directory (a missing directory is an empty WAL). Returns OK when every
  // record was delivered, possibly after cutting a torn tail; DataLoss for corruption before the
  // tail or a missing segment; Unimplemented for an unknown segment version; the callback's error;
  // or an I/O error. result() describes what was read either way.
  absl::Status Replay(const RecordCallback& callback);
  const ReplayResult& result() const { return result_; }

 private:
  const std::string dir_;
  const ReplayOptions options_;
  ReplayResult result_;
};

// Convenience: WalReader(dir, options).Replay(callback), returning the result on success.
absl::StatusOr<ReplayResult> Replay(const std::string& dir, const RecordCallback& callback,
                                    ReplayOptions options = {});

}  // namespace strata::collector::hot
