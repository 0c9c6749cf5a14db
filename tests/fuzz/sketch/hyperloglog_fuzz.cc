// Fuzzes HyperLogLog::Deserialize with arbitrary bytes. Invariants:
//  - nothing crashes, and nothing allocates past the caps (m / 16 sparse entries, m registers);
//  - bytes that deserialize serialize back to exactly the same bytes, which deserialize again;
//  - the estimate is never NaN or negative, and is the same in sparse and dense form;
//  - merging a sketch with a copy of itself changes no register; merging it into an empty
//    sketch reproduces its registers;
//  - a sketch derived from an accepted one (converted to dense, grown by AddHash with the
//    input's words) still round-trips: the writer never produces what the reader rejects.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/sketch/hyperloglog.h"

namespace {

using strata::common::sketch::HyperLogLog;

void CheckRoundTrip(const HyperLogLog& h) {
  std::string bytes;
  h.Serialize(&bytes);
  absl::StatusOr<HyperLogLog> again = HyperLogLog::Deserialize(bytes);
  if (!again.ok()) __builtin_trap();
  std::string bytes2;
  again->Serialize(&bytes2);
  if (bytes2 != bytes || again->Registers() != h.Registers()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<HyperLogLog> hll = HyperLogLog::Deserialize(in);
  if (!hll.ok()) return 0;
  std::string out;
  hll->Serialize(&out);
  if (out != in) __builtin_trap();
  CheckRoundTrip(*hll);

  const double estimate = hll->Estimate();
  if (std::isnan(estimate) || estimate < 0) __builtin_trap();
  HyperLogLog dense = *hll;
  dense.ConvertToDense();
  if (dense.Estimate() != estimate || dense.Registers() != hll->Registers()) __builtin_trap();

  HyperLogLog copy = *hll;
  if (!copy.Merge(*hll).ok() || copy.Registers() != hll->Registers()) __builtin_trap();
  HyperLogLog fresh(hll->precision());
  if (!fresh.Merge(*hll).ok() || fresh.Registers() != hll->Registers()) __builtin_trap();
  if (fresh.Estimate() != estimate) __builtin_trap();

  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t hash;
    std::memcpy(&hash, data + i, sizeof hash);
    copy.AddHash(hash);
  }
  if (std::isnan(copy.Estimate())) __builtin_trap();
  CheckRoundTrip(copy);
  CheckRoundTrip(dense);
  return 0;
}
