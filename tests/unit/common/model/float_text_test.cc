#include "common/model/float_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace strata::common {
namespace {

TEST(FloatTextTest, ShortestFixedPointLikeGo) {
  EXPECT_EQ(FormatFloatPlain(0.1), "0.1");
  EXPECT_EQ(FormatFloatPlain(1), "1");
  EXPECT_EQ(FormatFloatPlain(2.5e-05), "0.000025");
  EXPECT_EQ(FormatFloatPlain(-3), "-3");
  EXPECT_EQ(FormatFloatPlain(1e21), "1000000000000000000000");
  EXPECT_EQ(FormatFloatPlain(INFINITY), "+Inf");
  EXPECT_EQ(FormatFloatPlain(-INFINITY), "-Inf");
  EXPECT_EQ(FormatFloatPlain(NAN), "NaN");
  EXPECT_EQ(FormatFloatPlain(std::numeric_limits<double>::max()).size(), 309u);
}

}  // namespace
}  // namespace strata::common
