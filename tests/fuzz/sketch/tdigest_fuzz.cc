// Fuzzes TDigest::Deserialize with arbitrary bytes. Invariants:
//  - nothing crashes, and nothing allocates past the centroid cap (ASan's allocation limits);
//  - bytes that deserialize serialize back to exactly the same bytes, which deserialize again;
//  - Quantile of an accepted digest is NaN when it is empty, else never NaN, within [Min, Max]
//    and monotone in q, with Quantile(0) == Min and Quantile(1) == Max;
//  - a digest derived from an accepted one (merged into a fresh digest and with itself, then
//    grown by Add with values taken from the input) still satisfies the same, and its own
//    serialization is accepted and round-trips: the writer never produces what the reader
//    rejects.
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/sketch/tdigest.h"

namespace {

using strata::common::sketch::TDigest;

void CheckQuantiles(const TDigest& d) {
  if (d.Empty()) {
    if (!std::isnan(d.Quantile(0.5))) __builtin_trap();
    return;
  }
  if (d.Quantile(0) != d.Min() || d.Quantile(1) != d.Max()) __builtin_trap();
  double previous = -INFINITY;
  for (int i = 0; i <= 64; ++i) {
    const double x = d.Quantile(i / 64.0);
    if (std::isnan(x) || x < d.Min() || x > d.Max() || x < previous) __builtin_trap();
    previous = x;
  }
}

void CheckRoundTrip(const TDigest& d) {
  std::string bytes;
  d.Serialize(&bytes);
  absl::StatusOr<TDigest> again = TDigest::Deserialize(bytes);
  if (!again.ok()) __builtin_trap();
  std::string bytes2;
  again->Serialize(&bytes2);
  if (bytes2 != bytes) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<TDigest> digest = TDigest::Deserialize(in);
  if (!digest.ok()) return 0;
  std::string out;
  digest->Serialize(&out);
  if (out != in) __builtin_trap();
  CheckRoundTrip(*digest);
  CheckQuantiles(*digest);

  TDigest derived(digest->compression());
  derived.Merge(*digest);
  derived.Merge(derived);
  // Doubling is exact; a total that would overflow makes Merge a no-op.
  const double doubled = digest->Count() * 2;
  if (derived.Count() != (std::isfinite(doubled) ? doubled : digest->Count())) __builtin_trap();
  // Grow it with the input's 8-byte words as values (many are NaN or huge: Add must ignore or
  // absorb them) and a weight from the next byte.
  for (size_t i = 0; i + 9 <= size; i += 9) {
    double v;
    std::memcpy(&v, data + i, sizeof v);
    derived.Add(v, 1 + data[i + 8] % 4);
  }
  CheckQuantiles(derived);
  CheckRoundTrip(derived);
  if (derived.CentroidCount() > static_cast<size_t>(derived.compression()) + 1) __builtin_trap();
  return 0;
}
