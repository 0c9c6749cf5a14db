#pragma once

// TimestampCache: decoded timestamp columns of one block, kept by a cursor reading many series.
// The block writer stores a timestamps record once for every chunk with the same timestamps
// (all series of one scrape target, FORMAT.md "Blocks"), so a query over e.g. every CPU mode of
// every host meets each record many times; with the cache it decodes (and checksums) it once.
//
// Bounded: when the cached samples would exceed `max_samples`, the cache starts over empty.
// Keys are record offsets inside one block's chunks file: one cache per block and cursor. Not
// thread-safe (a cursor is used by one thread at a time).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace strata::collector::hot {

class TimestampCache {
 public:
  static constexpr size_t kDefaultMaxSamples = size_t{1} << 18;  // 2 MiB of timestamps

  explicit TimestampCache(size_t max_samples = kDefaultMaxSamples) : max_samples_(max_samples) {}

  // The column of the record at `offset`, or null when it is not cached.
  const std::vector<int64_t>* Find(uint64_t offset) const {
    auto it = columns_.find(offset);
    return it == columns_.end() ? nullptr : &it->second;
  }

  // Room for the n timestamps of the record at `offset`, to be filled by the caller; returns
  // null (nothing cached) when n alone exceeds the bound. The pointer is valid until the next
  // Insert. A caller that fails to fill it must Erase(offset).
  std::vector<int64_t>* Insert(uint64_t offset, size_t n);
  void Erase(uint64_t offset);

  size_t samples() const { return samples_; }
  size_t columns() const { return columns_.size(); }

 private:
  const size_t max_samples_;
  size_t samples_ = 0;
  absl::flat_hash_map<uint64_t, std::vector<int64_t>> columns_;
};

}  // namespace strata::collector::hot
