#include "common/sketch/tdigest.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/check.h"
#include "common/sketch/little_endian.h"

namespace strata::common::sketch {
namespace {

// tag, version, compression, count, sum, min, max, n.
constexpr size_t kHeaderBytes = 1 + 1 + 5 * 8 + 8;
constexpr size_t kCentroidBytes = 16;

bool IsPositiveZero(double v) { return std::bit_cast<uint64_t>(v) == 0; }

}  // namespace

TDigest::TDigest(double compression) : compression_(compression) {
  STRATA_CHECK(!std::isnan(compression)) << "t-digest compression is NaN";
  compression_ = std::clamp(compression, kMinCompression, kMaxCompression);
}

size_t TDigest::MaxCentroids(double delta) { return 2 * static_cast<size_t>(std::ceil(delta)); }

double TDigest::Min() const { return count_ > 0 ? min_ : std::nan(""); }
double TDigest::Max() const { return count_ > 0 ? max_ : std::nan(""); }

void TDigest::Clear() {
  count_ = 0;
  sum_ = 0;
  min_ = 0;
  max_ = 0;
  centroids_.clear();
  merged_ = 0;
}

void TDigest::Add(double value, double weight) {
  if (!std::isfinite(value) || !std::isfinite(weight) || weight <= 0) return;
  const double total = count_ + weight;
  if (!std::isfinite(total)) return;
  if (count_ == 0) {
    min_ = value;
    max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ = total;
  sum_ += value * weight;
  Push(value, weight);
}

void TDigest::Merge(const TDigest& other) {
  if (other.count_ == 0) return;
  if (&other == this) {
    const TDigest copy = other;
    Merge(copy);
    return;
  }
  const double total = count_ + other.count_;
  if (!std::isfinite(total)) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ = total;
  sum_ += other.sum_;
  for (const Centroid& c : other.centroids_) Push(c.mean, c.weight);
}

void TDigest::Push(double mean, double weight) {
  const size_t capacity = static_cast<size_t>(std::ceil(compression_)) * (kBufferFactor + 1) + 2;
  if (centroids_.capacity() < capacity) centroids_.reserve(capacity);
  if (centroids_.size() == capacity) Flush();
  centroids_.push_back({mean, weight});
}

double TDigest::QuantileLimit(double q0) const {
  const double delta = compression_;
  const double k = delta / (2 * std::numbers::pi) * std::asin(2 * std::clamp(q0, 0.0, 1.0) - 1);
  const double k1 = k + 1;
  if (k1 >= delta / 4) return 1;
  return (std::sin(2 * std::numbers::pi * k1 / delta) + 1) / 2;
}

void TDigest::Flush() const {
  if (merged_ == centroids_.size()) return;
  const auto by_mean = [](const Centroid& a, const Centroid& b) { return a.mean < b.mean; };
  const auto mid = centroids_.begin() + static_cast<ptrdiff_t>(merged_);
  std::sort(mid, centroids_.end(), by_mean);
  std::inplace_merge(centroids_.begin(), mid, centroids_.end(), by_mean);

  double total = 0;
  for (const Centroid& c : centroids_) total += c.weight;

  // One pass, compacting in place: centroids_[0, out] are the output so far, the last of them
  // being the centroid under construction; reading index i never falls behind writing index out.
  size_t out = 0;
  double weight_before = 0;  // weight of the finished output centroids
  const double first_limit = QuantileLimit(0);
  double weight_limit = first_limit >= 1 ? INFINITY : total * first_limit;
  for (size_t i = 1; i < centroids_.size(); ++i) {
    const Centroid x = centroids_[i];
    Centroid& cur = centroids_[out];
    if (weight_before + cur.weight + x.weight <= weight_limit) {
      const double w = cur.weight + x.weight;
      // std::lerp cannot overflow and stays within [cur.mean, x.mean], so means stay sorted.
      cur.mean = std::lerp(cur.mean, x.mean, x.weight / w);
      cur.weight = w;
    } else {
      weight_before += cur.weight;
      const double q_limit = QuantileLimit(weight_before / total);
      weight_limit = q_limit >= 1 ? INFINITY : total * q_limit;
      centroids_[++out] = x;
    }
  }
  centroids_.resize(out + 1);
  merged_ = centroids_.size();
}

size_t TDigest::CentroidCount() const {
  Flush();
  return centroids_.size();
}

bool TDigest::IsPoint(size_t i) const {
  const Centroid& c = centroids_[i];
  if (c.weight == 1 || c.mean == min_ || c.mean == max_) return true;
  return (i > 0 && centroids_[i - 1].mean == c.mean) ||
         (i + 1 < centroids_.size() && centroids_[i + 1].mean == c.mean);
}

double TDigest::Quantile(double q) const {
  if (count_ == 0 || !(q >= 0 && q <= 1)) return std::nan("");
  if (q == 0) return min_;
  if (q == 1) return max_;
  Flush();
  double total = 0;
  for (const Centroid& c : centroids_) total += c.weight;
  const double t = q * total;

  // Walk the anchor points (cumulative weight, value) in order; return the linear interpolation
  // on the first segment whose right end reaches t.
  double prev_c = 0;
  double prev_v = min_;
  double result = max_;
  bool found = false;
  const auto segment_to = [&](double c, double v) {
    if (found) return;
    if (t <= c) {
      result = c > prev_c ? std::lerp(prev_v, v, (t - prev_c) / (c - prev_c)) : prev_v;
      found = true;
      return;
    }
    prev_c = c;
    prev_v = v;
  };
  double cum = 0;
  const size_t n = centroids_.size();
  for (size_t i = 0; i < n; ++i) {
    const Centroid& c = centroids_[i];
    const double mean = std::clamp(c.mean, min_, max_);
    if (IsPoint(i)) {
      segment_to(cum, mean);
      segment_to(cum + c.weight, mean);
    } else {
      segment_to(cum + c.weight / 2, mean);
    }
    if (found) break;
    cum += c.weight;
  }
  segment_to(total, max_);
  return std::clamp(result, min_, max_);
}

void TDigest::Serialize(std::string* out) const {
  Flush();
  out->reserve(out->size() + kHeaderBytes + kCentroidBytes * centroids_.size());
  AppendU8(kFormatTag, out);
  AppendU8(kFormatVersion, out);
  AppendF64(compression_, out);
  // The count written is the sum of the centroid weights in order, which the reader recomputes
  // and compares bit for bit. It equals count_ whenever the weights are integers (sums of
  // integers below 2^53 are exact in any order); with fractional weights it may differ from
  // count_ in the last bits, having been added up in another order.
  double weights = 0;
  for (const Centroid& c : centroids_) weights += c.weight;
  AppendF64(weights, out);
  AppendF64(sum_, out);
  AppendF64(min_, out);
  AppendF64(max_, out);
  AppendLe(centroids_.size(), 8, out);
  for (const Centroid& c : centroids_) {
    AppendF64(c.mean, out);
    AppendF64(c.weight, out);
  }
}

absl::StatusOr<TDigest> TDigest::Deserialize(std::string_view in) {
  const auto error = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("t-digest: ", parts...));
  };
  if (in.size() < kHeaderBytes) {
    return error("truncated header: ", in.size(), " bytes, need ", kHeaderBytes);
  }
  const char* p = in.data();
  if (static_cast<uint8_t>(p[0]) != kFormatTag) {
    return error("bad tag ", static_cast<int>(static_cast<uint8_t>(p[0])));
  }
  if (static_cast<uint8_t>(p[1]) != kFormatVersion) {
    return error("unsupported version ", static_cast<int>(static_cast<uint8_t>(p[1])));
  }
  const double compression = LoadF64(p + 2);
  const double count = LoadF64(p + 10);
  const double sum = LoadF64(p + 18);
  const double min = LoadF64(p + 26);
  const double max = LoadF64(p + 34);
  const uint64_t n = LoadLe(p + 42, 8);
  if (!(compression >= kMinCompression && compression <= kMaxCompression)) {
    return error("compression ", compression, " outside [", kMinCompression, ", ", kMaxCompression,
                 "]");
  }
  if (n > MaxCentroids(compression)) {
    return error("centroid count ", n, " exceeds ", MaxCentroids(compression), " for compression ",
                 compression);
  }
  const size_t body = in.size() - kHeaderBytes;
  if (body != n * kCentroidBytes) {
    return error("length mismatch: ", n, " centroids need ", n * kCentroidBytes,
                 " bytes after the header, have ", body);
  }
  if (n == 0) {
    if (!IsPositiveZero(count) || !IsPositiveZero(sum) || !IsPositiveZero(min) ||
        !IsPositiveZero(max)) {
      return error("empty digest with non-zero count, sum, min or max");
    }
    return TDigest(compression);
  }
  if (!(std::isfinite(count) && count > 0)) return error("bad count ", count);
  if (!std::isfinite(min) || !std::isfinite(max) || min > max) {
    return error("bad min/max ", min, " / ", max);
  }

  TDigest digest(compression);
  digest.count_ = count;
  digest.sum_ = sum;
  digest.min_ = min;
  digest.max_ = max;
  digest.centroids_.resize(n);
  double weights = 0;
  const char* c = p + kHeaderBytes;
  for (size_t i = 0; i < n; ++i, c += kCentroidBytes) {
    const double mean = LoadF64(c);
    const double weight = LoadF64(c + 8);
    if (!(std::isfinite(weight) && weight > 0))
      return error("centroid ", i, ": bad weight ", weight);
    if (!(mean >= min && mean <= max)) {
      return error("centroid ", i, ": mean ", mean, " outside [min, max]");
    }
    if (i > 0 && mean < digest.centroids_[i - 1].mean) {
      return error("centroid ", i, ": means not sorted");
    }
    digest.centroids_[i] = {mean, weight};
    weights += weight;
  }
  if (std::bit_cast<uint64_t>(weights) != std::bit_cast<uint64_t>(count)) {
    return error("count ", count, " is not the sum of the centroid weights ", weights);
  }
  digest.merged_ = n;
  return digest;
}

}  // namespace strata::common::sketch
