#include "collector/storage/hot/block/block.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "collector/storage/hot/chunk/block_chunk_codec.h"
#include "collector/storage/hot/chunk/byte_io.h"
#include "collector/storage/hot/chunk/xor_chunk.h"

namespace strata::collector::hot {
namespace {

// Bounds-checked reader over [pos, end) of a mapped file. A read past `end` or a malformed varint
// sets failed() and returns 0; callers check failed() once per record.
class Cursor {
 public:
  Cursor(const uint8_t* base, uint64_t begin, uint64_t end) : base_(base), pos_(begin), end_(end) {}

  uint64_t Uvarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= end_) return Fail();
      uint8_t b = base_[pos_++];
      if (shift == 63 && b > 1) return Fail();  // an 11th byte or bits past 64
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }

  uint64_t Fixed64() {
    if (end_ - pos_ < 8) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(base_[pos_ + i]) << (8 * i);
    pos_ += 8;
    return v;
  }

  std::string_view Bytes(uint64_t n) {
    if (n > end_ - pos_) {
      Fail();
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(base_ + pos_), n);
    pos_ += n;
    return s;
  }

  bool failed() const { return failed_; }
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return end_ - pos_; }

 private:
  uint64_t Fail() {
    failed_ = true;
    pos_ = end_;
    return 0;
  }

  const uint8_t* base_;
  uint64_t pos_;
  uint64_t end_;
  bool failed_ = false;
};

uint32_t Fixed32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

absl::Status ErrnoError(const char* what, const std::string& path) {
  int err = errno;
  std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  return err == ENOENT ? absl::NotFoundError(msg) : absl::InternalError(msg);
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = ErrnoError("read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_size) {
      ::close(fd);
      return absl::DataLossError(absl::StrCat(path, ": larger than ", max_size, " bytes"));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// Checks an 8-byte file header: magic, version (that of meta.json), three zero bytes.
absl::Status CheckHeader(const uint8_t* data, size_t size, const char (&magic)[4], int version,
                         const std::string& path) {
  if (size < kBlockHeaderSize || std::memcmp(data, magic, 4) != 0) {
    return absl::DataLossError(absl::StrCat(path, ": bad header at offset 0"));
  }
  if (data[4] < kBlockOldestReadableVersion || data[4] > kBlockFormatVersion) {
    return absl::UnimplementedError(
        absl::StrCat(path, ": unsupported block format version ", data[4], " at offset 4"));
  }
  if (data[4] != version) {
    return absl::DataLossError(absl::StrCat(path, ": format version ", data[4],
                                            " differs from meta.json's ", version, " at offset 4"));
  }
  if (data[5] != 0 || data[6] != 0 || data[7] != 0) {
    return absl::DataLossError(absl::StrCat(path, ": non-zero reserved bytes at offset 5"));
  }
  return absl::OkStatus();
}

bool GetInt64(const nlohmann::json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(v);
    return true;
  }
  if (!it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

bool GetUint64(const nlohmann::json& j, const char* key, uint64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) return false;
  *out = it->get<uint64_t>();
  return true;
}

}  // namespace

Block::~Block() {
  for (Mapping* m : {&chunks_, &index_}) {
    if (m->data != nullptr) ::munmap(const_cast<uint8_t*>(m->data), m->size);
  }
}

absl::StatusOr<std::unique_ptr<Block>> Block::Open(const std::string& dir) {
  std::unique_ptr<Block> block(new Block(dir));
  if (absl::Status s = block->Load(); !s.ok()) return s;
  return block;
}

namespace {

absl::Status MapFile(const std::string& path, const uint8_t** data, size_t* size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    absl::Status s = ErrnoError("stat", path);
    ::close(fd);
    return s;
  }
  *size = static_cast<size_t>(st.st_size);
  if (*size == 0) {  // mmap rejects empty mappings; the header check reports the file
    ::close(fd);
    return absl::OkStatus();
  }
  void* p = ::mmap(nullptr, *size, PROT_READ, MAP_PRIVATE, fd, 0);
  absl::Status s = p == MAP_FAILED ? ErrnoError("mmap", path) : absl::OkStatus();
  ::close(fd);  // the mapping keeps the file open
  if (s.ok()) *data = static_cast<const uint8_t*>(p);
  return s;
}

}  // namespace

absl::Status Block::Load() {
  const std::string meta_path = absl::StrCat(dir_, "/", kBlockMetaFile);
  absl::StatusOr<std::string> meta_text = ReadSmallFile(meta_path, kBlockMaxMetaSize);
  if (!meta_text.ok()) return meta_text.status();
  nlohmann::json j = nlohmann::json::parse(*meta_text, nullptr, /*allow_exceptions=*/false);
  int64_t version = 0;
  if (j.is_discarded() || !j.is_object() || !GetInt64(j, "version", &version)) {
    return absl::DataLossError(absl::StrCat(meta_path, ": not a block meta object"));
  }
  if (version < kBlockOldestReadableVersion || version > kBlockFormatVersion) {
    return absl::UnimplementedError(
        absl::StrCat(meta_path, ": unsupported block format version ", version));
  }
  meta_.version = static_cast<int>(version);
  if (!GetInt64(j, "min_t", &meta_.min_t) || !GetInt64(j, "max_t", &meta_.max_t) ||
      !GetUint64(j, "num_series", &meta_.num_series) ||
      !GetUint64(j, "num_chunks", &meta_.num_chunks) ||
      !GetUint64(j, "num_samples", &meta_.num_samples) || meta_.min_t > meta_.max_t) {
    return absl::DataLossError(absl::StrCat(meta_path, ": missing or invalid field"));
  }

  const std::string chunks_path = absl::StrCat(dir_, "/", kBlockChunksFile);
  if (absl::Status s = MapFile(chunks_path, &chunks_.data, &chunks_.size); !s.ok()) return s;
  if (absl::Status s =
          CheckHeader(chunks_.data, chunks_.size, kBlockChunksMagic, meta_.version, chunks_path);
      !s.ok()) {
    return s;
  }
  return LoadIndex();
}

absl::Status Block::LoadIndex() {
  const std::string path = absl::StrCat(dir_, "/", kBlockIndexFile);
  if (absl::Status s = MapFile(path, &index_.data, &index_.size); !s.ok()) return s;
  if (absl::Status s = CheckHeader(index_.data, index_.size, kBlockIndexMagic, meta_.version, path);
      !s.ok()) {
    return s;
  }
  if (index_.size < kBlockHeaderSize + kBlockIndexTocSize) {
    return absl::DataLossError(
        absl::StrCat(path, ": truncated, no table of contents at offset ", kBlockHeaderSize));
  }
  const uint64_t toc_offset = index_.size - kBlockIndexTocSize;
  auto error = [&](const char* what, uint64_t offset) {
    return absl::DataLossError(absl::StrCat(path, ": ", what, " at offset ", offset));
  };
  Cursor toc(index_.data, toc_offset, index_.size);
  const int64_t min_t = static_cast<int64_t>(toc.Fixed64());
  const int64_t max_t = static_cast<int64_t>(toc.Fixed64());
  const uint64_t symbols_offset = toc.Fixed64();
  const uint64_t symbols_length = toc.Fixed64();
  const uint64_t symbols_checksum = toc.Fixed64();
  const uint64_t series_offset = toc.Fixed64();
  const uint64_t series_length = toc.Fixed64();
  const uint64_t series_checksum = toc.Fixed64();
  const uint64_t toc_checksum = toc.Fixed64();
  if (XXH3_64bits(index_.data + toc_offset, kBlockIndexTocSize - 8) != toc_checksum) {
    return error("table of contents checksum mismatch", toc_offset);
  }
  if (min_t != meta_.min_t || max_t != meta_.max_t) {
    return error("time range differs from meta.json", toc_offset);
  }
  // The sections are contiguous: header, symbols, series, table of contents.
  if (symbols_offset != kBlockHeaderSize || symbols_length > toc_offset - symbols_offset ||
      series_offset != symbols_offset + symbols_length ||
      series_length != toc_offset - series_offset) {
    return error("section bounds inconsistent with the file size", toc_offset + 16);
  }
  if (XXH3_64bits(index_.data + symbols_offset, symbols_length) != symbols_checksum) {
    return error("symbol table checksum mismatch", symbols_offset);
  }
  if (XXH3_64bits(index_.data + series_offset, series_length) != series_checksum) {
    return error("series table checksum mismatch", series_offset);
  }
  if (absl::Status s = ParseSymbols(symbols_offset, symbols_length); !s.ok()) return s;
  return ParseSeries(series_offset, series_length);
}

absl::Status Block::ParseSymbols(uint64_t offset, uint64_t length) {
  Cursor c(index_.data, offset, offset + length);
  const uint64_t count = c.Uvarint();
  // Each symbol takes at least 2 bytes (length + one byte), bounding the reservation.
  if (c.failed() || count > c.remaining() / 2) {
    return absl::DataLossError(absl::StrCat(dir_, "/index: bad symbol count at offset ", offset));
  }
  symbols_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = c.pos();
    const uint64_t len = c.Uvarint();
    std::string_view sym = c.Bytes(len);
    if (c.failed() || len == 0 || (!symbols_.empty() && sym <= symbols_.back())) {
      return absl::DataLossError(
          absl::StrCat(dir_, "/index: bad or unsorted symbol ", i, " at offset ", at));
    }
    symbols_.push_back(sym);
  }
  if (c.remaining() != 0) {
    return absl::DataLossError(
        absl::StrCat(dir_, "/index: trailing bytes in symbol table at offset ", c.pos()));
  }
  return absl::OkStatus();
}

absl::Status Block::ParseSeries(uint64_t offset, uint64_t length) {
  Cursor c(index_.data, offset, offset + length);
  auto error = [&](const char* what, uint64_t at) {
    return absl::DataLossError(absl::StrCat(dir_, "/index: ", what, " at offset ", at));
  };
  const uint64_t count = c.Uvarint();
  // A series takes at least 8 bytes (label count, one label, chunk count, one chunk reference).
  if (c.failed() || count > c.remaining() / 8 || count > std::numeric_limits<uint32_t>::max()) {
    return error("bad series count", offset);
  }
  if (count != meta_.num_series) return error("series count differs from meta.json", offset);
  series_offsets_.reserve(count);
  const uint64_t num_symbols = symbols_.size();
  // Offsets and times are validated in unsigned arithmetic relative to the block start, so no
  // step can overflow: every value is checked against the room left before it is added.
  const uint64_t span = static_cast<uint64_t>(meta_.max_t) - static_cast<uint64_t>(meta_.min_t);
  uint64_t num_chunks = 0;
  std::vector<uint64_t> prev_refs;
  std::vector<uint64_t> refs;
  std::vector<common::Label> labels;
  for (uint64_t id = 0; id < count; ++id) {
    const uint64_t entry = c.pos();
    series_offsets_.push_back(entry);
    const uint64_t num_labels = c.Uvarint();
    if (c.failed() || num_labels == 0 || num_labels > c.remaining() / 2) {
      return error("bad label count", entry);
    }
    refs.clear();
    labels.clear();
    for (uint64_t i = 0; i < num_labels; ++i) {
      const uint64_t name = c.Uvarint();
      const uint64_t value = c.Uvarint();
      // Names strictly increase; since symbols are sorted, comparing refs compares strings.
      if (c.failed() || name >= num_symbols || value >= num_symbols ||
          (i > 0 && name <= refs[refs.size() - 2])) {
        return error("bad label reference", entry);
      }
      refs.push_back(name);
      refs.push_back(value);
      labels.push_back({std::string(symbols_[name]), std::string(symbols_[value])});
    }
    // Flattened (name, value) refs compare exactly like the label sets they encode.
    if (id > 0 && !std::lexicographical_compare(prev_refs.begin(), prev_refs.end(), refs.begin(),
                                                refs.end())) {
      return error("series not in strictly increasing label order", entry);
    }
    std::swap(prev_refs, refs);
    const uint64_t n = c.Uvarint();
    if (c.failed() || n == 0 || n > c.remaining() / 4) return error("bad chunk count", entry);
    uint64_t prev_max = 0;  // relative to meta_.min_t
    uint64_t prev_end = 0;
    for (uint64_t k = 0; k < n; ++k) {
      const uint64_t at = c.pos();
      const uint64_t start_delta = c.Uvarint();
      const uint64_t duration = c.Uvarint();
      const uint64_t offset_field = c.Uvarint();
      const uint64_t len = c.Uvarint();
      if (c.failed()) return error("truncated chunk reference", at);
      if (k > 0 && start_delta == 0) return error("overlapping chunks", at);
      if (start_delta > span - prev_max) return error("chunk starts after the block", at);
      const uint64_t rel_min = prev_max + start_delta;
      if (duration > span - rel_min) return error("chunk ends after the block", at);
      prev_max = rel_min + duration;
      uint64_t chunk_offset;
      if (k == 0) {
        chunk_offset = offset_field;
      } else if (offset_field > chunks_.size - prev_end) {
        return error("chunk offset beyond the chunks file", at);
      } else {
        chunk_offset = prev_end + offset_field;
      }
      if (chunk_offset < kBlockHeaderSize || chunk_offset > chunks_.size || len < 2 ||
          len > chunks_.size - chunk_offset ||
          kBlockChunkChecksumSize > chunks_.size - chunk_offset - len) {
        return error("chunk offset or length beyond the chunks file", at);
      }
      prev_end = chunk_offset + len + kBlockChunkChecksumSize;
      ++num_chunks;
    }
    postings_.Add(static_cast<uint32_t>(id), common::Labels::FromUnsorted(std::move(labels)));
    labels = {};
  }
  if (c.remaining() != 0) return error("trailing bytes in series table", c.pos());
  if (num_chunks != meta_.num_chunks) return error("chunk count differs from meta.json", offset);
  return absl::OkStatus();
}

void Block::DecodeSeries(uint32_t id, common::Labels* labels, std::vector<ChunkRef>* chunks) const {
  Cursor c(index_.data, series_offsets_[id], index_.size - kBlockIndexTocSize);
  const uint64_t num_labels = c.Uvarint();
  // Views of the symbols, copied once into the label block: a query decodes the labels of every
  // selected series in every block, so no string is built per label.
  absl::InlinedVector<common::LabelView, 16> items;
  for (uint64_t i = 0; i < num_labels && !c.failed(); ++i) {
    const uint64_t name = c.Uvarint();
    const uint64_t value = c.Uvarint();
    if (labels != nullptr && name < symbols_.size() && value < symbols_.size()) {
      items.push_back({symbols_[name], symbols_[value]});
    }
  }
  if (labels != nullptr) *labels = common::Labels::FromUnsortedViews(std::span(items));
  if (chunks == nullptr) return;
  chunks->clear();
  const uint64_t n = c.Uvarint();
  uint64_t prev_max = static_cast<uint64_t>(meta_.min_t);
  uint64_t prev_end = 0;
  for (uint64_t k = 0; k < n && !c.failed(); ++k) {
    const uint64_t start_delta = c.Uvarint();
    const uint64_t duration = c.Uvarint();
    const uint64_t offset_field = c.Uvarint();
    const uint64_t len = c.Uvarint();
    if (c.failed()) break;
    ChunkRef ref;
    ref.min_t = static_cast<int64_t>(prev_max + start_delta);
    ref.max_t = static_cast<int64_t>(prev_max + start_delta + duration);
    ref.offset = k == 0 ? offset_field : prev_end + offset_field;
    ref.length = len;
    prev_max = static_cast<uint64_t>(ref.max_t);
    prev_end = ref.offset + len + kBlockChunkChecksumSize;
    chunks->push_back(ref);
  }
}

absl::Status Block::DecodeChunk(uint32_t id, const ChunkRef& chunk, int64_t min_t, int64_t max_t,
                                std::vector<common::Sample>* out, TimestampCache* cache) const {
  std::vector<int64_t> scratch_t;  // the timestamps when there is no cache (or it declines)
  chunks_decoded_.fetch_add(1, std::memory_order_relaxed);
  auto error = [&](const char* what) {
    common::Labels labels;
    DecodeSeries(id, &labels, nullptr);
    return absl::DataLossError(absl::StrCat(dir_, "/", kBlockChunksFile, ": ", what,
                                            " in chunk at offset ", chunk.offset, " of ",
                                            labels.ToString()));
  };
  const uint8_t* data = chunks_.data + chunk.offset;
  if (static_cast<uint32_t>(XXH3_64bits(data, chunk.length)) != Fixed32(data + chunk.length)) {
    return error("checksum mismatch");
  }
  const std::span<const uint8_t> record(data, chunk.length);
  if (meta_.version == 1) {
    XorChunkIterator it(record);
    // The header count bounds the growth (at most 65535), so reserving is safe; a chunk
    // straddling the range end over-reserves by less than one chunk.
    out->reserve(out->size() + it.num_samples());
    while (it.Next()) {
      if (it.t() < min_t) continue;
      if (it.t() > max_t) break;
      out->push_back({it.t(), it.v()});
    }
    if (it.error()) return error("undecodable data");
    return absl::OkStatus();
  }

  // A values record: the offset of its timestamps record, then the values.
  ByteReader values(record);
  const uint64_t ts_offset = values.Uvarint();
  if (values.failed() || ts_offset < kBlockHeaderSize || ts_offset >= chunks_.size) {
    return error("bad timestamps reference");
  }
  // The timestamps: from the cache, or decoded (and checksummed) here.
  const std::vector<int64_t>* cached = cache != nullptr ? cache->Find(ts_offset) : nullptr;
  std::vector<int64_t>* column = nullptr;
  if (cached == nullptr) {
    // The timestamps record: count, length, encoding, checksum over all three.
    ByteReader ts(std::span<const uint8_t>(chunks_.data + ts_offset, chunks_.size - ts_offset));
    const uint64_t n = ts.Uvarint();
    const uint64_t length = ts.Uvarint();
    if (ts.failed() || n == 0 || n > kBlockChunkMaxSamples || length > ts.remaining() ||
        kBlockChunkChecksumSize > ts.remaining() - length) {
      return error("bad timestamps record");
    }
    const uint64_t covered = ts.pos() + length;
    if (static_cast<uint32_t>(XXH3_64bits(chunks_.data + ts_offset, covered)) !=
        Fixed32(chunks_.data + ts_offset + covered)) {
      return error("timestamps checksum mismatch");
    }
    column = cache != nullptr ? cache->Insert(ts_offset, n) : nullptr;
    if (column == nullptr) {
      scratch_t.resize(n);
      column = &scratch_t;
    }
    if (!DecodeBlockTimestamps(ts.rest().first(length), n, column->data())) {
      if (column != &scratch_t) cache->Erase(ts_offset);
      return error("undecodable data");
    }
    cached = column;
  }
  const std::span<const int64_t> t(*cached);
  // The chunk's first and last timestamps must be the bounds its reference declares: the range
  // checks without decoding rely on them.
  if (t.front() != chunk.min_t || t.back() != chunk.max_t) {
    return error("samples outside the chunk's bounds");
  }
  const size_t begin = static_cast<size_t>(std::lower_bound(t.begin(), t.end(), min_t) - t.begin());
  const size_t end = static_cast<size_t>(std::upper_bound(t.begin(), t.end(), max_t) - t.begin());
  BlockChunkIterator it(t, values.rest());
  if (it.error()) return error("undecodable data");
  // Values are decoded through the last one in range (each depends on those before it), and
  // the samples in range appended a batch at a time.
  // Each batch is paired up with its timestamps in a small staging array (in L1) and appended
  // with one copy: resizing first would construct every sample only to overwrite it, and
  // push_back per sample checks the capacity each time.
  const size_t base = out->size();
  out->reserve(base + (end > begin ? end - begin : 0));
  double v[BlockChunkIterator::kBatch];
  common::Sample staged[BlockChunkIterator::kBatch];
  size_t pos = 0;
  while (pos < end) {
    const size_t k = it.NextBatch(nullptr, v, BlockChunkIterator::kBatch);  // t is at hand
    if (k == 0) break;
    const size_t from = std::max(pos, begin);
    const size_t to = std::min(pos + k, end);
    for (size_t i = from; i < to; ++i) staged[i - from] = {t[i], v[i - pos]};
    if (to > from) out->insert(out->end(), staged, staged + (to - from));
    pos += k;
  }
  if (it.error() || pos < end) {
    out->resize(base);
    return error("undecodable data");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Block::HasData(uint32_t id, const std::vector<ChunkRef>& chunks, int64_t min_t,
                                    int64_t max_t) const {
  std::vector<common::Sample> samples;
  for (const ChunkRef& ref : chunks) {
    if (ref.max_t < min_t) continue;
    if (ref.min_t > max_t) break;
    // A chunk's first and last samples sit exactly at its min_t and max_t (checked by the
    // writer), so only a chunk straddling the whole range needs decoding.
    if (ref.min_t >= min_t || ref.max_t <= max_t) return true;
    if (absl::Status s = DecodeChunk(id, ref, min_t, max_t, &samples); !s.ok()) return s;
    if (!samples.empty()) return true;
  }
  return false;
}

absl::StatusOr<::Roaring> Block::SelectInRange(const std::vector<LabelMatcher>& matchers,
                                               int64_t min_t_ms, int64_t max_t_ms) const {
  const int64_t lo = std::max(min_t_ms, meta_.min_t);
  const int64_t hi = std::min(max_t_ms, meta_.max_t);
  if (lo > hi) return ::Roaring();
  ::Roaring ids = postings_.Select(matchers);
  // Every series has a sample at the start of its first chunk and at the end of its last chunk,
  // both inside the block, so a range covering the block keeps them all.
  if (lo == meta_.min_t && hi == meta_.max_t) return ids;
  ::Roaring in_range;
  std::vector<ChunkRef> chunks;
  for (uint32_t id : ids) {
    DecodeSeries(id, nullptr, &chunks);
    absl::StatusOr<bool> has = HasData(id, chunks, lo, hi);
    if (!has.ok()) return has.status();
    if (*has) in_range.add(id);
  }
  return in_range;
}

// Walks the matching ids in ascending order (which is label order), decoding the chunks of one
// series inside the range per Next().
class Block::SelectionCursor final : public SeriesCursor {
 public:
  SelectionCursor(const Block& block, ::Roaring ids, int64_t lo, int64_t hi)
      : block_(block), ids_(std::move(ids)), it_(ids_.begin()), lo_(lo), hi_(hi) {}

  bool Next(SeriesData* out) override { return NextByParts(out); }
  // The next series with a chunk in range (which may still hold no sample in it).
  common::Labels* NextLabels() override {
    for (; it_ != ids_.end() && status_.ok(); ++it_) {
      const uint32_t id = *it_;
      block_.DecodeSeries(id, nullptr, &chunks_);
      const bool any = std::any_of(chunks_.begin(), chunks_.end(), [&](const ChunkRef& ref) {
        return ref.max_t >= lo_ && ref.min_t <= hi_;
      });
      if (!any) continue;
      block_.DecodeSeries(id, &labels_, nullptr);
      current_ = id;
      ++it_;
      return &labels_;
    }
    return nullptr;
  }
  bool AppendSamples(std::vector<common::Sample>* out) override {
    for (const ChunkRef& ref : chunks_) {
      if (ref.max_t < lo_) continue;
      if (ref.min_t > hi_) break;
      status_ = block_.DecodeChunk(current_, ref, lo_, hi_, out, &ts_cache_);
      if (!status_.ok()) return false;
    }
    return true;
  }
  int64_t MinTimeHint() const override { return lo_; }
  absl::Status status() const override { return status_; }

 private:
  const Block& block_;
  const ::Roaring ids_;
  ::Roaring::const_iterator it_;
  const int64_t lo_;
  const int64_t hi_;
  std::vector<ChunkRef> chunks_;  // the current series'
  common::Labels labels_;         // the current series'
  uint32_t current_ = 0;
  TimestampCache ts_cache_;
  absl::Status status_;
};

absl::StatusOr<std::unique_ptr<SeriesCursor>> Block::SelectCursor(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  const int64_t lo = std::max(min_t_ms, meta_.min_t);
  const int64_t hi = std::min(max_t_ms, meta_.max_t);
  if (lo > hi) return std::make_unique<VectorSeriesCursor>(std::vector<SeriesData>{});
  return std::make_unique<SelectionCursor>(*this, postings_.Select(matchers), lo, hi);
}

absl::StatusOr<std::vector<SeriesData>> Block::Select(const std::vector<LabelMatcher>& matchers,
                                                      int64_t min_t_ms, int64_t max_t_ms) {
  absl::StatusOr<std::unique_ptr<SeriesCursor>> cursor = SelectCursor(matchers, min_t_ms, max_t_ms);
  if (!cursor.ok()) return cursor.status();
  std::vector<SeriesData> out;
  SeriesData d;
  while ((*cursor)->Next(&d)) out.push_back(std::move(d));
  if (!(*cursor)->status().ok()) return (*cursor)->status();
  return out;
}

absl::StatusOr<std::vector<common::Labels>> Block::Series(const std::vector<LabelMatcher>& matchers,
                                                          int64_t min_t_ms, int64_t max_t_ms) {
  absl::StatusOr<::Roaring> ids = SelectInRange(matchers, min_t_ms, max_t_ms);
  if (!ids.ok()) return ids.status();
  std::vector<common::Labels> out;
  out.reserve(ids->cardinality());
  for (uint32_t id : *ids) DecodeSeries(id, &out.emplace_back(), nullptr);
  return out;
}

absl::StatusOr<std::vector<std::string>> Block::LabelNames(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  absl::StatusOr<::Roaring> ids = SelectInRange(matchers, min_t_ms, max_t_ms);
  if (!ids.ok()) return ids.status();
  return postings_.LabelNames(&*ids);
}

absl::StatusOr<std::vector<std::string>> Block::LabelValues(
    const std::string& name, const std::vector<LabelMatcher>& matchers, int64_t min_t_ms,
    int64_t max_t_ms) {
  absl::StatusOr<::Roaring> ids = SelectInRange(matchers, min_t_ms, max_t_ms);
  if (!ids.ok()) return ids.status();
  return postings_.LabelValues(name, &*ids);
}

}  // namespace strata::collector::hot
