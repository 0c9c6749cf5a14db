#include "agent/inputs/otlp/classic_histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace strata::agent::otlp {
namespace {

namespace pb = opentelemetry::proto::metrics::v1;

TEST(ClassicHistogramTest, ExplicitBucketsKeepTheirCounts) {
  pb::HistogramDataPoint p;
  p.set_count(6);
  p.set_sum(12.5);
  for (double b : {0.1, 0.5, 1.0}) p.add_explicit_bounds(b);
  for (uint64_t c : {1, 2, 0, 3}) p.add_bucket_counts(c);
  std::string error;
  auto h = FromExplicit(p, 100, &error);
  ASSERT_TRUE(h.has_value()) << error;
  ASSERT_EQ(h->buckets.size(), 3u);
  EXPECT_EQ(h->buckets[1], (std::pair<double, double>{0.5, 2}));
  EXPECT_EQ(h->count, 6);
  EXPECT_EQ(h->sum, 12.5);
}

TEST(ClassicHistogramTest, RejectsMalformedExplicitPoints) {
  std::string error;
  pb::HistogramDataPoint p;
  p.set_count(1);
  p.add_explicit_bounds(1);
  p.add_bucket_counts(1);  // needs 2
  EXPECT_FALSE(FromExplicit(p, 100, &error).has_value());
  EXPECT_NE(error.find("bounds + 1"), std::string::npos);
  p.add_bucket_counts(5);  // adds up to 6, not 1
  EXPECT_FALSE(FromExplicit(p, 100, &error).has_value());
  EXPECT_NE(error.find("add up"), std::string::npos);
  pb::HistogramDataPoint q;
  q.set_count(0);
  q.add_explicit_bounds(2);
  q.add_explicit_bounds(1);
  for (int i = 0; i < 3; ++i) q.add_bucket_counts(0);
  EXPECT_FALSE(FromExplicit(q, 100, &error).has_value());
  EXPECT_FALSE(FromExplicit(q, 1, &error).has_value());
}

// Values drawn at random, bucketed exponentially as an SDK would, then converted: for every
// bound the cumulative count equals the number of values <= that bound.
TEST(ClassicHistogramTest, ExponentialConversionCountsValuesBelowEachBound) {
  for (int scale : {-2, 0, 3}) {
    std::mt19937_64 rng(static_cast<uint64_t>(scale) + 7);
    std::lognormal_distribution<double> dist(0, 2);
    std::vector<double> values;
    for (int i = 0; i < 2000; ++i) values.push_back((i % 3 == 0 ? -1 : 1) * dist(rng));
    values.push_back(0);
    const double base = std::exp2(std::ldexp(1.0, -scale));
    auto index = [&](double v) {  // bucket i holds (base^i, base^(i+1)]
      return static_cast<int>(std::ceil(std::log(std::abs(v)) / std::log(base))) - 1;
    };
    std::map<int, uint64_t> pos;
    std::map<int, uint64_t> neg;
    uint64_t zero = 0;
    for (double v : values) {
      if (v == 0) {
        ++zero;
      } else {
        (v > 0 ? pos : neg)[index(v)]++;
      }
    }
    pb::ExponentialHistogramDataPoint p;
    p.set_scale(scale);
    p.set_count(values.size());
    p.set_zero_count(zero);
    auto fill = [](const std::map<int, uint64_t>& m,
                   pb::ExponentialHistogramDataPoint::Buckets* b) {
      b->set_offset(m.begin()->first);
      for (int i = m.begin()->first; i <= m.rbegin()->first; ++i) {
        auto it = m.find(i);
        b->add_bucket_counts(it == m.end() ? 0 : it->second);
      }
    };
    fill(pos, p.mutable_positive());
    fill(neg, p.mutable_negative());
    std::string error;
    auto h = FromExponential(p, 10000, &error);
    ASSERT_TRUE(h.has_value()) << error;
    double cumulative = 0;
    double prev = -INFINITY;
    for (const auto& [bound, count] : h->buckets) {
      ASSERT_GT(bound, prev);
      prev = bound;
      cumulative += count;
      double below = 0;
      for (double v : values) below += v <= bound * (1 + 1e-12) ? 1 : 0;
      EXPECT_EQ(cumulative, below) << "scale " << scale << " le " << bound;
    }
    EXPECT_EQ(h->count, static_cast<double>(values.size()));
  }
}

TEST(ClassicHistogramTest, RejectsBadExponentialPoints) {
  std::string error;
  pb::ExponentialHistogramDataPoint p;
  p.set_scale(21);
  EXPECT_FALSE(FromExponential(p, 100, &error).has_value());
  p.set_scale(0);
  p.set_count(5);
  p.mutable_positive()->add_bucket_counts(4);
  EXPECT_FALSE(FromExponential(p, 100, &error).has_value());  // 4 != 5
  p.mutable_positive()->set_offset(2000);                     // 2^2001 overflows
  p.set_count(4);
  EXPECT_FALSE(FromExponential(p, 100, &error).has_value());
}

TEST(ClassicHistogramTest, DeltasAddBucketByBound) {
  ClassicHistogram a{{{1, 2}, {5, 1}}, 4, 10.0};
  ClassicHistogram b{{{2, 1}, {5, 3}}, 5, 7.0};
  a.Add(b);
  EXPECT_EQ(a.buckets, (std::vector<std::pair<double, double>>{{1, 2}, {2, 1}, {5, 4}}));
  EXPECT_EQ(a.count, 9);
  EXPECT_EQ(a.sum, 17.0);
  a.Add(ClassicHistogram{{}, 1, std::nullopt});
  EXPECT_FALSE(a.sum.has_value());
}

}  // namespace
}  // namespace strata::agent::otlp
