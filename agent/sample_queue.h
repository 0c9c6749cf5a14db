#pragma once

// The agent's bounded in-memory queue between inputs and the exporter.
//
// Inputs Push() batches from their own threads; the exporter thread Pop()s up to a batch-size of
// samples, waiting at most a flush interval. Policy when full: the oldest samples are dropped and
// counted in strata_agent_dropped_samples_total{reason="queue_full"} — fresh data is worth more
// than stale data on a dashboard, and inputs must never block. (A persistent on-disk queue is a
// later issue.) Requeue() puts batches that were in flight back at the front after a reconnect.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

#include "agent/input.h"
#include "common/selfmon/metrics.h"

namespace strata::agent {

class SampleQueue final : public SampleSink {
 public:
  SampleQueue(size_t max_samples, common::Registry& registry);

  void Push(common::SampleBatch batch) override;
  // Puts samples back at the front (oldest first), subject to the same bound.
  void Requeue(common::SampleBatch batch);
  // Waits until `max_samples` are queued, `wait_ms` passes, or Close() is called, then moves
  // out up to `max_samples` samples (possibly none).
  common::SampleBatch Pop(size_t max_samples, int64_t wait_ms);
  // Wakes waiters; Pop() no longer waits.
  void Close();
  size_t size() const;

 private:
  void DropOldestLocked();

  const size_t max_samples_;
  common::Counter& dropped_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<common::SeriesSample> items_;  // guarded by mu_
  bool closed_ = false;                     // guarded by mu_
};

}  // namespace strata::agent
