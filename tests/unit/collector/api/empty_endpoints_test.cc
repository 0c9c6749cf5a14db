#include "collector/api/empty_endpoints.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

namespace strata::collector::api {
namespace {

ApiRequest Req(std::initializer_list<std::pair<const std::string, std::string>> params) {
  return ApiRequest{std::multimap<std::string, std::string>(params)};
}

std::string BadData(const std::string& message) {
  return R"({"status":"error","errorType":"bad_data","error":")" + message + R"("})";
}

TEST(EmptyEndpointsTest, MetadataIsAnEmptyObject) {
  ApiResponse r = Metadata(Req({{"metric", "up"}, {"limit", "10"}, {"limit_per_metric", "-1"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":{}})");
  EXPECT_EQ(Metadata(Req({})).body, R"({"status":"success","data":{}})");
}

TEST(EmptyEndpointsTest, MetadataRejectsNonNumericLimits) {
  ApiResponse r = Metadata(Req({{"limit", "ten"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, BadData("limit must be a number"));
  EXPECT_EQ(Metadata(Req({{"limit_per_metric", "1.5"}})).body,
            BadData("limit_per_metric must be a number"));
}

TEST(EmptyEndpointsTest, QueryExemplarsIsAnEmptyArray) {
  ApiResponse r = QueryExemplars(Req({{"query", "up"}, {"start", "100"}, {"end", "200"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":[]})");
}

TEST(EmptyEndpointsTest, QueryExemplarsValidatesLikePrometheus) {
  ApiResponse bad_query = QueryExemplars(Req({{"query", "up +"}}));
  EXPECT_EQ(bad_query.status, 400);
  EXPECT_EQ(bad_query.body, BadData("1:5: parse error: unexpected end of input"));
  EXPECT_EQ(QueryExemplars(Req({{"query", "up"}, {"start", "x"}})).body,
            BadData(R"(invalid parameter \"start\": cannot parse \"x\" to a valid timestamp)"));
  EXPECT_EQ(QueryExemplars(Req({{"query", "up"}, {"start", "200"}, {"end", "100"}})).body,
            BadData("end timestamp must not be before start timestamp"));
}

TEST(EmptyEndpointsTest, RulesAndAlertsAreEmpty) {
  EXPECT_EQ(Rules(Req({})).body, R"({"status":"success","data":{"groups":[]}})");
  EXPECT_EQ(Rules(Req({{"type", "alert"}})).status, 200);
  ApiResponse bad = Rules(Req({{"type", "both"}}));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, BadData(R"(invalid parameter \"type\": not supported value \"both\")"));
  EXPECT_EQ(Alerts(Req({})).body, R"({"status":"success","data":{"alerts":[]}})");
}

}  // namespace
}  // namespace strata::collector::api
