#include "collector/storage/hot/wal/wal_writer.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "collector/storage/hot/wal/wal_segment.h"
#include "common/base/log.h"

namespace strata::collector::hot {

// One fsync that a group of appenders waits for. Everything written before the round started is
// covered by it; `status` is its outcome. Shared by the waiters so each reads its own round's
// result even if later rounds finished before it woke.
struct WalWriter::SyncRound {
  bool done = false;
  absl::Status status;
};

struct WalWriter::Metrics {
  explicit Metrics(common::Registry& r)
      : records(r.GetCounter("strata_collector_wal_records_written_total",
                             "Records appended to the write-ahead log.")),
        bytes(r.GetCounter("strata_collector_wal_bytes_written_total",
                           "Bytes of records (headers included) appended to the write-ahead log.")),
        fsyncs(r.GetCounter("strata_collector_wal_fsyncs_total", "fsyncs of WAL segments.")),
        fsync_seconds(r.GetCounter("strata_collector_wal_fsync_duration_seconds_total",
                                   "Time spent in fsync of WAL segments.")),
        segments(
            r.GetCounter("strata_collector_wal_segments_created_total", "WAL segments created.")),
        current_segment(r.GetGauge("strata_collector_wal_segment_current",
                                   "Sequence number of the WAL segment being written.")),
        err_too_large(Error(r, "too_large")),
        err_write(Error(r, "write")),
        err_truncate(Error(r, "truncate")),
        err_fsync(Error(r, "fsync")),
        err_create(Error(r, "create")) {}

  static common::Counter& Error(common::Registry& r, const char* reason) {
    return r.GetCounter("strata_collector_wal_errors_total",
                        "Failed WAL operations by reason (the append fails).",
                        {{"reason", reason}});
  }

  common::Counter& records;
  common::Counter& bytes;
  common::Counter& fsyncs;
  common::Counter& fsync_seconds;
  common::Counter& segments;
  common::Gauge& current_segment;
  common::Counter& err_too_large;
  common::Counter& err_write;
  common::Counter& err_truncate;
  common::Counter& err_fsync;
  common::Counter& err_create;
};

absl::Status ValidateWalOptions(const WalOptions& options) {
  if (options.segment_size_bytes < 64 || options.segment_size_bytes > (uint64_t{1} << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wal: segment_size_bytes must be in [64, 1073741824], got ", options.segment_size_bytes));
  }
  if (options.sync_interval_ms < 1 || options.sync_interval_ms > 3'600'000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "wal: sync_interval_ms must be in [1, 3600000], got ", options.sync_interval_ms));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WalWriter>> WalWriter::Open(const std::string& dir,
                                                           const WalOptions& options) {
  if (absl::Status s = ValidateWalOptions(options); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::ErrnoToStatus(ec.value(), absl::StrCat("wal: create directory ", dir));

  const int lock_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("wal: open ", dir));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lock_fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("wal: ", dir, " is in use by another writer"));
    }
    return absl::ErrnoToStatus(err, absl::StrCat("wal: lock ", dir));
  }
  auto fail = [lock_fd](absl::Status s) {
    ::close(lock_fd);
    return s;
  };

  absl::StatusOr<std::vector<SegmentInfo>> segments = ListSegments(dir);
  if (!segments.ok()) return fail(segments.status());
  uint32_t next_seq = 1;
  if (!segments->empty()) {
    // The previous last segment becomes an older one: make it durable and whole first, so the
    // only segment that can ever be torn is the last.
    const SegmentInfo& last = segments->back();
    absl::StatusOr<SegmentScan> scan = ScanSegment(last.path, nullptr);
    if (!scan.ok()) return fail(scan.status());
    if (scan->damaged()) {
      common::Log(common::LogLevel::kWarn, "wal", "cutting torn tail of last segment on open",
                  {{"segment", SegmentName(last.seq)},
                   {"offset", scan->valid_end},
                   {"bytes", scan->file_size - scan->valid_end},
                   {"reason", scan->damage}});
    }
    if (absl::Status s = TruncateSegmentFile(last.path, scan->valid_end); !s.ok()) return fail(s);
    next_seq = last.seq + 1;
  }
  if (next_seq > kMaxSegmentSeq) {
    return fail(absl::ResourceExhaustedError(
        absl::StrCat("wal: ", dir, ": segment sequence numbers exhausted")));
  }

  std::unique_ptr<WalWriter> w(new WalWriter(dir, options, lock_fd, next_seq));
  {
    absl::MutexLock l(&w->mu_);
    // Create the first segment now so that a read-only or full disk fails start-up, not the
    // first ingest request.
    if (absl::Status s = w->PrepareLocked(0); !s.ok()) return s;
  }
  if (options.fsync == FsyncPolicy::kInterval) {
    w->sync_thread_ = std::thread([p = w.get()] { p->SyncLoop(); });
  }
  return w;
}

WalWriter::WalWriter(std::string dir, const WalOptions& options, int dir_lock_fd,
                     uint32_t first_seq)
    : dir_(std::move(dir)),
      options_(options),
      fs_(options.file_system != nullptr ? *options.file_system : PosixWalFileSystem()),
      dir_lock_fd_(dir_lock_fd),
      own_registry_(options.registry == nullptr ? std::make_unique<common::Registry>() : nullptr),
      metrics_(std::make_unique<Metrics>(options.registry != nullptr ? *options.registry
                                                                     : *own_registry_)),
      seq_(first_seq) {}

WalWriter::~WalWriter() { Close().IgnoreError(); }

absl::Status WalWriter::Append(RecordType type, std::string_view payload) {
  if (type == RecordType::kInvalid) {
    return absl::InvalidArgumentError("wal: record type 0 is reserved");
  }
  if (payload.size() > kMaxRecordPayloadBytes) {
    metrics_->err_too_large.Inc();
    return absl::InvalidArgumentError(absl::StrCat(
        "wal: record of ", payload.size(), " bytes is above the cap of ", kMaxRecordPayloadBytes));
  }
  // The checksum is the only per-byte work; do it before taking the lock.
  char header[kRecordHeaderBytes];
  EncodeRecordHeader(type, payload, header);
  const uint64_t frame = kRecordHeaderBytes + payload.size();

  absl::MutexLock l(&mu_);
  if (closed_) return absl::FailedPreconditionError("wal: writer is closed");
  if (absl::Status s = PrepareLocked(frame); !s.ok()) return s;
  const std::string_view pieces[] = {std::string_view(header, sizeof(header)), payload};
  if (absl::Status s = file_->Append(pieces); !s.ok()) {
    metrics_->err_write.Inc();
    // Cut the partial frame now; if that fails, PrepareLocked retries before any other write.
    needs_truncate_ = true;
    if (file_->Truncate(offset_).ok()) {
      needs_truncate_ = false;
    } else {
      metrics_->err_truncate.Inc();
    }
    return s;
  }
  offset_ += frame;
  written_ += frame;
  metrics_->records.Inc();
  metrics_->bytes.Inc(static_cast<double>(frame));
  if (options_.fsync == FsyncPolicy::kAlways) return WaitDurableLocked();
  return absl::OkStatus();
}

absl::Status WalWriter::LogSeries(std::span<const WalSeries> series) {
  std::string payload;
  EncodeSeries(series, &payload);
  return Append(RecordType::kSeries, payload);
}

absl::Status WalWriter::LogSamples(std::span<const WalSample> samples) {
  std::string payload;
  payload.reserve(1 + samples.size() * 14);
  EncodeSamples(samples, &payload);
  return Append(RecordType::kSamples, payload);
}

absl::Status WalWriter::PrepareLocked(uint64_t frame_bytes) {
  if (file_ != nullptr && needs_truncate_) {
    if (absl::Status s = file_->Truncate(offset_); !s.ok()) {
      metrics_->err_truncate.Inc();
      return s;
    }
    needs_truncate_ = false;
  }
  const bool full =
      offset_ > kSegmentHeaderBytes && offset_ + frame_bytes > options_.segment_size_bytes;
  if (file_ == nullptr || roll_pending_ || full) {
    if (absl::Status s = RollLocked(); !s.ok()) return s;
  }
  if (offset_ == 0) {
    const std::string header = SegmentHeader();
    const std::string_view pieces[] = {header};
    if (absl::Status s = file_->Append(pieces); !s.ok()) {
      metrics_->err_write.Inc();
      needs_truncate_ = true;
      return s;
    }
    offset_ = kSegmentHeaderBytes;
  }
  return absl::OkStatus();
}

absl::Status WalWriter::RollLocked() {
  if (file_ != nullptr) {
    // The old segment must be durable before the next one receives data, otherwise a crash could
    // leave a hole in an older segment while a later one survived. Its pending waiters are all
    // covered by this fsync.
    absl::Status synced = roll_pending_
                              ? absl::DataLossError("wal: earlier fsync of this segment failed")
                              : TimedSync(*file_);
    if (synced.ok()) synced_ = written_;
    if (pending_round_ != nullptr) {
      pending_round_->done = true;
      pending_round_->status = synced;
      pending_round_ = nullptr;
      round_done_cv_.SignalAll();
    }
    // A sync leader may still hold the file; the last owner closes it.
    file_.reset();
    ++seq_;
  }
  if (seq_ > kMaxSegmentSeq) {
    return absl::ResourceExhaustedError("wal: segment sequence numbers exhausted");
  }
  absl::StatusOr<std::unique_ptr<WalFile>> f =
      fs_.CreateSegment((std::filesystem::path(dir_) / SegmentName(seq_)).string());
  if (!f.ok()) {
    metrics_->err_create.Inc();
    return f.status();
  }
  file_ = std::move(*f);
  offset_ = 0;
  needs_truncate_ = false;
  roll_pending_ = false;
  metrics_->segments.Inc();
  metrics_->current_segment.Set(seq_);
  return absl::OkStatus();
}

absl::Status WalWriter::TimedSync(WalFile& file) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = file.Sync();
  metrics_->fsyncs.Inc();
  metrics_->fsync_seconds.Inc(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!s.ok()) metrics_->err_fsync.Inc();
  return s;
}

absl::Status WalWriter::WaitDurableLocked() {
  if (synced_ >= written_) return absl::OkStatus();
  if (pending_round_ == nullptr) pending_round_ = std::make_shared<SyncRound>();
  std::shared_ptr<SyncRound> round = pending_round_;
  while (!round->done) {
    if (sync_in_progress_) {
      round_done_cv_.Wait(&mu_);
      continue;
    }
    // Lead: the pending round (ours) covers everything written until now.
    pending_round_ = nullptr;
    sync_in_progress_ = true;
    const uint64_t target = written_;
    std::shared_ptr<WalFile> file = file_;
    // After a failed fsync a second one may "succeed" on pages the kernel already dropped, so a
    // file that failed once is never reported durable again.
    const bool poisoned = roll_pending_;
    mu_.Unlock();
    absl::Status s = absl::OkStatus();
    if (poisoned) {
      s = absl::DataLossError("wal: earlier fsync of this segment failed");
    } else if (file != nullptr) {
      s = TimedSync(*file);
    }
    mu_.Lock();
    sync_in_progress_ = false;
    round->done = true;
    round->status = s;
    if (s.ok()) {
      synced_ = std::max(synced_, target);
    } else if (file == file_ && !poisoned) {
      roll_pending_ = true;
      common::Log(common::LogLevel::kError, "wal", "fsync failed; next append starts a segment",
                  {{"segment", SegmentName(seq_)}, {"error", s.ToString()}});
    }
    round_done_cv_.SignalAll();
  }
  return round->status;
}

absl::Status WalWriter::Sync() {
  absl::MutexLock l(&mu_);
  return WaitDurableLocked();
}

void WalWriter::SyncLoop() {
  pthread_setname_np(pthread_self(), "wal-sync");
  absl::MutexLock l(&mu_);
  while (!stop_) {
    const absl::Time deadline = absl::Now() + absl::Milliseconds(options_.sync_interval_ms);
    while (!stop_ && !stop_cv_.WaitWithDeadline(&mu_, deadline)) {
    }
    if (stop_) break;
    // Errors are counted and logged by the round; appenders see them through the next roll.
    WaitDurableLocked().IgnoreError();
  }
}

absl::Status WalWriter::Close() {
  {
    absl::MutexLock l(&mu_);
    if (closed_) return absl::OkStatus();
    closed_ = true;
    stop_ = true;
    stop_cv_.SignalAll();
  }
  if (sync_thread_.joinable()) sync_thread_.join();
  absl::Status status;
  {
    absl::MutexLock l(&mu_);
    status = WaitDurableLocked();
    while (sync_in_progress_) round_done_cv_.Wait(&mu_);
    if (file_ != nullptr) {
      absl::Status c = file_->Close();
      if (status.ok()) status = c;
      file_.reset();
    }
  }
  ::close(dir_lock_fd_);
  return status;
}

absl::StatusOr<uint32_t> WalWriter::Roll() {
  absl::MutexLock l(&mu_);
  if (closed_) return absl::FailedPreconditionError("wal: closed");
  if (file_ == nullptr || offset_ <= kSegmentHeaderBytes) return seq_;
  if (absl::Status s = RollLocked(); !s.ok()) return s;
  return seq_;
}

absl::Status WalWriter::TruncateBefore(uint32_t segment_seq) {
  uint32_t current;
  {
    absl::MutexLock l(&mu_);
    current = seq_;
  }
  return hot::TruncateBefore(dir_, std::min(segment_seq, current));
}

uint32_t WalWriter::current_segment() const {
  absl::MutexLock l(&mu_);
  return seq_;
}

}  // namespace strata::collector::hot
