// Fuzzes the block chunk codec (collector/storage/hot/chunk/block_chunk_codec.h) and DeltaPack
// (delta_pack.h) three ways on every input:
//  (a) decode: bytes 0-1 are n (uint16 little-endian), bytes 2-3 the length L of the timestamps
//      encoding, then L bytes of it, the rest the values encoding. The iterator must stop within
//      n samples without crashing or reading out of bounds (ASan: the spans are exact-size heap
//      copies); if it accepts all n, re-encoding what it returned must decode to the same bits.
//  (b) DeltaPack on its own: the same bytes decoded as n integers, and the input read as int64s
//      encoded and decoded back.
//  (c) encode: the input read as samples, encoded and decoded back bit for bit. The first byte
//      picks how: even = raw 16-byte (int64 t, double v) pairs (sorted by t); odd = 4-byte steps
//      (uint16 timestamp step, uint16 selector) producing decimals with a few digits, integers,
//      repeats and special values (NaN payloads, the staleness marker, -0.0, infinities), the
//      kinds the encoder chooses between.
//
// Seeds: STRATA_BLOCK_CHUNK_FUZZ_WRITE_SEEDS=<dir> writes encodings of typical chunks in layout
// (a) into <dir>; tests/fuzz/chunk/block_chunk_corpus holds their output.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "collector/storage/hot/chunk/block_chunk_codec.h"
#include "collector/storage/hot/chunk/delta_pack.h"

namespace {

using strata::collector::hot::BlockChunkEncoder;
using strata::collector::hot::BlockChunkIterator;
using strata::collector::hot::DeltaPackDecoder;
using strata::collector::hot::DeltaPackEncoder;
using strata::collector::hot::kBlockChunkMaxSamples;

struct Point {
  int64_t t;
  uint64_t bits;
};

// Encodes `points` and checks that they decode back exactly.
void RoundTrip(const std::vector<Point>& points) {
  if (points.empty() || points.size() > kBlockChunkMaxSamples) return;
  std::vector<int64_t> t;
  std::vector<double> v;
  for (const Point& p : points) {
    t.push_back(p.t);
    v.push_back(std::bit_cast<double>(p.bits));
  }
  BlockChunkEncoder enc;
  std::string ts, values;
  enc.EncodeTimestamps(t, &ts);
  enc.EncodeValues(v, &values);
  const std::vector<uint8_t> ts_heap(ts.begin(), ts.end());
  const std::vector<uint8_t> values_heap(values.begin(), values.end());
  BlockChunkIterator it(points.size(), ts_heap, values_heap);
  size_t i = 0;
  while (it.Next()) {
    if (i >= points.size() || it.t() != points[i].t || it.v_bits() != points[i].bits) {
      __builtin_trap();
    }
    ++i;
  }
  if (it.error() || i != points.size()) __builtin_trap();
}

void FuzzDecode(const uint8_t* data, size_t size) {
  if (size < 4) return;
  const size_t n = data[0] | static_cast<size_t>(data[1]) << 8;
  const size_t ts_len = std::min<size_t>(data[2] | static_cast<size_t>(data[3]) << 8, size - 4);
  const std::vector<uint8_t> ts(data + 4, data + 4 + ts_len);
  const std::vector<uint8_t> values(data + 4 + ts_len, data + size);
  BlockChunkIterator it(n, ts, values);
  std::vector<Point> decoded;
  while (it.Next()) {
    if (!decoded.empty() && it.t() < decoded.back().t) __builtin_trap();  // never decreasing
    decoded.push_back({it.t(), it.v_bits()});
    if (decoded.size() > n) __builtin_trap();
  }
  if (!it.error()) {
    if (decoded.size() != n) __builtin_trap();
    RoundTrip(decoded);
  }
  // Batched decoding of the same bytes: the same samples and verdict (a batch with a bad sample
  // yields nothing, so after an error it has a prefix of them).
  {
    const size_t batch = 1 + data[0] % BlockChunkIterator::kBatch;
    BlockChunkIterator bit(n, ts, values);
    int64_t bt[BlockChunkIterator::kBatch];
    double bv[BlockChunkIterator::kBatch];
    size_t j = 0;
    while (size_t k = bit.NextBatch(bt, bv, batch)) {
      if (k > batch) __builtin_trap();
      for (size_t m = 0; m < k; ++m, ++j) {
        if (j >= decoded.size() || bt[m] != decoded[j].t ||
            std::bit_cast<uint64_t>(bv[m]) != decoded[j].bits) {
          __builtin_trap();
        }
      }
    }
    if (bit.error() != it.error() || (!it.error() && j != decoded.size())) __builtin_trap();
  }

  // The same bytes as a bare DeltaPack of n integers, and the input as integers.
  DeltaPackDecoder ints(ts, n);
  int64_t x;
  size_t count = 0;
  std::vector<int64_t> by_one;
  while (ints.Next(&x)) {
    if (++count > n) __builtin_trap();
    by_one.push_back(x);
  }
  {
    DeltaPackDecoder batched(ts, n);
    const size_t batch = 1 + data[1] % 97;
    std::vector<int64_t> buf(batch);
    size_t j = 0;
    while (true) {
      const size_t k = batched.NextBatch(buf.data(), batch);
      if (k > batch) __builtin_trap();
      for (size_t m = 0; m < k; ++m, ++j) {
        if (j >= by_one.size() || buf[m] != by_one[j]) __builtin_trap();
      }
      if (k < batch) break;
    }
    if (batched.error() != ints.error() || j != by_one.size()) __builtin_trap();
  }
  std::vector<int64_t> input((size - 4) / 8);
  if (!input.empty()) std::memcpy(input.data(), data + 4, input.size() * 8);
  DeltaPackEncoder pack;
  std::string packed;
  pack.Encode(input, &packed);
  if (pack.EncodedSize(input) != packed.size()) __builtin_trap();
  const std::vector<uint8_t> packed_heap(packed.begin(), packed.end());
  DeltaPackDecoder back(packed_heap, input.size());
  for (int64_t want : input) {
    if (!back.Next(&x) || x != want) __builtin_trap();
  }
  if (back.Next(&x) || back.error()) __builtin_trap();
}

double Special(uint16_t selector) {
  switch (selector % 8) {
    case 0:
      return std::bit_cast<double>(uint64_t{0x7ff0000000000002});  // staleness marker
    case 1:
      return std::bit_cast<double>(uint64_t{0x7ff8000000000000} | selector);  // NaN payloads
    case 2:
      return -0.0;
    case 3:
      return std::numeric_limits<double>::infinity();
    case 4:
      return -std::numeric_limits<double>::denorm_min();
    case 5:
      return std::numeric_limits<double>::max();
    case 6:
      return 9223372036854775808.0;  // 2^63
    default:
      return 1.0 / 3;
  }
}

void FuzzEncode(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const bool stepped = data[0] & 1;
  ++data;
  --size;
  std::vector<Point> points;
  if (!stepped) {
    for (size_t off = 0; off + 16 <= size; off += 16) {
      Point p;
      std::memcpy(&p.t, data + off, 8);
      std::memcpy(&p.bits, data + off + 8, 8);
      points.push_back(p);
    }
    std::stable_sort(points.begin(), points.end(),
                     [](const Point& a, const Point& b) { return a.t < b.t; });
  } else {
    int64_t t = 1'700'000'000'000;
    int64_t m = 0;
    for (size_t off = 0; off + 4 <= size; off += 4) {
      uint16_t step, selector;
      std::memcpy(&step, data + off, 2);
      std::memcpy(&selector, data + off + 2, 2);
      t += step;
      m += static_cast<int16_t>(selector) >> 4;
      double v;
      switch (selector & 7) {
        case 0:
          v = static_cast<double>(m);  // integer
          break;
        case 1:
          v = static_cast<double>(m) / 100;  // parsed decimal
          break;
        case 2:
          v = static_cast<double>(m) * 0.01;  // multiplied decimal
          break;
        case 3:
          v = static_cast<double>(m) / 1e3 + 1e12;  // wide
          break;
        case 4:
          v = Special(selector >> 3);
          break;
        case 5:
          v = points.empty() ? 0 : std::bit_cast<double>(points.back().bits);  // repeat
          break;
        case 6:
          v = static_cast<double>(m) * 4096;
          break;
        default:
          v = std::exp(static_cast<double>(m) / 1000);  // full precision
      }
      points.push_back({t, std::bit_cast<uint64_t>(v)});
    }
  }
  RoundTrip(points);
}

void WriteSeeds(const char* dir) {
  auto write = [&](const char* name, const std::vector<int64_t>& t, const std::vector<double>& v) {
    BlockChunkEncoder enc;
    std::string ts, values;
    enc.EncodeTimestamps(t, &ts);
    enc.EncodeValues(v, &values);
    std::string out;
    out.push_back(static_cast<char>(t.size()));
    out.push_back(static_cast<char>(t.size() >> 8));
    out.push_back(static_cast<char>(ts.size()));
    out.push_back(static_cast<char>(ts.size() >> 8));
    out += ts + values;
    std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << out;
  };
  std::vector<int64_t> t;
  std::vector<double> counter, decimal, multiplied, sum, rare, specials;
  double c = 1e9, s = 1234.5;
  for (int i = 0; i < 200; ++i) {
    t.push_back(1'700'000'000'000 + 15'000 * i + (i * 7919) % 11 - 5);
    c += (i * 104729) % 100000;
    counter.push_back(c);
    decimal.push_back(static_cast<double>(4000 + (i * 31) % 97) / 100);
    multiplied.push_back(std::round(c / 7 / 0.01) * 0.01);
    sum.push_back(s += std::exp(static_cast<double>(i % 13) / 5));
    rare.push_back(i / 50 + 1.0 / 3);
    specials.push_back(i % 17 == 0 ? Special(static_cast<uint16_t>(i)) : c);
  }
  write("counter", t, counter);
  write("decimal", t, decimal);
  write("multiplied", t, multiplied);
  write("raw_sum", t, sum);
  write("xor_rare", t, rare);
  write("exceptions", t, specials);
  write("one", {t[0]}, {specials[0]});
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("STRATA_BLOCK_CHUNK_FUZZ_WRITE_SEEDS")) WriteSeeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzDecode(data, size);
  FuzzEncode(data, size);
  return 0;
}
