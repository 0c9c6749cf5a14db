// Measures on-disk block size on the ingest benchmark's data (bench/ingest/node_dataset.h: 100
// node_exporter-like series per host, 15 s scrapes sharing per-host timestamps with -5..+5 ms
// jitter), the same data VictoriaMetrics is compared on in bench/ingest.
//
// The data set is generated as remote-write requests, decoded back into series, cut into blocks
// of --block_hours aligned to the start, and each block is written the way the hot store cuts
// one: every series' samples in the block as head XOR chunks of 120 samples, handed to
// WriteBlock. Reports the bytes of every file per sample, then re-opens each block and checks
// that Select returns every sample bit for bit. With --by_kind (default on), the blocks are
// written again without each kind of series (counters with two decimals, integer counters,
// gauges in 4 KiB steps, ...): the difference is what that kind costs, per sample of the kind.
// What no kind is charged for (timestamps shared by a host's series, headers) is the last line,
// per sample of all.
//
// Uses only WriteBlock and Block's public API, so the same source also measures older block
// formats.
//
//   block_size_bench [--series=10000] [--hours=2] [--block_hours=2] [--by_kind=1]
//                    [--dir=/tmp] [--seed=1]

#include <snappy.h>
#include <stdlib.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/ingest/node_dataset.h"
#include "collector/storage/hot/block/block.h"
#include "collector/storage/hot/block/block_writer.h"
#include "collector/storage/hot/chunk/xor_chunk.h"
#include "common/model/sample.h"
#include "prometheus/remote_write.pb.h"

namespace strata::bench {
namespace {

namespace fs = std::filesystem;
using collector::hot::Block;
using collector::hot::BlockChunk;
using collector::hot::BlockMeta;
using collector::hot::BlockSeriesInput;
using collector::hot::XorChunkAppender;

constexpr int64_t kStartMs = 1'700'006'400'000;  // a multiple of 2 h (and of 1 h)
constexpr size_t kHeadChunkSamples = 120;        // the head's default max_samples_per_chunk

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "block_size_bench: %s\n", what.c_str());
  std::exit(1);
}

struct Flags {
  int64_t series = 10000;
  int64_t hours = 2;
  int64_t block_hours = 2;
  bool by_kind = true;
  std::string dir = "/tmp";
  uint64_t seed = 1;
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) Fail("bad flag " + arg);
    const std::string name = arg.substr(2, eq - 2);
    const std::string value = arg.substr(eq + 1);
    if (name == "series") {
      f.series = std::atoll(value.c_str());
    } else if (name == "hours") {
      f.hours = std::atoll(value.c_str());
    } else if (name == "block_hours") {
      f.block_hours = std::atoll(value.c_str());
    } else if (name == "by_kind") {
      f.by_kind = value != "0";
    } else if (name == "dir") {
      f.dir = value;
    } else if (name == "seed") {
      f.seed = std::strtoull(value.c_str(), nullptr, 10);
    } else {
      Fail("unknown flag --" + name);
    }
  }
  if (f.series <= 0 || f.hours <= 0 || f.block_hours <= 0) Fail("flags must be positive");
  return f;
}

struct Series {
  common::Labels labels;
  std::vector<common::Sample> samples;
};

// The kind of a node_dataset series, from its metric name (see HostTemplate there).
const char* Kind(std::string_view name) {
  static const std::vector<std::pair<const char*, const char*>> kinds = {
      {"node_cpu_seconds_total", "counter, 2 decimals (cpu seconds)"},
      {"node_disk_io_time_seconds_total", "counter, 3 decimals (disk io seconds)"},
      {"node_memory_MemTotal_bytes", "constant"},
      {"node_memory_Swap", "constant"},
      {"node_filesystem_size_bytes", "constant"},
      {"node_boot_time_seconds", "constant"},
      {"node_memory_", "gauge, 4 KiB steps (memory, filesystem)"},
      {"node_filesystem_avail_bytes", "gauge, 4 KiB steps (memory, filesystem)"},
      {"node_load", "gauge, 2 decimals (load averages)"},
      {"node_filesystem_files_free", "gauge, small integer steps"},
      {"node_procs_", "gauge, small integer steps"},
      {"node_sockstat_", "gauge, small integer steps"},
      {"node_entropy_", "gauge, small integer steps"},
      {"http_request_duration_seconds_sum", "histogram _sum (full-precision float)"},
      {"http_request_duration_seconds_", "histogram buckets and _count"},
  };
  for (const auto& [prefix, kind] : kinds) {
    if (name.rfind(prefix, 0) == 0) return kind;
  }
  return "counter, integer (bytes, packets, events)";
}

std::vector<Series> LoadDataset(const Flags& f) {
  DatasetOptions opt;
  opt.series = f.series;
  opt.hours = f.hours;
  opt.seed = f.seed;
  opt.build_grpc = false;
  opt.start_ms = kStartMs;
  const Dataset d = BuildDataset(opt);
  std::unordered_map<std::string, size_t> index;
  std::vector<Series> out;
  std::string raw;
  for (const Shard& shard : d.shards) {
    for (const std::string& body : shard.remote_write) {
      raw.clear();
      promrw::WriteRequest req;
      if (!snappy::Uncompress(body.data(), body.size(), &raw) || !req.ParseFromString(raw)) {
        Fail("remote-write request does not parse");
      }
      for (const promrw::TimeSeries& ts : req.timeseries()) {
        std::string key;
        for (const promrw::Label& l : ts.labels()) key += l.name() + '\xff' + l.value() + '\xff';
        auto [it, added] = index.emplace(key, out.size());
        if (added) {
          std::vector<common::Label> labels;
          for (const promrw::Label& l : ts.labels()) labels.push_back({l.name(), l.value()});
          out.push_back({common::Labels::FromUnsorted(std::move(labels)), {}});
        }
        for (const promrw::Sample& s : ts.samples()) {
          out[it->second].samples.push_back({s.timestamp(), s.value()});
        }
      }
    }
  }
  for (Series& s : out) {
    std::stable_sort(s.samples.begin(), s.samples.end(),
                     [](const auto& a, const auto& b) { return a.timestamp_ms < b.timestamp_ms; });
  }
  return out;
}

// Signed: marginal costs are differences, and the remainder after them may be negative (an
// index shrinks by more than a kind's own entries when its label values leave the symbol table).
struct Sizes {
  int64_t chunks = 0;
  int64_t index = 0;
  int64_t meta = 0;
  int64_t samples = 0;
  double write_ms = 0;
  double select_ms = 0;
  int64_t total() const { return chunks + index + meta; }
};

// Writes the samples of `series` (indices `which`) in [lo, hi] as block `name` the way the hot
// store cuts a block, returns the file sizes, and, with `verify`, reads everything back.
Sizes WriteOne(const std::string& dir, const std::string& name, const std::vector<Series>& series,
               const std::vector<size_t>& which, int64_t lo, int64_t hi, bool verify) {
  std::vector<std::string> chunk_data;
  std::vector<std::pair<int64_t, int64_t>> bounds;
  std::vector<size_t> first_chunk;
  std::vector<std::pair<size_t, size_t>> ranges;  // samples of each series in [lo, hi]
  Sizes sizes;
  for (size_t i : which) {
    const std::vector<common::Sample>& all = series[i].samples;
    auto begin = std::lower_bound(all.begin(), all.end(), lo,
                                  [](const auto& s, int64_t t) { return s.timestamp_ms < t; });
    auto end = std::upper_bound(begin, all.end(), hi,
                                [](int64_t t, const auto& s) { return t < s.timestamp_ms; });
    ranges.emplace_back(begin - all.begin(), end - all.begin());
    first_chunk.push_back(chunk_data.size());
    for (auto it = begin; it < end; it += std::min<ptrdiff_t>(kHeadChunkSamples, end - it)) {
      XorChunkAppender app;
      for (auto s = it; s < end && s < it + kHeadChunkSamples; ++s) {
        app.Append(s->timestamp_ms, s->value);
      }
      chunk_data.push_back(app.bytes());
      bounds.emplace_back(app.MinTime(), app.MaxTime());
      sizes.samples += static_cast<int64_t>(app.num_samples());
    }
  }
  first_chunk.push_back(chunk_data.size());
  std::vector<BlockSeriesInput> inputs;
  for (size_t k = 0; k < which.size(); ++k) {
    BlockSeriesInput in{&series[which[k]].labels, {}};
    for (size_t c = first_chunk[k]; c < first_chunk[k + 1]; ++c) {
      in.chunks.push_back(BlockChunk{bounds[c].first, bounds[c].second, chunk_data[c]});
    }
    inputs.push_back(std::move(in));
  }
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<BlockMeta> meta = collector::hot::WriteBlock(dir, name, lo, hi, inputs);
  if (!meta.ok()) Fail(std::string(meta.status().message()));
  sizes.write_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const std::string path = dir + "/" + name;
  sizes.chunks = static_cast<int64_t>(fs::file_size(path + "/chunks"));
  sizes.index = static_cast<int64_t>(fs::file_size(path + "/index"));
  sizes.meta = static_cast<int64_t>(fs::file_size(path + "/meta.json"));
  if (verify) {
    absl::StatusOr<std::unique_ptr<Block>> block = Block::Open(path);
    if (!block.ok()) Fail(std::string(block.status().message()));
    // The fastest of three full selects (every sample of the block decoded).
    absl::StatusOr<std::vector<collector::SeriesData>> got;
    sizes.select_ms = 1e18;
    for (int rep = 0; rep < 3; ++rep) {
      const auto a = std::chrono::steady_clock::now();
      got = (*block)->Select({}, lo, hi);
      sizes.select_ms = std::min(
          sizes.select_ms,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
      if (!got.ok()) Fail(std::string(got.status().message()));
    }
    std::map<common::Labels, const collector::SeriesData*> by_labels;
    for (const collector::SeriesData& d : *got) by_labels[d.labels] = &d;
    for (size_t k = 0; k < which.size(); ++k) {
      const Series& s = series[which[k]];
      const auto [b, e] = ranges[k];
      auto it = by_labels.find(s.labels);
      const size_t n = it == by_labels.end() ? 0 : it->second->samples.size();
      if (n != e - b) Fail("sample count differs for " + s.labels.ToString());
      for (size_t j = 0; j < n; ++j) {
        const common::Sample& want = s.samples[b + j];
        const common::Sample& have = it->second->samples[j];
        if (want.timestamp_ms != have.timestamp_ms ||
            std::bit_cast<uint64_t>(want.value) != std::bit_cast<uint64_t>(have.value)) {
          Fail("sample differs for " + s.labels.ToString());
        }
      }
    }
  }
  fs::remove_all(path);
  return sizes;
}

void Print(const char* what, const Sizes& s) {
  const double n = static_cast<double>(s.samples);
  std::printf("%-44s %10lld %8.3f %8.3f %8.3f\n", what, static_cast<long long>(s.samples),
              static_cast<double>(s.total()) / n, static_cast<double>(s.chunks) / n,
              static_cast<double>(s.index) / n);
}

int Main(int argc, char** argv) {
  const Flags f = ParseFlags(argc, argv);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Series> series = LoadDataset(f);
  std::printf("data: %zu series, %lld h, generated and decoded in %.1f s\n", series.size(),
              static_cast<long long>(f.hours),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  std::string tmpl = f.dir + "/strata_block_size_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp in " + f.dir);
  const std::string dir = tmpl;

  std::vector<size_t> all(series.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const int64_t block_ms = f.block_hours * 3'600'000;
  const int64_t end_ms = kStartMs + f.hours * 3'600'000;
  std::printf("%-44s %10s %8s %8s %8s\n", "", "samples", "B/sample", "chunks", "index");
  Sizes total;
  int blocks = 0;
  for (int64_t lo = kStartMs; lo < end_ms; lo += block_ms, ++blocks) {
    const Sizes s = WriteOne(dir, "b" + std::to_string(blocks), series, all, lo, lo + block_ms - 1,
                             /*verify=*/true);
    char what[64];
    std::snprintf(what, sizeof(what), "block %d (write %.0f ms, select all %.0f ms)", blocks,
                  s.write_ms, s.select_ms);
    Print(what, s);
    total.chunks += s.chunks;
    total.index += s.index;
    total.meta += s.meta;
    total.samples += s.samples;
  }
  Print("all blocks (read back bit-exact)", total);
  if (f.by_kind) {
    // What each kind costs: the blocks with every series minus the blocks without that kind.
    // Timestamps records shared by all series of a host stay in both, so they are reported
    // apart, as the remainder.
    std::map<std::string, std::vector<size_t>> kinds;
    for (size_t i = 0; i < series.size(); ++i) {
      kinds[Kind(series[i].labels.MetricName())].push_back(i);
    }
    std::printf("by kind, marginal cost (blocks without the kind subtracted):\n");
    Sizes attributed;
    for (const auto& [kind, which] : kinds) {
      std::vector<size_t> others;
      std::set_difference(all.begin(), all.end(), which.begin(), which.end(),
                          std::back_inserter(others));
      Sizes rest;
      int k = 0;
      for (int64_t lo = kStartMs; lo < end_ms; lo += block_ms, ++k) {
        const Sizes s = WriteOne(dir, "k" + std::to_string(k), series, others, lo,
                                 lo + block_ms - 1, /*verify=*/false);
        rest.chunks += s.chunks;
        rest.index += s.index;
        rest.meta += s.meta;
        rest.samples += s.samples;
      }
      Sizes marginal;
      marginal.chunks = total.chunks - rest.chunks;
      marginal.index = total.index - rest.index;
      marginal.samples = total.samples - rest.samples;
      attributed.chunks += marginal.chunks;
      attributed.index += marginal.index;
      char what[96];
      std::snprintf(what, sizeof(what), "  %s [%zu]", kind.c_str(), which.size());
      Print(what, marginal);
    }
    Sizes remainder;
    remainder.chunks = total.chunks - attributed.chunks;
    remainder.index = total.index - attributed.index;
    remainder.meta = total.meta;
    remainder.samples = total.samples;
    Print("  shared: timestamps, file headers, meta", remainder);
  }
  fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) { return strata::bench::Main(argc, argv); }
