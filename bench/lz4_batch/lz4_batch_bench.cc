// Measures the agent->collector batch format on real data: LZ4 compression ratio and
// encode/decode throughput of batches built from node_exporter scrapes, side by side with snappy
// (the compressor of Prometheus remote write) on the same serialized payloads.
//
//   lz4_batch_bench SCRAPE_FILE...      (bench/lz4_batch/run.sh captures the files from a live
//                                        prometheus-node-exporter and runs this)
//
// Each file is one scrape; scrape i is stamped at t0 + 15 s * i. Two kinds of batch are measured:
// "first" (a new stream: every series carries its labels) and "steady" (series already confirmed,
// samples refer to refs), which is what a long-running agent sends. Figures are medians of 7 runs.

#include <lz4.h>
#include <snappy.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/inputs/scrape/text_parser.h"
#include "common/wire/batch_codec.h"

namespace {

using strata::common::SampleBatch;
using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

SampleBatch LoadScrape(const std::string& path, int64_t ts) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  auto parsed = strata::agent::scrape::ParseTextExposition(buf.str());
  SampleBatch out;
  for (auto& p : parsed.samples) {
    out.push_back({strata::common::LabelsBuilder(p.labels)
                       .Set("job", "node")
                       .Set("instance", "host-01:9100")
                       .Build(),
                   {ts, p.value}});
  }
  return out;
}

struct Row {
  std::string name;
  size_t samples = 0;
  double raw_bytes = 0, lz4_bytes = 0, snappy_bytes = 0;
  double encode_mbps = 0, decode_mbps = 0, snappy_c_mbps = 0, snappy_d_mbps = 0;
  double lz4_c_mbps = 0, lz4_d_mbps = 0;
  double encode_msps = 0;
};

Row Measure(const std::string& name, const std::vector<SampleBatch>& batches, bool steady) {
  constexpr int kRuns = 7;
  Row row;
  row.name = name;
  std::vector<double> enc, dec, sc, sd, enc_msps, lc, ld;
  for (int run = 0; run < kRuns; ++run) {
    strata::common::wire::SeriesInterner interner;
    strata::common::wire::SeriesRefTable table({});
    std::vector<strata::v1::Batch> encoded(batches.size());
    if (steady) {
      // Confirm every series first, as after the first acknowledged batch of a stream.
      strata::v1::Batch warm;
      strata::common::wire::EncodeStats st;
      strata::common::wire::EncodeBatch(batches[0], 0, "a", interner, {}, &warm, &st);
      interner.Confirm(st.defined_refs);
      strata::common::wire::DecodedBatch d;
      strata::common::wire::DecodeError e;
      table.Decode(warm, &d, &e);
      table.Commit(d);
    }
    size_t raw = 0, lz = 0, samples = 0;
    auto t0 = Clock::now();
    for (size_t i = 0; i < batches.size(); ++i) {
      strata::common::wire::EncodeStats st;
      strata::common::wire::SeriesInterner fresh;
      strata::common::wire::EncodeBatch(batches[i], i + 1, "a", steady ? interner : fresh, {},
                                        &encoded[i], &st);
      raw += st.uncompressed_bytes;
      lz += st.compressed_bytes;
      samples += batches[i].size();
    }
    double enc_s = std::chrono::duration<double>(Clock::now() - t0).count();
    auto t1 = Clock::now();
    for (const auto& b : encoded) {
      strata::common::wire::DecodedBatch d;
      strata::common::wire::DecodeError e;
      if (!table.Decode(b, &d, &e)) {
        std::fprintf(stderr, "decode failed: %s\n", e.message.c_str());
        std::exit(1);
      }
    }
    double dec_s = std::chrono::duration<double>(Clock::now() - t1).count();
    // Snappy on the same uncompressed payloads.
    std::vector<std::string> payloads;
    for (const auto& b : encoded) {
      std::string p;
      strata::common::wire::DecodeError e;
      strata::common::wire::DecompressPayload(b, {}, &p, &e);
      payloads.push_back(std::move(p));
    }
    size_t sn = 0;
    std::vector<std::string> compressed(payloads.size());
    auto t2 = Clock::now();
    for (size_t i = 0; i < payloads.size(); ++i) {
      snappy::Compress(payloads[i].data(), payloads[i].size(), &compressed[i]);
      sn += compressed[i].size();
    }
    double sc_s = std::chrono::duration<double>(Clock::now() - t2).count();
    auto t3 = Clock::now();
    for (const auto& c : compressed) {
      std::string out;
      snappy::Uncompress(c.data(), c.size(), &out);
    }
    double sd_s = std::chrono::duration<double>(Clock::now() - t3).count();
    // LZ4 alone on the same payloads, for a like-for-like comparison with snappy.
    std::vector<std::string> lz4_out(payloads.size());
    auto t4 = Clock::now();
    for (size_t i = 0; i < payloads.size(); ++i) {
      lz4_out[i].resize(
          static_cast<size_t>(LZ4_compressBound(static_cast<int>(payloads[i].size()))));
      int n = LZ4_compress_default(payloads[i].data(), lz4_out[i].data(),
                                   static_cast<int>(payloads[i].size()),
                                   static_cast<int>(lz4_out[i].size()));
      lz4_out[i].resize(static_cast<size_t>(n));
    }
    double lc_s = std::chrono::duration<double>(Clock::now() - t4).count();
    auto t5 = Clock::now();
    for (size_t i = 0; i < lz4_out.size(); ++i) {
      std::string out(payloads[i].size(), '\0');
      LZ4_decompress_safe(lz4_out[i].data(), out.data(), static_cast<int>(lz4_out[i].size()),
                          static_cast<int>(out.size()));
    }
    double ld_s = std::chrono::duration<double>(Clock::now() - t5).count();
    lc.push_back(static_cast<double>(raw) / lc_s / 1e6);
    ld.push_back(static_cast<double>(raw) / ld_s / 1e6);
    row.samples = samples;
    row.raw_bytes = static_cast<double>(raw);
    row.lz4_bytes = static_cast<double>(lz);
    row.snappy_bytes = static_cast<double>(sn);
    enc.push_back(static_cast<double>(raw) / enc_s / 1e6);
    dec.push_back(static_cast<double>(raw) / dec_s / 1e6);
    sc.push_back(static_cast<double>(raw) / sc_s / 1e6);
    sd.push_back(static_cast<double>(raw) / sd_s / 1e6);
    enc_msps.push_back(static_cast<double>(samples) / enc_s / 1e6);
  }
  row.encode_mbps = Median(enc);
  row.decode_mbps = Median(dec);
  row.snappy_c_mbps = Median(sc);
  row.snappy_d_mbps = Median(sd);
  row.encode_msps = Median(enc_msps);
  row.lz4_c_mbps = Median(lc);
  row.lz4_d_mbps = Median(ld);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SCRAPE_FILE...\n", argv[0]);
    return 2;
  }
  std::vector<SampleBatch> batches;
  size_t exposition_bytes = 0;
  for (int i = 1; i < argc; ++i) {
    batches.push_back(LoadScrape(argv[i], 1'700'000'000'000 + 15'000LL * i));
    std::ifstream in(argv[i], std::ios::ate | std::ios::binary);
    exposition_bytes += static_cast<size_t>(in.tellg());
  }
  std::printf(
      "input: %zu node_exporter scrapes, %zu samples each (first), %.1f KiB exposition text "
      "each\n\n",
      batches.size(), batches[0].size(), exposition_bytes / 1024.0 / batches.size());
  std::printf("%-7s %8s %10s %9s %9s %9s %9s | %9s %9s %10s | %9s %9s %9s %9s\n", "batch",
              "samples", "raw B/smp", "LZ4 B/smp", "LZ4 ratio", "snp B/smp", "sn ratio", "LZ4 enc",
              "LZ4 dec", "enc Msmp/s", "lz4 c", "lz4 d", "snappy c", "snappy d");
  for (bool steady : {false, true}) {
    Row r = Measure(steady ? "steady" : "first", batches, steady);
    double n = static_cast<double>(r.samples);
    std::printf(
        "%-7s %8zu %10.2f %9.2f %9.2f %9.2f %9.2f | %4.0f MB/s %4.0f MB/s %10.2f | %4.0f MB/s "
        "%4.0f MB/s %4.0f MB/s %4.0f MB/s\n",
        r.name.c_str(), r.samples / batches.size(), r.raw_bytes / n, r.lz4_bytes / n,
        r.raw_bytes / r.lz4_bytes, r.snappy_bytes / n, r.raw_bytes / r.snappy_bytes, r.encode_mbps,
        r.decode_mbps, r.encode_msps, r.lz4_c_mbps, r.lz4_d_mbps, r.snappy_c_mbps, r.snappy_d_mbps);
  }
  std::printf(
      "\nB/smp = bytes per sample; LZ4 enc = batch encode incl. interning, protobuf and LZ4,\n"
      "LZ4 dec = LZ4 + checksum + protobuf parse + ref resolution (MB/s of uncompressed payload);\n"
      "enc Msmp/s = million samples encoded per second;\n"
      "lz4 c/d, snappy c/d = each compressor alone on the same payloads. Medians of 7 runs.\n");
  return 0;
}
