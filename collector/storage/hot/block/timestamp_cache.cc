#include "collector/storage/hot/block/timestamp_cache.h"

namespace strata::collector::hot {

std::vector<int64_t>* TimestampCache::Insert(uint64_t offset, size_t n) {
  if (n > max_samples_) return nullptr;
  if (samples_ + n > max_samples_) {
    columns_.clear();
    samples_ = 0;
  }
  auto [it, inserted] = columns_.try_emplace(offset);
  if (!inserted) samples_ -= it->second.size();
  it->second.resize(n);
  samples_ += n;
  return &it->second;
}

void TimestampCache::Erase(uint64_t offset) {
  auto it = columns_.find(offset);
  if (it == columns_.end()) return;
  samples_ -= it->second.size();
  columns_.erase(it);
}

}  // namespace strata::collector::hot
