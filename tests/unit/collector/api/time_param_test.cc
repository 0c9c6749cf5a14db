#include "collector/api/time_param.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::collector::api {
namespace {

int64_t MustParse(std::string_view text) {
  auto t = ParseTimeParam(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status();
  return t.ok() ? *t : -1;
}

TEST(TimeParamTest, ParsesUnixSecondsWithMillisecondFraction) {
  EXPECT_EQ(MustParse("1700000000"), 1700000000000);
  EXPECT_EQ(MustParse("1700000000.123"), 1700000000123);
  EXPECT_EQ(MustParse("1700000000.5"), 1700000000500);
  EXPECT_EQ(MustParse("+1700000000"), 1700000000000);
  EXPECT_EQ(MustParse("1.7e9"), 1700000000000);
  EXPECT_EQ(MustParse("0"), 0);
  EXPECT_EQ(MustParse("-1.5"), -1500);
}

TEST(TimeParamTest, RoundsSubMillisecondFractionToNearestMillisecond) {
  EXPECT_EQ(MustParse("1700000000.1236"), 1700000000124);
  EXPECT_EQ(MustParse("1.0004"), 1000);
}

TEST(TimeParamTest, ParsesRfc3339WithFractionAndOffsets) {
  EXPECT_EQ(MustParse("2026-01-01T00:00:00Z"), 1767225600000);
  EXPECT_EQ(MustParse("2026-01-01T00:00:00.123+02:00"), 1767218400123);
  EXPECT_EQ(MustParse("2026-01-01T05:30:00-05:30"), 1767265200000);
  EXPECT_EQ(MustParse("2024-02-29T23:59:59Z"), 1709251199000);
  EXPECT_EQ(MustParse("1969-12-31T23:59:59.5Z"), -500);
  // Digits beyond milliseconds are truncated.
  EXPECT_EQ(MustParse("2026-01-01T00:00:00.123456789Z"), 1767225600123);
}

TEST(TimeParamTest, MapsPrometheusMinAndMaxTimeStrings) {
  EXPECT_EQ(MustParse("-292273086-05-16T16:47:06Z"), kMinTimeMs);
  EXPECT_EQ(MustParse("292277025-08-18T07:12:54.999999999Z"), kMaxTimeMs);
  EXPECT_EQ(kMinTimeMs, -9223309901257974000);
  EXPECT_EQ(kMaxTimeMs, 9223309901257974999);
}

TEST(TimeParamTest, RejectsMalformedTimestampsWithPrometheusMessage) {
  for (std::string text : {"x", "", "NaN", "Inf", "-inf", "1e30", "+-1", "1,5",
                           "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z",
                           "2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00.Z",
                           "2026-01-01T00:00:00+0200", "2026-01-01T00:00:00Zjunk"}) {
    auto t = ParseTimeParam(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(t.status().message(), "cannot parse \"" + text + "\" to a valid timestamp");
  }
}

}  // namespace
}  // namespace strata::collector::api
