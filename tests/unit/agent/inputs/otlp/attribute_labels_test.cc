#include "agent/inputs/otlp/attribute_labels.h"

#include <gtest/gtest.h>

namespace strata::agent::otlp {
namespace {

using opentelemetry::proto::common::v1::AnyValue;

TEST(AttributeLabelsTest, RendersEveryValueKind) {
  AnyValue v;
  v.set_bool_value(true);
  EXPECT_EQ(AnyValueText(v), "true");
  v.set_int_value(-42);
  EXPECT_EQ(AnyValueText(v), "-42");
  v.set_double_value(2.5);
  EXPECT_EQ(AnyValueText(v), "2.5");
  v.set_bytes_value("\x01\x02");
  EXPECT_EQ(AnyValueText(v), "AQI=");
  v.set_string_value("plain \"text\"");
  EXPECT_EQ(AnyValueText(v), "plain \"text\"");
  AnyValue arr;
  arr.mutable_array_value()->add_values()->set_string_value("a\"b");
  arr.mutable_array_value()->add_values()->set_int_value(1);
  auto* kv = arr.mutable_array_value()->add_values()->mutable_kvlist_value()->add_values();
  kv->set_key("k");
  kv->mutable_value()->set_bool_value(false);
  arr.mutable_array_value()->add_values();  // no value set
  EXPECT_EQ(AnyValueText(arr), R"(["a\"b",1,{"k":false},null])");
}

TEST(AttributeLabelsTest, DropsEmptyKeysAndValuesAndJoinsCollisions) {
  Attributes attrs;
  auto add = [&](const std::string& k, const std::string& v) {
    auto* kv = attrs.Add();
    kv->set_key(k);
    kv->mutable_value()->set_string_value(v);
  };
  add("b.c", "2");
  add("b_c", "1");
  add("", "x");
  add("empty", "");
  std::vector<common::Label> out;
  AppendAttributeLabels(attrs, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "b_c");
  EXPECT_EQ(out[0].value, "2;1");  // in the order of the original keys: "b.c" < "b_c"
}

}  // namespace
}  // namespace strata::agent::otlp
