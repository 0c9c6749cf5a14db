#include "collector/query/promql/ast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "collector/query/promql/functions.h"
#include "collector/query/promql/parser.h"

namespace strata::collector::promql {
namespace {

TEST(PromqlAstTest, FormatDurationLikePrometheus) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(1), "1ms");
  EXPECT_EQ(FormatDuration(1500), "1s500ms");
  EXPECT_EQ(FormatDuration(300000), "5m");
  EXPECT_EQ(FormatDuration(5400000), "1h30m");
  EXPECT_EQ(FormatDuration(86400000), "1d");
  EXPECT_EQ(FormatDuration(7 * 86400000LL), "1w");
  EXPECT_EQ(FormatDuration(8 * 86400000LL), "8d");  // weeks only when exact
  EXPECT_EQ(FormatDuration(90 * 86400000LL), "90d");
  EXPECT_EQ(FormatDuration(365 * 86400000LL), "1y");
  EXPECT_EQ(FormatDuration(366 * 86400000LL), "366d");
  EXPECT_EQ(FormatDuration(730 * 86400000LL), "2y");
}

TEST(PromqlAstTest, FormatNumberShortestRoundTrip) {
  EXPECT_EQ(FormatNumber(1), "1");
  EXPECT_EQ(FormatNumber(-2.5), "-2.5");
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(1e21), "1000000000000000000000");
  EXPECT_EQ(FormatNumber(1e-7), "0.0000001");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatNumber(std::nan("")), "NaN");
}

TEST(PromqlAstTest, TypeNames) {
  EXPECT_EQ(ValueTypeName(ValueType::kMatrix), "matrix");
  EXPECT_EQ(ValueTypeName(ValueType::kVector), "vector");
  EXPECT_EQ(DocumentedTypeName(ValueType::kMatrix), "range vector");
  EXPECT_EQ(DocumentedTypeName(ValueType::kVector), "instant vector");
  EXPECT_EQ(DocumentedTypeName(ValueType::kScalar), "scalar");
  EXPECT_EQ(DocumentedTypeName(ValueType::kString), "string");
}

TEST(PromqlAstTest, OperatorTables) {
  EXPECT_EQ(BinaryOpString(BinaryOp::kAtan2), "atan2");
  EXPECT_EQ(BinaryOpString(BinaryOp::kGte), ">=");
  EXPECT_TRUE(IsComparisonOp(BinaryOp::kNeq));
  EXPECT_FALSE(IsComparisonOp(BinaryOp::kAnd));
  EXPECT_TRUE(IsSetOp(BinaryOp::kUnless));
  EXPECT_LT(Precedence(BinaryOp::kOr), Precedence(BinaryOp::kAnd));
  EXPECT_LT(Precedence(BinaryOp::kAnd), Precedence(BinaryOp::kEql));
  EXPECT_LT(Precedence(BinaryOp::kEql), Precedence(BinaryOp::kAdd));
  EXPECT_LT(Precedence(BinaryOp::kAdd), Precedence(BinaryOp::kMul));
  EXPECT_EQ(Precedence(BinaryOp::kMul), Precedence(BinaryOp::kAtan2));
  EXPECT_LT(Precedence(BinaryOp::kMul), Precedence(BinaryOp::kPow));
  EXPECT_EQ(AggregateOpString(AggregateOp::kCountValues), "count_values");
  EXPECT_TRUE(AggregateOpHasParam(AggregateOp::kLimitRatio));
  EXPECT_FALSE(AggregateOpHasParam(AggregateOp::kGroup));
}

TEST(PromqlAstTest, PrintsHandBuiltTree) {
  // rate(foo{job="a"}[5m] offset 1m) * -2, built without the parser.
  auto vs = std::make_unique<VectorSelector>(PositionRange{});
  vs->name = "foo";
  vs->matchers.push_back(*LabelMatcher::Create(MatchOp::kEqual, "__name__", "foo"));
  vs->matchers.push_back(*LabelMatcher::Create(MatchOp::kEqual, "job", "a"));
  vs->offset_ms = 60000;
  auto matrix = std::make_unique<MatrixSelector>(std::move(vs), 300000, PositionRange{});
  auto call = std::make_unique<Call>(FindFunction("rate"), PositionRange{});
  call->args.push_back(std::move(matrix));
  auto minus_two = std::make_unique<NumberLiteral>(-2, PositionRange{});
  Binary mul(BinaryOp::kMul, std::move(call), std::move(minus_two), PositionRange{});
  EXPECT_EQ(mul.String(), R"(rate(foo{job="a"}[5m] offset 1m) * -2)");
  EXPECT_EQ(mul.Type(), ValueType::kVector);
  EXPECT_TRUE(ParseExpr(mul.String()).ok());
}

TEST(PromqlAstTest, CastChecksKind) {
  absl::StatusOr<ExprPtr> e = ParseExpr("sum(foo)");
  ASSERT_TRUE(e.ok());
  EXPECT_NE((*e)->Cast<Aggregate>(), nullptr);
  EXPECT_EQ((*e)->Cast<Call>(), nullptr);
}

TEST(PromqlAstTest, TimestampsPrintExactly) {
  absl::StatusOr<ExprPtr> e = ParseExpr("foo @ 2251799813685.247");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ((*e)->As<VectorSelector>().at.timestamp_ms, 2251799813685247);
  EXPECT_EQ((*e)->String(), "foo @ 2251799813685.247");
  EXPECT_FALSE(ParseExpr("foo @ 2251799813685.248").ok());  // 2^51 ms: out of bounds
}

}  // namespace
}  // namespace strata::collector::promql
