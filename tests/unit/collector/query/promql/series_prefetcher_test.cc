#include "collector/query/promql/series_prefetcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/model/sample.h"

namespace strata::collector::promql {
namespace {

using common::Labels;
using common::Sample;

Labels Series(int i) { return Labels{{"__name__", "m"}, {"i", std::to_string(i)}}; }

// Series i has samples at 1000*k + i for k in [0, 10), value k; every third sample of series 5 is
// a staleness marker; series 7 has samples only after max_t.
std::vector<SeriesData> Data(int n) {
  std::vector<SeriesData> out;
  for (int i = 0; i < n; ++i) {
    SeriesData s;
    s.labels = Series(i);
    for (int k = 0; k < 10; ++k) {
      const int64_t t = (i == 7 ? 100'000 : 0) + 1000 * k + i;
      const double v = i == 5 && k % 3 == 0 ? common::StaleNaN() : k;
      s.samples.push_back(Sample{t, v});
    }
    out.push_back(std::move(s));
  }
  return out;
}

struct Got {
  Labels labels;
  std::vector<Point> points;
};

// Reads everything through a prefetcher, copying each series out before the next call.
std::vector<Got> ReadAll(SeriesPrefetcher& p) {
  std::vector<Got> out;
  while (SeriesPrefetcher::Series* s = p.Next()) {
    out.push_back({s->labels, std::vector<Point>(s->points.begin(), s->points.end())});
  }
  return out;
}

// What the filter keeps, written the obvious way.
std::vector<Point> Expected(const std::vector<Sample>& samples, int64_t min_t, int64_t max_t,
                            bool drop_stale) {
  std::vector<Point> out;
  for (const Sample& s : samples) {
    if (s.timestamp_ms < min_t || s.timestamp_ms > max_t) continue;
    if (drop_stale && common::IsStaleNaN(s.value)) continue;
    out.push_back(s);
  }
  return out;
}

TEST(SeriesPrefetcherTest, KeepsCursorOrderAndFiltersAsInPlace) {
  for (size_t depth : {size_t{1}, size_t{2}, size_t{3}, size_t{16}}) {
    for (bool drop_stale : {false, true}) {
      SCOPED_TRACE(testing::Message() << "depth " << depth << " drop_stale " << drop_stale);
      const SeriesPrefetcher::Filter filter{2000, 50'000, drop_stale};
      SeriesPrefetcher p(std::make_unique<VectorSeriesCursor>(Data(40)), filter, depth);
      const std::vector<Got> got = ReadAll(p);
      EXPECT_TRUE(p.status().ok());
      std::vector<SeriesData> want = Data(40);
      size_t g = 0;
      for (const SeriesData& w : want) {
        const std::vector<Point> points =
            Expected(w.samples, filter.min_t, filter.max_t, filter.drop_stale);
        if (points.empty()) continue;  // series 7: nothing in range
        ASSERT_LT(g, got.size());
        EXPECT_EQ(got[g].labels, w.labels);
        ASSERT_EQ(got[g].points.size(), points.size()) << w.labels.ToString();
        for (size_t k = 0; k < points.size(); ++k) {
          EXPECT_EQ(got[g].points[k].timestamp_ms, points[k].timestamp_ms);
          EXPECT_EQ(common::IsStaleNaN(got[g].points[k].value),
                    common::IsStaleNaN(points[k].value));
          if (!common::IsStaleNaN(points[k].value)) {
            EXPECT_EQ(got[g].points[k].value, points[k].value);
          }
        }
        ++g;
      }
      EXPECT_EQ(g, got.size());
      EXPECT_EQ(got.size(), 39u);
    }
  }
}

TEST(SeriesPrefetcherTest, PointsInRangeBoundsAreInclusiveAndStaleMarkersOptional) {
  std::vector<Sample> samples{{1, 1}, {2, common::StaleNaN()}, {3, 3}, {4, 4}};
  std::span<const Point> points = PointsInRange(samples, 2, 3, false);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].timestamp_ms, 2);
  EXPECT_EQ(points[1].timestamp_ms, 3);
  points = PointsInRange(samples, 2, 3, true);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].timestamp_ms, 3);
  EXPECT_EQ(points[0].value, 3);
}

TEST(SeriesPrefetcherTest, PointsInRangeDropsEveryMarkerInPlace) {
  const double stale = common::StaleNaN();
  for (int mask = 0; mask < 64; ++mask) {  // every pattern of markers over six samples
    std::vector<Sample> samples;
    for (int k = 0; k < 6; ++k) samples.push_back({k, (mask >> k) & 1 ? stale : 10.0 * k});
    const std::vector<Point> want = Expected(samples, 1, 4, true);
    const std::span<const Point> got = PointsInRange(samples, 1, 4, true);
    ASSERT_EQ(got.size(), want.size()) << "mask " << mask;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].timestamp_ms, want[i].timestamp_ms) << "mask " << mask;
      EXPECT_EQ(got[i].value, want[i].value) << "mask " << mask;
    }
  }
  std::vector<Sample> none;
  EXPECT_TRUE(PointsInRange(none, 0, 10, true).empty());
}

TEST(SeriesPrefetcherTest, EmptyCursorEndsAtOnce) {
  SeriesPrefetcher p(std::make_unique<VectorSeriesCursor>(std::vector<SeriesData>{}), {0, 10});
  EXPECT_EQ(p.Next(), nullptr);
  EXPECT_EQ(p.Next(), nullptr);
  EXPECT_TRUE(p.status().ok());
}

// Counts the series read, to see that the reader stops when the consumer goes away.
class CountingCursor final : public SeriesCursor {
 public:
  CountingCursor(std::vector<SeriesData> data, std::atomic<int>* reads)
      : inner_(std::move(data)), reads_(reads) {}
  bool Next(SeriesData* out) override {
    ++*reads_;
    return inner_.Next(out);
  }

 private:
  VectorSeriesCursor inner_;
  std::atomic<int>* reads_;
};

TEST(SeriesPrefetcherTest, ConsumerStoppingEarlyStopsTheReader) {
  std::atomic<int> reads{0};
  {
    SeriesPrefetcher p(std::make_unique<CountingCursor>(Data(2000), &reads), {0, 1'000'000}, 4);
    ASSERT_NE(p.Next(), nullptr);
    ASSERT_NE(p.Next(), nullptr);
  }  // the destructor returns only once the reader has stopped
  EXPECT_LE(reads.load(), 8);
}

class FailingCursor final : public SeriesCursor {
 public:
  bool Next(SeriesData* out) override {
    if (calls_++ < 2) {
      *out = SeriesData{Series(calls_), {{1000, 1}}};
      return true;
    }
    status_ = absl::DataLossError("bad chunk");
    return false;
  }
  absl::Status status() const override { return status_; }

 private:
  int calls_ = 0;
  absl::Status status_;
};

TEST(SeriesPrefetcherTest, CursorErrorsReachTheConsumerAfterTheGoodSeries) {
  SeriesPrefetcher p(std::make_unique<FailingCursor>(), {0, 10'000});
  const std::vector<Got> got = ReadAll(p);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].labels, Series(1));
  EXPECT_EQ(got[1].labels, Series(2));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(p.status().message(), "bad chunk");
}

}  // namespace
}  // namespace strata::collector::promql
