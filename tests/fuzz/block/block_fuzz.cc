// Fuzzes Block::Open and the queries (collector/storage/hot/block/block.h) with an untrusted
// `index` file next to a small valid `chunks` file.
//
// At start-up a real block of 3 series x 2 chunks is written with WriteBlock into a directory made
// with mkdtemp under /dev/shm (or /tmp). Each input then replaces that block's `index` and
// `meta.json`:
//   byte 0     flags; bit 0 set: before writing, recompute the section checksums named by the
//              input's table of contents (when its bounds fit) and the table's own checksum, so
//              that mutations get past the checksums into the parsers;
//   bytes 1-4  num_series and num_chunks for meta.json (uint16 little-endian each), which Open
//              cross-checks against the index;
//   the rest   the `index` file.
// A block that opens must answer every query without crashing, and Select must return samples
// inside the query range in timestamp order, series in strictly increasing label order.
//
// Seeds: run with STRATA_BLOCK_FUZZ_WRITE_SEEDS=<dir> to write the real block's index (and an
// empty block's) in this layout into <dir>; tests/fuzz/block/corpus holds their output.
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

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

std::string g_root;   // the mkdtemp directory
std::string g_block;  // g_root + "/b"

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
  return "{\"version\":1,\"min_t\":" + std::to_string(kMinT) +
         ",\"max_t\":" + std::to_string(kMaxT) + ",\"num_series\":" + std::to_string(num_series) +
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

void WriteSeeds(const char* out_dir) {
  const std::string index = ReadFile(g_block + "/index");
  const std::string empty = ReadFile(g_root + "/e/index");
  const std::string counts_real = std::string("\x03\x00\x06\x00", 4);
  WriteFile(std::string(out_dir) + "/real_repair", "\x01" + counts_real + index);
  WriteFile(std::string(out_dir) + "/real_raw", std::string(1, '\0') + counts_real + index);
  WriteFile(std::string(out_dir) + "/empty_repair", "\x01" + std::string(4, '\0') + empty);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string tmpl = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm/strata_block_fuzz_XXXXXX"
                                                     : "/tmp/strata_block_fuzz_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) __builtin_trap();
  g_root = tmpl;
  g_block = g_root + "/b";
  std::atexit(Cleanup);

  // The fixed block: 3 series x 2 chunks x 4 samples, values including NaN and stale markers.
  static const Labels labels[3] = {{{"__name__", "up"}, {"job", "a"}},
                                   {{"__name__", "up"}, {"job", "b"}, {"zone", "z1"}},
                                   {{"__name__", "http_requests_total"}, {"job", "a"}}};
  static std::vector<std::string> data;
  std::vector<BlockSeriesInput> series;
  for (int s = 0; s < 3; ++s) {
    BlockSeriesInput in{&labels[s], {}};
    for (int c = 0; c < 2; ++c) {
      strata::collector::hot::XorChunkAppender app;
      const int64_t t0 = kMinT + c * 1'000'000 + s;
      for (int k = 0; k < 4; ++k) {
        const double v = k == 3 ? strata::common::StaleNaN() : static_cast<double>(s * 10 + k);
        app.Append(t0 + k * 15'000, v);
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
  if (const char* seeds = std::getenv("STRATA_BLOCK_FUZZ_WRITE_SEEDS")) WriteSeeds(seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 5) return 0;
  const uint8_t flags = bytes[0];
  const uint64_t num_series = bytes[1] | static_cast<uint64_t>(bytes[2]) << 8;
  const uint64_t num_chunks = bytes[3] | static_cast<uint64_t>(bytes[4]) << 8;
  std::string index(reinterpret_cast<const char*>(bytes + 5), size - 5);
  if (flags & 1) RepairChecksums(&index);
  WriteFile(g_block + "/index", index);
  WriteFile(g_block + "/meta.json", MetaJson(num_series, num_chunks));

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
