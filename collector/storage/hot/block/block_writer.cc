#include "collector/storage/hot/block/block_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collector/storage/hot/chunk/xor_chunk.h"

namespace strata::collector::hot {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

void PutUvarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

std::string Header(const char (&magic)[4]) {
  std::string h(magic, 4);
  h.push_back(static_cast<char>(kBlockFormatVersion));
  h.append(3, '\0');
  return h;
}

// A file written through a buffer so that the chunks file, which can be hundreds of MiB, is
// streamed instead of assembled in memory. Created with O_EXCL: a block file is never reused.
class FileWriter {
 public:
  ~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Open(std::string path) {
    path_ = std::move(path);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) return ErrnoError("create", path_);
    return absl::OkStatus();
  }

  absl::Status Append(std::string_view data) {
    offset_ += data.size();
    if (buf_.size() + data.size() > kBufferSize) {
      if (absl::Status s = Flush(); !s.ok()) return s;
      if (data.size() >= kBufferSize) return WriteAll(data);
    }
    buf_.append(data);
    return absl::OkStatus();
  }

  // Flushes, fsyncs and closes.
  absl::Status Finish() {
    if (absl::Status s = Flush(); !s.ok()) return s;
    if (::fsync(fd_) != 0) return ErrnoError("fsync", path_);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoError("close", path_);
    return absl::OkStatus();
  }

  uint64_t offset() const { return offset_; }

 private:
  static constexpr size_t kBufferSize = 1 << 20;

  absl::Status Flush() {
    absl::Status s = WriteAll(buf_);
    buf_.clear();
    return s;
  }

  absl::Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("write", path_);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  std::string path_;
  int fd_ = -1;
  std::string buf_;
  uint64_t offset_ = 0;
};

absl::Status FsyncDir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open dir", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync dir", path);
  return absl::OkStatus();
}

// Removes a (possibly partial) temporary block directory. Only the three file names a block
// contains are unlinked, so a directory holding anything else is left alone and reported.
absl::Status RemoveTmpDir(const std::string& tmp) {
  for (const char* file : {kBlockChunksFile, kBlockIndexFile, kBlockMetaFile}) {
    std::string path = absl::StrCat(tmp, "/", file);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("unlink", path);
  }
  if (::rmdir(tmp.c_str()) != 0 && errno != ENOENT) return ErrnoError("rmdir", tmp);
  return absl::OkStatus();
}

// Decodes a chunk to check that it is well formed and matches its declared time range. Returns
// its sample count.
absl::StatusOr<uint64_t> CheckChunk(const BlockChunk& c, const common::Labels& labels) {
  XorChunkIterator it(c.data);
  uint64_t n = 0;
  int64_t first = 0;
  int64_t last = 0;
  while (it.Next()) {
    if (n == 0) first = it.t();
    last = it.t();
    ++n;
  }
  if (it.error() || n == 0 || first != c.min_t || last != c.max_t) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk of ", labels.ToString(), " declared [", c.min_t, ",", c.max_t,
                     "] is empty, corrupt or holds [", first, ",", last, "]"));
  }
  return n;
}

absl::Status ValidateSeries(const BlockSeriesInput& s, int64_t min_t, int64_t max_t) {
  if (s.labels == nullptr || s.labels->empty()) {
    return absl::InvalidArgumentError("series without labels");
  }
  for (const common::Label& l : *s.labels) {
    if (l.name.empty() || l.value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty label name or value in ", s.labels->ToString()));
    }
  }
  for (size_t i = 0; i < s.chunks.size(); ++i) {
    const BlockChunk& c = s.chunks[i];
    if (c.min_t > c.max_t || c.min_t < min_t || c.max_t > max_t ||
        (i > 0 && c.min_t <= s.chunks[i - 1].max_t)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chunk ", i, " of ", s.labels->ToString(), " [", c.min_t, ",", c.max_t,
          "] is outside the block [", min_t, ",", max_t, "] or overlaps the previous chunk"));
    }
  }
  return absl::OkStatus();
}

// Writes the files into `tmp` and returns the meta. `sorted` holds the series with chunks, sorted
// by labels and validated.
absl::StatusOr<BlockMeta> WriteFiles(const std::string& tmp, int64_t min_t, int64_t max_t,
                                     const std::vector<const BlockSeriesInput*>& sorted) {
  BlockMeta meta;
  meta.min_t = min_t;
  meta.max_t = max_t;
  meta.num_series = sorted.size();

  // Symbol table: every distinct label name and value, sorted so that comparing refs compares
  // strings (the reader checks the series order on refs alone).
  std::vector<std::string_view> symbols;
  for (const BlockSeriesInput* s : sorted) {
    for (const common::Label& l : *s->labels) {
      symbols.push_back(l.name);
      symbols.push_back(l.value);
    }
  }
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  absl::flat_hash_map<std::string_view, uint64_t> refs;
  refs.reserve(symbols.size());
  for (size_t i = 0; i < symbols.size(); ++i) refs[symbols[i]] = i;

  std::string symbols_section;
  PutUvarint(&symbols_section, symbols.size());
  for (std::string_view sym : symbols) {
    PutUvarint(&symbols_section, sym.size());
    symbols_section.append(sym);
  }

  FileWriter chunks;
  if (absl::Status s = chunks.Open(absl::StrCat(tmp, "/", kBlockChunksFile)); !s.ok()) return s;
  if (absl::Status s = chunks.Append(Header(kBlockChunksMagic)); !s.ok()) return s;

  std::string series_section;
  PutUvarint(&series_section, sorted.size());
  std::string checksum;
  for (const BlockSeriesInput* s : sorted) {
    PutUvarint(&series_section, s->labels->size());
    for (const common::Label& l : *s->labels) {
      PutUvarint(&series_section, refs[l.name]);
      PutUvarint(&series_section, refs[l.value]);
    }
    PutUvarint(&series_section, s->chunks.size());
    // Times are unsigned offsets from the block start or from the previous chunk's end, computed
    // modulo 2^64 so that a block spanning the whole int64 range is representable.
    uint64_t prev_max = static_cast<uint64_t>(min_t);
    uint64_t prev_end = 0;
    for (size_t i = 0; i < s->chunks.size(); ++i) {
      const BlockChunk& c = s->chunks[i];
      absl::StatusOr<uint64_t> n = CheckChunk(c, *s->labels);
      if (!n.ok()) return n.status();
      meta.num_samples += *n;
      ++meta.num_chunks;
      uint64_t offset = chunks.offset();
      PutUvarint(&series_section, static_cast<uint64_t>(c.min_t) - prev_max);
      PutUvarint(&series_section, static_cast<uint64_t>(c.max_t) - static_cast<uint64_t>(c.min_t));
      PutUvarint(&series_section, i == 0 ? offset : offset - prev_end);
      PutUvarint(&series_section, c.data.size());
      prev_max = static_cast<uint64_t>(c.max_t);
      checksum.clear();
      PutFixed32(&checksum, static_cast<uint32_t>(XXH3_64bits(c.data.data(), c.data.size())));
      if (absl::Status st = chunks.Append(c.data); !st.ok()) return st;
      if (absl::Status st = chunks.Append(checksum); !st.ok()) return st;
      prev_end = chunks.offset();
    }
  }
  if (absl::Status s = chunks.Finish(); !s.ok()) return s;

  std::string index = Header(kBlockIndexMagic);
  const uint64_t symbols_offset = index.size();
  index.append(symbols_section);
  const uint64_t series_offset = index.size();
  index.append(series_section);
  std::string toc;
  PutFixed64(&toc, static_cast<uint64_t>(min_t));
  PutFixed64(&toc, static_cast<uint64_t>(max_t));
  PutFixed64(&toc, symbols_offset);
  PutFixed64(&toc, symbols_section.size());
  PutFixed64(&toc, XXH3_64bits(symbols_section.data(), symbols_section.size()));
  PutFixed64(&toc, series_offset);
  PutFixed64(&toc, series_section.size());
  PutFixed64(&toc, XXH3_64bits(series_section.data(), series_section.size()));
  PutFixed64(&toc, XXH3_64bits(toc.data(), toc.size()));
  index.append(toc);
  FileWriter index_file;
  if (absl::Status s = index_file.Open(absl::StrCat(tmp, "/", kBlockIndexFile)); !s.ok()) return s;
  if (absl::Status s = index_file.Append(index); !s.ok()) return s;
  if (absl::Status s = index_file.Finish(); !s.ok()) return s;

  // meta.json last: a directory with a meta.json has complete chunks and index files.
  nlohmann::json j = {{"version", meta.version},       {"min_t", meta.min_t},
                      {"max_t", meta.max_t},           {"num_series", meta.num_series},
                      {"num_chunks", meta.num_chunks}, {"num_samples", meta.num_samples}};
  FileWriter meta_file;
  if (absl::Status s = meta_file.Open(absl::StrCat(tmp, "/", kBlockMetaFile)); !s.ok()) return s;
  if (absl::Status s = meta_file.Append(j.dump(2) + "\n"); !s.ok()) return s;
  if (absl::Status s = meta_file.Finish(); !s.ok()) return s;
  return meta;
}

}  // namespace

absl::StatusOr<BlockMeta> WriteBlock(const std::string& parent, const std::string& name,
                                     int64_t min_t, int64_t max_t,
                                     std::span<const BlockSeriesInput> series) {
  if (min_t > max_t) {
    return absl::InvalidArgumentError(absl::StrCat("block range [", min_t, ",", max_t, "]"));
  }
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("bad block name '", name, "'"));
  }
  std::vector<const BlockSeriesInput*> sorted;
  sorted.reserve(series.size());
  for (const BlockSeriesInput& s : series) {
    if (absl::Status st = ValidateSeries(s, min_t, max_t); !st.ok()) return st;
    if (!s.chunks.empty()) sorted.push_back(&s);
  }
  std::sort(sorted.begin(), sorted.end(), [](const BlockSeriesInput* a, const BlockSeriesInput* b) {
    return *a->labels < *b->labels;
  });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (*sorted[i]->labels == *sorted[i - 1]->labels) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate series ", sorted[i]->labels->ToString()));
    }
  }

  const std::string final_dir = absl::StrCat(parent, "/", name);
  const std::string tmp = absl::StrCat(final_dir, kBlockTmpSuffix);
  struct stat st;
  if (::stat(final_dir.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("block ", final_dir, " exists"));
  }
  // A leftover from a crashed attempt at this same block.
  if (absl::Status s = RemoveTmpDir(tmp); !s.ok()) return s;
  if (::mkdir(tmp.c_str(), 0755) != 0) return ErrnoError("mkdir", tmp);

  absl::StatusOr<BlockMeta> meta = WriteFiles(tmp, min_t, max_t, sorted);
  absl::Status status = meta.status();
  if (status.ok()) status = FsyncDir(tmp);
  if (status.ok() && ::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    status = ErrnoError("rename to " + final_dir, tmp);
  }
  if (!status.ok()) {
    RemoveTmpDir(tmp).IgnoreError();  // best effort; the original error is what matters
    return status;
  }
  if (absl::Status s = FsyncDir(parent); !s.ok()) return s;
  return meta;
}

}  // namespace strata::collector::hot
