#include "collector/query/promql/series_prefetcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
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

// Reads everything through a prefetcher and, for comparison, directly.
std::vector<SeriesPrefetcher::Series> ReadAll(SeriesPrefetcher& p) {
  std::vector<SeriesPrefetcher::Series> out;
  while (SeriesPrefetcher::Series* s = p.Next()) out.push_back(*s);
  return out;
}

TEST(SeriesPrefetcherTest, KeepsCursorOrderAndFiltersAsInPlace) {
  for (size_t depth : {size_t{1}, size_t{2}, size_t{3}, size_t{16}}) {
    for (bool drop_stale : {false, true}) {
      SCOPED_TRACE(testing::Message() << "depth " << depth << " drop_stale " << drop_stale);
      const SeriesPrefetcher::Filter filter{2000, 50'000, drop_stale};
      SeriesPrefetcher p(std::make_unique<VectorSeriesCursor>(Data(40)), filter, depth);
      const std::vector<SeriesPrefetcher::Series> got = ReadAll(p);
      EXPECT_TRUE(p.status().ok());
      std::vector<SeriesData> want = Data(40);
      size_t g = 0;
      for (const SeriesData& w : want) {
        std::vector<Point> points;
        SamplesToPoints(w.samples, filter.min_t, filter.max_t, filter.drop_stale, &points);
        if (points.empty()) continue;  // series 7: nothing in range
        ASSERT_LT(g, got.size());
        EXPECT_EQ(got[g].labels, w.labels);
        ASSERT_EQ(got[g].points.size(), points.size()) << w.labels.ToString();
        for (size_t k = 0; k < points.size(); ++k) {
          EXPECT_EQ(got[g].points[k].t, points[k].t);
          EXPECT_EQ(common::IsStaleNaN(got[g].points[k].v), common::IsStaleNaN(points[k].v));
          if (!common::IsStaleNaN(points[k].v)) {
            EXPECT_EQ(got[g].points[k].v, points[k].v);
          }
        }
        ++g;
      }
      EXPECT_EQ(g, got.size());
      EXPECT_EQ(got.size(), 39u);
    }
  }
}

TEST(SeriesPrefetcherTest, SamplesToPointsBoundsAreInclusiveAndStaleMarkersOptional) {
  const std::vector<Sample> samples{{1, 1}, {2, common::StaleNaN()}, {3, 3}, {4, 4}};
  std::vector<Point> points;
  SamplesToPoints(samples, 2, 3, false, &points);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].t, 2);
  EXPECT_EQ(points[1].t, 3);
  SamplesToPoints(samples, 2, 3, true, &points);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].t, 3);
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
  const std::vector<SeriesPrefetcher::Series> got = ReadAll(p);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].labels, Series(1));
  EXPECT_EQ(got[1].labels, Series(2));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(p.status().message(), "bad chunk");
}

}  // namespace
}  // namespace strata::collector::promql
