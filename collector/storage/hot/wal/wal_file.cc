#include "collector/storage/hot/wal/wal_file.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"

namespace strata::collector::hot {
namespace {

absl::Status Errno(int err, const char* op, const std::string& path) {
  return absl::ErrnoToStatus(err, absl::StrCat("wal: ", op, " ", path));
}

class PosixWalFile final : public WalFile {
 public:
  PosixWalFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWalFile() override { Close().IgnoreError(); }

  absl::Status Append(std::span<const std::string_view> pieces) override {
    std::vector<iovec> iov;
    iov.reserve(pieces.size());
    for (std::string_view p : pieces) {
      if (!p.empty()) iov.push_back({const_cast<char*>(p.data()), p.size()});
    }
    size_t first = 0;
    while (first < iov.size()) {
      const int n = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
      const ssize_t w = ::pwritev(fd_, &iov[first], n, static_cast<off_t>(size_.load()));
      if (w < 0) {
        if (errno == EINTR) continue;
        return Errno(errno, "write", path_);
      }
      if (w == 0) return Errno(EIO, "write (no progress)", path_);
      size_ += static_cast<uint64_t>(w);
      // Drop fully written buffers and advance into a partially written one.
      auto left = static_cast<size_t>(w);
      while (first < iov.size() && left >= iov[first].iov_len) {
        left -= iov[first].iov_len;
        ++first;
      }
      if (left > 0) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
      }
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return Errno(errno, "truncate", path_);
    }
    size_ = size;
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (::fdatasync(fd_) != 0) return Errno(errno, "fdatasync", path_);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    const int rc = ::close(fd_);
    fd_ = -1;
    // close(2) errors other than EINTR mean earlier writes may be lost; report them.
    if (rc != 0 && errno != EINTR) return Errno(errno, "close", path_);
    return absl::OkStatus();
  }

  uint64_t size() const override { return size_.load(); }

 private:
  int fd_;
  const std::string path_;
  // Atomic because Sync (outside the writer's lock) never reads it but size() may be called by
  // tests while an append runs.
  std::atomic<uint64_t> size_{0};
};

class PosixFs final : public WalFileSystem {
 public:
  absl::StatusOr<std::unique_ptr<WalFile>> CreateSegment(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Errno(errno, "create", path);
    auto file = std::make_unique<PosixWalFile>(fd, path);
    const std::string dir = std::filesystem::path(path).parent_path().string();
    if (absl::Status s = SyncDirectory(dir.empty() ? "." : dir); !s.ok()) {
      // Do not leave a file behind that the next attempt (same name, O_EXCL) would trip over.
      file.reset();
      ::unlink(path.c_str());
      return s;
    }
    return file;
  }
};

}  // namespace

WalFileSystem& PosixWalFileSystem() {
  static PosixFs fs;
  return fs;
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno(errno, "open directory", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Errno(err, "fsync directory", dir);
  return absl::OkStatus();
}

}  // namespace strata::collector::hot
