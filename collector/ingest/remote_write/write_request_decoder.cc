#include "collector/ingest/remote_write/write_request_decoder.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace strata::collector::ingest {
namespace {

enum WireType : uint32_t { kVarint = 0, kI64 = 1, kLen = 2, kI32 = 5 };

// A bounded reader over protobuf wire bytes. Every read checks the remaining length first.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool done() const { return p_ == end_; }

  bool ReadVarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }

  bool ReadFixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    uint64_t x;
    std::memcpy(&x, p_, 8);
    if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
    *v = x;
    p_ += 8;
    return true;
  }

  bool ReadLen(std::string_view* v) {
    uint64_t n;
    if (!ReadVarint(&n)) return false;
    if (n > static_cast<uint64_t>(end_ - p_)) return false;
    *v = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }

  bool Skip(uint32_t wire_type) {
    uint64_t ignored;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case kVarint:
        return ReadVarint(&ignored);
      case kI64:
        return ReadFixed64(&ignored);
      case kLen:
        return ReadLen(&ignored_bytes);
      case kI32:
        if (end_ - p_ < 4) return false;
        p_ += 4;
        return true;
      default:
        return false;  // groups (3, 4) and the undefined types 6, 7
    }
  }

  // Reads a tag; false on malformed input: field number 0, or a tag that does not fit 32 bits
  // (at most 5 bytes), which libprotobuf refuses as well.
  bool ReadTag(uint32_t* field, uint32_t* wire_type) {
    uint64_t tag = 0;
    for (int i = 0;; ++i) {
      if (i == 5 || p_ == end_) return false;
      const uint8_t b = *p_++;
      tag |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) break;
    }
    if (tag > std::numeric_limits<uint32_t>::max()) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<uint32_t>(tag & 7);
    return *field != 0;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// True when `bytes` is a well-formed sequence of fields (contents not interpreted): how a
// message we only count (MetricMetadata) is checked, so malformed ones fail as in libprotobuf.
bool IsWellFormedMessage(std::string_view bytes) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.ReadTag(&field, &wt) || !r.Skip(wt)) return false;
  }
  return true;
}

bool DecodeLabel(std::string_view bytes, common::LabelView* out) {
  WireReader r(bytes);
  *out = {};
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.ReadTag(&field, &wt)) return false;
    if (field == 1 && wt == kLen) {
      if (!r.ReadLen(&out->name)) return false;
    } else if (field == 2 && wt == kLen) {
      if (!r.ReadLen(&out->value)) return false;
    } else if (!r.Skip(wt)) {
      return false;
    }
  }
  return true;
}

bool DecodeSample(std::string_view bytes, common::Sample* out) {
  WireReader r(bytes);
  *out = common::Sample{0, 0.0};
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.ReadTag(&field, &wt)) return false;
    if (field == 1 && wt == kI64) {
      uint64_t bits;
      if (!r.ReadFixed64(&bits)) return false;
      out->value = std::bit_cast<double>(bits);
    } else if (field == 2 && wt == kVarint) {
      uint64_t v;
      if (!r.ReadVarint(&v)) return false;
      out->timestamp_ms = static_cast<int64_t>(v);
    } else if (!r.Skip(wt)) {
      return false;
    }
  }
  return true;
}

bool DecodeSeries(std::string_view bytes, DecodedWriteRequest* out, std::string* error) {
  WireReader r(bytes);
  DecodedSeries series;
  series.labels_begin = static_cast<uint32_t>(out->labels.size());
  series.samples_begin = static_cast<uint32_t>(out->samples.size());
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.ReadTag(&field, &wt)) {
      *error = "bad field tag in TimeSeries";
      return false;
    }
    if (wt == kLen && field >= 1 && field <= 4) {
      std::string_view value;
      if (!r.ReadLen(&value)) {
        *error = "truncated field in TimeSeries";
        return false;
      }
      switch (field) {
        case 1: {
          common::LabelView label;
          if (!DecodeLabel(value, &label)) {
            *error = "malformed Label";
            return false;
          }
          out->labels.push_back(label);
          break;
        }
        case 2: {
          common::Sample sample;
          if (!DecodeSample(value, &sample)) {
            *error = "malformed Sample";
            return false;
          }
          out->samples.push_back(sample);
          break;
        }
        case 3:
          ++series.exemplars;
          break;
        default:
          ++series.histograms;
          break;
      }
    } else if (!r.Skip(wt)) {
      *error = "malformed unknown field in TimeSeries";
      return false;
    }
  }
  series.labels_count = static_cast<uint32_t>(out->labels.size()) - series.labels_begin;
  series.samples_count = static_cast<uint32_t>(out->samples.size()) - series.samples_begin;
  out->series.push_back(series);
  return true;
}

}  // namespace

bool DecodeWriteRequest(std::string_view bytes, DecodedWriteRequest* out, std::string* error) {
  out->Clear();
  // Views and counts are 32-bit; a request this size is refused long before (413).
  if (bytes.size() > std::numeric_limits<uint32_t>::max()) {
    *error = "request too large";
    return false;
  }
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.ReadTag(&field, &wt)) {
      *error = "bad field tag in WriteRequest";
      return false;
    }
    if (wt == kLen && (field == 1 || field == 3)) {
      std::string_view value;
      if (!r.ReadLen(&value)) {
        *error = "truncated field in WriteRequest";
        return false;
      }
      if (field == 1) {
        if (!DecodeSeries(value, out, error)) return false;
      } else {
        if (!IsWellFormedMessage(value)) {
          *error = "malformed MetricMetadata";
          return false;
        }
        ++out->metadata;
      }
    } else if (!r.Skip(wt)) {
      *error = "malformed unknown field in WriteRequest";
      return false;
    }
  }
  return true;
}

}  // namespace strata::collector::ingest
