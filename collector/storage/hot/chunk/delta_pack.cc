#include "collector/storage/hot/chunk/delta_pack.h"

#include <algorithm>
#include <bit>
#include <numeric>

#include "collector/storage/hot/chunk/byte_io.h"

namespace strata::collector::hot {
namespace {

constexpr uint8_t kOrderMask = 0x03;
constexpr uint8_t kMiniblocksFlag = 0x04;

// (a - b) / g for residuals a >= b (as int64), exact in uint64 because g divides a - b.
uint64_t Quotient(uint64_t a, uint64_t b, uint64_t g, int g_shift) {
  const uint64_t d = a - b;
  if (g_shift >= 0) return d >> g_shift;
  return d / g;
}

size_t Bytes(size_t bits) { return (bits + 7) / 8; }

}  // namespace

DeltaPackEncoder::Plan DeltaPackEncoder::PlanOrder(std::span<const int64_t> values, int order) {
  const size_t n = values.size();
  Plan plan;
  plan.order = order;
  plan.size = 1;  // flags
  const size_t firsts = std::min<size_t>(static_cast<size_t>(order), n);
  if (firsts >= 1) plan.size += UvarintSize(ZigZagEncode(values[0]));
  if (firsts >= 2) {
    plan.size += UvarintSize(ZigZagEncode(
        static_cast<int64_t>(static_cast<uint64_t>(values[1]) - static_cast<uint64_t>(values[0]))));
  }
  residuals_.clear();
  if (n <= firsts) return plan;
  // Residuals: differences of the requested order, modulo 2^64.
  residuals_.resize(n - firsts);
  const auto* x = reinterpret_cast<const uint64_t*>(values.data());
  uint64_t* r = residuals_.data();
  if (order == 0) {
    for (size_t i = 0; i < n; ++i) r[i] = x[i];
  } else if (order == 1) {
    for (size_t i = 1; i < n; ++i) r[i - 1] = x[i] - x[i - 1];
  } else {
    for (size_t i = 2; i < n; ++i) r[i - 2] = (x[i] - x[i - 1]) - (x[i - 1] - x[i - 2]);
  }
  // One pass for the extremes of all residuals and of each miniblock, one (usually cut short)
  // for their gcd.
  const size_t m = residuals_.size();
  int64_t min = static_cast<int64_t>(residuals_[0]);
  int64_t max = min;
  mb_min_.clear();
  mb_max_.clear();
  for (size_t begin = 0; begin < m; begin += kMiniblockSize) {
    const size_t end = std::min(m, begin + kMiniblockSize);
    int64_t lo = static_cast<int64_t>(residuals_[begin]);
    int64_t hi = lo;
    for (size_t i = begin + 1; i < end; ++i) {
      const int64_t r = static_cast<int64_t>(residuals_[i]);
      lo = std::min(lo, r);
      hi = std::max(hi, r);
    }
    mb_min_.push_back(static_cast<uint64_t>(lo));
    mb_max_.push_back(static_cast<uint64_t>(hi));
    min = std::min(min, lo);
    max = std::max(max, hi);
  }
  plan.min = static_cast<uint64_t>(min);
  plan.max = static_cast<uint64_t>(max);
  uint64_t g = 0;
  for (uint64_t r : residuals_) {
    g = std::gcd(g, r - plan.min);
    if (g == 1) break;
  }
  plan.gcd = g == 0 ? 1 : g;
  const int g_shift = std::has_single_bit(plan.gcd) ? std::countr_zero(plan.gcd) : -1;
  const size_t common = UvarintSize(ZigZagEncode(min)) + UvarintSize(plan.gcd);

  // One frame: as wide as the largest residual needs.
  const size_t one_frame =
      common + 1 +
      Bytes(m *
            static_cast<size_t>(std::bit_width(Quotient(plan.max, plan.min, plan.gcd, g_shift))));
  // Miniblocks: a header each, and each residual only as wide as its miniblock needs.
  size_t headers = 0;
  size_t bits = 0;
  for (size_t j = 0; j < mb_min_.size(); ++j) {
    const size_t count = std::min(kMiniblockSize, m - j * kMiniblockSize);
    headers += UvarintSize(Quotient(mb_min_[j], plan.min, plan.gcd, g_shift)) + 1;
    bits += count * static_cast<size_t>(
                        std::bit_width(Quotient(mb_max_[j], mb_min_[j], plan.gcd, g_shift)));
  }
  const size_t miniblocks = common + headers + Bytes(bits);
  plan.miniblocks = miniblocks < one_frame;
  plan.size += std::min(one_frame, miniblocks);
  return plan;
}

DeltaPackEncoder::Plan DeltaPackEncoder::Best(std::span<const int64_t> values) {
  Plan best = PlanOrder(values, 0);
  for (int order = 1; order <= 2; ++order) {
    Plan p = PlanOrder(values, order);
    if (p.size < best.size) best = p;
  }
  return best;
}

size_t DeltaPackEncoder::EncodedSize(std::span<const int64_t> values, int* order) {
  const Plan best = Best(values);
  if (order != nullptr) *order = best.order;
  return best.size;
}

void DeltaPackEncoder::Encode(std::span<const int64_t> values, std::string* out, int order) {
  if (order < 0 || order > 2) order = Best(values).order;
  const Plan plan = PlanOrder(values, order);  // refills residuals_ and the miniblock extremes
  const size_t start = out->size();
  out->push_back(static_cast<char>(plan.order | (plan.miniblocks ? kMiniblocksFlag : 0)));
  const size_t firsts = std::min<size_t>(static_cast<size_t>(plan.order), values.size());
  if (firsts >= 1) PutUvarint(out, ZigZagEncode(values[0]));
  if (firsts >= 2) {
    PutUvarint(out, ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(values[1]) -
                                                      static_cast<uint64_t>(values[0]))));
  }
  const size_t m = residuals_.size();
  if (m > 0) {
    PutUvarint(out, ZigZagEncode(static_cast<int64_t>(plan.min)));
    PutUvarint(out, plan.gcd);
    const int g_shift = std::has_single_bit(plan.gcd) ? std::countr_zero(plan.gcd) : -1;
    body_.Clear();
    if (!plan.miniblocks) {
      const int width = std::bit_width(Quotient(plan.max, plan.min, plan.gcd, g_shift));
      out->push_back(static_cast<char>(width));
      for (uint64_t r : residuals_)
        body_.WriteBits(Quotient(r, plan.min, plan.gcd, g_shift), width);
    } else {
      for (size_t j = 0; j < mb_min_.size(); ++j) {
        const size_t begin = j * kMiniblockSize;
        const size_t end = std::min(m, begin + kMiniblockSize);
        const uint64_t frame = mb_min_[j];
        const int width = std::bit_width(Quotient(mb_max_[j], frame, plan.gcd, g_shift));
        PutUvarint(out, Quotient(frame, plan.min, plan.gcd, g_shift));
        out->push_back(static_cast<char>(width));
        for (size_t i = begin; i < end; ++i) {
          body_.WriteBits(Quotient(residuals_[i], frame, plan.gcd, g_shift), width);
        }
      }
    }
    out->append(body_.bytes());
  }
  STRATA_DCHECK(out->size() - start == plan.size)
      << "planned " << plan.size << " wrote " << out->size() - start;
}

DeltaPackDecoder::DeltaPackDecoder(std::span<const uint8_t> data, size_t n)
    : data_(data), body_(std::span<const uint8_t>()), n_(n) {
  ByteReader r(data);
  const uint8_t flags = r.Byte();
  if (n > kMaxValues) {
    Fail();
    return;
  }
  order_ = flags & kOrderMask;
  miniblocks_ = (flags & kMiniblocksFlag) != 0;
  if (r.failed() || order_ == 3 || (flags & ~(kOrderMask | kMiniblocksFlag)) != 0) {
    Fail();
    return;
  }
  const size_t firsts = std::min<size_t>(static_cast<size_t>(order_), n);
  for (size_t i = 0; i < firsts; ++i) first_[i] = static_cast<uint64_t>(ZigZagDecode(r.Uvarint()));
  const size_t m = n - firsts;
  size_t bits = 0;
  if (m > 0) {
    min_ = static_cast<uint64_t>(ZigZagDecode(r.Uvarint()));
    gcd_ = r.Uvarint();
    if (gcd_ == 0) {
      Fail();
      return;
    }
    if (!miniblocks_) {
      width_ = r.Byte();
      frame_min_ = min_;
      in_miniblock_ = m;
      if (width_ > 64) {
        Fail();
        return;
      }
      bits = m * static_cast<size_t>(width_);
    } else {
      headers_pos_ = r.pos();
      for (size_t begin = 0; begin < m && !r.failed(); begin += DeltaPackEncoder::kMiniblockSize) {
        r.Uvarint();
        const uint8_t width = r.Byte();
        if (width > 64) {
          Fail();
          return;
        }
        bits += std::min(m - begin, DeltaPackEncoder::kMiniblockSize) * width;
      }
    }
  }
  // The body is exactly the packed bits plus one-bit padding to the byte boundary.
  if (r.failed() || r.remaining() != Bytes(bits)) {
    Fail();
    return;
  }
  const std::span<const uint8_t> body = r.rest();
  if (bits % 8 != 0) {
    const unsigned pad = 8 - static_cast<unsigned>(bits % 8);
    const unsigned mask = (1u << pad) - 1;
    if ((body.back() & mask) != mask) {
      Fail();
      return;
    }
  }
  body_ = BitReader(body);
}

void DeltaPackDecoder::NextMiniblock() {
  ByteReader r(data_.subspan(headers_pos_));
  const uint64_t q = r.Uvarint();
  width_ = r.Byte();
  headers_pos_ += r.pos();
  frame_min_ = min_ + q * gcd_;
  in_miniblock_ = DeltaPackEncoder::kMiniblockSize;
}

bool DeltaPackDecoder::Next(int64_t* value) {
  if (error_ || index_ >= n_) return false;
  uint64_t x;
  if (index_ < static_cast<size_t>(order_)) {
    if (index_ == 0) {
      x = first_[0];
    } else {
      delta_ = first_[1];
      x = prev_ + delta_;
    }
  } else {
    if (in_miniblock_ == 0) NextMiniblock();  // only with miniblocks: one frame never runs out
    --in_miniblock_;
    const uint64_t r = frame_min_ + body_.ReadBits(width_) * gcd_;
    if (order_ == 0) {
      x = r;
    } else if (order_ == 1) {
      x = prev_ + r;
    } else {
      delta_ += r;
      x = prev_ + delta_;
    }
  }
  prev_ = x;
  ++index_;
  *value = static_cast<int64_t>(x);
  return true;
}

size_t DeltaPackDecoder::NextBatch(int64_t* out, size_t max) {
  size_t k = 0;
  // The first `order` values are stored whole.
  while (k < max && index_ < static_cast<size_t>(order_) && Next(&out[k])) ++k;
  if (error_) return k;
  uint64_t prev = prev_;
  uint64_t delta = delta_;
  while (k < max && index_ < n_) {
    if (in_miniblock_ == 0) NextMiniblock();
    const size_t run = std::min({in_miniblock_, max - k, n_ - index_});
    const int width = width_;
    const uint64_t base = frame_min_;
    const uint64_t gcd = gcd_;
    // Unpacked and turned into values in one pass (the reader inlines each lambda).
    uint64_t* const r = reinterpret_cast<uint64_t*>(out + k);
    switch (order_) {
      case 0:
        body_.ReadBitsEach(width, run, [&](size_t i, uint64_t x) { r[i] = base + x * gcd; });
        if (run > 0) prev = r[run - 1];
        break;
      case 1:
        body_.ReadBitsEach(width, run, [&](size_t i, uint64_t x) {
          prev += base + x * gcd;
          r[i] = prev;
        });
        break;
      default:
        body_.ReadBitsEach(width, run, [&](size_t i, uint64_t x) {
          delta += base + x * gcd;
          prev += delta;
          r[i] = prev;
        });
        break;
    }
    in_miniblock_ -= run;
    index_ += run;
    k += run;
  }
  prev_ = prev;
  delta_ = delta;
  return k;
}

}  // namespace strata::collector::hot
