#include "collector/query/promql/series_prefetcher.h"

#include <algorithm>
#include <utility>

namespace strata::collector::promql {

std::span<const Point> PointsInRange(std::vector<common::Sample>& samples, int64_t min_t,
                                     int64_t max_t, bool drop_stale) {
  // Samples are in timestamp order: the points are one contiguous run of them.
  auto first =
      std::lower_bound(samples.begin(), samples.end(), min_t,
                       [](const common::Sample& s, int64_t t) { return s.timestamp_ms < t; });
  auto last = std::upper_bound(first, samples.end(), max_t, [](int64_t t, const common::Sample& s) {
    return t < s.timestamp_ms;
  });
  Point* const begin = samples.data() + (first - samples.begin());
  const size_t n = static_cast<size_t>(last - first);
  if (!drop_stale) return {begin, n};
  auto stale =
      std::find_if(begin, begin + n, [](const Point& p) { return common::IsStaleNaN(p.value); });
  if (stale == begin + n) return {begin, n};
  // Compacted without a branch per sample: a marker is written and then overwritten.
  size_t kept = static_cast<size_t>(stale - begin);
  for (size_t i = kept + 1; i < n; ++i) {
    begin[kept] = begin[i];
    kept += common::IsStaleNaN(begin[i].value) ? 0 : 1;
  }
  return {begin, kept};
}

SeriesPrefetcher::SeriesPrefetcher(std::unique_ptr<SeriesCursor> cursor, Filter filter,
                                   size_t depth)
    : cursor_(std::move(cursor)),
      filter_(filter),
      ring_(depth < 2 ? 2 : depth),
      reader_([this] { Read(); }) {}

SeriesPrefetcher::~SeriesPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  freed_.notify_one();
  reader_.join();
}

void SeriesPrefetcher::Read() {
  SeriesData data;
  for (;;) {
    size_t slot = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!stop_ && count_ == ring_.size()) {
        reader_waiting_ = true;
        freed_.wait(lock, [&] { return stop_ || count_ <= ring_.size() / 2; });
        reader_waiting_ = false;
      }
      if (stop_) break;
      // Past every published slot: the consumer never touches it until it is published.
      slot = (head_ + count_) % ring_.size();
    }
    Series& out = ring_[slot];
    bool more = false;
    do {
      more = cursor_->Next(&data);
      if (more) {
        // The cursor refills the slot's old buffer next time.
        std::swap(out.buffer, data.samples);
        out.points = PointsInRange(out.buffer, filter_.min_t, filter_.max_t, filter_.drop_stale);
      }
    } while (more && out.points.empty());
    std::lock_guard<std::mutex> lock(mu_);
    if (!more) {
      status_ = cursor_->status();
      finished_ = true;
      filled_.notify_one();
      return;
    }
    out.labels = std::move(data.labels);
    ++count_;
    // Like the reader, a waiting consumer is woken only once half the ring is filled.
    if (consumer_waiting_ && count_ >= ring_.size() / 2) filled_.notify_one();
  }
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
}

SeriesPrefetcher::Series* SeriesPrefetcher::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (holding_) {
    head_ = (head_ + 1) % ring_.size();
    --count_;
    holding_ = false;
    // Woken only once half the ring is free, so the threads do not hand over every series.
    if (reader_waiting_ && count_ <= ring_.size() / 2) freed_.notify_one();
  }
  if (count_ == 0 && !finished_) {
    consumer_waiting_ = true;
    filled_.wait(lock, [&] { return count_ >= ring_.size() / 2 || finished_; });
    consumer_waiting_ = false;
  }
  if (count_ == 0) return nullptr;
  holding_ = true;
  return &ring_[head_];
}

absl::Status SeriesPrefetcher::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

}  // namespace strata::collector::promql
