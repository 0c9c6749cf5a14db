#include "collector/api/ast_json.h"

#include <gtest/gtest.h>

#include <string>

#include "collector/query/promql/parser.h"
#include "nlohmann/json.hpp"

namespace strata::collector::api {
namespace {

using nlohmann::json;

std::string Ast(const std::string& query) {
  auto expr = promql::ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << expr.status();
  if (!expr.ok()) return "";
  return AstJson(**expr);
}

json VectorSelectorJson(const std::string& name) {
  return json{{"type", "vectorSelector"},
              {"name", name},
              {"matchers", json::array({{{"name", "__name__"}, {"type", "="}, {"value", name}}})},
              {"offset", 0},
              {"startOrEnd", nullptr},
              {"timestamp", nullptr}};
}

// The example of Prometheus' HTTP API documentation for /api/v1/parse_query, keys in Go's order.
TEST(AstJsonTest, DocumentedExampleMatchesPrometheusByteForByte) {
  EXPECT_EQ(
      Ast("foo/bar"),
      R"({"bool":false,"lhs":{"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"matching":{"card":"one-to-one","include":[],"labels":[],"on":false},"op":"/","rhs":{"matchers":[{"name":"__name__","type":"=","value":"bar"}],"name":"bar","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"type":"binaryExpr"})");
}

TEST(AstJsonTest, MetricNameMatcherComesAfterBraceMatchers) {
  EXPECT_EQ(
      json::parse(Ast(R"(foo{job="a",path!~"/x.*"} offset -1m)")),
      json({{"type", "vectorSelector"},
            {"name", "foo"},
            {"matchers", json::array({{{"name", "job"}, {"type", "="}, {"value", "a"}},
                                      {{"name", "path"}, {"type", "!~"}, {"value", "/x.*"}},
                                      {{"name", "__name__"}, {"type", "="}, {"value", "foo"}}})},
            {"offset", -60000},
            {"startOrEnd", nullptr},
            {"timestamp", nullptr}}));
  // Without a name before the braces there is no extra matcher and the name is empty.
  EXPECT_EQ(json::parse(Ast(R"({__name__="foo"})"))["matchers"],
            json::array({{{"name", "__name__"}, {"type", "="}, {"value", "foo"}}}));
  EXPECT_EQ(json::parse(Ast(R"({__name__="foo"})"))["name"], "");
}

TEST(AstJsonTest, MatrixSelectorCarriesRangeOffsetAndTimestamp) {
  EXPECT_EQ(
      Ast("foo[5m] offset 1m @ 100.5"),
      R"({"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":60000,"range":300000,"startOrEnd":null,"timestamp":100500,"type":"matrixSelector"})");
}

TEST(AstJsonTest, SubqueryKeysAreInAlphabeticalOrder) {
  EXPECT_EQ(
      Ast("foo[1h:5m] @ start()"),
      R"({"expr":{"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":0,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"offset":0,"range":3600000,"startOrEnd":"start","step":300000,"timestamp":null,"type":"subquery"})");
  EXPECT_EQ(json::parse(Ast("foo[1h:] @ end()"))["step"], 0);
  EXPECT_EQ(json::parse(Ast("foo[1h:] @ end()"))["startOrEnd"], "end");
}

TEST(AstJsonTest, AggregationWithParameterAndGrouping) {
  EXPECT_EQ(json::parse(Ast("topk by (job, instance) (5, foo)")),
            json({{"type", "aggregation"},
                  {"op", "topk"},
                  {"expr", VectorSelectorJson("foo")},
                  {"param", {{"type", "numberLiteral"}, {"val", "5"}}},
                  {"grouping", {"job", "instance"}},
                  {"without", false}}));
  EXPECT_EQ(json::parse(Ast("sum without (a) (foo)"))["without"], true);
  EXPECT_EQ(json::parse(Ast("sum(foo)"))["grouping"], json::array());
  EXPECT_EQ(json::parse(Ast("sum(foo)"))["param"], nullptr);
  EXPECT_EQ(json::parse(Ast(R"(count_values("v", foo))"))["param"],
            json({{"type", "stringLiteral"}, {"val", "v"}}));
}

TEST(AstJsonTest, CallDescribesItsFunction) {
  EXPECT_EQ(
      json::parse(Ast("rate(foo[1m])"))["func"],
      json(
          {{"name", "rate"}, {"argTypes", {"matrix"}}, {"variadic", 0}, {"returnType", "vector"}}));
  EXPECT_EQ(json::parse(Ast("round(foo)"))["func"], json({{"name", "round"},
                                                          {"argTypes", {"vector", "scalar"}},
                                                          {"variadic", 1},
                                                          {"returnType", "vector"}}));
  EXPECT_EQ(json::parse(Ast("time()"))["args"], json::array());
}

TEST(AstJsonTest, VectorMatchingOnlyBetweenTwoVectors) {
  EXPECT_EQ(json::parse(Ast("a * on(x) group_left(y) b"))["matching"],
            json({{"card", "many-to-one"}, {"labels", {"x"}}, {"on", true}, {"include", {"y"}}}));
  EXPECT_EQ(json::parse(Ast("a and ignoring(x) b"))["matching"],
            json({{"card", "many-to-many"},
                  {"labels", {"x"}},
                  {"on", false},
                  {"include", json::array()}}));
  const json scalar = json::parse(Ast("foo > bool 1"));
  EXPECT_EQ(scalar["matching"], nullptr);
  EXPECT_EQ(scalar["bool"], true);
  EXPECT_EQ(scalar["op"], ">");
}

TEST(AstJsonTest, LiteralsParensAndUnary) {
  EXPECT_EQ(Ast("1e21"), R"({"type":"numberLiteral","val":"1000000000000000000000"})");
  EXPECT_EQ(Ast("-Inf"), R"({"type":"numberLiteral","val":"-Inf"})");
  EXPECT_EQ(Ast("NaN"), R"({"type":"numberLiteral","val":"NaN"})");
  EXPECT_EQ(Ast(R"("a\"<b>")"), R"({"type":"stringLiteral","val":"a\"\u003cb\u003e"})");
  EXPECT_EQ(json::parse(Ast("-(foo)")),
            json({{"type", "unaryExpr"},
                  {"op", "-"},
                  {"expr", {{"type", "parenExpr"}, {"expr", VectorSelectorJson("foo")}}}}));
}

}  // namespace
}  // namespace strata::collector::api
