// Fuzzes the XOR chunk codec (collector/storage/hot/chunk/xor_chunk.h) two ways on every input:
//  (a) the bytes are decoded as a chunk: the iterator must stop within the declared count,
//      without crashing or reading out of bounds, and a chunk it accepts must re-encode to a
//      chunk that decodes to the same samples;
//  (b) the bytes are read as a list of (t, v) pairs, appended, and the chunk must decode to
//      exactly the accepted pairs (bit-exact values). The first byte picks how pairs are read:
//      even = raw 16-byte (int64 t, double v) pairs; odd = 4-byte steps (int16 timestamp step,
//      int16 value selector) so that timestamps mostly increase and dods land in every bucket.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "collector/storage/hot/chunk/xor_chunk.h"

namespace {

using strata::collector::hot::XorChunkAppender;
using strata::collector::hot::XorChunkIterator;

struct Point {
  int64_t t;
  uint64_t bits;
};

void CheckDecodesTo(const XorChunkAppender& app, const std::vector<Point>& expected) {
  XorChunkIterator it(app.bytes());
  size_t i = 0;
  while (it.Next()) {
    if (i >= expected.size()) __builtin_trap();
    if (it.t() != expected[i].t || std::bit_cast<uint64_t>(it.v()) != expected[i].bits) {
      __builtin_trap();
    }
    ++i;
  }
  if (it.error() || i != expected.size()) __builtin_trap();
}

void FuzzDecode(const uint8_t* data, size_t size) {
  XorChunkIterator it(std::string_view(reinterpret_cast<const char*>(data), size));
  std::vector<Point> decoded;
  int64_t prev = 0;
  while (it.Next()) {
    if (!decoded.empty() && it.t() < prev) __builtin_trap();  // timestamps never decrease
    prev = it.t();
    decoded.push_back({it.t(), std::bit_cast<uint64_t>(it.v())});
    if (decoded.size() > it.num_samples() || decoded.size() > XorChunkAppender::kMaxSamples) {
      __builtin_trap();
    }
  }
  if (it.error()) return;
  if (decoded.size() != it.num_samples()) __builtin_trap();
  XorChunkAppender app;
  for (const Point& p : decoded) {
    if (!app.Append(p.t, std::bit_cast<double>(p.bits))) __builtin_trap();
  }
  CheckDecodesTo(app, decoded);
}

void FuzzEncode(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const bool stepped = data[0] & 1;
  ++data;
  --size;
  XorChunkAppender app;
  std::vector<Point> accepted;
  int64_t t = 1700000000000;
  uint64_t v = 0;
  const size_t record = stepped ? 4 : 16;
  for (size_t off = 0; off + record <= size; off += record) {
    if (stepped) {
      int16_t step;
      uint16_t selector;
      std::memcpy(&step, data + off, 2);
      std::memcpy(&selector, data + off + 2, 2);
      // Steps scaled by a power of two from the low bits, to reach the wide dod buckets.
      t = static_cast<int64_t>(static_cast<uint64_t>(t) +
                               (static_cast<uint64_t>(int64_t{step}) << ((selector & 7) * 5)));
      switch ((selector >> 3) & 3) {
        case 0:
          break;  // same value
        case 1:
          v ^= uint64_t{selector} << (selector % 48);
          break;
        case 2:
          v = std::bit_cast<uint64_t>(std::bit_cast<double>(v) + 1.0);
          break;
        default:
          v = 0x7ff0000000000002ULL;
          break;  // the staleness marker
      }
    } else {
      std::memcpy(&t, data + off, 8);
      std::memcpy(&v, data + off + 8, 8);
    }
    const bool ok = app.Append(t, std::bit_cast<double>(v));
    const bool expect_ok = accepted.size() < XorChunkAppender::kMaxSamples &&
                           (accepted.empty() || t >= accepted.back().t);
    if (ok != expect_ok) __builtin_trap();
    if (ok) accepted.push_back({t, v});
  }
  if (app.num_samples() != accepted.size()) __builtin_trap();
  if (!accepted.empty() &&
      (app.MinTime() != accepted.front().t || app.MaxTime() != accepted.back().t)) {
    __builtin_trap();
  }
  CheckDecodesTo(app, accepted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzDecode(data, size);
  FuzzEncode(data, size);
  return 0;
}
