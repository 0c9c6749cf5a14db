#include "collector/storage/hot/chunk/xor_chunk.h"

#include <bit>
#include <limits>

namespace strata::collector::hot {
namespace {

// A new window costs 12 bits more than reusing one of the same width ('11' + 6 + 6 vs '10').
constexpr int kNewWindowOverheadBits = 12;

bool FitsSigned(int64_t v, int bits) {
  const int64_t lo = -(int64_t{1} << (bits - 1));
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  return v >= lo && v <= hi;
}

// Sign-extends the low `bits` bits of `u` (1 <= bits < 64).
int64_t SignExtend(uint64_t u, int bits) {
  const int shift = 64 - bits;
  return static_cast<int64_t>(u << shift) >> shift;
}

}  // namespace

XorChunkAppender::XorChunkAppender() {
  writer_.WriteBits(0, 16);  // sample count, patched by Append
}

bool XorChunkAppender::Append(int64_t t, double v) {
  if (num_samples_ >= kMaxSamples) return false;
  if (num_samples_ > 0 && t < last_t_) return false;
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  // Unsigned subtraction: exact for t >= last_t_ even across the whole int64 range.
  const uint64_t delta = static_cast<uint64_t>(t) - static_cast<uint64_t>(last_t_);
  if (num_samples_ == 0) {
    writer_.WriteUvarint(ZigZagEncode(t));
    first_t_ = t;
  } else if (num_samples_ == 1) {
    writer_.WriteUvarint(delta);
  } else {
    WriteDod(static_cast<int64_t>(delta - last_delta_));
  }
  values_.Write(writer_, bits);  // the first value raw, then value codes
  last_delta_ = delta;
  last_t_ = t;
  ++num_samples_;
  writer_.OverwriteByte(0, static_cast<uint8_t>(num_samples_ >> 8));
  writer_.OverwriteByte(1, static_cast<uint8_t>(num_samples_));
  return true;
}

void XorChunkAppender::WriteDod(int64_t dod) {
  const uint64_t u = static_cast<uint64_t>(dod);
  if (dod == 0) {
    writer_.WriteBit(false);
  } else if (FitsSigned(dod, 5)) {
    writer_.WriteBits((uint64_t{0b10} << 5) | (u & 0x1f), 2 + 5);
  } else if (FitsSigned(dod, 9)) {
    writer_.WriteBits((uint64_t{0b110} << 9) | (u & 0x1ff), 3 + 9);
  } else if (FitsSigned(dod, 17)) {
    writer_.WriteBits((uint64_t{0b1110} << 17) | (u & 0x1ffff), 4 + 17);
  } else if (FitsSigned(dod, 32)) {
    writer_.WriteBits((uint64_t{0b11110} << 32) | (u & 0xffffffff), 5 + 32);
  } else {
    writer_.WriteBits(0b11111, 5);
    writer_.WriteBits(u, 64);
  }
}

void XorValueWriter::Write(BitWriter& out, uint64_t bits) {
  if (first_) {
    out.WriteBits(bits, 64);
    first_ = false;
    last_ = bits;
    return;
  }
  const uint64_t x = bits ^ last_;
  last_ = bits;
  if (x == 0) {
    out.WriteBit(false);
    return;
  }
  const int leading = std::countl_zero(x);
  const int trailing = std::countr_zero(x);
  const int significant = 64 - leading - trailing;
  const int window_trailing = 64 - window_leading_ - window_bits_;
  // Reuse the window when x fits in it and that is no dearer than a new, tight window. Always
  // reusing (as in the paper) lets one wide XOR inflate every later sample; always re-opening
  // pays 12 bits each time. Choosing the cheaper code per sample is never worse for this sample.
  if (leading >= window_leading_ && trailing >= window_trailing &&
      window_bits_ <= significant + kNewWindowOverheadBits) {
    out.WriteBits(0b10, 2);
    out.WriteBits(x >> window_trailing, window_bits_);
    return;
  }
  // '11', 6-bit leading, 6-bit significant count (64 wraps to 0).
  out.WriteBits((uint64_t{0b11} << 12) | (static_cast<uint64_t>(leading) << 6) |
                    (static_cast<uint64_t>(significant) & 63),
                14);
  out.WriteBits(x >> trailing, significant);
  window_leading_ = leading;
  window_bits_ = significant;
}

XorChunkIterator::XorChunkIterator(std::span<const uint8_t> chunk) : reader_(chunk) {
  count_ = static_cast<size_t>(reader_.ReadBits(16));
  // A short header, or an empty chunk with bytes after its header, is malformed.
  if (reader_.error() || (count_ == 0 && reader_.bits_remaining() > 0)) {
    count_ = 0;
    error_ = true;
  }
}

bool XorChunkIterator::ReadDod(uint64_t* dod) {
  // Unary bucket prefix: the number of leading 1s (up to 4 before the fixed 64-bit bucket).
  static constexpr int kBucketBits[] = {5, 9, 17, 32};
  if (!reader_.ReadBit()) {
    *dod = 0;
    return true;
  }
  for (int bits : kBucketBits) {
    if (!reader_.ReadBit()) {
      *dod = static_cast<uint64_t>(SignExtend(reader_.ReadBits(bits), bits));
      return !reader_.error();
    }
  }
  *dod = reader_.ReadBits(64);
  return !reader_.error();
}

bool XorValueReader::Read(BitReader& in, uint64_t* bits) {
  if (first_) {
    first_ = false;
    value_ = in.ReadBits(64);
  } else if (in.ReadBit()) {
    if (in.ReadBit()) {
      const uint64_t header = in.ReadBits(12);
      const int leading = static_cast<int>(header >> 6);
      int significant = static_cast<int>(header & 63);
      if (significant == 0) significant = 64;
      if (leading + significant > 64) return false;
      window_leading_ = leading;
      window_bits_ = significant;
    }
    const uint64_t x = in.ReadBits(window_bits_);
    value_ ^= x << (64 - window_leading_ - window_bits_);
  }
  *bits = value_;
  return !in.error();
}

bool XorChunkIterator::Next() {
  if (error_ || index_ >= count_) return false;
  uint64_t delta = 0;
  if (index_ == 0) {
    t_ = ZigZagDecode(reader_.ReadUvarint());
    if (reader_.error() || !values_.Read(reader_, &value_)) return Fail();
  } else {
    if (index_ == 1) {
      delta = reader_.ReadUvarint();
      if (reader_.error()) return Fail();
    } else {
      uint64_t dod = 0;
      if (!ReadDod(&dod)) return Fail();
      delta = delta_ + dod;
    }
    // The timestamp may not decrease, i.e. t_ + delta must not pass INT64_MAX. The headroom
    // INT64_MAX - t_ is in [0, 2^64) and so exact in uint64.
    const uint64_t headroom =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - static_cast<uint64_t>(t_);
    if (delta > headroom) return Fail();
    t_ = static_cast<int64_t>(static_cast<uint64_t>(t_) + delta);
    delta_ = delta;
    if (!values_.Read(reader_, &value_)) return Fail();
  }
  ++index_;
  if (index_ == count_) {
    // Only padding (one bits to the byte boundary) may follow the last sample. Every sample
    // code shorter than 8 bits contains a zero bit, so a count that is too low is caught here;
    // one that is too high makes the next read run past the end.
    const size_t rest = reader_.bits_remaining();
    if (rest >= 8 || reader_.ReadBits(static_cast<int>(rest)) != (uint64_t{1} << rest) - 1) {
      return Fail();
    }
  }
  return true;
}

}  // namespace strata::collector::hot
