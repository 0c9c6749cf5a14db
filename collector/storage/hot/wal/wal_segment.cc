#include "collector/storage/hot/wal/wal_segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "collector/storage/hot/wal/wal_file.h"

namespace strata::collector::hot {
namespace {

absl::Status Errno(int err, const char* op, const std::string& path) {
  return absl::ErrnoToStatus(err, absl::StrCat("wal: ", op, " ", path));
}

// Owns a read-only descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Sequential reads through a buffer, so replaying small records costs one pread per chunk rather
// than two per record. The caller checks lengths against the file size before asking, so a short
// read here means the file shrank underneath us.
class BufferedReader {
 public:
  static constexpr size_t kChunkBytes = size_t{1} << 20;

  // `file_size` only sizes the buffer: a small segment does not get a 1 MiB buffer.
  BufferedReader(int fd, std::string path, uint64_t file_size)
      : fd_(fd), path_(std::move(path)), chunk_(std::min<uint64_t>(file_size, kChunkBytes)) {}

  uint64_t pos() const { return read_off_ - (end_ - begin_); }

  // Points `*out` at the next `n` bytes (valid until the next call) and advances past them.
  absl::Status Read(size_t n, const char** out) {
    if (end_ - begin_ < n) {
      if (begin_ > 0 && end_ > begin_) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      }
      end_ -= begin_;
      begin_ = 0;
      if (buf_.size() < std::max(n, chunk_)) buf_.resize(std::max(n, chunk_));
      while (end_ < n) {
        const ssize_t r =
            ::pread(fd_, buf_.data() + end_, buf_.size() - end_, static_cast<off_t>(read_off_));
        if (r < 0) {
          if (errno == EINTR) continue;
          return Errno(errno, "read", path_);
        }
        if (r == 0) {
          return absl::DataLossError(
              absl::StrCat("wal: ", path_, " shrank while being read at offset ", read_off_));
        }
        end_ += static_cast<size_t>(r);
        read_off_ += static_cast<uint64_t>(r);
      }
    }
    *out = buf_.data() + begin_;
    begin_ += n;
    return absl::OkStatus();
  }

 private:
  const int fd_;
  const std::string path_;
  const size_t chunk_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  uint64_t read_off_ = 0;  // file offset of buf_[end_]
};

}  // namespace

absl::StatusOr<std::vector<SegmentInfo>> ListSegments(const std::string& dir) {
  std::vector<SegmentInfo> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return out;
  if (ec) return Errno(ec.value(), "list", dir);
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Errno(ec.value(), "list", dir);
    const std::optional<uint32_t> seq = ParseSegmentName(it->path().filename().string());
    if (!seq.has_value() || !it->is_regular_file(ec)) continue;
    const uint64_t size = it->file_size(ec);
    if (ec) return Errno(ec.value(), "stat", it->path().string());
    out.push_back({*seq, it->path().string(), size});
  }
  if (ec) return Errno(ec.value(), "list", dir);
  std::sort(out.begin(), out.end(),
            [](const SegmentInfo& a, const SegmentInfo& b) { return a.seq < b.seq; });
  return out;
}

absl::Status TruncateBefore(const std::string& dir, uint32_t segment_seq) {
  absl::StatusOr<std::vector<SegmentInfo>> segments = ListSegments(dir);
  if (!segments.ok()) return segments.status();
  bool deleted = false;
  for (const SegmentInfo& s : *segments) {
    if (s.seq >= segment_seq) break;
    if (::unlink(s.path.c_str()) != 0 && errno != ENOENT) {
      absl::Status err = Errno(errno, "delete", s.path);
      if (deleted) SyncDirectory(dir).IgnoreError();
      return err;
    }
    deleted = true;
  }
  return deleted ? SyncDirectory(dir) : absl::OkStatus();
}

absl::StatusOr<SegmentScan> ScanSegment(const std::string& path, const SegmentRecordFn& on_record) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno(errno, "open", path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Errno(errno, "stat", path);
  SegmentScan scan;
  scan.file_size = static_cast<uint64_t>(st.st_size);
  if (scan.file_size == 0) return scan;  // created, then crashed before the header: empty

  BufferedReader in(fd.get(), path, scan.file_size);
  const char* p = nullptr;
  if (scan.file_size < kSegmentHeaderBytes) {
    scan.damage = "short segment header";
    return scan;
  }
  if (absl::Status s = in.Read(kSegmentHeaderBytes, &p); !s.ok()) return s;
  if (std::memcmp(p, kSegmentMagic, sizeof(kSegmentMagic)) != 0) {
    scan.damage = "bad segment magic";
    return scan;
  }
  if (static_cast<uint8_t>(p[4]) != kSegmentVersion) {
    return absl::UnimplementedError(absl::StrCat("wal: segment ", path, " has format version ",
                                                 static_cast<uint8_t>(p[4]), ", this build reads ",
                                                 kSegmentVersion));
  }
  scan.valid_end = kSegmentHeaderBytes;

  while (scan.valid_end < scan.file_size) {
    const uint64_t left = scan.file_size - scan.valid_end;
    if (left < kRecordHeaderBytes) {
      scan.damage = "record header cut short";
      break;
    }
    if (absl::Status s = in.Read(kRecordHeaderBytes, &p); !s.ok()) return s;
    const auto type = static_cast<RecordType>(static_cast<uint8_t>(p[0]));
    const uint64_t length = LoadU32Le(p + 1);
    const uint32_t checksum = LoadU32Le(p + 5);
    if (type == RecordType::kInvalid) {
      scan.damage = "record type 0";
      break;
    }
    if (length > kMaxRecordPayloadBytes) {
      scan.damage = absl::StrCat("record length ", length, " above the cap");
      break;
    }
    if (length > left - kRecordHeaderBytes) {
      scan.damage = absl::StrCat("record of ", length, " bytes cut short by end of file");
      break;
    }
    if (absl::Status s = in.Read(static_cast<size_t>(length), &p); !s.ok()) return s;
    const std::string_view payload(p, static_cast<size_t>(length));
    if (RecordChecksum(type, payload) != checksum) {
      scan.damage = "record checksum mismatch";
      break;
    }
    if (on_record) {
      if (absl::Status s = on_record(type, payload, scan.valid_end); !s.ok()) return s;
    }
    scan.valid_end += kRecordHeaderBytes + length;
    ++scan.records;
  }
  return scan;
}

absl::Status TruncateSegmentFile(const std::string& path, uint64_t size) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno(errno, "open", path);
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return Errno(errno, "truncate", path);
  if (::fsync(fd.get()) != 0) return Errno(errno, "fsync", path);
  return absl::OkStatus();
}

}  // namespace strata::collector::hot
