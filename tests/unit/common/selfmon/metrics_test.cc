#include "common/selfmon/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata::common {
namespace {

TEST(RegistryTest, RendersCountersAndGaugesInTextFormat) {
  Registry r;
  r.GetCounter("strata_test_events_total", "Events.", {{"reason", "bad"}}).Inc(2);
  r.GetGauge("strata_test_depth", "Depth.").Set(7);
  std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE strata_test_events_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("strata_test_events_total{reason=\"bad\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("strata_test_depth 7\n"), std::string::npos);
}

TEST(RegistryTest, SameKeyReturnsSameCounter) {
  Registry r;
  Counter& a = r.GetCounter("x_total", "h", {{"k", "v"}});
  Counter& b = r.GetCounter("x_total", "h", {{"k", "v"}});
  a.Inc();
  b.Inc();
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(r.ValueOf("x_total", {{"k", "v"}}), 2);
  EXPECT_EQ(r.ValueOf("missing_total"), -1);
}

TEST(RegistryTest, GaugeFuncEvaluatedAtRender) {
  Registry r;
  int depth = 1;
  r.SetGaugeFunc("q_depth", "h", {}, [&] { return static_cast<double>(depth); });
  depth = 5;
  EXPECT_NE(r.Render().find("q_depth 5\n"), std::string::npos);
}

TEST(FormatPromFloatTest, SpecialValues) {
  EXPECT_EQ(FormatPromFloat(NAN), "NaN");
  EXPECT_EQ(FormatPromFloat(INFINITY), "+Inf");
  EXPECT_EQ(FormatPromFloat(-INFINITY), "-Inf");
  EXPECT_EQ(FormatPromFloat(0.1), "0.1");
  EXPECT_EQ(FormatPromFloat(1e21), "1e+21");
}

}  // namespace
}  // namespace strata::common
