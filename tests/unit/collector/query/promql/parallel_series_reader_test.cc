#include "collector/query/promql/parallel_series_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "collector/query/promql/series_prefetcher.h"
#include "common/model/sample.h"

namespace strata::collector::promql {
namespace {

using common::Labels;
using common::Sample;

// n series in label order; series i has samples at 1000*k for k in [0, 10) with value i + k,
// except that every series with i % 7 == 3 has its samples after max_t (1e6), so none in range.
std::vector<SeriesData> Data(int n) {
  std::vector<SeriesData> out;
  for (int i = 0; i < n; ++i) {
    SeriesData s;
    s.labels = Labels{{"__name__", "m"}, {"i", std::to_string(i)}};
    for (int k = 0; k < 10; ++k) {
      const int64_t t = (i % 7 == 3 ? 2'000'000 : 0) + 1000 * k;
      s.samples.push_back(Sample{t, static_cast<double>(i + k)});
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const SeriesData& a, const SeriesData& b) { return a.labels < b.labels; });
  return out;
}

std::vector<std::unique_ptr<SeriesCursor>> Cursors(const std::vector<SeriesData>& data,
                                                   size_t count) {
  std::vector<std::unique_ptr<SeriesCursor>> out;
  for (size_t i = 0; i < count; ++i) out.push_back(std::make_unique<VectorSeriesCursor>(data));
  return out;
}

// result.values = {number of points, sum of their values}; empty when the sum is 1 mod 4 and
// `drop_odd` (a series compute reports empty).
ParallelSeriesReader::ComputeFn Summing(bool drop_odd) {
  return [drop_odd](const Labels&, std::span<const Point> pts, StepSeries& out) {
    double sum = 0;
    for (const Point& p : pts) sum += p.value;
    out.values = {static_cast<double>(pts.size()), sum};
    out.present = {1, 1};
    return !(drop_odd && static_cast<int64_t>(sum) % 4 == 1);
  };
}

struct Got {
  Labels labels;
  std::vector<double> values;
  size_t points;
};

std::vector<Got> ReadAll(ParallelSeriesReader& r) {
  std::vector<Got> out;
  while (ParallelSeriesReader::Item* item = r.Next()) {
    out.push_back({item->labels, item->result.values, item->num_points});
  }
  return out;
}

// What reading one cursor in place and computing gives.
std::vector<Got> Expected(const std::vector<SeriesData>& data, bool drop_odd) {
  std::vector<Got> out;
  const auto compute = Summing(drop_odd);
  for (SeriesData s : data) {
    std::span<const Point> pts = PointsInRange(s.samples, 0, 1'000'000, false);
    if (pts.empty()) continue;
    StepSeries r;
    if (!compute(s.labels, pts, r)) continue;
    out.push_back({s.labels, r.values, pts.size()});
  }
  return out;
}

void ExpectSame(const std::vector<Got>& got, const std::vector<Got>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].labels, want[i].labels) << i;
    EXPECT_EQ(got[i].values, want[i].values) << got[i].labels.ToString();
    EXPECT_EQ(got[i].points, want[i].points) << got[i].labels.ToString();
  }
}

TEST(ParallelSeriesReaderTest, SameSeriesInTheSameOrderAsOneCursorForAnyNumberOfThreads) {
  const std::vector<SeriesData> data = Data(500);
  for (bool drop_odd : {false, true}) {
    const std::vector<Got> want = Expected(data, drop_odd);
    ASSERT_GT(want.size(), 100u);
    for (size_t threads : {1, 2, 3, 5}) {
      for (size_t depth : {2, 5, 32}) {
        ParallelSeriesReader r(Cursors(data, threads), {0, 1'000'000, false}, Summing(drop_odd),
                               depth);
        ExpectSame(ReadAll(r), want);
        EXPECT_TRUE(r.status().ok());
      }
    }
  }
}

TEST(ParallelSeriesReaderTest, ShardsSplitTheSeriesBetweenThem) {
  const std::vector<SeriesData> data = Data(1000);
  std::vector<size_t> per_shard(2);
  for (const SeriesData& s : data) {
    const size_t shard = ParallelSeriesReader::ShardOf(s.labels, 2);
    ASSERT_LT(shard, 2u);
    EXPECT_EQ(shard, ParallelSeriesReader::ShardOf(s.labels, 2));  // stable
    ++per_shard[shard];
  }
  EXPECT_GT(per_shard[0], 400u);
  EXPECT_GT(per_shard[1], 400u);
  EXPECT_EQ(ParallelSeriesReader::ShardOf(data[0].labels, 1), 0u);
}

TEST(ParallelSeriesReaderTest, EmptySelection) {
  ParallelSeriesReader r(Cursors({}, 2), {0, 1'000'000, false}, Summing(false));
  EXPECT_EQ(r.Next(), nullptr);
  EXPECT_TRUE(r.status().ok());
}

TEST(ParallelSeriesReaderTest, StoppingEarlyJoinsTheThreads) {
  const std::vector<SeriesData> data = Data(2000);
  std::atomic<int> computed{0};
  {
    ParallelSeriesReader r(
        Cursors(data, 2), {0, 1'000'000, false},
        [&](const Labels& l, std::span<const Point> pts, StepSeries& out) {
          ++computed;
          return Summing(false)(l, pts, out);
        },
        4);
    ASSERT_NE(r.Next(), nullptr);
    ASSERT_NE(r.Next(), nullptr);
  }
  // The readers stopped a bounded distance ahead (ring of 4 each, plus one in hand).
  EXPECT_LE(computed.load(), 2 * 5 + 2);
}

// Fails after `good` series.
class FailingCursor final : public SeriesCursor {
 public:
  FailingCursor(std::vector<SeriesData> data, size_t good) : data_(std::move(data)), good_(good) {}
  bool Next(SeriesData* out) override {
    if (next_ == good_) {
      status_ = absl::DataLossError("chunk checksum mismatch");
      return false;
    }
    if (next_ == data_.size()) return false;
    *out = data_[next_++];
    return true;
  }
  absl::Status status() const override { return status_; }

 private:
  std::vector<SeriesData> data_;
  size_t good_;
  size_t next_ = 0;
  absl::Status status_;
};

TEST(ParallelSeriesReaderTest, AReaderErrorEndsTheStreamWithItsStatus) {
  const std::vector<SeriesData> data = Data(300);
  std::vector<std::unique_ptr<SeriesCursor>> cursors;
  cursors.push_back(std::make_unique<VectorSeriesCursor>(data));
  cursors.push_back(std::make_unique<FailingCursor>(data, 150));
  ParallelSeriesReader r(std::move(cursors), {0, 1'000'000, false}, Summing(false));
  const std::vector<Got> got = ReadAll(r);
  EXPECT_LT(got.size(), Expected(data, false).size());
  EXPECT_EQ(r.status(), absl::DataLossError("chunk checksum mismatch"));
}

TEST(ParallelSeriesReaderTest, AnExceptionInComputeBecomesAnError) {
  const std::vector<SeriesData> data = Data(100);
  ParallelSeriesReader r(Cursors(data, 2), {0, 1'000'000, false},
                         [](const Labels& l, std::span<const Point>, StepSeries&) -> bool {
                           if (l.Get("i") == "42") throw std::runtime_error("boom");
                           return true;
                         });
  ReadAll(r);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("boom"), std::string::npos);
}

}  // namespace
}  // namespace strata::collector::promql
