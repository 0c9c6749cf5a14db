#pragma once

// PackedLabels: a label set stored as one heap block: the head's per-series copy of its labels,
// and the agent-stream series-ref table's (common/wire/batch_codec.h).
//
// A Labels block (labels.h) holds a reference count, the series id and a 4-byte offset per name
// and value, for O(1) indexing and sharing: about 160 bytes for a node_exporter series. The head
// keeps one label set per series for its whole life and needs none of that, so it stores them
// tighter: 8 bytes for the pointer and one block of
//   uvarint payload length, uvarint label count,
//   per label (sorted by name): uvarint name length, name, uvarint value length, value
// which is about 100 bytes for the same series. Lookups compare against the packed bytes
// directly; queries materialize a Labels (ToLabels) only for the series they return.
//
// Threads: immutable after construction; safe to read from any thread.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/model/labels.h"

namespace strata::common {

class PackedLabels {
 public:
  PackedLabels() = default;
  explicit PackedLabels(const Labels& labels);
  // `canonical` as IsCanonical: sorted, unique names, no empty value.
  explicit PackedLabels(std::span<const LabelView> canonical);

  PackedLabels(PackedLabels&&) = default;
  PackedLabels& operator=(PackedLabels&&) = default;

  Labels ToLabels() const;
  bool Equals(const Labels& labels) const;
  bool Equals(std::span<const LabelView> canonical) const;
  // The value of __name__, or "" when absent.
  std::string_view MetricName() const;
  size_t size() const;
  // Starts loading the packed bytes into the cache (a lookup about to compare them).
  void Prefetch() const { __builtin_prefetch(data_.get()); }
  // Heap bytes held (for memory accounting and tests).
  size_t PackedBytes() const;

  // Calls fn(name, value) for each label in name order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (!data_) return;
    Reader r(data_.get());
    const uint64_t count = r.Varint();
    for (uint64_t i = 0; i < count; ++i) {
      const std::string_view name = r.String();
      const std::string_view value = r.String();
      fn(name, value);
    }
  }

 private:
  // Reads the packed form; the writer produced it, so it is trusted.
  class Reader {
   public:
    explicit Reader(const uint8_t* p) : p_(p) { Varint(); /* skip the payload length */ }
    uint64_t Varint() {
      uint64_t v = 0;
      for (int shift = 0;; shift += 7) {
        const uint8_t b = *p_++;
        v |= uint64_t{b & 0x7fu} << shift;
        if (b < 0x80) return v;
      }
    }
    std::string_view String() {
      const auto n = static_cast<size_t>(Varint());
      std::string_view s(reinterpret_cast<const char*>(p_), n);
      p_ += n;
      return s;
    }

   private:
    const uint8_t* p_;
  };

  template <typename Range>
  void Pack(const Range& labels, size_t count);
  template <typename Range>
  bool EqualsRange(const Range& labels, size_t count) const;

  std::unique_ptr<uint8_t[]> data_;
};

}  // namespace strata::common
