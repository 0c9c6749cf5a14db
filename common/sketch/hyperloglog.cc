#include "common/sketch/hyperloglog.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "common/base/check.h"
#include "common/sketch/little_endian.h"

namespace strata::common::sketch {
namespace {

constexpr size_t kHeaderBytes = 4;  // tag, version, precision, mode
constexpr size_t kSparseCountBytes = 4;
constexpr size_t kSparseEntryBytes = 3;
constexpr uint8_t kModeSparse = 0;
constexpr uint8_t kModeDense = 1;

// σ(x) = x + Σ_{k>=1} x^(2^k) 2^(k−1), for x in [0, 1]; infinite at 1. The terms shrink
// doubly exponentially once x^(2^k) < 1/2, so the loop ends as soon as a term no longer changes
// the sum.
double Sigma(double x) {
  if (x == 1) return INFINITY;
  double y = 1;
  double z = x;
  while (true) {
    x *= x;
    const double before = z;
    z += x * y;
    y += y;
    if (z == before) return z;
  }
}

// τ(x) = (1 − x − Σ_{k>=1} (1 − x^(2^−k))² 2^−k) / 3, for x in [0, 1]; 0 at both ends.
double Tau(double x) {
  if (x == 0 || x == 1) return 0;
  double y = 1;
  double z = 1 - x;
  while (true) {
    x = std::sqrt(x);
    const double before = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z == before) return z / 3;
  }
}

}  // namespace

HyperLogLog::HyperLogLog(int precision) : precision_(precision) {
  STRATA_CHECK(precision >= kMinPrecision && precision <= kMaxPrecision)
      << "HyperLogLog precision " << precision << " outside [" << kMinPrecision << ", "
      << kMaxPrecision << "]";
}

size_t HyperLogLog::MaxSparseEntries() const { return (size_t{1} << precision_) / 16; }

void HyperLogLog::Add(std::string_view member) {
  AddHash(XXH3_64bits(member.data(), member.size()));
}

void HyperLogLog::AddHash(uint64_t hash) {
  const uint32_t index = static_cast<uint32_t>(hash >> (64 - precision_));
  const uint64_t rest = hash << precision_;  // the remaining q bits, at the top
  const int rho = rest == 0 ? MaxRho() : std::countl_zero(rest) + 1;
  Offer(index, static_cast<uint8_t>(rho));
}

void HyperLogLog::Offer(uint32_t index, uint8_t rho) {
  if (dense_) {
    uint8_t& r = registers_[index];
    r = std::max(r, rho);
    return;
  }
  const auto it = std::lower_bound(sparse_.begin(), sparse_.end(), Pack(index, 0));
  if (it != sparse_.end() && IndexOf(*it) == index) {
    if (rho > RhoOf(*it)) *it = Pack(index, rho);
    return;
  }
  if (sparse_.size() < MaxSparseEntries()) {
    sparse_.insert(it, Pack(index, rho));
    return;
  }
  ConvertToDense();
  registers_[index] = rho;  // was zero: the index was not in the list
}

void HyperLogLog::ConvertToDense() {
  if (dense_) return;
  registers_.assign(size_t{1} << precision_, 0);
  for (const uint32_t e : sparse_) registers_[IndexOf(e)] = RhoOf(e);
  std::vector<uint32_t>().swap(sparse_);
  dense_ = true;
}

absl::Status HyperLogLog::Merge(const HyperLogLog& other) {
  if (other.precision_ != precision_) {
    return absl::InvalidArgumentError(
        absl::StrCat("HyperLogLog merge: precision ", other.precision_, " into ", precision_));
  }
  if (&other == this) return absl::OkStatus();
  if (other.dense_) {
    ConvertToDense();
    for (size_t i = 0; i < registers_.size(); ++i) {
      registers_[i] = std::max(registers_[i], other.registers_[i]);
    }
    return absl::OkStatus();
  }
  if (dense_) {
    for (const uint32_t e : other.sparse_) Offer(IndexOf(e), RhoOf(e));
    return absl::OkStatus();
  }
  // Both sparse: merge the sorted lists, keeping the larger rho of a shared index.
  std::vector<uint32_t> merged;
  merged.reserve(sparse_.size() + other.sparse_.size());
  size_t i = 0;
  size_t j = 0;
  while (i < sparse_.size() || j < other.sparse_.size()) {
    if (j == other.sparse_.size() ||
        (i < sparse_.size() && IndexOf(sparse_[i]) < IndexOf(other.sparse_[j]))) {
      merged.push_back(sparse_[i++]);
    } else if (i == sparse_.size() || IndexOf(other.sparse_[j]) < IndexOf(sparse_[i])) {
      merged.push_back(other.sparse_[j++]);
    } else {
      merged.push_back(std::max(sparse_[i++], other.sparse_[j++]));  // same index: larger rho
    }
  }
  sparse_ = std::move(merged);
  if (sparse_.size() > MaxSparseEntries()) ConvertToDense();
  return absl::OkStatus();
}

double HyperLogLog::Estimate() const {
  const int q = 64 - precision_;
  const double m = static_cast<double>(size_t{1} << precision_);
  std::array<double, 66> histogram{};  // C_k for k = 0 .. q + 1 <= 61
  if (dense_) {
    for (const uint8_t r : registers_) ++histogram[r];
  } else {
    histogram[0] = m - static_cast<double>(sparse_.size());
    for (const uint32_t e : sparse_) ++histogram[RhoOf(e)];
  }
  if (histogram[0] == m) return 0;
  double z = m * Tau(1 - histogram[q + 1] / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + histogram[k]);
  z += m * Sigma(histogram[0] / m);
  const double alpha_inf = 1 / (2 * std::numbers::ln2);
  return alpha_inf * m * m / z;
}

void HyperLogLog::Clear() {
  dense_ = false;
  std::vector<uint32_t>().swap(sparse_);
  std::vector<uint8_t>().swap(registers_);
}

size_t HyperLogLog::MemoryBytes() const {
  return sizeof(*this) + sparse_.capacity() * sizeof(uint32_t) + registers_.capacity();
}

std::vector<uint8_t> HyperLogLog::Registers() const {
  if (dense_) return registers_;
  std::vector<uint8_t> out(size_t{1} << precision_, 0);
  for (const uint32_t e : sparse_) out[IndexOf(e)] = RhoOf(e);
  return out;
}

void HyperLogLog::Serialize(std::string* out) const {
  AppendU8(kFormatTag, out);
  AppendU8(kFormatVersion, out);
  AppendU8(static_cast<uint8_t>(precision_), out);
  if (dense_) {
    AppendU8(kModeDense, out);
    out->append(reinterpret_cast<const char*>(registers_.data()), registers_.size());
    return;
  }
  AppendU8(kModeSparse, out);
  out->reserve(out->size() + kSparseCountBytes + kSparseEntryBytes * sparse_.size());
  AppendLe(sparse_.size(), kSparseCountBytes, out);
  for (const uint32_t e : sparse_) AppendLe(e, kSparseEntryBytes, out);
}

absl::StatusOr<HyperLogLog> HyperLogLog::Deserialize(std::string_view in) {
  const auto error = [](auto&&... parts) {
    return absl::InvalidArgumentError(absl::StrCat("HyperLogLog: ", parts...));
  };
  if (in.size() < kHeaderBytes) {
    return error("truncated header: ", in.size(), " bytes, need ", kHeaderBytes);
  }
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(in[i]); };
  if (byte(0) != kFormatTag) return error("bad tag ", byte(0));
  if (byte(1) != kFormatVersion) return error("unsupported version ", byte(1));
  const int precision = byte(2);
  if (precision < kMinPrecision || precision > kMaxPrecision) {
    return error("precision ", precision, " outside [", kMinPrecision, ", ", kMaxPrecision, "]");
  }
  HyperLogLog hll(precision);
  const size_t m = size_t{1} << precision;
  const int max_rho = hll.MaxRho();
  const uint8_t mode = byte(3);
  if (mode == kModeDense) {
    if (in.size() - kHeaderBytes != m) {
      return error("dense sketch of precision ", precision, " needs ", m, " register bytes, have ",
                   in.size() - kHeaderBytes);
    }
    for (size_t i = 0; i < m; ++i) {
      if (byte(kHeaderBytes + i) > max_rho) {
        return error("register ", i, " holds ", byte(kHeaderBytes + i), ", above ", max_rho);
      }
    }
    hll.registers_.assign(in.begin() + kHeaderBytes, in.end());
    hll.dense_ = true;
    return hll;
  }
  if (mode != kModeSparse) return error("unknown mode ", mode);
  if (in.size() < kHeaderBytes + kSparseCountBytes) return error("truncated sparse count");
  const uint64_t n = LoadLe(in.data() + kHeaderBytes, kSparseCountBytes);
  if (n > hll.MaxSparseEntries()) {
    return error("sparse count ", n, " exceeds ", hll.MaxSparseEntries(), " for precision ",
                 precision);
  }
  const size_t body = in.size() - kHeaderBytes - kSparseCountBytes;
  if (body != n * kSparseEntryBytes) {
    return error("length mismatch: ", n, " sparse entries need ", n * kSparseEntryBytes,
                 " bytes, have ", body);
  }
  hll.sparse_.resize(n);
  const char* p = in.data() + kHeaderBytes + kSparseCountBytes;
  for (size_t i = 0; i < n; ++i, p += kSparseEntryBytes) {
    const uint32_t e = static_cast<uint32_t>(LoadLe(p, kSparseEntryBytes));
    const uint32_t index = IndexOf(e);
    const int rho = RhoOf(e);
    if (index >= m) return error("sparse entry ", i, ": index ", index, " >= ", m);
    if (rho < 1 || rho > max_rho) {
      return error("sparse entry ", i, ": value ", rho, " outside [1, ", max_rho, "]");
    }
    if (i > 0 && index <= IndexOf(hll.sparse_[i - 1])) {
      return error("sparse entry ", i, ": indexes not strictly increasing");
    }
    hll.sparse_[i] = e;
  }
  return hll;
}

}  // namespace strata::common::sketch
