#include "common/config/duration.h"

#include <gtest/gtest.h>

namespace strata::common {
namespace {

TEST(DurationTest, ParsesUnitsAndCompounds) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseDurationMs("15s", &ms));
  EXPECT_EQ(ms, 15000);
  ASSERT_TRUE(ParseDurationMs("1h30m", &ms));
  EXPECT_EQ(ms, 5400000);
  ASSERT_TRUE(ParseDurationMs("500ms", &ms));
  EXPECT_EQ(ms, 500);
  ASSERT_TRUE(ParseDurationMs("1m5s250ms", &ms));
  EXPECT_EQ(ms, 65250);
  ASSERT_TRUE(ParseDurationMs("3d", &ms));
  EXPECT_EQ(ms, 3 * 86400000LL);
  ASSERT_TRUE(ParseDurationMs("0", &ms));
  EXPECT_EQ(ms, 0);
}

TEST(DurationTest, RejectsMalformed) {
  int64_t ms = 0;
  for (const char* bad :
       {"", "15", "s", "1.5s", "5m1h", "1s1s", "-1s", "1x", "99999999999999999999y"}) {
    EXPECT_FALSE(ParseDurationMs(bad, &ms)) << bad;
  }
}

TEST(DurationTest, FormatsShortest) {
  EXPECT_EQ(FormatDurationMs(0), "0s");
  EXPECT_EQ(FormatDurationMs(90000), "1m30s");
  EXPECT_EQ(FormatDurationMs(250), "250ms");
  EXPECT_EQ(FormatDurationMs(3 * 86400000LL), "72h");
}

}  // namespace
}  // namespace strata::common
