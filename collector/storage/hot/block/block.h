#pragma once

// Block: a read-only view of one on-disk block written by WriteBlock (block_writer.h), answering
// StorageReader queries over the block's time range.
//
// Open() mmaps `chunks` and `index` and validates everything the queries will later trust: the
// headers, the index's table of contents and section checksums, every symbol reference, the
// label order, every chunk's time range (inside the block, sorted, non-overlapping) and every
// chunk's offset and length against the size of `chunks`, and meta.json against the index. A
// block failing any check is rejected with DataLoss naming the file and byte offset. Chunk bytes
// are not read at Open (that would read the whole file); each chunk, and each timestamps record
// that chunks share, carries a checksum that Select verifies before decoding it, so a damaged
// chunk makes the query fail with DataLoss instead of returning wrong samples. Blocks of format
// version 1 (XOR chunks) are read as well as version 2 (block_chunk_codec.h).
//
// Memory held after Open, besides the mappings (page cache, evictable):
//   * a PostingsIndex over series ordinals 0..n-1 (ordinal = position in the label-sorted series
//     table, so ascending ids are already in label order): each distinct label name and
//     name/value pair once as strings, plus one Roaring bitmap per pair;
//   * 8 bytes per series (offset of its entry in the index) and 16 bytes per symbol.
// Labels and chunk references are decoded from the mapping per query. Measured figures are in
// FORMAT.md ("Blocks").
//
// Threads: immutable after Open; every method may be called concurrently from any thread.
// The files must not be modified while the block is open (a file truncated under a mapping
// makes reads fault); blocks are immutable by design and retention deletes whole directories,
// which is safe: the mappings keep the unlinked files alive until the Block is destroyed.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collector/storage/hot/block/block_writer.h"
#include "collector/storage/hot/block/timestamp_cache.h"
#include "collector/storage/index/postings_index.h"
#include "collector/storage/storage.h"

namespace strata::collector::hot {

class Block final : public StorageReader {
 public:
  // Opens the block directory `dir` (the final name, never a ".tmp" one). Returns DataLoss for a
  // corrupt or truncated block (message: file and offset), Unimplemented for an unknown format
  // version, NotFound/Internal when a file cannot be opened or mapped.
  static absl::StatusOr<std::unique_ptr<Block>> Open(const std::string& dir);
  ~Block() override;
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  const BlockMeta& meta() const { return meta_; }
  const std::string& dir() const { return dir_; }

  // StorageReader. Only data inside both the query range and the block's range is considered;
  // chunk references are checked against the range first and only overlapping chunks are read.
  // Select returns DataLoss (file, offset, series) when a chunk fails its checksum or does not
  // decode; the other methods decode a chunk only when it straddles the query range, and fail the
  // same way.
  absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>& matchers,
                                                 int64_t min_t_ms, int64_t max_t_ms) override;
  // Decodes one series per Next(); series ids ascend in label order, so nothing is sorted.
  absl::StatusOr<std::unique_ptr<SeriesCursor>> SelectCursor(
      const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<common::Labels>> Series(const std::vector<LabelMatcher>& matchers,
                                                     int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<LabelMatcher>& matchers,
                                                      int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const std::vector<LabelMatcher>& matchers,
                                                       int64_t min_t_ms, int64_t max_t_ms) override;

  // Chunks decoded by queries since Open (for tests and self-monitoring).
  uint64_t chunks_decoded() const { return chunks_decoded_.load(std::memory_order_relaxed); }

 private:
  struct Mapping {
    const uint8_t* data = nullptr;
    size_t size = 0;
  };
  struct ChunkRef {
    int64_t min_t;
    int64_t max_t;
    uint64_t offset;
    uint64_t length;
  };

  class SelectionCursor;

  explicit Block(std::string dir) : dir_(std::move(dir)) {}
  absl::Status Load();
  absl::Status LoadIndex();
  absl::Status ParseSymbols(uint64_t offset, uint64_t length);
  absl::Status ParseSeries(uint64_t offset, uint64_t length);

  // Decodes series `id`'s labels and/or chunk references (validated at Open, so this cannot
  // fail; the decoding is bounds-checked regardless).
  void DecodeSeries(uint32_t id, common::Labels* labels, std::vector<ChunkRef>* chunks) const;
  // Appends the samples of `chunk` inside [min_t, max_t] to `out`; DataLoss on a bad chunk (then
  // `out` is as it was). A cursor's `cache` spares decoding a timestamps record shared with
  // series it read before.
  absl::Status DecodeChunk(uint32_t id, const ChunkRef& chunk, int64_t min_t, int64_t max_t,
                           std::vector<common::Sample>* out, TimestampCache* cache = nullptr) const;
  // Whether series `id`, with references `chunks`, has a sample in [min_t, max_t].
  absl::StatusOr<bool> HasData(uint32_t id, const std::vector<ChunkRef>& chunks, int64_t min_t,
                               int64_t max_t) const;
  absl::StatusOr<::Roaring> SelectInRange(const std::vector<LabelMatcher>& matchers,
                                          int64_t min_t_ms, int64_t max_t_ms) const;

  std::string dir_;
  BlockMeta meta_;
  Mapping chunks_;
  Mapping index_;
  std::vector<std::string_view> symbols_;  // point into index_
  std::vector<uint64_t> series_offsets_;   // entry of series id in index_
  index::PostingsIndex postings_;
  mutable std::atomic<uint64_t> chunks_decoded_{0};
};

}  // namespace strata::collector::hot
