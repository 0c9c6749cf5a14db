#pragma once

// A WalFileSystem that creates real segment files (so replay reads what the writer left on disk)
// but can be told to fail: a byte budget after which writes stop part-way with ENOSPC, failing
// fsyncs (EIO), failing truncates and failing creates. Knobs may be flipped between appends.

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "collector/storage/hot/wal/wal_file.h"

namespace strata::collector::hot {

class FaultyWalFileSystem final : public WalFileSystem {
 public:
  // Bytes that may still be written over all files; -1 is unlimited. A write that does not fit
  // writes the bytes that fit, then fails with ENOSPC.
  void SetByteBudget(int64_t bytes) {
    absl::MutexLock l(&mu_);
    budget_ = bytes;
  }
  void SetFailSync(bool fail) {
    absl::MutexLock l(&mu_);
    fail_sync_ = fail;
  }
  // The next `n` truncates fail with EIO.
  void FailNextTruncates(int n) {
    absl::MutexLock l(&mu_);
    fail_truncates_ = n;
  }
  void SetFailCreate(bool fail) {
    absl::MutexLock l(&mu_);
    fail_create_ = fail;
  }

  absl::StatusOr<std::unique_ptr<WalFile>> CreateSegment(const std::string& path) override {
    {
      absl::MutexLock l(&mu_);
      if (fail_create_) return absl::ErrnoToStatus(ENOSPC, "injected create failure");
    }
    absl::StatusOr<std::unique_ptr<WalFile>> f = PosixWalFileSystem().CreateSegment(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WalFile>(std::make_unique<File>(this, std::move(*f)));
  }

 private:
  class File final : public WalFile {
   public:
    File(FaultyWalFileSystem* fs, std::unique_ptr<WalFile> inner)
        : fs_(fs), inner_(std::move(inner)) {}

    absl::Status Append(std::span<const std::string_view> pieces) override {
      size_t total = 0;
      for (std::string_view p : pieces) total += p.size();
      size_t allowed = total;
      {
        absl::MutexLock l(&fs_->mu_);
        if (fs_->budget_ >= 0) {
          allowed = std::min<size_t>(total, static_cast<size_t>(fs_->budget_));
          fs_->budget_ -= static_cast<int64_t>(allowed);
        }
      }
      if (allowed == total) return inner_->Append(pieces);
      std::string prefix;
      for (std::string_view p : pieces) prefix.append(p);
      prefix.resize(allowed);
      const std::string_view part[] = {prefix};
      if (absl::Status s = inner_->Append(part); !s.ok()) return s;
      return absl::ErrnoToStatus(ENOSPC, "injected short write");
    }
    absl::Status Truncate(uint64_t size) override {
      {
        absl::MutexLock l(&fs_->mu_);
        if (fs_->fail_truncates_ > 0) {
          --fs_->fail_truncates_;
          return absl::ErrnoToStatus(EIO, "injected truncate failure");
        }
      }
      return inner_->Truncate(size);
    }
    absl::Status Sync() override {
      {
        absl::MutexLock l(&fs_->mu_);
        if (fs_->fail_sync_) return absl::ErrnoToStatus(EIO, "injected fsync failure");
      }
      return inner_->Sync();
    }
    absl::Status Close() override { return inner_->Close(); }
    uint64_t size() const override { return inner_->size(); }

   private:
    FaultyWalFileSystem* fs_;
    std::unique_ptr<WalFile> inner_;
  };

  absl::Mutex mu_;
  int64_t budget_ ABSL_GUARDED_BY(mu_) = -1;
  bool fail_sync_ ABSL_GUARDED_BY(mu_) = false;
  int fail_truncates_ ABSL_GUARDED_BY(mu_) = 0;
  bool fail_create_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace strata::collector::hot
