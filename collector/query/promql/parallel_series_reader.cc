#include "collector/query/promql/parallel_series_reader.h"

#include <exception>
#include <string>
#include <utility>

#include "collector/query/promql/series_prefetcher.h"
#include "xxhash.h"

namespace strata::collector::promql {

size_t ParallelSeriesReader::ShardOf(const common::Labels& labels, size_t count) {
  if (count <= 1) return 0;
  uint64_t h = 0;
  for (const auto& l : labels) {
    h = XXH3_64bits_withSeed(l.name.data(), l.name.size(), h);
    h = XXH3_64bits_withSeed(l.value.data(), l.value.size(), h ^ 0x9e3779b97f4a7c15ULL);
  }
  return static_cast<size_t>(h % count);
}

ParallelSeriesReader::ParallelSeriesReader(std::vector<std::unique_ptr<SeriesCursor>> cursors,
                                           Filter filter, ComputeFn compute, size_t depth)
    : filter_(filter), compute_(std::move(compute)) {
  for (std::unique_ptr<SeriesCursor>& c : cursors) {
    auto shard = std::make_unique<Shard>();
    shard->cursor = std::move(c);
    shard->ring.resize(depth < 2 ? 2 : depth);
    shards_.push_back(std::move(shard));
  }
  try {
    for (size_t i = 0; i < shards_.size(); ++i) threads_.emplace_back([this, i] { Read(i); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    for (auto& s : shards_) s->freed.notify_one();
    for (std::thread& t : threads_) t.join();
    throw;
  }
}

ParallelSeriesReader::~ParallelSeriesReader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  for (auto& s : shards_) s->freed.notify_one();
  for (std::thread& t : threads_) t.join();
}

void ParallelSeriesReader::Read(size_t index) {
  Shard& shard = *shards_[index];
  const size_t size = shard.ring.size();
  std::vector<common::Sample> samples;
  absl::Status error;
  for (;;) {
    size_t slot = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!stop_ && shard.count == size) {
        shard.waiting = true;
        shard.freed.wait(lock, [&] { return stop_ || shard.count <= size / 2; });
        shard.waiting = false;
      }
      if (stop_) break;
      slot = (shard.head + shard.count) % size;  // unpublished: the consumer does not touch it
    }
    Item& out = shard.ring[slot];
    bool found = false;
    try {
      while (common::Labels* labels = shard.cursor->NextLabels()) {
        if (ShardOf(*labels, shards_.size()) != index) continue;
        samples.clear();
        if (!shard.cursor->AppendSamples(&samples)) break;
        const std::span<const Point> points =
            PointsInRange(samples, filter_.min_t, filter_.max_t, filter_.drop_stale);
        if (points.empty()) continue;
        if (!compute_(*labels, points, out.result)) continue;
        out.labels = std::move(*labels);
        out.num_points = points.size();
        found = true;
        break;
      }
      if (!found) error = shard.cursor->status();
    } catch (const std::exception& e) {
      error = absl::InternalError(std::string("reading series: ") + e.what());
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!found) {
      if (!error.ok() && status_.ok()) status_ = error;
      shard.finished = true;
      filled_.notify_one();
      return;
    }
    ++shard.count;
    // A waiting consumer is woken once half the ring is filled, so the threads do not hand
    // over every series.
    if (consumer_waits_for_ == index && shard.count >= size / 2) filled_.notify_one();
  }
  std::lock_guard<std::mutex> lock(mu_);
  shard.finished = true;
}

ParallelSeriesReader::Item* ParallelSeriesReader::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (held_ != SIZE_MAX) {
    Shard& s = *shards_[held_];
    s.head = (s.head + 1) % s.ring.size();
    --s.count;
    if (s.waiting && s.count <= s.ring.size() / 2) s.freed.notify_one();
    held_ = SIZE_MAX;
  }
  // Every shard's next series is needed to know which comes first.
  for (size_t i = 0; i < shards_.size(); ++i) {
    Shard& s = *shards_[i];
    if (s.count == 0 && !s.finished) {
      consumer_waits_for_ = i;
      filled_.wait(lock, [&] { return s.count >= s.ring.size() / 2 || s.finished; });
      consumer_waits_for_ = SIZE_MAX;
    }
  }
  // After an error the results are incomplete: stop at once.
  if (!status_.ok()) return nullptr;
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < shards_.size(); ++i) {
    const Shard& s = *shards_[i];
    if (s.count == 0) continue;
    if (best == SIZE_MAX ||
        s.ring[s.head].labels < shards_[best]->ring[shards_[best]->head].labels) {
      best = i;
    }
  }
  if (best == SIZE_MAX) return nullptr;
  held_ = best;
  Shard& s = *shards_[best];
  return &s.ring[s.head];
}

absl::Status ParallelSeriesReader::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

}  // namespace strata::collector::promql
