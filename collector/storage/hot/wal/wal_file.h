#pragma once

// The file seam under the WAL writer. WalWriter never touches file descriptors directly: it
// creates segments through a WalFileSystem and appends through a WalFile, so tests can inject
// ENOSPC, EIO, short writes and failed fsyncs (tests/unit/collector/storage/hot/wal/) while the
// production code path stays the same.
//
// Threads: WalWriter calls Append/Truncate/Close under its own mutex; Sync may run concurrently
// with Append on the same file (the group-commit leader syncs outside the lock), so
// implementations must allow that. Every method returns OK or an error carrying errno's meaning
// (absl::ErrnoToStatus); after an Append error the file may hold a prefix of the data.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata::collector::hot {

class WalFile {
 public:
  virtual ~WalFile() = default;

  // Writes all pieces, in order, at the current end (size()). On error some prefix of the data
  // may have been written; size() tells how much.
  virtual absl::Status Append(std::span<const std::string_view> pieces) = 0;
  // Cuts the file to `size` bytes; later appends continue there.
  virtual absl::Status Truncate(uint64_t size) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual absl::Status Sync() = 0;
  // Releases the descriptor. Idempotent; the destructor closes too (ignoring errors).
  virtual absl::Status Close() = 0;
  // Bytes in the file as far as this writer knows (initial size + appended - truncated).
  virtual uint64_t size() const = 0;
};

class WalFileSystem {
 public:
  virtual ~WalFileSystem() = default;
  // Creates `path`, which must not exist yet, for appending, and makes its directory entry
  // durable (fsync of the parent directory) before returning.
  virtual absl::StatusOr<std::unique_ptr<WalFile>> CreateSegment(const std::string& path) = 0;
};

// The real thing: open(2)/pwritev(2)/ftruncate(2)/fdatasync(2). Stateless; one instance serves
// every writer.
WalFileSystem& PosixWalFileSystem();

// fsync(2) on a directory, so creations, truncations and unlinks inside it survive a crash.
absl::Status SyncDirectory(const std::string& dir);

}  // namespace strata::collector::hot
