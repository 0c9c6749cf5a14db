#include "collector/storage/hot/block/block_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collector/storage/hot/chunk/block_chunk_codec.h"
#include "collector/storage/hot/chunk/byte_io.h"
#include "collector/storage/hot/chunk/xor_chunk.h"

namespace strata::collector::hot {
namespace {

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
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

// Appends each series' samples to the `chunks` file as block chunks (FORMAT.md, "Blocks"), and
// their references to the series table. Timestamps records are shared: a record identical to one
// already written (same count, same encoding) is referenced instead of written again, which for
// Prometheus scrapes stores the timestamps of all series of one target once.
class SampleRecords {
 public:
  explicit SampleRecords(FileWriter* chunks) : chunks_(chunks) {}

  // Re-cuts one series' samples (t, v; non-empty, checked) into block chunks and writes them;
  // appends the chunk count and chunk references to `series_section` and counts chunks and
  // samples into `meta`.
  absl::Status Add(const std::vector<int64_t>& t_, const std::vector<double>& v_,
                   int64_t block_min_t, std::string* series_section, BlockMeta* meta) {
    meta->num_samples += t_.size();
    // Chunk boundaries: even splits of at most kBlockWriterChunkSamples, moved off runs of equal
    // timestamps (consecutive chunks must not share a timestamp).
    bounds_.clear();
    const size_t n = t_.size();
    for (size_t begin = 0; begin < n;) {
      const size_t left = n - begin;
      const size_t parts = (left + kBlockWriterChunkSamples - 1) / kBlockWriterChunkSamples;
      size_t end = begin + (left + parts - 1) / parts;
      if (end < n && t_[end] == t_[end - 1]) {
        size_t back = end - 1;
        while (back > begin && t_[back] == t_[back - 1]) --back;
        if (back > begin) {
          end = back;
        } else {  // the whole chunk is one run: take all of it (at most one input chunk)
          while (end < n && t_[end] == t_[end - 1]) ++end;
        }
      }
      bounds_.push_back(end);
      begin = end;
    }
    PutUvarint(series_section, bounds_.size());
    // Times are unsigned offsets from the block start or from the previous chunk's end, computed
    // modulo 2^64 so that a block spanning the whole int64 range is representable.
    uint64_t prev_max = static_cast<uint64_t>(block_min_t);
    uint64_t prev_end = 0;
    size_t begin = 0;
    for (size_t k = 0; k < bounds_.size(); ++k) {
      const size_t end = bounds_[k];
      const std::span<const int64_t> t(t_.data() + begin, end - begin);
      absl::StatusOr<uint64_t> timestamps = TimestampsRecord(t);
      if (!timestamps.ok()) return timestamps.status();
      const uint64_t offset = chunks_->offset();
      record_.clear();
      PutUvarint(&record_, *timestamps);
      encoder_.EncodeValues(std::span<const double>(v_.data() + begin, end - begin), &record_);
      PutUvarint(series_section, static_cast<uint64_t>(t.front()) - prev_max);
      PutUvarint(series_section,
                 static_cast<uint64_t>(t.back()) - static_cast<uint64_t>(t.front()));
      PutUvarint(series_section, k == 0 ? offset : offset - prev_end);
      PutUvarint(series_section, record_.size());
      PutFixed32(&record_, static_cast<uint32_t>(XXH3_64bits(record_.data(), record_.size())));
      if (absl::Status st = chunks_->Append(record_); !st.ok()) return st;
      prev_max = static_cast<uint64_t>(t.back());
      prev_end = chunks_->offset();
      ++meta->num_chunks;
      begin = end;
    }
    return absl::OkStatus();
  }

 private:
  // Memory bound of the sharing map: past it the map starts over (sharing then only works
  // within the part of the block written since).
  static constexpr size_t kMaxSharedTimestampsBytes = 64 << 20;

  // Returns the offset of the timestamps record for `t`, writing it unless an identical one
  // exists.
  absl::StatusOr<uint64_t> TimestampsRecord(std::span<const int64_t> t) {
    body_.clear();
    encoder_.EncodeTimestamps(t, &body_);
    key_.clear();
    PutUvarint(&key_, t.size());
    PutUvarint(&key_, body_.size());
    key_.append(body_);
    if (auto it = shared_.find(key_); it != shared_.end()) return it->second;
    const uint64_t offset = chunks_->offset();
    const size_t size = key_.size();
    PutFixed32(&key_, static_cast<uint32_t>(XXH3_64bits(key_.data(), size)));
    if (absl::Status st = chunks_->Append(key_); !st.ok()) return st;
    key_.resize(size);
    if (shared_bytes_ + size > kMaxSharedTimestampsBytes) {
      shared_.clear();
      shared_bytes_ = 0;
    }
    shared_bytes_ += size;
    shared_.emplace(key_, offset);
    return offset;
  }

  FileWriter* chunks_;
  BlockChunkEncoder encoder_;
  // Scratch reused across series, so that writing allocates per chunk at most.
  std::vector<size_t> bounds_;
  std::string body_;
  std::string key_;
  std::string record_;
  absl::flat_hash_map<std::string, uint64_t> shared_;  // timestamps record without checksum
  size_t shared_bytes_ = 0;
};

absl::Status ValidateLabels(const common::Labels& labels) {
  if (labels.empty()) return absl::InvalidArgumentError("series without labels");
  for (const auto& l : labels) {
    if (l.name.empty() || l.value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty label name or value in ", labels.ToString()));
    }
  }
  return absl::OkStatus();
}

// Checks a series given as XOR chunks, except the chunks' contents (ChunkListSource decodes them).
absl::Status ValidateSeries(const BlockSeriesInput& s, int64_t min_t, int64_t max_t) {
  if (s.labels == nullptr) return absl::InvalidArgumentError("series without labels");
  if (absl::Status st = ValidateLabels(*s.labels); !st.ok()) return st;
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

// The span overload's series as a source: each series' XOR chunks decoded when it is written,
// checked against their declared bounds. Holds the series with chunks only.
class ChunkListSource final : public BlockSeriesSource {
 public:
  explicit ChunkListSource(std::vector<const BlockSeriesInput*> series)
      : series_(std::move(series)) {}

  size_t NumSeries() const override { return series_.size(); }
  const common::Labels& SeriesLabels(size_t i) const override { return *series_[i]->labels; }

  absl::Status Samples(size_t i, std::vector<int64_t>* t, std::vector<double>* v) override {
    const BlockSeriesInput& s = *series_[i];
    t->clear();
    v->clear();
    for (const BlockChunk& c : s.chunks) {
      XorChunkIterator it(c.data);
      const size_t first = t->size();
      while (it.Next()) {
        t->push_back(it.t());
        v->push_back(it.v());
      }
      if (it.error() || t->size() == first || (*t)[first] != c.min_t || t->back() != c.max_t) {
        const bool empty = t->size() == first;
        return absl::InvalidArgumentError(
            absl::StrCat("chunk of ", s.labels->ToString(), " declared [", c.min_t, ",", c.max_t,
                         "] is empty, corrupt or holds [", empty ? 0 : (*t)[first], ",",
                         empty ? 0 : t->back(), "]"));
      }
    }
    return absl::OkStatus();
  }

 private:
  std::vector<const BlockSeriesInput*> series_;
};

// Checks samples from a source: timestamps non-decreasing and inside [min_t, max_t].
absl::Status ValidateSamples(const common::Labels& labels, const std::vector<int64_t>& t,
                             const std::vector<double>& v, int64_t min_t, int64_t max_t) {
  if (t.size() != v.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(labels.ToString(), ": ", t.size(), " timestamps but ", v.size(), " values"));
  }
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] < min_t || t[i] > max_t || (i > 0 && t[i] < t[i - 1])) {
      return absl::InvalidArgumentError(absl::StrCat("sample ", i, " of ", labels.ToString(),
                                                     " at ", t[i], " is outside the block [", min_t,
                                                     ",", max_t, "] or out of order"));
    }
  }
  return absl::OkStatus();
}

// Writes the files into `tmp` and returns the meta. `order` lists the source's series sorted by
// labels (validated, no duplicates).
absl::StatusOr<BlockMeta> WriteFiles(const std::string& tmp, int64_t min_t, int64_t max_t,
                                     BlockSeriesSource& source, const std::vector<size_t>& order) {
  BlockMeta meta;
  meta.min_t = min_t;
  meta.max_t = max_t;

  // Symbol table: every distinct label name and value, sorted so that comparing refs compares
  // strings (the reader checks the series order on refs alone). A series the source turns out to
  // have no samples for leaves its symbols behind, unused, which readers allow.
  std::vector<std::string_view> symbols;
  for (size_t i : order) {
    for (const auto& l : source.SeriesLabels(i)) {
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

  std::string series_body;  // the series table after its count
  SampleRecords records(&chunks);
  std::vector<int64_t> t;
  std::vector<double> v;
  for (size_t i : order) {
    const common::Labels& labels = source.SeriesLabels(i);
    if (absl::Status st = source.Samples(i, &t, &v); !st.ok()) return st;
    if (absl::Status st = ValidateSamples(labels, t, v, min_t, max_t); !st.ok()) return st;
    if (t.empty()) continue;
    ++meta.num_series;
    PutUvarint(&series_body, labels.size());
    for (const auto& l : labels) {
      PutUvarint(&series_body, refs[l.name]);
      PutUvarint(&series_body, refs[l.value]);
    }
    if (absl::Status st = records.Add(t, v, min_t, &series_body, &meta); !st.ok()) return st;
  }
  if (absl::Status s = chunks.Finish(); !s.ok()) return s;
  std::string series_section;
  PutUvarint(&series_section, meta.num_series);
  series_section.append(series_body);

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

absl::Status ValidateArgs(const std::string& name, int64_t min_t, int64_t max_t) {
  if (min_t > max_t) {
    return absl::InvalidArgumentError(absl::StrCat("block range [", min_t, ",", max_t, "]"));
  }
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("bad block name '", name, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BlockMeta> WriteBlock(const std::string& parent, const std::string& name,
                                     int64_t min_t, int64_t max_t,
                                     std::span<const BlockSeriesInput> series) {
  if (absl::Status st = ValidateArgs(name, min_t, max_t); !st.ok()) return st;
  std::vector<const BlockSeriesInput*> with_chunks;
  with_chunks.reserve(series.size());
  for (const BlockSeriesInput& s : series) {
    if (absl::Status st = ValidateSeries(s, min_t, max_t); !st.ok()) return st;
    if (!s.chunks.empty()) with_chunks.push_back(&s);
  }
  ChunkListSource source(std::move(with_chunks));
  return WriteBlock(parent, name, min_t, max_t, source);
}

absl::StatusOr<BlockMeta> WriteBlock(const std::string& parent, const std::string& name,
                                     int64_t min_t, int64_t max_t, BlockSeriesSource& source) {
  if (absl::Status st = ValidateArgs(name, min_t, max_t); !st.ok()) return st;
  std::vector<size_t> order(source.NumSeries());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
    if (absl::Status st = ValidateLabels(source.SeriesLabels(i)); !st.ok()) return st;
  }
  std::sort(order.begin(), order.end(), [&source](size_t a, size_t b) {
    return source.SeriesLabels(a) < source.SeriesLabels(b);
  });
  for (size_t i = 1; i < order.size(); ++i) {
    if (source.SeriesLabels(order[i]) == source.SeriesLabels(order[i - 1])) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate series ", source.SeriesLabels(order[i]).ToString()));
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

  absl::StatusOr<BlockMeta> meta = WriteFiles(tmp, min_t, max_t, source, order);
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
