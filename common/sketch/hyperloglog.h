#pragma once

// HyperLogLog: a mergeable sketch that estimates the number of distinct members of a set (a
// cardinality) in at most 2^p bytes, however many members are added.
//
// Registers: m = 2^p of them (precision p in [4, 18]). A member's 64-bit hash h picks register
// i = the top p bits of h, and offers it the value rho = 1 + the number of leading zeros of the
// remaining q = 64 − p bits (q + 1 when they are all zero); a register keeps the largest value
// offered. Members are hashed with XXH3_64bits (seed 0), whose output is the same on every host,
// so sketches built on different machines merge.
//
// Estimator: the improved raw estimator of O. Ertl, "New cardinality estimation algorithms for
// HyperLogLog sketches" (2017, arXiv:1702.01284). With C_k the number of registers holding k,
//   n̂ = α∞ m² / (m σ(C_0 / m) + Σ_{k=1..q} C_k 2^−k + m τ(1 − C_{q+1} / m) 2^−q),
//   α∞ = 1 / (2 ln 2),  σ(x) = x + Σ_{k>=1} x^(2^k) 2^(k−1),
//   τ(x) = (1 − x − Σ_{k>=1} (1 − x^(2^−k))² 2^−k) / 3.
// It needs no empirical bias tables and is essentially unbiased over the whole range a 64-bit
// hash allows (no switch to linear counting, so no bias bump around n ≈ 2.5 m), with relative
// standard error about 1.04 / sqrt(m) (0.81% at p = 14) once n is large against m, and far
// smaller below that, where it behaves like linear counting (within 1 of n for n <= 100 at
// p = 14). tests/unit/common/sketch/hyperloglog_test.cc asserts a relative error
// <= 3 · 1.04 / sqrt(m) against exact counts from 100 to 10^6 members at p = 4 .. 18, a mean
// error across 64 sketches within 3 standard errors of zero around the transition, and an
// absolute error <= 1 for every n <= 100 at p = 14. An empty sketch estimates 0.
//
// Sparse mode: a new sketch stores only the registers that are not zero, as a sorted list of
// (index, rho) pairs of 4 bytes each, until the list would outgrow m / 4 bytes (m / 16 pairs);
// then it converts itself to the dense array of m one-byte registers, for good. The estimate
// is computed from the same register histogram in both modes, so it does not depend on the mode,
// and Merge works across modes. A set of ten members takes about 120 bytes of memory and 38 on
// the wire, so thousands of small sets stay cheap.
//
// Value type: copyable and movable; not synchronised (one thread at a time, or external locking).
//
// Wire format (little-endian; common/sketch/FORMAT.md has the full description):
//   u8 tag 'H' (0x48), u8 version 1, u8 precision, u8 mode (0 sparse, 1 dense), then
//   sparse: u32 n and n × u24 (index << 6 | rho) in increasing index order;
//   dense:  m × u8 register values.
// The mode travels with the sketch, so Serialize(Deserialize(bytes)) reproduces the bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata::common::sketch {

class HyperLogLog {
 public:
  static constexpr int kDefaultPrecision = 14;
  static constexpr int kMinPrecision = 4;
  static constexpr int kMaxPrecision = 18;
  static constexpr uint8_t kFormatTag = 'H';
  static constexpr uint8_t kFormatVersion = 1;

  // `precision` must be in [kMinPrecision, kMaxPrecision] (CHECK). Starts empty and sparse.
  explicit HyperLogLog(int precision = kDefaultPrecision);

  // Adds a member: AddHash(XXH3_64bits(member)).
  void Add(std::string_view member);
  // Adds a member by its 64-bit hash, which must be uniformly distributed.
  void AddHash(uint64_t hash);
  // Makes this sketch the union of itself and `other`: each register becomes the larger of the
  // two. InvalidArgument (and no change) when the precisions differ.
  absl::Status Merge(const HyperLogLog& other);

  // The estimated number of distinct members added; 0 when empty.
  double Estimate() const;
  int precision() const { return precision_; }
  // Removes every member and returns to the sparse mode, releasing the registers.
  void Clear();
  // Bytes of memory held by this sketch, its own size included.
  size_t MemoryBytes() const;

  bool IsSparse() const { return !dense_; }
  // Switches to the dense representation now (a no-op when already dense). The registers, and so
  // the estimate, do not change.
  void ConvertToDense();
  // All m register values, whatever the mode (for tests and debugging; allocates m bytes).
  std::vector<uint8_t> Registers() const;

  // Appends the wire form (above) to `out`.
  void Serialize(std::string* out) const;
  // Parses exactly one serialized sketch occupying all of `in`. InvalidArgument, naming the first
  // problem, unless the tag and version match, the precision is in [kMinPrecision,
  // kMaxPrecision], the mode is 0 or 1, and: sparse, the pair count is at most m / 16 and matches
  // the input length (checked before anything is allocated), indexes are below m and strictly
  // increasing and every rho is in [1, 65 − p]; dense, exactly m register bytes follow, each at
  // most 65 − p.
  static absl::StatusOr<HyperLogLog> Deserialize(std::string_view in);

 private:
  // Pairs the sparse list may hold: m / 16 (4 bytes each, so m / 4 bytes).
  size_t MaxSparseEntries() const;
  int MaxRho() const { return 64 - precision_ + 1; }
  // Sets register `index` to max(its value, rho).
  void Offer(uint32_t index, uint8_t rho);

  static uint32_t Pack(uint32_t index, uint8_t rho) { return index << 6 | rho; }
  static uint32_t IndexOf(uint32_t entry) { return entry >> 6; }
  static uint8_t RhoOf(uint32_t entry) { return static_cast<uint8_t>(entry & 63); }

  int precision_;
  bool dense_ = false;
  // Sparse mode: the non-zero registers as Pack(index, rho), sorted by index (so by value).
  std::vector<uint32_t> sparse_;
  // Dense mode: m registers.
  std::vector<uint8_t> registers_;
};

}  // namespace strata::common::sketch
