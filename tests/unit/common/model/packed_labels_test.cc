#include "common/model/packed_labels.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strata::common {
namespace {

std::vector<LabelView> Views(const Labels& labels) {
  std::vector<LabelView> out;
  for (const auto& l : labels) out.push_back({l.name, l.value});
  return out;
}

TEST(PackedLabelsTest, RoundTripsAndComparesWithLabelsAndViews) {
  const Labels labels{{"__name__", "node_cpu_seconds_total"},
                      {"cpu", "0"},
                      {"instance", "host-001:9100"},
                      {"job", "node"},
                      {"mode", "idle"}};
  const PackedLabels packed(labels);
  EXPECT_EQ(packed.ToLabels(), labels);
  EXPECT_EQ(PackedLabels(Views(labels)).ToLabels(), labels);
  EXPECT_TRUE(packed.Equals(labels));
  EXPECT_TRUE(packed.Equals(Views(labels)));
  EXPECT_EQ(packed.MetricName(), "node_cpu_seconds_total");
  EXPECT_EQ(packed.size(), 5u);
  // 1 + 1 + five pairs of length-prefixed strings: far below the ~500 bytes of a Labels.
  EXPECT_LT(packed.PackedBytes(), 100u);

  EXPECT_FALSE(packed.Equals(Labels{{"__name__", "node_cpu_seconds_total"}}));
  const Labels other = common::LabelsBuilder(labels).Set("mode", "idlf").Build();
  EXPECT_FALSE(packed.Equals(other));
  EXPECT_FALSE(packed.Equals(Views(other)));
  // Same bytes split differently between name and value are different labels.
  EXPECT_FALSE(PackedLabels(Labels{{"ab", "c"}}).Equals(Labels{{"a", "bc"}}));
}

TEST(PackedLabelsTest, EmptyAndLongValues) {
  const PackedLabels empty{Labels{}};
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_TRUE(empty.Equals(Labels{}));
  EXPECT_EQ(empty.MetricName(), "");
  const PackedLabels none;
  EXPECT_TRUE(none.Equals(Labels{}));
  EXPECT_EQ(none.ToLabels(), Labels{});

  const std::string big(70000, 'x');  // a 3-byte length varint
  const Labels labels{{"__name__", "m"}, {"big", big}};
  const PackedLabels packed(labels);
  EXPECT_EQ(packed.ToLabels(), labels);
  // header varint, count, "__name__", "m", "big", then the value with its 3-byte length.
  EXPECT_EQ(packed.PackedBytes(), 3u + 1 + (1 + 8) + (1 + 1) + (1 + 3) + (3 + big.size()));
  EXPECT_FALSE(packed.Equals(Labels{{"__name__", "m"}, {"big", big + "y"}}));
}

}  // namespace
}  // namespace strata::common
