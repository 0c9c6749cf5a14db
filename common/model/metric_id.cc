#include "common/model/metric_id.h"

#include <xxhash.h>

#include <string>

namespace strata::common {
namespace {

constexpr char kValueEnd = '\xff';
constexpr char kNameEnd = '\xfe';

// Keys longer than this are hashed but the buffer is released afterwards, so one hostile label set
// does not pin memory on the thread.
constexpr size_t kRetainedKeyBytes = 64 * 1024;

// Builds the key (see metric_id.h) from pairs given in label-name order and hashes it.
template <typename Range>
uint64_t HashKey(std::string_view metric_name, const Range& pairs) {
  thread_local std::string key;
  key.clear();
  key.append(metric_name);
  key.push_back(kValueEnd);
  for (const auto& l : pairs) {
    if (l.name == kMetricNameLabel) continue;
    key.append(l.name);
    key.push_back(kNameEnd);
    key.append(l.value);
    key.push_back(kValueEnd);
  }
  const uint64_t id = XXH3_64bits(key.data(), key.size());
  if (key.capacity() > kRetainedKeyBytes) std::string().swap(key);
  return id;
}

std::string_view MetricNameOf(std::span<const LabelView> canonical) {
  for (const LabelView& l : canonical) {
    if (l.name == kMetricNameLabel) return l.value;
    if (l.name > kMetricNameLabel) break;  // sorted: it is not there
  }
  return {};
}

}  // namespace

uint64_t MetricId(const Labels& labels) {
  if (labels.rep_ == nullptr) return HashKey(labels.MetricName(), labels);
  // Copies share the block, so the id is computed once per series however often it is asked.
  // Racing threads compute the same value; 0 (one id in 2^64) is just never cached.
  uint64_t id = labels.rep_->metric_id.load(std::memory_order_relaxed);
  if (id != 0) return id;
  id = HashKey(labels.MetricName(), labels);
  labels.rep_->metric_id.store(id, std::memory_order_relaxed);
  return id;
}

uint64_t MetricId(std::span<const LabelView> canonical) {
  return HashKey(MetricNameOf(canonical), canonical);
}

}  // namespace strata::common
