#include "collector/query/promql/functions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "collector/query/promql/parser.h"

namespace strata::collector::promql {
namespace {

// An argument expression of the given type.
std::string ArgOf(ValueType type) {
  switch (type) {
    case ValueType::kScalar:
      return "1";
    case ValueType::kVector:
      return "v";
    case ValueType::kMatrix:
      return "m[5m]";
    case ValueType::kString:
      return "\"s\"";
    default:
      return "?";
  }
}

// An argument expression of some type other than `type`.
std::string WrongArgOf(ValueType type) { return type == ValueType::kVector ? "m[5m]" : "v"; }
ValueType WrongTypeOf(ValueType type) {
  return type == ValueType::kVector ? ValueType::kMatrix : ValueType::kVector;
}

std::string CallWith(const Function& f, size_t count, int wrong_index = -1) {
  std::string q = std::string(f.name) + "(";
  for (size_t i = 0; i < count; ++i) {
    const ValueType t =
        f.num_arg_types == 0 ? ValueType::kVector : f.arg_types()[std::min(i, f.num_arg_types - 1)];
    if (i > 0) q += ", ";
    q += static_cast<int>(i) == wrong_index ? WrongArgOf(t) : ArgOf(t);
  }
  return q + ")";
}

TEST(PromqlFunctionsTest, TableIsSortedAndUnique) {
  const auto all = AllFunctions();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);
}

TEST(PromqlFunctionsTest, FindFunctionIsCaseSensitive) {
  ASSERT_NE(FindFunction("rate"), nullptr);
  EXPECT_EQ(FindFunction("rate")->name, "rate");
  EXPECT_EQ(FindFunction("Rate"), nullptr);
  EXPECT_EQ(FindFunction("nope"), nullptr);
  EXPECT_EQ(FindFunction(""), nullptr);
}

TEST(PromqlFunctionsTest, ContainsEveryPrometheus3Function) {
  const std::set<std::string> expected = {"abs",
                                          "absent",
                                          "absent_over_time",
                                          "acos",
                                          "acosh",
                                          "asin",
                                          "asinh",
                                          "atan",
                                          "atanh",
                                          "avg_over_time",
                                          "ceil",
                                          "changes",
                                          "clamp",
                                          "clamp_max",
                                          "clamp_min",
                                          "cos",
                                          "cosh",
                                          "count_over_time",
                                          "day_of_month",
                                          "day_of_week",
                                          "day_of_year",
                                          "days_in_month",
                                          "deg",
                                          "delta",
                                          "deriv",
                                          "double_exponential_smoothing",
                                          "exp",
                                          "floor",
                                          "histogram_avg",
                                          "histogram_count",
                                          "histogram_fraction",
                                          "histogram_quantile",
                                          "histogram_stddev",
                                          "histogram_stdvar",
                                          "histogram_sum",
                                          "hour",
                                          "idelta",
                                          "increase",
                                          "irate",
                                          "label_join",
                                          "label_replace",
                                          "last_over_time",
                                          "ln",
                                          "log10",
                                          "log2",
                                          "mad_over_time",
                                          "max_over_time",
                                          "min_over_time",
                                          "minute",
                                          "month",
                                          "pi",
                                          "predict_linear",
                                          "present_over_time",
                                          "quantile_over_time",
                                          "rad",
                                          "rate",
                                          "resets",
                                          "round",
                                          "scalar",
                                          "sgn",
                                          "sin",
                                          "sinh",
                                          "sort",
                                          "sort_by_label",
                                          "sort_by_label_desc",
                                          "sort_desc",
                                          "sqrt",
                                          "stddev_over_time",
                                          "stdvar_over_time",
                                          "sum_over_time",
                                          "tan",
                                          "tanh",
                                          "time",
                                          "timestamp",
                                          "vector",
                                          "year"};
  std::set<std::string> actual;
  for (const Function& f : AllFunctions()) actual.emplace(f.name);
  EXPECT_EQ(actual, expected);
}

TEST(PromqlFunctionsTest, ArgumentRules) {
  const Function* round = FindFunction("round");
  EXPECT_EQ(round->min_args(), 1u);
  EXPECT_EQ(round->max_args(), 2u);
  const Function* label_join = FindFunction("label_join");
  EXPECT_EQ(label_join->min_args(), 3u);
  EXPECT_EQ(label_join->max_args(), SIZE_MAX);
  const Function* hour = FindFunction("hour");
  EXPECT_EQ(hour->min_args(), 0u);
  EXPECT_EQ(hour->max_args(), 1u);
  const Function* rate = FindFunction("rate");
  EXPECT_EQ(rate->min_args(), 1u);
  EXPECT_EQ(rate->max_args(), 1u);
  EXPECT_EQ(FindFunction("scalar")->return_type, ValueType::kScalar);
  EXPECT_TRUE(FindFunction("mad_over_time")->experimental);
  EXPECT_FALSE(FindFunction("rate")->experimental);
}

class EveryFunctionTest : public ::testing::TestWithParam<Function> {};

TEST_P(EveryFunctionTest, ParsesWithValidArguments) {
  const Function& f = GetParam();
  for (size_t count : {f.min_args(), std::min(f.max_args(), f.num_arg_types + 1)}) {
    const std::string q = CallWith(f, count);
    absl::StatusOr<ExprPtr> expr = ParseExpr(q);
    ASSERT_TRUE(expr.ok()) << q << ": " << expr.status();
    EXPECT_EQ((*expr)->Type(), f.return_type) << q;
    EXPECT_EQ((*expr)->String(), q);
    EXPECT_EQ((*expr)->As<Call>().func, FindFunction(f.name));
  }
}

TEST_P(EveryFunctionTest, RejectsEachWrongArgumentType) {
  const Function& f = GetParam();
  const size_t count = std::min(f.max_args(), f.num_arg_types);
  for (size_t i = 0; i < count; ++i) {
    const std::string q = CallWith(f, count, static_cast<int>(i));
    absl::StatusOr<ExprPtr> expr = ParseExpr(q);
    ASSERT_FALSE(expr.ok()) << q;
    const ValueType want = f.arg_types()[i];
    const std::string message = "expected type " + std::string(DocumentedTypeName(want)) +
                                " in call to function \"" + std::string(f.name) + "\", got " +
                                std::string(DocumentedTypeName(WrongTypeOf(want)));
    EXPECT_THAT(std::string(expr.status().message()), ::testing::EndsWith(message)) << q;
  }
}

TEST_P(EveryFunctionTest, RejectsWrongArgumentCounts) {
  const Function& f = GetParam();
  if (f.min_args() > 0) {
    const std::string q = CallWith(f, f.min_args() - 1);
    absl::StatusOr<ExprPtr> expr = ParseExpr(q);
    ASSERT_FALSE(expr.ok()) << q;
    EXPECT_THAT(std::string(expr.status().message()),
                ::testing::HasSubstr("argument(s) in call to \"" + std::string(f.name) + "\""));
  }
  if (f.max_args() != SIZE_MAX) {
    const std::string q = CallWith(f, f.max_args() + 1);
    absl::StatusOr<ExprPtr> expr = ParseExpr(q);
    ASSERT_FALSE(expr.ok()) << q;
    EXPECT_THAT(std::string(expr.status().message()),
                ::testing::HasSubstr("argument(s) in call to \"" + std::string(f.name) +
                                     "\", got " + std::to_string(f.max_args() + 1)));
  }
}

INSTANTIATE_TEST_SUITE_P(All, EveryFunctionTest, ::testing::ValuesIn(AllFunctions()),
                         [](const ::testing::TestParamInfo<Function>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace strata::collector::promql
