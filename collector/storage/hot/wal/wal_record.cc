#include "collector/storage/hot/wal/wal_record.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace strata::collector::hot {
namespace {

void PutUvarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Zigzag over the wrapping difference, so any two uint64 refs or int64 timestamps round-trip
// without signed overflow.
void PutDelta(uint64_t cur, uint64_t prev, std::string* out) {
  const auto d = static_cast<int64_t>(cur - prev);
  PutUvarint((static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63), out);
}

void PutString(std::string_view s, std::string* out) {
  PutUvarint(s.size(), out);
  out->append(s);
}

class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  size_t remaining() const { return in_.size() - pos_; }
  size_t pos() const { return pos_; }

  bool Uvarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return false;
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      // The 10th byte may only contribute the top bit.
      if (shift == 63 && b > 1) return false;
      result |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  bool Delta(uint64_t prev, uint64_t* v) {
    uint64_t z = 0;
    if (!Uvarint(&z)) return false;
    const uint64_t d = (z >> 1) ^ (~(z & 1) + 1);
    *v = prev + d;
    return true;
  }

  bool Bytes(size_t n, std::string_view* out) {
    if (n > remaining()) return false;
    *out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  bool String(std::string* out) {
    uint64_t n = 0;
    std::string_view b;
    if (!Uvarint(&n) || n > remaining() || !Bytes(static_cast<size_t>(n), &b)) return false;
    out->assign(b);
    return true;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

absl::Status Corrupt(const char* what, const Decoder& d) {
  return absl::InvalidArgumentError(
      absl::StrCat("wal record: ", what, " at payload offset ", d.pos()));
}

// Smallest encodings, used to bound counts by the bytes left before reserving.
constexpr size_t kMinSeriesEntryBytes = 2;   // ref delta + label count
constexpr size_t kMinLabelBytes = 4;         // two lengths + one byte each
constexpr size_t kMinSampleEntryBytes = 10;  // two one-byte deltas + 8 value bytes
constexpr size_t kMinChunkEntryBytes = 2;    // ref delta + length (an empty chunk)
constexpr size_t kMinColumnsEntryBytes = 4;  // ref delta, count, timestamps source, values length

}  // namespace

void EncodeSeries(std::span<const WalSeries> series, std::string* out) {
  PutUvarint(series.size(), out);
  uint64_t prev = 0;
  for (const WalSeries& s : series) {
    PutDelta(s.ref, prev, out);
    prev = s.ref;
    PutUvarint(s.labels.size(), out);
    for (const auto& l : s.labels) {
      PutString(l.name, out);
      PutString(l.value, out);
    }
  }
}

void EncodeSamples(std::span<const WalSample> samples, std::string* out) {
  PutUvarint(samples.size(), out);
  uint64_t prev_ref = 0;
  uint64_t prev_t = 0;
  for (const WalSample& s : samples) {
    PutDelta(s.ref, prev_ref, out);
    PutDelta(static_cast<uint64_t>(s.timestamp_ms), prev_t, out);
    prev_ref = s.ref;
    prev_t = static_cast<uint64_t>(s.timestamp_ms);
    const auto bits = std::bit_cast<uint64_t>(s.value);
    char buf[8];
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((bits >> (8 * i)) & 0xff);
    out->append(buf, sizeof(buf));
  }
}

void EncodeChunks(std::span<const WalChunk> chunks, std::string* out) {
  PutUvarint(chunks.size(), out);
  uint64_t prev = 0;
  for (const WalChunk& c : chunks) {
    PutDelta(c.ref, prev, out);
    prev = c.ref;
    PutString(c.data, out);
  }
}

void EncodeColumns(std::span<const WalColumns> entries, std::string* out) {
  PutUvarint(entries.size(), out);
  // Inline timestamps seen so far in this call -> entry index.
  absl::flat_hash_map<std::string_view, size_t> inline_timestamps;
  uint64_t prev = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const WalColumns& e = entries[i];
    PutDelta(e.ref, prev, out);
    prev = e.ref;
    PutUvarint(e.num_samples, out);
    // The sample count is not part of the timestamps bytes (a constant column may take none per
    // sample), so a reference also needs an equal count.
    auto [it, inserted] = inline_timestamps.try_emplace(e.timestamps, i);
    if (!inserted && entries[it->second].num_samples == e.num_samples) {
      PutUvarint(it->second + 1, out);
    } else {
      PutUvarint(0, out);
      PutString(e.timestamps, out);
    }
    PutString(e.values, out);
  }
}

absl::Status DecodeSeries(std::string_view payload, std::vector<WalSeries>* out) {
  out->clear();
  Decoder d(payload);
  uint64_t count = 0;
  if (!d.Uvarint(&count)) return Corrupt("truncated series count", d);
  if (count > d.remaining() / kMinSeriesEntryBytes) return Corrupt("series count too large", d);
  out->reserve(static_cast<size_t>(count));
  uint64_t prev = 0;
  std::vector<common::Label> labels;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t ref = 0;
    if (!d.Delta(prev, &ref)) return Corrupt("truncated series ref", d);
    prev = ref;
    uint64_t n = 0;
    if (!d.Uvarint(&n)) return Corrupt("truncated label count", d);
    if (n > d.remaining() / kMinLabelBytes) return Corrupt("label count too large", d);
    labels.clear();
    labels.reserve(static_cast<size_t>(n));
    for (uint64_t j = 0; j < n; ++j) {
      common::Label l;
      if (!d.String(&l.name) || !d.String(&l.value)) return Corrupt("truncated label", d);
      if (l.name.empty() || l.value.empty()) return Corrupt("empty label name or value", d);
      if (!labels.empty() && labels.back().name >= l.name) {
        return Corrupt("labels not strictly sorted by name", d);
      }
      labels.push_back(std::move(l));
    }
    // Already sorted and unique, so FromUnsorted keeps every pair as decoded.
    out->push_back({ref, common::Labels::FromUnsorted(std::move(labels))});
    labels = {};
  }
  if (d.remaining() != 0) return Corrupt("trailing bytes", d);
  return absl::OkStatus();
}

absl::Status DecodeSamples(std::string_view payload, std::vector<WalSample>* out) {
  out->clear();
  Decoder d(payload);
  uint64_t count = 0;
  if (!d.Uvarint(&count)) return Corrupt("truncated sample count", d);
  if (count > d.remaining() / kMinSampleEntryBytes) return Corrupt("sample count too large", d);
  out->reserve(static_cast<size_t>(count));
  uint64_t prev_ref = 0;
  uint64_t prev_t = 0;
  for (uint64_t i = 0; i < count; ++i) {
    WalSample s;
    uint64_t t = 0;
    std::string_view bits;
    if (!d.Delta(prev_ref, &s.ref) || !d.Delta(prev_t, &t) || !d.Bytes(8, &bits)) {
      return Corrupt("truncated sample", d);
    }
    prev_ref = s.ref;
    prev_t = t;
    s.timestamp_ms = static_cast<int64_t>(t);
    uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = v << 8 | static_cast<uint8_t>(bits[b]);
    s.value = std::bit_cast<double>(v);
    out->push_back(s);
  }
  if (d.remaining() != 0) return Corrupt("trailing bytes", d);
  return absl::OkStatus();
}

absl::Status DecodeChunks(std::string_view payload, std::vector<WalChunk>* out) {
  out->clear();
  Decoder d(payload);
  uint64_t count = 0;
  if (!d.Uvarint(&count)) return Corrupt("truncated chunk count", d);
  if (count > d.remaining() / kMinChunkEntryBytes) return Corrupt("chunk count too large", d);
  out->reserve(static_cast<size_t>(count));
  uint64_t prev = 0;
  for (uint64_t i = 0; i < count; ++i) {
    WalChunk c;
    uint64_t n = 0;
    if (!d.Delta(prev, &c.ref) || !d.Uvarint(&n)) return Corrupt("truncated chunk entry", d);
    prev = c.ref;
    if (n > d.remaining() || !d.Bytes(static_cast<size_t>(n), &c.data)) {
      return Corrupt("truncated chunk", d);
    }
    out->push_back(c);
  }
  if (d.remaining() != 0) return Corrupt("trailing bytes", d);
  return absl::OkStatus();
}

absl::Status DecodeColumns(std::string_view payload, std::vector<WalColumns>* out) {
  out->clear();
  Decoder d(payload);
  uint64_t count = 0;
  if (!d.Uvarint(&count)) return Corrupt("truncated entry count", d);
  if (count > d.remaining() / kMinColumnsEntryBytes) return Corrupt("entry count too large", d);
  out->reserve(static_cast<size_t>(count));
  uint64_t prev = 0;
  std::vector<bool> is_inline;
  is_inline.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    WalColumns e;
    uint64_t n = 0, source = 0, len = 0;
    if (!d.Delta(prev, &e.ref) || !d.Uvarint(&n) || !d.Uvarint(&source)) {
      return Corrupt("truncated columns entry", d);
    }
    prev = e.ref;
    if (n == 0 || n > 0xffffffffu) return Corrupt("bad sample count", d);
    e.num_samples = static_cast<uint32_t>(n);
    if (source == 0) {
      if (!d.Uvarint(&len) || len > d.remaining() ||
          !d.Bytes(static_cast<size_t>(len), &e.timestamps)) {
        return Corrupt("truncated timestamps", d);
      }
    } else {
      if (source > i || !is_inline[static_cast<size_t>(source - 1)]) {
        return Corrupt("timestamps reference to a later or non-inline entry", d);
      }
      const WalColumns& from = (*out)[static_cast<size_t>(source - 1)];
      if (from.num_samples != e.num_samples) {
        return Corrupt("timestamps reference with a different sample count", d);
      }
      e.timestamps = from.timestamps;
    }
    if (!d.Uvarint(&len) || len > d.remaining() || !d.Bytes(static_cast<size_t>(len), &e.values)) {
      return Corrupt("truncated values", d);
    }
    is_inline.push_back(source == 0);
    out->push_back(e);
  }
  if (d.remaining() != 0) return Corrupt("trailing bytes", d);
  return absl::OkStatus();
}

}  // namespace strata::collector::hot
