#include "common/model/names.h"

#include <gtest/gtest.h>

namespace strata::common {
namespace {

TEST(NamesTest, ValidLabelNames) {
  EXPECT_TRUE(IsValidLabelName("job"));
  EXPECT_TRUE(IsValidLabelName("_x9"));
  EXPECT_FALSE(IsValidLabelName("9x"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName(""));
}

TEST(NamesTest, MetricNamesAllowColons) {
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_TRUE(IsValidMetricName(":x"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
}

TEST(NamesTest, NormalizeReplacesInvalidCharacters) {
  EXPECT_EQ(NormalizeLabelName("http.method"), "http_method");
  EXPECT_EQ(NormalizeLabelName("0x"), "_0x");
  EXPECT_EQ(NormalizeLabelName("k8s-pod name"), "k8s_pod_name");
  EXPECT_EQ(NormalizeLabelName(""), "_");
  EXPECT_EQ(NormalizeLabelName("ok_name"), "ok_name");
}

}  // namespace
}  // namespace strata::common
