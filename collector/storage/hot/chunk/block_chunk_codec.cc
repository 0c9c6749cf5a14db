#include "collector/storage/hot/chunk/block_chunk_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "collector/storage/hot/chunk/byte_io.h"

namespace strata::collector::hot {
namespace {

// 10^k is exact in binary64 up to k = 22; 10^-k is the nearest double (what the literal gives).
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                             1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
constexpr double kNegPow10[] = {1e-0,  1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,  1e-8, 1e-9,
                                1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18};
static_assert(std::size(kPow10) == BlockChunkEncoder::kMaxDecimals + 1);
static_assert(std::size(kNegPow10) == BlockChunkEncoder::kMaxDecimals + 1);

// Beyond 2^53 not every integer is a double, so a larger scaled value is no exact decimal; and
// the int64 conversion below needs |p| < 2^63.
constexpr double kMaxScaled = 9007199254740992.0;      // 2^53
constexpr double kMaxInteger = 9223372036854775808.0;  // 2^63

// The decoder's formula, in one place for both sides.
double Unscale(int64_t m, BlockValueEncoding encoding, int k) {
  return encoding == BlockValueEncoding::kDecimalDivide ? static_cast<double>(m) / kPow10[k]
                                                        : static_cast<double>(m) * kNegPow10[k];
}

// The integer m with Unscale(m, encoding, k) bit-identical to v, if there is one near v * 10^k.
bool ScaleAt(double v, BlockValueEncoding encoding, int k, int64_t* m) {
  const double p = v * kPow10[k];
  if (!(std::fabs(p) < (k == 0 ? kMaxInteger : kMaxScaled))) return false;  // also NaN, inf
  const int64_t candidate = static_cast<int64_t>(std::nearbyint(p));
  if (std::bit_cast<uint64_t>(Unscale(candidate, encoding, k)) != std::bit_cast<uint64_t>(v)) {
    return false;
  }
  *m = candidate;
  return true;
}

// The smallest k at which v round-trips, or -1.
int8_t MinDecimals(double v, BlockValueEncoding encoding) {
  int64_t m;
  for (int k = 0; k <= BlockChunkEncoder::kMaxDecimals; ++k) {
    if (ScaleAt(v, encoding, k, &m)) return static_cast<int8_t>(k);
    // Once v * 10^k passes 2^53 every larger k does too.
    if (!(std::fabs(v * kPow10[k]) < kMaxScaled)) return -1;
  }
  return -1;
}

}  // namespace

void BlockChunkEncoder::EncodeTimestamps(std::span<const int64_t> t, std::string* out) {
  pack_.Encode(t, out);
}

size_t BlockChunkEncoder::BuildDecimal(std::span<const double> v, Decimal d) {
  ints_.clear();
  exceptions_.clear();
  size_t exception_bytes = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    int64_t m = 0;
    const int k = min_k_[i];
    if (k < 0 || k > d.k || !ScaleAt(v[i], d.encoding, d.k, &m)) {
      const size_t gap = exceptions_.empty() ? i : i - exceptions_.back() - 1;
      exception_bytes += UvarintSize(gap) + 8;
      exceptions_.push_back(static_cast<uint32_t>(i));
    }
    ints_.push_back(m);
  }
  FillExceptions();
  return 2 + UvarintSize(exceptions_.size()) + exception_bytes +
         pack_.EncodedSize(ints_, &pack_order_);
}

void BlockChunkEncoder::FillExceptions() {
  // The integer at an exception is free: choose it so that the differences stay like their
  // neighbours (a staleness marker ending a counter must not widen its miniblock): interpolate
  // a run between the integers around it, extrapolate the trend at either end.
  const size_t n = ints_.size();
  for (size_t j = 0; j < exceptions_.size();) {
    const size_t begin = exceptions_[j];
    size_t end = begin + 1;
    for (++j; j < exceptions_.size() && exceptions_[j] == end; ++j) ++end;
    const bool next_is_exception = j < exceptions_.size() && exceptions_[j] == end + 1;
    if (begin > 0 && end < n) {
      const __int128 lo = ints_[begin - 1];
      const __int128 span = static_cast<__int128>(ints_[end]) - lo;
      const __int128 steps = static_cast<__int128>(end - begin + 1);
      for (size_t i = begin; i < end; ++i) {
        ints_[i] = static_cast<int64_t>(lo + span * static_cast<__int128>(i - begin + 1) / steps);
      }
    } else if (begin > 0) {
      const uint64_t step = begin >= 2 ? static_cast<uint64_t>(ints_[begin - 1]) -
                                             static_cast<uint64_t>(ints_[begin - 2])
                                       : 0;
      for (size_t i = begin; i < end; ++i) {
        ints_[i] = static_cast<int64_t>(static_cast<uint64_t>(ints_[i - 1]) + step);
      }
    } else if (end < n) {
      const uint64_t step =
          end + 1 < n && !next_is_exception
              ? static_cast<uint64_t>(ints_[end + 1]) - static_cast<uint64_t>(ints_[end])
              : 0;
      for (size_t i = end; i-- > begin;) {
        ints_[i] = static_cast<int64_t>(static_cast<uint64_t>(ints_[i + 1]) - step);
      }
    }  // else every value is an exception: the integers stay 0
  }
}

BlockValueEncoding BlockChunkEncoder::EncodeValues(std::span<const double> v, std::string* out) {
  const size_t n = v.size();
  size_t best_size = std::numeric_limits<size_t>::max();
  BlockValueEncoding best = BlockValueEncoding::kRawBits;
  Decimal best_decimal{BlockValueEncoding::kDecimalDivide, 0};
  int best_order = -1;  // of the DeltaPack column of the best so far

  // Decimal: for each formula, try every k that is some value's smallest, largest first (a k
  // above the largest needed only widens the integers; a smaller one turns values into
  // exceptions, and once a k has won, those with too many exceptions are skipped unencoded).
  // Multiplying is tried only when dividing left exceptions: where both reproduce a value at the
  // same k they give the same integer.
  min_k_.resize(n);
  bool exact = false;  // the best decimal so far has no exception
  BlockValueEncoding min_k_of = BlockValueEncoding::kDecimalDivide;  // what min_k_ holds
  for (BlockValueEncoding encoding :
       {BlockValueEncoding::kDecimalDivide, BlockValueEncoding::kDecimalMultiply}) {
    if (exact) break;
    min_k_of = encoding;
    size_t count[kMaxDecimals + 1] = {};
    size_t none = 0;
    for (size_t i = 0; i < n; ++i) {
      min_k_[i] = MinDecimals(v[i], encoding);
      if (min_k_[i] < 0) {
        ++none;
      } else {
        ++count[min_k_[i]];
      }
    }
    size_t below = n - none;  // values needing at most k decimals
    for (int k = kMaxDecimals; k >= 0; --k) {
      if (count[k] == 0) continue;
      const size_t at_least_exceptions = n - below;
      below -= count[k];
      // Each exception costs at least 9 bytes: skip a k that cannot win.
      if (2 + 9 * at_least_exceptions >= best_size) continue;
      const size_t size = BuildDecimal(v, {encoding, k});
      if (size < best_size) {
        best_size = size;
        best = encoding;
        best_decimal = {encoding, k};
        best_order = pack_order_;
        exact = exceptions_.empty();
      }
    }
  }

  // Raw bit patterns. Skipped when every value is a decimal with digits after the point: their
  // low mantissa bits look random, so their patterns pack far worse than their integers. (For
  // integers they can win by a byte or two: the common factor removes the zero mantissa bits.)
  if (!(exact && best_decimal.k > 0)) {
    ints_.clear();
    for (double x : v) ints_.push_back(std::bit_cast<int64_t>(x));
    int order = -1;
    const size_t raw_size = 1 + pack_.EncodedSize(ints_, &order);
    if (raw_size < best_size) {
      best_size = raw_size;
      best = BlockValueEncoding::kRawBits;
      best_order = order;
    }
  }

  // XOR.
  xor_.Clear();
  XorValueWriter writer;
  for (double x : v) writer.Write(xor_, std::bit_cast<uint64_t>(x));
  if (1 + xor_.bytes().size() < best_size) best = BlockValueEncoding::kXor;

  out->push_back(static_cast<char>(best));
  switch (best) {
    case BlockValueEncoding::kDecimalDivide:
    case BlockValueEncoding::kDecimalMultiply: {
      if (min_k_of != best) {
        for (size_t i = 0; i < n; ++i) min_k_[i] = MinDecimals(v[i], best);
      }
      BuildDecimal(v, best_decimal);
      out->push_back(static_cast<char>(best_decimal.k));
      PutUvarint(out, exceptions_.size());
      for (size_t j = 0; j < exceptions_.size(); ++j) {
        PutUvarint(out, j == 0 ? exceptions_[0] : exceptions_[j] - exceptions_[j - 1] - 1);
        PutFixed64(out, std::bit_cast<uint64_t>(v[exceptions_[j]]));
      }
      pack_.Encode(ints_, out, best_order);
      break;
    }
    case BlockValueEncoding::kRawBits:
      ints_.clear();
      for (double x : v) ints_.push_back(std::bit_cast<int64_t>(x));
      pack_.Encode(ints_, out, best_order);
      break;
    case BlockValueEncoding::kXor:
      out->append(xor_.bytes());
      break;
  }
  return best;
}

bool DecodeBlockTimestamps(std::span<const uint8_t> data, size_t n, int64_t* out) {
  if (n == 0 || n > kBlockChunkMaxSamples) return false;
  DeltaPackDecoder d(data, n);
  if (d.error() || d.NextBatch(out, n) != n) return false;
  for (size_t i = 1; i < n; ++i) {
    if (out[i] < out[i - 1]) return false;
  }
  return true;
}

BlockChunkIterator::BlockChunkIterator(size_t n, std::span<const uint8_t> timestamps,
                                       std::span<const uint8_t> values)
    : n_(n),
      timestamps_(timestamps, n),
      ints_(std::span<const uint8_t>(), 0),
      xor_in_(std::span<const uint8_t>()) {
  if (n == 0 || n > kBlockChunkMaxSamples || timestamps_.error()) {
    Fail();
    return;
  }
  InitValues(values);
}

BlockChunkIterator::BlockChunkIterator(std::span<const int64_t> timestamps,
                                       std::span<const uint8_t> values)
    : n_(timestamps.size()),
      decoded_t_(timestamps.data()),
      timestamps_(std::span<const uint8_t>(), 0),
      ints_(std::span<const uint8_t>(), 0),
      xor_in_(std::span<const uint8_t>()) {
  if (n_ == 0 || n_ > kBlockChunkMaxSamples) {
    Fail();
    return;
  }
  InitValues(values);
}

void BlockChunkIterator::InitValues(std::span<const uint8_t> values) {
  const size_t n = n_;
  ByteReader r(values);
  const uint8_t encoding = r.Byte();
  switch (encoding) {
    case static_cast<uint8_t>(BlockValueEncoding::kDecimalDivide):
    case static_cast<uint8_t>(BlockValueEncoding::kDecimalMultiply): {
      encoding_ = static_cast<BlockValueEncoding>(encoding);
      const uint8_t k = r.Byte();
      const uint64_t count = r.Uvarint();
      if (r.failed() || k > BlockChunkEncoder::kMaxDecimals || count > n) {
        Fail();
        return;
      }
      scale_ = encoding_ == BlockValueEncoding::kDecimalDivide ? kPow10[k] : kNegPow10[k];
      // Check every exception position (strictly increasing, below n) once, here.
      const size_t begin = r.pos();
      size_t next = 0;  // smallest position the next exception may have
      for (uint64_t j = 0; j < count; ++j) {
        const uint64_t gap = r.Uvarint();
        r.Fixed64();
        if (r.failed() || gap >= n - next) {
          Fail();
          return;
        }
        next += gap + 1;
      }
      exceptions_ = values.subspan(begin, r.pos() - begin);
      exceptions_left_ = count;
      next_exception_ = 0;  // the first gap is the position itself
      LoadException();
      ints_ = DeltaPackDecoder(r.rest(), n);
      if (ints_.error()) Fail();
      break;
    }
    case static_cast<uint8_t>(BlockValueEncoding::kRawBits):
      encoding_ = BlockValueEncoding::kRawBits;
      ints_ = DeltaPackDecoder(r.rest(), n);
      if (ints_.error()) Fail();
      break;
    case static_cast<uint8_t>(BlockValueEncoding::kXor):
      encoding_ = BlockValueEncoding::kXor;
      xor_in_ = BitReader(r.rest());
      break;
    default:
      Fail();
      return;
  }
}

void BlockChunkIterator::LoadException() {
  if (exceptions_left_ == 0) {
    next_exception_ = n_;
    return;
  }
  // Validated by the constructor: these reads stay inside exceptions_.
  ByteReader r(exceptions_);
  const uint64_t gap = r.Uvarint();
  exception_bits_ = r.Fixed64();
  exceptions_ = exceptions_.subspan(r.pos());
  next_exception_ += static_cast<size_t>(gap);  // counted from the position after the last one
  --exceptions_left_;
}

bool BlockChunkIterator::Next() {
  if (error_ || index_ >= n_) return false;
  int64_t t;
  if (decoded_t_ != nullptr) {
    t = decoded_t_[index_];
  } else {
    if (!timestamps_.Next(&t)) return Fail();
    if (index_ > 0 && t < t_) return Fail();
  }
  t_ = t;
  switch (encoding_) {
    case BlockValueEncoding::kDecimalDivide:
    case BlockValueEncoding::kDecimalMultiply: {
      int64_t m;
      if (!ints_.Next(&m)) return Fail();
      if (index_ == next_exception_) {
        bits_ = exception_bits_;
        ++next_exception_;  // the next gap counts from the position after this one
        LoadException();
      } else {
        const double v = encoding_ == BlockValueEncoding::kDecimalDivide
                             ? static_cast<double>(m) / scale_
                             : static_cast<double>(m) * scale_;
        bits_ = std::bit_cast<uint64_t>(v);
      }
      break;
    }
    case BlockValueEncoding::kRawBits: {
      int64_t m;
      if (!ints_.Next(&m)) return Fail();
      bits_ = static_cast<uint64_t>(m);
      break;
    }
    case BlockValueEncoding::kXor:
      if (!xor_.Read(xor_in_, &bits_)) return Fail();
      if (index_ + 1 == n_) {
        // Only one-bit padding to the byte boundary may follow the last value.
        const size_t rest = xor_in_.bits_remaining();
        if (rest >= 8 || xor_in_.ReadBits(static_cast<int>(rest)) != (uint64_t{1} << rest) - 1) {
          return Fail();
        }
      }
      break;
  }
  ++index_;
  return true;
}

size_t BlockChunkIterator::NextBatch(int64_t* t, double* v, size_t max) {
  if (error_ || index_ >= n_) return 0;
  const size_t n = std::min({max, kBatch, n_ - index_});
  if (decoded_t_ != nullptr) {
    if (t != nullptr) std::memcpy(t, decoded_t_ + index_, n * sizeof(int64_t));
  } else {
    if (timestamps_.NextBatch(t, n) != n) return Fail();
    int64_t prev = index_ > 0 ? t_ : t[0];
    for (size_t i = 0; i < n; ++i) {
      if (t[i] < prev) return Fail();
      prev = t[i];
    }
  }
  switch (encoding_) {
    case BlockValueEncoding::kDecimalDivide:
    case BlockValueEncoding::kDecimalMultiply: {
      int64_t m[kBatch];
      if (ints_.NextBatch(m, n) != n) return Fail();
      if (encoding_ == BlockValueEncoding::kDecimalDivide && scale_ == 1) {
        // Integers (k = 0, most counters): dividing by 1 is exact, so only convert.
        for (size_t i = 0; i < n; ++i) v[i] = static_cast<double>(m[i]);
      } else if (encoding_ == BlockValueEncoding::kDecimalDivide) {
        for (size_t i = 0; i < n; ++i) v[i] = static_cast<double>(m[i]) / scale_;
      } else {
        for (size_t i = 0; i < n; ++i) v[i] = static_cast<double>(m[i]) * scale_;
      }
      // Exceptions replace the scaled values at their positions.
      while (next_exception_ < index_ + n) {
        v[next_exception_ - index_] = std::bit_cast<double>(exception_bits_);
        ++next_exception_;  // the next gap counts from the position after this one
        LoadException();
      }
      break;
    }
    case BlockValueEncoding::kRawBits: {
      int64_t m[kBatch];
      if (ints_.NextBatch(m, n) != n) return Fail();
      for (size_t i = 0; i < n; ++i) v[i] = std::bit_cast<double>(m[i]);
      break;
    }
    case BlockValueEncoding::kXor:
      for (size_t i = 0; i < n; ++i) {
        uint64_t bits;
        if (!xor_.Read(xor_in_, &bits)) return Fail();
        v[i] = std::bit_cast<double>(bits);
      }
      if (index_ + n == n_) {
        // Only one-bit padding to the byte boundary may follow the last value.
        const size_t rest = xor_in_.bits_remaining();
        if (rest >= 8 || xor_in_.ReadBits(static_cast<int>(rest)) != (uint64_t{1} << rest) - 1) {
          return Fail();
        }
      }
      break;
  }
  t_ = decoded_t_ != nullptr ? decoded_t_[index_ + n - 1] : t[n - 1];
  index_ += n;
  bits_ = std::bit_cast<uint64_t>(v[n - 1]);
  return n;
}

}  // namespace strata::collector::hot
