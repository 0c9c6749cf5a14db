#include "collector/storage/merge_reader.h"

#include <gtest/gtest.h>

#include "collector/storage/memory/memory_store.h"

namespace strata::collector {
namespace {

using common::Labels;
using common::Sample;

LabelMatcher NameIs(const std::string& v) {
  return *LabelMatcher::Create(MatchOp::kEqual, "__name__", v);
}

TEST(MergeSamplesTest, InterleavesAndKeepsFirstOnEqualTimestamps) {
  std::vector<Sample> a{{1, 10}, {3, 30}, {5, 50}};
  std::vector<Sample> b{{2, 20}, {3, 99}, {6, 60}};
  std::vector<Sample> m = MergeSamples(a, b);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[2].timestamp_ms, 3);
  EXPECT_EQ(m[2].value, 30);
  EXPECT_EQ(m[4].timestamp_ms, 6);
}

TEST(MergeSampleListsTest, ConcatenatesDisjointListsInTimeOrder) {
  std::vector<std::vector<Sample>> lists{{{20, 2}, {25, 3}}, {{1, 0}, {5, 1}}, {{30, 4}}};
  std::vector<const std::vector<Sample>*> ptrs{&lists[0], &lists[1], &lists[2]};
  std::vector<Sample> m{{99, 99}};  // replaced, not appended to
  MergeSampleLists(ptrs, &m);
  ASSERT_EQ(m.size(), 5u);
  for (size_t i = 0; i < m.size(); ++i) EXPECT_EQ(m[i].value, static_cast<double>(i));
}

TEST(MergeSampleListsTest, OverlappingListsKeepTheEarlierSourceOnEqualTimestamps) {
  std::vector<std::vector<Sample>> lists{{{5, 50}, {10, 100}}, {{1, 1}, {5, 99}, {7, 70}}};
  std::vector<const std::vector<Sample>*> ptrs{&lists[0], &lists[1]};
  std::vector<Sample> m;
  MergeSampleLists(ptrs, &m);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].timestamp_ms, 1);
  EXPECT_EQ(m[1].timestamp_ms, 5);
  EXPECT_EQ(m[1].value, 50);
  EXPECT_EQ(m[2].timestamp_ms, 7);
  EXPECT_EQ(m[3].timestamp_ms, 10);
}

// Mostly disjoint lists (blocks) with a few overlapping ones (the head still holding a chunk past
// the last block's start): the result equals folding every list in source order, where an
// earlier source wins on an equal timestamp.
TEST(MergeSampleListsTest, MixedDisjointAndOverlappingListsEqualTheSourceOrderFold) {
  uint64_t state = 3;
  auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  for (int round = 0; round < 300; ++round) {
    const size_t n = 1 + next(14);
    std::vector<std::vector<Sample>> lists(n);
    for (size_t i = 0; i < n; ++i) {
      // List i covers about [100 i, 100 i + 99]; some reach back into earlier lists.
      int64_t t =
          static_cast<int64_t>(100 * i) - (next(4) == 0 ? static_cast<int64_t>(next(250)) : 0);
      const size_t len = 1 + next(30);
      for (size_t k = 0; k < len; ++k) {
        lists[i].push_back({t, static_cast<double>(1000 * i + k)});
        t += 1 + static_cast<int64_t>(next(6));
      }
    }
    // Source order is a shuffle of time order, as MergeCursor's children are.
    for (size_t i = n; i > 1; --i) std::swap(lists[i - 1], lists[next(i)]);
    std::vector<const std::vector<Sample>*> ptrs;
    for (const auto& l : lists) ptrs.push_back(&l);
    std::vector<Sample> want = lists[0];
    for (size_t i = 1; i < n; ++i) want = MergeSamples(want, lists[i]);
    std::vector<Sample> got;
    MergeSampleLists(ptrs, &got);
    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    for (size_t k = 0; k < got.size(); ++k) {
      ASSERT_EQ(got[k].timestamp_ms, want[k].timestamp_ms) << "round " << round << " at " << k;
      ASSERT_EQ(got[k].value, want[k].value) << "round " << round << " at " << k;
    }
  }
}

// Segments laid out back to back, as MergeCursor appends its sources' parts of a series, come out
// as MergeSampleLists over them in rank order: in time order (the usual layout), with parts that
// reach back into earlier ones, with empty parts, and laid out out of time order (a wrong hint).
TEST(MergeAppendedSegmentsTest, EqualsTheRankOrderFold) {
  uint64_t state = 7;
  auto next = [&state](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  int in_place_rounds = 0;
  for (int round = 0; round < 600; ++round) {
    const size_t n = 1 + next(14);
    std::vector<std::vector<Sample>> lists(n);
    for (size_t i = 0; i < n; ++i) {
      if (next(6) == 0) continue;  // a source with labels but no samples in range
      int64_t t =
          static_cast<int64_t>(100 * i) - (next(4) == 0 ? static_cast<int64_t>(next(250)) : 0);
      const size_t len = 1 + next(30);
      for (size_t k = 0; k < len; ++k) {
        lists[i].push_back({t, static_cast<double>(1000 * i + k)});
        t += 1 + static_cast<int64_t>(next(6));
      }
    }
    if (next(5) == 0) {
      for (size_t i = n; i > 1; --i) std::swap(lists[i - 1], lists[next(i)]);
    }
    std::vector<size_t> rank(n);
    for (size_t i = 0; i < n; ++i) rank[i] = i;
    for (size_t i = n; i > 1; --i) std::swap(rank[i - 1], rank[next(i)]);
    std::vector<Sample> got;
    std::vector<SampleSegment> segments;
    for (size_t i = 0; i < n; ++i) {
      const size_t begin = got.size();
      got.insert(got.end(), lists[i].begin(), lists[i].end());
      segments.push_back(SampleSegment{begin, got.size(), rank[i]});
    }
    std::vector<const std::vector<Sample>*> by_rank(n);
    for (size_t i = 0; i < n; ++i) by_rank[rank[i]] = &lists[i];
    std::vector<Sample> want;
    for (const auto* l : by_rank) {
      if (!l->empty()) want = MergeSamples(want, *l);
    }
    // Parts starting in time order, some overlapping: merged inside the buffer.
    bool by_front = true, overlap = false;
    const std::vector<Sample>* prev = nullptr;
    for (const auto& l : lists) {
      if (l.empty()) continue;
      if (prev != nullptr) {
        by_front = by_front && prev->front().timestamp_ms <= l.front().timestamp_ms;
        overlap = overlap || l.front().timestamp_ms <= prev->back().timestamp_ms;
      }
      prev = &l;
    }
    const Sample* data_before = got.data();
    MergeAppendedSegments(&got, segments);
    if (by_front && overlap) {
      ++in_place_rounds;
      EXPECT_EQ(got.data(), data_before) << "round " << round;
    }
    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    for (size_t k = 0; k < got.size(); ++k) {
      ASSERT_EQ(got[k].timestamp_ms, want[k].timestamp_ms) << "round " << round << " at " << k;
      ASSERT_EQ(got[k].value, want[k].value) << "round " << round << " at " << k;
    }
  }
  EXPECT_GT(in_place_rounds, 50);
}

// A reader over another whose cursors report a given MinTimeHint (and read through the default
// two-phase methods).
class HintedReader final : public StorageReader {
 public:
  HintedReader(std::shared_ptr<StorageReader> inner, int64_t hint)
      : inner_(std::move(inner)), hint_(hint) {}
  class Cursor final : public SeriesCursor {
   public:
    Cursor(std::unique_ptr<SeriesCursor> inner, int64_t hint)
        : inner_(std::move(inner)), hint_(hint) {}
    bool Next(SeriesData* out) override { return inner_->Next(out); }
    absl::Status status() const override { return inner_->status(); }
    int64_t MinTimeHint() const override { return hint_; }

   private:
    std::unique_ptr<SeriesCursor> inner_;
    const int64_t hint_;
  };
  absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>& m, int64_t lo,
                                                 int64_t hi) override {
    return inner_->Select(m, lo, hi);
  }
  absl::StatusOr<std::unique_ptr<SeriesCursor>> SelectCursor(const std::vector<LabelMatcher>& m,
                                                             int64_t lo, int64_t hi) override {
    auto c = inner_->SelectCursor(m, lo, hi);
    if (!c.ok()) return c.status();
    return std::make_unique<Cursor>(*std::move(c), hint_);
  }
  absl::StatusOr<std::vector<Labels>> Series(const std::vector<LabelMatcher>& m, int64_t lo,
                                             int64_t hi) override {
    return inner_->Series(m, lo, hi);
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<LabelMatcher>& m,
                                                      int64_t lo, int64_t hi) override {
    return inner_->LabelNames(m, lo, hi);
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const std::vector<LabelMatcher>& m,
                                                       int64_t lo, int64_t hi) override {
    return inner_->LabelValues(name, m, lo, hi);
  }

 private:
  std::shared_ptr<StorageReader> inner_;
  const int64_t hint_;
};

// Sources are laid out by their hints, but the first listed still wins on an equal timestamp,
// and a hint that is wrong (data older than it claims) still reads back in time order.
TEST(MergeReaderTest, HintsOrderTheLayoutNotThePrecedence) {
  auto head = std::make_shared<MemoryStore>();
  auto block_a = std::make_shared<MemoryStore>();
  auto block_b = std::make_shared<MemoryStore>();
  Labels l{{"__name__", "m"}, {"job", "x"}};
  std::vector<Sample> a, b, h;
  for (int i = 0; i < 10; ++i) a.push_back({i * 1000, static_cast<double>(i)});
  for (int i = 10; i < 20; ++i) b.push_back({i * 1000, static_cast<double>(i)});
  for (int i = 19; i < 30; ++i) h.push_back({i * 1000, 100.0 + i});  // 19 is also in block_b
  ASSERT_TRUE(block_a->Append(l, a).ok());
  ASSERT_TRUE(block_b->Append(l, b).ok());
  ASSERT_TRUE(head->Append(l, h).ok());
  for (int64_t wrong_hint : {int64_t{-1}, int64_t{50000}}) {
    // The head listed first, as the hot store does, with its hint right (19000) or wrong.
    const int64_t head_hint = wrong_hint < 0 ? 19000 : wrong_hint;
    auto hinted_head = std::make_shared<HintedReader>(head, head_hint);
    auto hinted_b = std::make_shared<HintedReader>(block_b, wrong_hint < 0 ? 10000 : -5);
    auto hinted_a = std::make_shared<HintedReader>(block_a, 0);
    MergeReader reader([&] {
      return std::vector<std::shared_ptr<StorageReader>>{hinted_head, hinted_b, hinted_a};
    });
    auto cursor = *reader.SelectCursor({NameIs("m")}, 0, 100000);
    SeriesData d;
    ASSERT_TRUE(cursor->Next(&d));
    EXPECT_EQ(d.labels, l);
    ASSERT_EQ(d.samples.size(), 30u) << "hint " << wrong_hint;
    for (int i = 0; i < 30; ++i) {
      EXPECT_EQ(d.samples[i].timestamp_ms, i * 1000) << "hint " << wrong_hint;
      EXPECT_EQ(d.samples[i].value, i < 19 ? i : 100.0 + i) << "hint " << wrong_hint << " at " << i;
    }
    EXPECT_FALSE(cursor->Next(&d));
    EXPECT_TRUE(cursor->status().ok());
  }
}

// A series whose older samples sit in one source (a block) and newer ones in another (the head)
// reads back as one series without a gap or a double count, including at the overlap.
TEST(MergeReaderTest, StitchesSeriesAcrossSourcesWithoutGapOrDoubleCount) {
  auto older = std::make_shared<MemoryStore>();
  auto newer = std::make_shared<MemoryStore>();
  Labels l{{"__name__", "m"}, {"job", "x"}};
  std::vector<Sample> first, second;
  for (int i = 0; i < 10; ++i) first.push_back({i * 1000, static_cast<double>(i)});
  for (int i = 9; i < 20; ++i)
    second.push_back({i * 1000, static_cast<double>(i)});  // overlaps at 9
  ASSERT_TRUE(older->Append(l, first).ok());
  ASSERT_TRUE(newer->Append(l, second).ok());
  ASSERT_TRUE(newer->Append(Labels{{"__name__", "only_new"}}, {{5000, 1}}).ok());
  MergeReader reader([&] { return std::vector<std::shared_ptr<StorageReader>>{newer, older}; });
  auto out = *reader.Select({NameIs("m")}, 0, 100000);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].samples.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(out[0].samples[i].timestamp_ms, i * 1000);
  auto names = *reader.LabelValues("__name__", {}, 0, 100000);
  EXPECT_EQ(names, (std::vector<std::string>{"m", "only_new"}));
  auto series = *reader.Series({NameIs("m")}, 0, 100000);
  EXPECT_EQ(series.size(), 1u);
  auto restricted = *reader.Select({NameIs("m")}, 3000, 12000);
  EXPECT_EQ(restricted[0].samples.size(), 10u);
}

// The cursor interleaves series from several sources in label order, merging equal label sets,
// and hands out the same series as Select.
TEST(MergeReaderTest, CursorMergesSourcesInLabelOrder) {
  auto a = std::make_shared<MemoryStore>();
  auto b = std::make_shared<MemoryStore>();
  auto c = std::make_shared<MemoryStore>();
  auto series = [](const std::string& host) { return Labels{{"__name__", "m"}, {"host", host}}; };
  ASSERT_TRUE(a->Append(series("h1"), {{1000, 1}, {2000, 2}}).ok());
  ASSERT_TRUE(a->Append(series("h4"), {{1000, 4}}).ok());
  ASSERT_TRUE(b->Append(series("h2"), {{1000, 2}}).ok());
  ASSERT_TRUE(b->Append(series("h4"), {{3000, 40}}).ok());
  ASSERT_TRUE(c->Append(series("h1"), {{500, 0.5}, {2000, 99}}).ok());  // 2000 is also in a
  ASSERT_TRUE(c->Append(series("h3"), {{1000, 3}}).ok());
  MergeReader reader([&] { return std::vector<std::shared_ptr<StorageReader>>{a, b, c}; });
  auto cursor = *reader.SelectCursor({NameIs("m")}, 0, 10000);
  std::vector<SeriesData> got;
  SeriesData d;
  while (cursor->Next(&d)) got.push_back(d);
  ASSERT_TRUE(cursor->status().ok());
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].labels, series("h1"));
  ASSERT_EQ(got[0].samples.size(), 3u);
  EXPECT_EQ(got[0].samples[0].timestamp_ms, 500);
  EXPECT_EQ(got[0].samples[2].value, 2);  // the first source wins on equal timestamps
  EXPECT_EQ(got[1].labels, series("h2"));
  EXPECT_EQ(got[2].labels, series("h3"));
  EXPECT_EQ(got[3].labels, series("h4"));
  ASSERT_EQ(got[3].samples.size(), 2u);
  EXPECT_EQ(got[3].samples[1].value, 40);
  auto selected = *reader.Select({NameIs("m")}, 0, 10000);
  ASSERT_EQ(selected.size(), got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(selected[i].labels, got[i].labels);
    EXPECT_EQ(selected[i].samples.size(), got[i].samples.size());
  }
}

// A reader whose cursor yields one series and then fails, like a block with a corrupt chunk.
class FailingReader final : public StorageReader {
 public:
  class Cursor final : public SeriesCursor {
   public:
    bool Next(SeriesData* out) override {
      if (calls_++ == 0) {
        *out = SeriesData{Labels{{"__name__", "m"}, {"host", "a"}}, {{1000, 1}}};
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
  absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>&, int64_t,
                                                 int64_t) override {
    return absl::DataLossError("bad chunk");
  }
  absl::StatusOr<std::unique_ptr<SeriesCursor>> SelectCursor(const std::vector<LabelMatcher>&,
                                                             int64_t, int64_t) override {
    return std::make_unique<Cursor>();
  }
  absl::StatusOr<std::vector<Labels>> Series(const std::vector<LabelMatcher>&, int64_t,
                                             int64_t) override {
    return std::vector<Labels>{};
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<LabelMatcher>&, int64_t,
                                                      int64_t) override {
    return std::vector<std::string>{};
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string&,
                                                       const std::vector<LabelMatcher>&, int64_t,
                                                       int64_t) override {
    return std::vector<std::string>{};
  }
};

// A source's error ends the merged cursor with that error, and fails Select, rather than
// returning a silently shorter result.
TEST(MergeReaderTest, SourceErrorsReachTheCaller) {
  auto good = std::make_shared<MemoryStore>();
  ASSERT_TRUE(good->Append(Labels{{"__name__", "m"}, {"host", "b"}}, {{1000, 2}}).ok());
  auto bad = std::make_shared<FailingReader>();
  MergeReader reader([&] { return std::vector<std::shared_ptr<StorageReader>>{good, bad}; });
  auto cursor = *reader.SelectCursor({NameIs("m")}, 0, 10000);
  SeriesData d;
  int n = 0;
  while (cursor->Next(&d)) ++n;
  EXPECT_EQ(cursor->status().code(), absl::StatusCode::kDataLoss);
  EXPECT_LE(n, 1);
  auto selected = reader.Select({NameIs("m")}, 0, 10000);
  ASSERT_FALSE(selected.ok());
  EXPECT_EQ(selected.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace strata::collector
