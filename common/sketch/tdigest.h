#pragma once

// TDigest: a mergeable sketch of a distribution of weighted doubles that answers quantile
// queries with small rank error, smallest at the tails (p99, p999), in O(compression) memory.
//
// Algorithm: the merging t-digest of T. Dunning and O. Ertl, "Computing Extremely Accurate
// Quantiles Using t-Digests" (2019, arXiv:1902.04023), with the k1 scale function
//   k(q) = δ / (2π) · asin(2q − 1),  q in [0, 1], k in [−δ/4, δ/4],
// where δ is the compression. The digest is a list of centroids (mean, weight) sorted by mean.
// Points are buffered; when the buffer holds kBufferFactor · δ points (or a query needs the
// digest) the buffer is sorted, merged with the centroids and compressed in one left-to-right
// pass that grows the current centroid while the k-span of the quantile range it covers stays
// <= 1 (the paper's Algorithm 1). Any two neighbouring centroids then span more than 1 in k, and
// k spans δ/2 in all, so a compressed digest has at most δ + 1 centroids (about δ/2 + 10 in
// practice; tested). Deserialize accepts up to 2⌈δ⌉.
//
// Error: a centroid near quantile q covers at most about share(q) = (2π/δ)·sqrt(q(1 − q)) of the
// total weight (the slope of k's inverse), e.g. 3.1% at the median and 0.2% at q = 0.001 for
// δ = 100, and a quantile estimate interpolated between centroid centres is off in rank by a
// fraction of the neighbouring centroids' sizes. This is the paper's argument, not a worst-case
// guarantee. tests/unit/common/sketch/tdigest_test.cc measures the rank error against exact
// sorted data (δ = 100; uniform, exponential and lognormal; added in random or sorted order, or
// merged from 20 shards) and asserts <= 0.006 for q in [0.25, 0.75], <= 0.004 at 0.1/0.9,
// <= 0.003 at 0.01/0.99 and <= 0.002 at 0.001/0.999; the worst seen are 0.0017, 0.0015, 0.0012
// and 0.0011 (merged; 0.0006 when added directly).
// With k1 and δ = 100 a digest has only about 60 centroids and the first holds about 0.1% of
// the weight, so relative accuracy at p999 is modest: raise δ where it matters (memory and error
// scale as δ and 1/δ). On data with many ties an estimate inside a centroid that mixes two
// neighbouring values lies strictly between them and is charged the rest of the step: up to
// about share(q) (asserted: 1.5 share(q)). Count, Sum, Min and Max are kept exactly, apart from
// the usual rounding of a running double sum.
//
// Quantile interpolation: centroid i covers the cumulative weight range [L_i, L_i + w_i]. Its
// mean is taken as the value at the centre of that range, unless the centroid is known or taken
// to hold a single distinct value, which then holds over its whole range: a centroid whose mean
// is the exact minimum or maximum (so every point in it is that value), one whose mean equals a
// neighbour's (a run of equal means is a heavily repeated value), and one of weight exactly 1
// (taken as one unit-weight sample: the paper's singleton rule). The exact minimum is the value
// at cumulative weight 0 and the exact maximum at the total weight. Between these anchor points
// the estimate is linear in cumulative weight, so Quantile is monotone in q and always within
// [Min(), Max()].
//
// Value type: copyable and movable. Queries and Serialize on a const digest may merge the
// buffer into the centroids (mutable state), so a digest is not safe for concurrent use, not even
// for concurrent const calls; give each thread its own and Merge them.
//
// Wire format (all little-endian; common/sketch/FORMAT.md has the full description):
//   u8 tag 'T' (0x54), u8 version 1, f64 compression, f64 count, f64 sum, f64 min, f64 max,
//   u64 n, then n × (f64 mean, f64 weight). Serialize writes the compressed centroids, so
//   Serialize(Deserialize(bytes)) reproduces the bytes exactly.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace strata::common::sketch {

class TDigest {
 public:
  static constexpr double kDefaultCompression = 100;
  static constexpr double kMinCompression = 10;
  static constexpr double kMaxCompression = 1000;
  // Points buffered before a merge, as a multiple of the compression.
  static constexpr int kBufferFactor = 5;
  static constexpr uint8_t kFormatTag = 'T';
  static constexpr uint8_t kFormatVersion = 1;

  // `compression` (δ) is clamped to [kMinCompression, kMaxCompression]; NaN aborts (CHECK).
  // Memory is about 16 · (kBufferFactor + 1) · δ bytes once points have been added; an empty
  // digest allocates nothing.
  explicit TDigest(double compression = kDefaultCompression);

  // Adds `value` with `weight`. A NaN or infinite value, a weight that is not finite or <= 0, or
  // a weight that would make the total weight overflow is ignored.
  void Add(double value, double weight = 1);
  // Adds every centroid (and buffered point) of `other`. The compressions need not match: the
  // result keeps this digest's. Ignored if the total weight would overflow.
  void Merge(const TDigest& other);

  // The estimated q-quantile: the value below which a fraction q of the weight lies. Exactly
  // Min() at q = 0 and Max() at q = 1. NaN when the digest is empty or q is NaN or outside [0, 1].
  double Quantile(double q) const;

  // Total weight. Exact for integer weights (below 2^53); with fractional weights the digest
  // that Deserialize returns may differ from the one serialized in the last bits (FORMAT.md).
  double Count() const { return count_; }
  double Sum() const { return sum_; }  // sum of value · weight; may overflow to ±inf
  double Min() const;                  // NaN when empty
  double Max() const;                  // NaN when empty
  bool Empty() const { return count_ == 0; }
  double compression() const { return compression_; }
  // Removes every point; keeps the compression (and the allocated buffer).
  void Clear();

  // Number of centroids after merging the buffer (at most δ + 1).
  size_t CentroidCount() const;

  // Appends the wire form (above) to `out`.
  void Serialize(std::string* out) const;
  // Parses exactly one serialized digest occupying all of `in`. InvalidArgument, naming the
  // first problem, unless the tag and version match, the compression is finite and within
  // [kMinCompression, kMaxCompression], the centroid count is at most 2⌈δ⌉ and matches the
  // input length (checked before anything is allocated), every weight is finite and > 0, the
  // means are finite, sorted and within [min, max], min <= max are finite, and the count is
  // exactly the sum of the weights added in order. An empty digest must have count, sum, min
  // and max all +0.0 and no centroids. The sum is not checked (it may legitimately be ±inf or
  // NaN after an overflow).
  static absl::StatusOr<TDigest> Deserialize(std::string_view in);

 private:
  struct Centroid {
    double mean;
    double weight;
  };

  // Largest centroid count Deserialize accepts for compression `delta`.
  static size_t MaxCentroids(double delta);
  // The largest quantile q1 >= q0 with k(q1) − k(q0) <= 1; 1 when that reaches the top.
  double QuantileLimit(double q0) const;
  // Appends a point to the buffer, merging first if it is full. The caller updated the totals.
  void Push(double mean, double weight);
  // Whether merged centroid i is taken as one distinct value in Quantile (see above).
  bool IsPoint(size_t i) const;
  // Sorts the buffered points into the centroids and compresses them (a no-op when the buffer
  // is empty).
  void Flush() const;

  double compression_;
  double count_ = 0;
  double sum_ = 0;
  double min_ = 0;  // meaningful only when count_ > 0
  double max_ = 0;
  // centroids_[0, merged_) are the compressed centroids sorted by mean; the rest are buffered
  // points in arrival order. Mutable so that const queries can merge the buffer.
  mutable std::vector<Centroid> centroids_;
  mutable size_t merged_ = 0;
};

}  // namespace strata::common::sketch
