// Fuzzes Block::Open and the queries (collector/storage/hot/block/block.h) with an untrusted
// `index` file next to a valid `chunks` file, or an untrusted `chunks` file next to a valid
// `index`.
//
// At start-up a real block of 4 series (three sharing their timestamps, one of 1.5 times the
// block chunk size that the writer cuts into two chunks, values that take every value encoding) is
// written with WriteBlock into a directory made with mkdtemp under /dev/shm (or /tmp). Each input
// then replaces files of that block:
//   byte 0     flags. Bit 1 clear: the input replaces `index` and `meta.json`; bit 0 set: before
//              writing, recompute the section checksums named by the input's table of contents
//              (when its bounds fit) and the table's own checksum, so that mutations get past the
//              checksums into the parsers.
//              Bit 1 set: the input replaces `chunks` (the real index and meta.json are kept); bit
//              0 set: recompute the checksum of every record the real index points to, and of
//              the timestamps record each of those references (when it fits), so that mutations
//              reach the chunk decoder.
//   bytes 1-4  num_series and num_chunks for meta.json (uint16 little-endian each), which Open
//              cross-checks against the index; unused when bit 1 is set.
//   the rest   the `index` (or `chunks`) file.
// A block that opens must answer every query without crashing, and Select must return samples
// inside the query range in timestamp order, series in strictly increasing label order.
//
// Seeds: run with STRATA_BLOCK_FUZZ_WRITE_SEEDS=<dir> to write the real block's index (and an
// empty block's) and its chunks file in this layout into <dir>; tests/fuzz/block/corpus holds
// their output.
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collector/storage/hot/block/block.h"
#include "collector/storage/hot/block/block_writer.h"
#include "collector/storage/hot/chunk/xor_chunk.h"

namespace {

using strata::collector::LabelMatcher;
using strata::collector::MatchOp;
using strata::collector::SeriesData;
using strata::collector::hot::Block;
using strata::collector::hot::BlockChunk;
using strata::collector::hot::BlockSeriesInput;
using strata::collector::hot::WriteBlock;
using strata::common::Labels;

constexpr int64_t kMinT = 1'700'000'000'000;
constexpr int64_t kMaxT = kMinT + 3'600'000;

std::string g_root;    // the mkdtemp directory
std::string g_block;   // g_root + "/b"
std::string g_chunks;  // the real block's files
std::string g_index;
std::string g_meta;
std::vector<std::pair<uint64_t, uint64_t>> g_records;  // (offset, length) of each values record

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Cleanup() {
  for (const char* f :
       {"/b/chunks", "/b/index", "/b/meta.json", "/e/chunks", "/e/index", "/e/meta.json"}) {
    ::unlink((g_root + f).c_str());
  }
  ::rmdir((g_root + "/b").c_str());
  ::rmdir((g_root + "/e").c_str());
  ::rmdir(g_root.c_str());
}

std::string MetaJson(uint64_t num_series, uint64_t num_chunks) {
  return "{\"version\":" + std::to_string(strata::collector::hot::kBlockFormatVersion) +
         ",\"min_t\":" + std::to_string(kMinT) + ",\"max_t\":" + std::to_string(kMaxT) +
         ",\"num_series\":" + std::to_string(num_series) +
         ",\"num_chunks\":" + std::to_string(num_chunks) + ",\"num_samples\":0}";
}

uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void RepairChecksums(std::string* index) {
  using strata::collector::hot::kBlockIndexTocSize;
  if (index->size() < kBlockIndexTocSize) return;
  auto* data = reinterpret_cast<uint8_t*>(index->data());
  uint8_t* toc = data + index->size() - kBlockIndexTocSize;
  for (int section = 0; section < 2; ++section) {
    uint8_t* entry = toc + 16 + 24 * section;  // offset, length, checksum
    const uint64_t offset = Get64(entry);
    const uint64_t length = Get64(entry + 8);
    if (offset <= index->size() && length <= index->size() - offset) {
      Put64(entry + 16, XXH3_64bits(data + offset, length));
    }
  }
  Put64(toc + kBlockIndexTocSize - 8, XXH3_64bits(toc, kBlockIndexTocSize - 8));
}

// Reads a varint at *pos of data[0, end); false if it runs past `end` or is malformed.
bool Varint(const std::string& data, size_t end, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= end) return false;
    const uint8_t b = static_cast<uint8_t>(data[(*pos)++]);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// The values records the real index points to (FORMAT.md, "Blocks": the series table).
std::vector<std::pair<uint64_t, uint64_t>> RecordsOf(const std::string& index) {
  using strata::collector::hot::kBlockChunkChecksumSize;
  using strata::collector::hot::kBlockIndexTocSize;
  std::vector<std::pair<uint64_t, uint64_t>> out;
  const auto* toc =
      reinterpret_cast<const uint8_t*>(index.data()) + index.size() - kBlockIndexTocSize;
  size_t pos = Get64(toc + 40);
  const size_t end = pos + Get64(toc + 48);
  uint64_t count = 0, v = 0;
  if (!Varint(index, end, &pos, &count)) __builtin_trap();
  for (uint64_t s = 0; s < count; ++s) {
    uint64_t labels = 0, chunks = 0;
    if (!Varint(index, end, &pos, &labels)) __builtin_trap();
    for (uint64_t i = 0; i < 2 * labels; ++i) Varint(index, end, &pos, &v);
    if (!Varint(index, end, &pos, &chunks)) __builtin_trap();
    uint64_t prev_end = 0;
    for (uint64_t k = 0; k < chunks; ++k) {
      uint64_t start, duration, offset, length;
      if (!Varint(index, end, &pos, &start) || !Varint(index, end, &pos, &duration) ||
          !Varint(index, end, &pos, &offset) || !Varint(index, end, &pos, &length)) {
        __builtin_trap();
      }
      if (k > 0) offset += prev_end;
      out.emplace_back(offset, length);
      prev_end = offset + length + kBlockChunkChecksumSize;
    }
  }
  return out;
}

void PutChecksum(std::string* data, size_t offset, size_t length) {
  const uint32_t sum = static_cast<uint32_t>(XXH3_64bits(data->data() + offset, length));
  for (int i = 0; i < 4; ++i) (*data)[offset + length + i] = static_cast<char>(sum >> (8 * i));
}

void RepairChunkChecksums(std::string* chunks) {
  const size_t size = chunks->size();
  for (auto [offset, length] : g_records) {
    if (offset > size || length > size - offset || size - offset - length < 4) continue;
    // The timestamps record this values record references: count, length, encoding, checksum.
    size_t pos = offset;
    uint64_t ts = 0, n = 0, ts_length = 0;
    if (Varint(*chunks, offset + length, &pos, &ts) && ts < size) {
      size_t ts_pos = ts;
      if (Varint(*chunks, size, &ts_pos, &n) && Varint(*chunks, size, &ts_pos, &ts_length) &&
          ts_length <= size - ts_pos && size - ts_pos - ts_length >= 4) {
        PutChecksum(chunks, ts, ts_pos - ts + ts_length);
      }
    }
    PutChecksum(chunks, offset, length);
  }
}

void WriteSeeds(const char* out_dir) {
  const std::string index = ReadFile(g_block + "/index");
  const std::string empty = ReadFile(g_root + "/e/index");
  const std::string counts_real = std::string("\x04\x00\x05\x00", 4);
  WriteFile(std::string(out_dir) + "/real_repair", "\x01" + counts_real + index);
  WriteFile(std::string(out_dir) + "/real_raw", std::string(1, '\0') + counts_real + index);
  WriteFile(std::string(out_dir) + "/empty_repair", "\x01" + std::string(4, '\0') + empty);
  WriteFile(std::string(out_dir) + "/chunks_repair", "\x03" + std::string(4, '\0') + g_chunks);
  WriteFile(std::string(out_dir) + "/chunks_raw", "\x02" + std::string(4, '\0') + g_chunks);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string tmpl = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm/strata_block_fuzz_XXXXXX"
                                                     : "/tmp/strata_block_fuzz_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) __builtin_trap();
  g_root = tmpl;
  g_block = g_root + "/b";
  std::atexit(Cleanup);

  // The fixed block. Series 0, 1 and 3 share timestamps (one timestamps record); series 2 has 1.5
  // block chunks' worth of samples in two input chunks, which the writer re-cuts into two; values:
  // small integers with a staleness marker (decimal with an exception), two-decimal values, a
  // full-precision sum (raw bits) and a rarely changing third (XOR).
  static const Labels labels[4] = {{{"__name__", "up"}, {"job", "a"}},
                                   {{"__name__", "up"}, {"job", "b"}, {"zone", "z1"}},
                                   {{"__name__", "http_requests_total"}, {"job", "a"}},
                                   {{"__name__", "ratio"}, {"job", "a"}}};
  static std::vector<std::string> data;
  std::vector<BlockSeriesInput> series;
  for (int s = 0; s < 4; ++s) {
    BlockSeriesInput in{&labels[s], {}};
    const int chunks = s == 2 ? 2 : 1;
    const int per_chunk =
        s == 2 ? static_cast<int>(strata::collector::hot::kBlockWriterChunkSamples * 3 / 4) : 6;
    double sum = 0.5;
    for (int c = 0; c < chunks; ++c) {
      strata::collector::hot::XorChunkAppender app;
      for (int k = 0; k < per_chunk; ++k) {
        const int i = c * per_chunk + k;
        const int64_t t = kMinT + (s == 2 ? 3 : 1) + i * (s == 2 ? 2'000 : 15'000) + (i * 7) % 5;
        double v;
        switch (s) {
          case 0:
            v = k == per_chunk - 1 ? strata::common::StaleNaN() : static_cast<double>(k % 2);
            break;
          case 1:
            v = static_cast<double>(4000 + k * 13) / 100;
            break;
          case 2:
            v = sum += std::exp(static_cast<double>(i % 7) / 3);
            break;
          default:
            v = static_cast<double>(k / 3 + 1) / 3;
        }
        app.Append(t, v);
      }
      data.push_back(app.bytes());
      in.chunks.push_back({app.MinTime(), app.MaxTime(), std::string_view()});
    }
    series.push_back(std::move(in));
  }
  size_t next = 0;
  for (BlockSeriesInput& in : series) {
    for (BlockChunk& c : in.chunks) c.data = data[next++];
  }
  if (!WriteBlock(g_root, "b", kMinT, kMaxT, series).ok()) __builtin_trap();
  if (!WriteBlock(g_root, "e", kMinT, kMaxT, {}).ok()) __builtin_trap();
  g_chunks = ReadFile(g_block + "/chunks");
  g_index = ReadFile(g_block + "/index");
  g_meta = ReadFile(g_block + "/meta.json");
  g_records = RecordsOf(g_index);
  if (g_records.size() != 5) __builtin_trap();
  if (const char* seeds = std::getenv("STRATA_BLOCK_FUZZ_WRITE_SEEDS")) WriteSeeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 5) return 0;
  const uint8_t flags = bytes[0];
  const uint64_t num_series = bytes[1] | static_cast<uint64_t>(bytes[2]) << 8;
  const uint64_t num_chunks = bytes[3] | static_cast<uint64_t>(bytes[4]) << 8;
  std::string file(reinterpret_cast<const char*>(bytes + 5), size - 5);
  if (flags & 2) {
    if (flags & 1) RepairChunkChecksums(&file);
    WriteFile(g_block + "/chunks", file);
    WriteFile(g_block + "/index", g_index);
    WriteFile(g_block + "/meta.json", g_meta);
  } else {
    if (flags & 1) RepairChecksums(&file);
    WriteFile(g_block + "/chunks", g_chunks);
    WriteFile(g_block + "/index", file);
    WriteFile(g_block + "/meta.json", MetaJson(num_series, num_chunks));
  }

  absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(g_block);
  if (!block.ok()) return 0;
  static const std::vector<std::vector<LabelMatcher>> selectors = [] {
    std::vector<std::vector<LabelMatcher>> out(1);
    out.push_back({*LabelMatcher::Create(MatchOp::kRegexMatch, "job", "a|")});
    out.push_back({*LabelMatcher::Create(MatchOp::kNotEqual, "__name__", "up")});
    return out;
  }();
  for (const auto& matchers : selectors) {
    for (auto [lo, hi] : {std::pair{kMinT, kMaxT}, std::pair{kMinT + 20'000, kMinT + 1'020'000}}) {
      absl::StatusOr<std::vector<SeriesData>> got = (*block)->Select(matchers, lo, hi);
      if (got.ok()) {
        for (size_t i = 0; i < got->size(); ++i) {
          const SeriesData& d = (*got)[i];
          if (i > 0 && !((*got)[i - 1].labels < d.labels)) __builtin_trap();
          if (d.samples.empty()) __builtin_trap();
          for (size_t k = 0; k < d.samples.size(); ++k) {
            const int64_t t = d.samples[k].timestamp_ms;
            if (t < lo || t > hi) __builtin_trap();
            if (k > 0 && t < d.samples[k - 1].timestamp_ms) __builtin_trap();
          }
        }
      }
      (void)(*block)->Series(matchers, lo, hi);
      (void)(*block)->LabelNames(matchers, lo, hi);
      (void)(*block)->LabelValues("job", matchers, lo, hi);
    }
  }
  return 0;
}
