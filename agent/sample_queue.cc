#include "agent/sample_queue.h"

#include <chrono>

namespace strata::agent {

SampleQueue::SampleQueue(size_t max_samples, common::Registry& registry)
    : max_samples_(max_samples),
      dropped_(registry.GetCounter("strata_agent_dropped_samples_total",
                                   "Samples dropped before export, by reason.",
                                   {{"reason", "queue_full"}})) {
  registry.SetGaugeFunc("strata_agent_queue_samples", "Samples waiting for export.", {},
                        [this] { return static_cast<double>(size()); });
  registry.GetGauge("strata_agent_queue_capacity_samples", "Bound of the export queue.")
      .Set(static_cast<double>(max_samples));
}

void SampleQueue::DropOldestLocked() {
  size_t excess = items_.size() > max_samples_ ? items_.size() - max_samples_ : 0;
  if (excess == 0) return;
  items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(excess));
  dropped_.Inc(static_cast<double>(excess));
}

void SampleQueue::Push(common::SampleBatch batch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (common::SeriesSample& s : batch) items_.push_back(std::move(s));
    DropOldestLocked();
  }
  cv_.notify_one();
}

void SampleQueue::Requeue(common::SampleBatch batch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_.insert(items_.begin(), std::make_move_iterator(batch.begin()),
                  std::make_move_iterator(batch.end()));
    DropOldestLocked();
  }
  cv_.notify_one();
}

common::SampleBatch SampleQueue::Pop(size_t max_samples, int64_t wait_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
               [&] { return closed_ || items_.size() >= max_samples; });
  size_t n = std::min(max_samples, items_.size());
  common::SampleBatch out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(std::move(items_[i]));
  items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

void SampleQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

size_t SampleQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

}  // namespace strata::agent
