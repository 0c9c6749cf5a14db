#pragma once

// WalWriter appends records to the write-ahead log of the collector's hot tier. A sample may be
// acknowledged (agent ack, HTTP 2xx) once Append/LogSamples has returned OK: under fsync=always
// the record is then on stable storage; under fsync=interval it has been handed to the kernel
// and is fsynced by the "wal-sync" thread within sync_interval_ms (a machine crash can lose that
// window; a process crash cannot).
//
// Lifecycle: Replay (wal_reader.h) the directory, then Open, then Append from any number of
// threads, then Close. Open always starts a new segment, so nothing is ever appended after a
// tail that might be torn; it also fsyncs (and if needed repairs) the previous last segment so
// that the invariant "only the last segment can be torn" holds even if Replay was skipped. One
// writer per directory, enforced with flock(2) on the directory.
//
// Threads: every method is thread-safe. Appends are serialised by one mutex held for the
// write(2) only; under fsync=always concurrent appenders share fsyncs (group commit: one thread
// syncs everything written so far while the others wait, then the next batch goes).
//
// Errors leave the log replayable:
//  - a failed or short write is cut back with ftruncate to the end of the last good record
//    before anything else is written to that segment; while that truncate keeps failing, every
//    Append fails (nothing is ever written after a half record);
//  - a failed fsync fails every Append waiting on it and the next Append starts a new segment
//    (after a failed fsync the kernel may have dropped the dirty pages, so the file is not
//    trusted again); those records may still be replayed, which is harmless because they were
//    never acknowledged and a retried sample is an idempotent duplicate;
//  - a record above kMaxRecordPayloadBytes (64 MiB) is rejected with InvalidArgument and nothing
//    is written. A record larger than segment_size_bytes gets a segment of its own.
// Errors are counted in strata_collector_wal_errors_total{reason=...}.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "collector/storage/hot/wal/wal_file.h"
#include "collector/storage/hot/wal/wal_format.h"
#include "collector/storage/hot/wal/wal_record.h"
#include "common/selfmon/metrics.h"

namespace strata::collector::hot {

enum class FsyncPolicy {
  kAlways,    // fsync before Append returns
  kInterval,  // the "wal-sync" thread fsyncs every sync_interval_ms
};

struct WalOptions {
  // A segment is closed and the next one started when a record would take it past this size.
  uint64_t segment_size_bytes = uint64_t{64} << 20;
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  // Only for FsyncPolicy::kInterval.
  int64_t sync_interval_ms = 1000;
  // Where segments are created; null means PosixWalFileSystem(). Borrowed, must outlive the
  // writer.
  WalFileSystem* file_system = nullptr;
  // strata_collector_wal_* metrics go here; null keeps them in a private registry. Borrowed.
  common::Registry* registry = nullptr;
};

// InvalidArgument unless segment_size_bytes is in [64 B, 1 GiB] and sync_interval_ms in
// [1, 3600000].
absl::Status ValidateWalOptions(const WalOptions& options);

class WalWriter {
 public:
  // Creates `dir` if needed and starts a new segment after the last existing one. Fails if the
  // options are invalid, the directory is locked by another writer, the last segment is of an
  // unknown version, or on I/O errors.
  static absl::StatusOr<std::unique_ptr<WalWriter>> Open(const std::string& dir,
                                                         const WalOptions& options);
  ~WalWriter();  // Close(), ignoring its status
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Appends one record. Returns OK once the record is written (and, under fsync=always, synced);
  // InvalidArgument for an invalid type or an oversized payload; FailedPrecondition after Close;
  // otherwise the I/O error (see the header comment for the state it leaves).
  absl::Status Append(RecordType type, std::string_view payload);
  // Encode (wal_record.h) and Append. One record per call: batch samples per call.
  absl::Status LogSeries(std::span<const WalSeries> series);
  absl::Status LogSamples(std::span<const WalSample> samples);

  // Makes everything appended so far durable. OK, or the fsync error.
  absl::Status Sync();

  // Stops the sync thread, syncs, closes the segment and releases the directory lock. Returns the
  // final sync/close status; later calls return OK and later Appends fail.
  absl::Status Close();

  // Seals the current segment (fsync) so that the next record starts a new one, and returns the
  // new segment's sequence number: every record appended before Roll() is in an older segment.
  // A current segment holding no record yet is kept (its number is returned). Used by
  // checkpoints, which then delete the older segments.
  absl::StatusOr<uint32_t> Roll();

  // Deletes segments older than `segment_seq` (clamped to the current segment, which is never
  // deleted). See TruncateBefore in wal_segment.h.
  absl::Status TruncateBefore(uint32_t segment_seq);

  // Sequence number of the segment the next record goes to.
  uint32_t current_segment() const;
  const std::string& dir() const { return dir_; }

 private:
  struct SyncRound;
  struct Metrics;

  WalWriter(std::string dir, const WalOptions& options, int dir_lock_fd, uint32_t first_seq);

  // Gets the current segment ready for a frame of `frame_bytes`: finishes a pending truncate,
  // rolls to a new segment when needed, writes the segment header.
  absl::Status PrepareLocked(uint64_t frame_bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RollLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until everything written so far is durable, leading an fsync round when none runs.
  absl::Status WaitDurableLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status TimedSync(WalFile& file);
  void SyncLoop();

  const std::string dir_;
  const WalOptions options_;
  WalFileSystem& fs_;
  const int dir_lock_fd_;
  std::unique_ptr<common::Registry> own_registry_;
  std::unique_ptr<Metrics> metrics_;

  mutable absl::Mutex mu_;
  absl::CondVar round_done_cv_;  // a sync round finished
  absl::CondVar stop_cv_;        // stop_ was set
  // Shared with a sync leader that fsyncs outside mu_, so a roll never closes a descriptor that
  // is being synced (the last owner closes it).
  std::shared_ptr<WalFile> file_ ABSL_GUARDED_BY(mu_);
  uint32_t seq_ ABSL_GUARDED_BY(mu_);
  uint64_t offset_ ABSL_GUARDED_BY(mu_) = 0;  // end of the last good record; 0: no header yet
  bool needs_truncate_ ABSL_GUARDED_BY(mu_) = false;  // bytes after offset_ must be cut first
  bool roll_pending_ ABSL_GUARDED_BY(mu_) = false;    // fsync failed on file_
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;         // bytes of records written, over all segments
  uint64_t synced_ ABSL_GUARDED_BY(mu_) = 0;          // prefix of written_ known durable
  std::shared_ptr<SyncRound> pending_round_ ABSL_GUARDED_BY(mu_);
  bool sync_in_progress_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sync_thread_;
};

}  // namespace strata::collector::hot
