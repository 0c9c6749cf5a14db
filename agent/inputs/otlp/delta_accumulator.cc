#include "agent/inputs/otlp/delta_accumulator.h"

namespace strata::agent::otlp {

DeltaAccumulator::Entry* DeltaAccumulator::Find(const std::string& series, int64_t now_ms) {
  auto it = entries_.find(series);
  if (it == entries_.end()) {
    if (entries_.size() >= max_series_) return nullptr;
    it = entries_.emplace(series, Entry{}).first;
  }
  it->second.last_ms = now_ms;
  return &it->second;
}

std::optional<double> DeltaAccumulator::AddSum(const std::string& series, double delta,
                                               int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* e = Find(series, now_ms);
  if (e == nullptr) return std::nullopt;
  e->sum += delta;
  return e->sum;
}

std::optional<ClassicHistogram> DeltaAccumulator::AddHistogram(const std::string& series,
                                                               const ClassicHistogram& delta,
                                                               int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* e = Find(series, now_ms);
  if (e == nullptr) return std::nullopt;
  if (e->histogram.count == 0 && e->histogram.buckets.empty() && !e->histogram.sum) {
    e->histogram = delta;  // the first point: its sum (or its lack of one) is the total's
  } else {
    e->histogram.Add(delta);
  }
  return e->histogram;
}

size_t DeltaAccumulator::Sweep(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t removed = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now_ms - it->second.last_ms >= ttl_ms_) {
      entries_.erase(it++);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

size_t DeltaAccumulator::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace strata::agent::otlp
