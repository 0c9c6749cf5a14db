#pragma once

// Writing an immutable on-disk block: the samples of every series over one time range (e.g. 2 h),
// cut from the head so its memory stays bounded. A block is a directory of three files, read back
// through mmap by Block (block.h); retention deletes whole block directories.
//
//   <parent>/<name>/chunks     the series' samples as block chunks (block_chunk_codec.h):
//                              shared timestamps records and per-chunk values records, each
//                              followed by a checksum
//   <parent>/<name>/index      symbol table, series table (labels + chunk references), checksums
//   <parent>/<name>/meta.json  time range and counts, written last
//
// The byte layout is documented in collector/storage/FORMAT.md ("Blocks").
//
// Atomicity: everything is written into `<parent>/<name>.tmp`, each file is fsynced, the
// directory is fsynced, renamed to `<parent>/<name>`, and `<parent>` is fsynced. A reader
// therefore sees either no block or a complete one. A crash leaves at most a `<name>.tmp`
// directory behind; WriteBlock replaces a leftover of its own name when it is called again, and
// whoever lists block directories (the head's block manager) must skip names ending in ".tmp" and
// delete them at start-up. Block::Open never looks at them.
//
// Threads: WriteBlock is a free function with no shared state; it may run on any thread, and
// concurrently for different names.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model/labels.h"

namespace strata::collector::hot {

// The block format version written into the chunks and index headers and meta.json. Version 1
// (XOR chunks in the chunks file, same index layout) is still read.
inline constexpr int kBlockFormatVersion = 2;
inline constexpr int kBlockOldestReadableVersion = 1;

// WriteBlock re-cuts each series' samples into chunks of at most this many samples, as evenly as
// that allows (600 samples make three of 200; a 2 h block at 15 s, 480, two of 240). Longer
// chunks spread a chunk's fixed cost (about 30 bytes: first values, minima, widths, checksum,
// index reference) over more samples, but a query decodes whole chunks, so one for a short range
// decodes up to this many samples per series. Measured in FORMAT.md ("Blocks").
inline constexpr size_t kBlockWriterChunkSamples = 256;

// File names inside a block directory, and the suffix of a block being written. (char arrays
// rather than std::string_view: Debian's Abseil has its own string_view, which StrCat takes.)
inline constexpr char kBlockChunksFile[] = "chunks";
inline constexpr char kBlockIndexFile[] = "index";
inline constexpr char kBlockMetaFile[] = "meta.json";
inline constexpr char kBlockTmpSuffix[] = ".tmp";

// Fixed parts of the files (see FORMAT.md): 8-byte headers, a 4-byte checksum after each record
// of the chunks file, and the index's 72-byte table of contents at its end.
inline constexpr size_t kBlockHeaderSize = 8;
inline constexpr size_t kBlockChunkChecksumSize = 4;
inline constexpr size_t kBlockIndexTocSize = 72;
inline constexpr char kBlockChunksMagic[4] = {'S', 'T', 'B', 'C'};
inline constexpr char kBlockIndexMagic[4] = {'S', 'T', 'B', 'I'};
// meta.json is a few hundred bytes; a bigger file is rejected before it is read.
inline constexpr size_t kBlockMaxMetaSize = 64 * 1024;

// What a block holds, persisted as meta.json. Times are inclusive, ms since the Unix epoch.
struct BlockMeta {
  int version = kBlockFormatVersion;
  int64_t min_t = 0;
  int64_t max_t = 0;
  uint64_t num_series = 0;
  uint64_t num_chunks = 0;
  uint64_t num_samples = 0;
  bool operator==(const BlockMeta&) const = default;
};

// One encoded XOR chunk (collector/storage/hot/chunk/xor_chunk.h), the head's format, and the
// timestamps of its first and last sample. `data` is borrowed for the WriteBlock call; the block
// stores the samples re-encoded (block_chunk_codec.h), not these bytes.
struct BlockChunk {
  int64_t min_t;
  int64_t max_t;
  std::string_view data;
};

// One series: its labels (borrowed) and its chunks, sorted by time and strictly non-overlapping
// (each chunk's min_t is greater than the previous chunk's max_t).
struct BlockSeriesInput {
  const common::Labels* labels;
  std::vector<BlockChunk> chunks;
};

// Pull-based input for WriteBlock, for a caller that cannot cheaply hold every series' samples
// at once (the hot store cutting a block from its head): the label sets of all series up front,
// each series' samples only when the writer reaches it, one series at a time, in label order.
// Called from the thread running WriteBlock only.
class BlockSeriesSource {
 public:
  virtual ~BlockSeriesSource() = default;
  virtual size_t NumSeries() const = 0;
  // Label sets in any order; each must stay valid and unchanged until WriteBlock returns.
  virtual const common::Labels& SeriesLabels(size_t i) const = 0;
  // Replaces *t and *v with the samples of series i, timestamps non-decreasing and inside the
  // block. Empty: the series is left out of the block. An error aborts WriteBlock with it.
  virtual absl::Status Samples(size_t i, std::vector<int64_t>* t, std::vector<double>* v) = 0;
};

// Writes the block `<parent>/<name>` covering [min_t, max_t] (inclusive) from `source`, one
// series' samples in memory at a time. Same checks, result and errors as the overload below;
// samples that decrease or lie outside the block fail with InvalidArgument.
absl::StatusOr<BlockMeta> WriteBlock(const std::string& parent, const std::string& name,
                                     int64_t min_t, int64_t max_t, BlockSeriesSource& source);

// Writes the block `<parent>/<name>` covering [min_t, max_t] (inclusive) from `series`, which may
// come in any order. Series without chunks are skipped (a block holds only series with data).
// Every chunk is decoded once, which checks it: its sample count must be > 0 and its first and
// last timestamps must equal min_t/max_t given for it, and they must lie inside [min_t, max_t]
// (the caller re-encodes chunks that straddle a block boundary). Each series' samples are then
// re-cut into chunks of at most kBlockWriterChunkSamples and re-encoded with the block chunk codec,
// so meta.num_chunks counts the block's chunks, not the input's.
//
// Returns the meta written to meta.json. Fails with InvalidArgument (bad range, null or empty
// labels, duplicate label sets, unsorted/overlapping/out-of-range/corrupt chunks), AlreadyExists
// (`<parent>/<name>` exists) or Internal with the path and errno text on an I/O failure; on
// failure `<parent>/<name>` does not exist and the partial `.tmp` directory is removed when
// possible.
absl::StatusOr<BlockMeta> WriteBlock(const std::string& parent, const std::string& name,
                                     int64_t min_t, int64_t max_t,
                                     std::span<const BlockSeriesInput> series);

}  // namespace strata::collector::hot
