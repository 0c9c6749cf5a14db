#include "collector/api/query_api.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "collector/storage/memory/memory_store.h"
#include "nlohmann/json.hpp"

namespace strata::collector::api {
namespace {

using common::Labels;
using common::Sample;
using nlohmann::json;

constexpr int64_t kNowMs = 1'700'000'000'000;
constexpr int64_t kLookbackMs = 5 * 60 * 1000;

class FakeClock final : public common::Clock {
 public:
  int64_t NowMs() const override { return now_ms; }
  int64_t MonotonicMs() const override { return now_ms; }
  int64_t now_ms = kNowMs;
};

// A storage whose every read fails, for the 422 paths.
class FailingStorage final : public StorageReader {
 public:
  absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>&, int64_t,
                                                 int64_t) override {
    return absl::UnavailableError("disk on fire");
  }
  absl::StatusOr<std::vector<Labels>> Series(const std::vector<LabelMatcher>&, int64_t,
                                             int64_t) override {
    return absl::UnavailableError("disk on fire");
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<LabelMatcher>&, int64_t,
                                                      int64_t) override {
    return absl::UnavailableError("disk on fire");
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string&,
                                                       const std::vector<LabelMatcher>&, int64_t,
                                                       int64_t) override {
    return absl::UnavailableError("disk on fire");
  }
};

ApiRequest Req(std::initializer_list<std::pair<const std::string, std::string>> params) {
  return ApiRequest{std::multimap<std::string, std::string>(params)};
}

json Body(const ApiResponse& r) { return json::parse(r.body); }

json BadData(const std::string& message) {
  return json{{"status", "error"}, {"errorType", "bad_data"}, {"error", message}};
}

json Execution(const std::string& message) {
  return json{{"status", "error"}, {"errorType", "execution"}, {"error", message}};
}

class QueryApiTest : public ::testing::Test {
 protected:
  void Add(const Labels& labels, std::vector<Sample> samples) {
    auto r = store_.Append(labels, samples);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->accepted, samples.size());
  }

  MemoryStore store_;
  FakeClock clock_;
  QueryApi api_{store_, clock_};
};

TEST_F(QueryApiTest, InstantQueryBodyMatchesPrometheusByteForByte) {
  Add({{"__name__", "up"}, {"job", "x"}}, {{1700000000000, 1}});
  ApiResponse r = api_.InstantQuery(Req({{"query", "up"}, {"time", "1700000000.123"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x"},"value":[1700000000.123,"1"]}]}})");
}

TEST_F(QueryApiTest, InstantQueryUsesLatestSampleAndStampsEvaluationTime) {
  Add({{"__name__", "up"}, {"job", "b"}}, {{kNowMs - 60'000, 1}, {kNowMs - 1'000, 0}});
  Add({{"__name__", "up"}, {"job", "a"}}, {{kNowMs - 2'000, 1}});
  Add({{"__name__", "down"}, {"job", "a"}}, {{kNowMs - 2'000, 7}});
  ApiResponse r = api_.InstantQuery(Req({{"query", "up"}}));  // time defaults to the clock
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), json::parse(R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"__name__":"up","job":"a"},"value":[1700000000,"1"]},
      {"metric":{"__name__":"up","job":"b"},"value":[1700000000,"0"]}]}})"));
}

TEST_F(QueryApiTest, LookbackWindowExcludesItsStartAndIncludesEvaluationTime) {
  Add({{"__name__", "edge"}, {"at", "start"}}, {{kNowMs - kLookbackMs, 1}});
  Add({{"__name__", "edge"}, {"at", "inside"}}, {{kNowMs - kLookbackMs + 1, 2}});
  Add({{"__name__", "edge"}, {"at", "now"}}, {{kNowMs, 3}});
  Add({{"__name__", "edge"}, {"at", "future"}}, {{kNowMs + 1, 4}});
  ApiResponse r = api_.InstantQuery(Req({{"query", "edge"}, {"time", "1700000000"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), json::parse(R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"__name__":"edge","at":"inside"},"value":[1700000000,"2"]},
      {"metric":{"__name__":"edge","at":"now"},"value":[1700000000,"3"]}]}})"));
}

TEST_F(QueryApiTest, StaleMarkerHidesSeries) {
  Add({{"__name__", "up"}, {"job", "gone"}},
      {{kNowMs - 2'000, 1}, {kNowMs - 1'000, common::StaleNaN()}});
  Add({{"__name__", "up"}, {"job", "nan"}}, {{kNowMs - 1'000, std::nan("")}});
  ApiResponse r = api_.InstantQuery(Req({{"query", "up"}}));
  EXPECT_EQ(Body(r), json::parse(R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"__name__":"up","job":"nan"},"value":[1700000000,"NaN"]}]}})"));
  // Before the marker the series is visible again.
  ApiResponse earlier =
      api_.InstantQuery(Req({{"query", "up{job=\"gone\"}"}, {"time", "1699999998.5"}}));
  EXPECT_EQ(Body(earlier),
            json::parse(R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"__name__":"up","job":"gone"},"value":[1699999998.5,"1"]}]}})"));
}

TEST_F(QueryApiTest, FormatsSpecialFloatsLikePrometheus) {
  Add({{"__name__", "v"}, {"k", "inf"}}, {{kNowMs, std::numeric_limits<double>::infinity()}});
  Add({{"__name__", "v"}, {"k", "neg"}}, {{kNowMs, -std::numeric_limits<double>::infinity()}});
  Add({{"__name__", "v"}, {"k", "tiny"}}, {{kNowMs, 1e-7}});
  Add({{"__name__", "v"}, {"k", "small"}}, {{kNowMs, 1e-5}});
  Add({{"__name__", "v"}, {"k", "big"}}, {{kNowMs, 1e20}});
  Add({{"__name__", "v"}, {"k", "huge"}}, {{kNowMs, 1e21}});
  Add({{"__name__", "v"}, {"k", "plain"}}, {{kNowMs, -0.25}});
  ApiResponse r = api_.InstantQuery(Req({{"query", "v"}}));
  std::map<std::string, std::string> got;
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = Body(r);
  for (const json& entry : body["data"]["result"]) {
    got[entry["metric"]["k"]] = entry["value"][1];
  }
  EXPECT_EQ(got, (std::map<std::string, std::string>{{"big", "100000000000000000000"},
                                                     {"huge", "1e+21"},
                                                     {"inf", "+Inf"},
                                                     {"neg", "-Inf"},
                                                     {"plain", "-0.25"},
                                                     {"small", "0.00001"},
                                                     {"tiny", "1e-07"}}));
}

TEST_F(QueryApiTest, TimestampsKeepThreeFractionDigitsLikePrometheus) {
  Add({{"__name__", "up"}}, {{kNowMs - 100'000, 1}});
  EXPECT_EQ(
      api_.InstantQuery(Req({{"query", "up"}, {"time", "1699999999.5"}})).body,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up"},"value":[1699999999.500,"1"]}]}})");
  EXPECT_EQ(
      api_.InstantQuery(Req({{"query", "up"}, {"time", "1699999999.05"}})).body,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up"},"value":[1699999999.050,"1"]}]}})");
}

TEST_F(QueryApiTest, EscapesLabelValuesLikeGoEncodingJson) {
  Add({{"__name__", "up"}, {"v", "a\"b\\c\n<&>\x01\xff\xC3\xA9"}}, {{kNowMs, 1}});
  EXPECT_EQ(
      api_.Series(Req({{"match[]", "up"}})).body,
      R"({"status":"success","data":[{"__name__":"up","v":"a\"b\\c\n\u003c\u0026\u003e\u0001\ufffdé"}]})");
}

TEST_F(QueryApiTest, InstantQueryAcceptsRfc3339Time) {
  Add({{"__name__", "up"}}, {{1767225600000 - 1000, 5}});
  ApiResponse r = api_.InstantQuery(Req({{"query", "up"}, {"time", "2026-01-01T02:00:00+02:00"}}));
  EXPECT_EQ(Body(r), json::parse(R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"__name__":"up"},"value":[1767225600,"5"]}]}})"));
}

TEST_F(QueryApiTest, EmptyResultIsAnEmptyArray) {
  ApiResponse r = api_.InstantQuery(Req({{"query", "nothing"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
}

TEST_F(QueryApiTest, MissingOrInvalidQueryIsBadData) {
  ApiResponse missing = api_.InstantQuery(Req({}));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Body(missing),
            BadData("invalid parameter \"query\": 1:1: parse error: no expression found in input"));
  ApiResponse bad = api_.InstantQuery(Req({{"query", "foo{!}"}}));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad), BadData("invalid parameter \"query\": 1:5: parse error: unexpected "
                               "character after '!' inside braces: '}'"));
  EXPECT_EQ(
      bad.body,
      R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected character after '!' inside braces: '}'"})");
}

TEST_F(QueryApiTest, InvalidTimeIsBadData) {
  ApiResponse r = api_.InstantQuery(Req({{"query", "up"}, {"time", "x"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r),
            BadData("invalid parameter \"time\": invalid time value for 'time': cannot parse "
                    "\"x\" to a valid timestamp"));
}

TEST_F(QueryApiTest, TooManySeriesIsExecutionError) {
  QueryApi small(store_, clock_, QueryApiOptions{.max_series = 2});
  for (int i = 0; i < 3; ++i) Add({{"__name__", "m"}, {"i", std::to_string(i)}}, {{kNowMs, 1}});
  // max_series bounds metadata requests only; PromQL queries are bounded by max_samples.
  EXPECT_EQ(small.InstantQuery(Req({{"query", "m"}})).status, 200);
  ApiResponse series = small.Series(Req({{"match[]", "m"}}));
  EXPECT_EQ(series.status, 422);
  EXPECT_EQ(Body(series), Execution("query selected 3 series, more than the limit of 2"));
  ApiResponse limited = small.Series(Req({{"match[]", "m"}, {"limit", "2"}}));
  EXPECT_EQ(limited.status, 200);
}

TEST(QueryApiStorageErrorTest, StorageFailureIsExecutionError) {
  FailingStorage storage;
  FakeClock clock;
  QueryApi api(storage, clock);
  const json want = Execution("disk on fire");
  ApiResponse q = api.InstantQuery(Req({{"query", "up"}}));
  EXPECT_EQ(q.status, 422);
  EXPECT_EQ(Body(q), want);
  ApiResponse s = api.Series(Req({{"match[]", "up"}}));
  EXPECT_EQ(s.status, 422);
  EXPECT_EQ(Body(s), want);
  EXPECT_EQ(Body(api.LabelNames(Req({}))), want);
  EXPECT_EQ(Body(api.LabelValues("job", Req({}))), want);
}

TEST_F(QueryApiTest, InstantQueryEvaluatesPromQL) {
  Add({{"__name__", "up"}, {"job", "a"}}, {{kNowMs - 1000, 1}});
  Add({{"__name__", "up"}, {"job", "b"}}, {{kNowMs - 1000, 0}});
  ApiResponse r = api_.InstantQuery(Req({{"query", "sum(up) * 2"}, {"time", "1700000000"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"2"]}]}})");
}

TEST_F(QueryApiTest, InstantQueryScalarAndStringResults) {
  EXPECT_EQ(
      api_.InstantQuery(Req({{"query", "1.5"}, {"time", "1700000000.5"}})).body,
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.500,"1.5"]}})");
  EXPECT_EQ(api_.InstantQuery(Req({{"query", "\"hi\""}, {"time", "1700000000"}})).body,
            R"({"status":"success","data":{"resultType":"string","result":[1700000000,"hi"]}})");
}

TEST_F(QueryApiTest, InstantQueryOfRangeSelectorIsMatrix) {
  Add({{"__name__", "up"}}, {{kNowMs - 2000, 1}, {kNowMs - 1000, 2}});
  EXPECT_EQ(
      api_.InstantQuery(Req({{"query", "up[1m]"}, {"time", "1700000000"}})).body,
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[1699999998,"1"],[1699999999,"2"]]}]}})");
}

TEST_F(QueryApiTest, EvaluationErrorIsExecution) {
  Add({{"__name__", "a"}, {"job", "x"}}, {{kNowMs, 1}});
  Add({{"__name__", "b"}, {"job", "x"}}, {{kNowMs, 1}});
  ApiResponse r = api_.InstantQuery(Req({{"query", "{job=\"x\"} * 2"}}));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(Body(r), Execution("vector cannot contain metrics with the same labelset"));
}

TEST_F(QueryApiTest, InvalidTimeoutIsBadData) {
  ApiResponse r = api_.InstantQuery(Req({{"query", "1"}, {"timeout", "soon"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r),
            BadData("invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration"));
}

TEST_F(QueryApiTest, RangeQueryBodyMatchesPrometheus) {
  Add({{"__name__", "up"}, {"job", "a"}}, {{kNowMs - 60000, 1}, {kNowMs - 30000, 2}, {kNowMs, 3}});
  ApiResponse r = api_.RangeQuery(
      Req({{"query", "up"}, {"start", "1699999940"}, {"end", "1700000000"}, {"step", "30s"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"a"},"values":[[1699999940,"1"],[1699999970,"2"],[1700000000,"3"]]}]}})");
  ApiResponse scalar = api_.RangeQuery(
      Req({{"query", "time()"}, {"start", "100"}, {"end", "101"}, {"step", "0.5"}}));
  EXPECT_EQ(
      scalar.body,
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[100,"100"],[100.500,"100.5"],[101,"101"]]}]}})");
}

TEST_F(QueryApiTest, RangeQueryParameterErrors) {
  EXPECT_EQ(Body(api_.RangeQuery(Req({{"query", "1"}, {"end", "10"}, {"step", "1"}}))),
            BadData("invalid parameter \"start\": cannot parse \"\" to a valid timestamp"));
  EXPECT_EQ(
      Body(api_.RangeQuery(Req({{"query", "1"}, {"start", "10"}, {"end", "5"}, {"step", "1"}}))),
      BadData("invalid parameter \"end\": end timestamp must not be before start time"));
  EXPECT_EQ(
      Body(api_.RangeQuery(Req({{"query", "1"}, {"start", "1"}, {"end", "5"}, {"step", "x"}}))),
      BadData("invalid parameter \"step\": cannot parse \"x\" to a valid duration"));
  EXPECT_EQ(
      Body(api_.RangeQuery(Req({{"query", "1"}, {"start", "1"}, {"end", "5"}, {"step", "0"}}))),
      BadData("invalid parameter \"step\": zero or negative query resolution step widths are "
              "not accepted. Try a positive integer"));
  ApiResponse res =
      api_.RangeQuery(Req({{"query", "1"}, {"start", "0"}, {"end", "11001"}, {"step", "1"}}));
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(Body(res), BadData("exceeded maximum resolution of 11,000 points per timeseries. Try "
                               "decreasing the query resolution (?step=XX)"));
  EXPECT_EQ(api_.RangeQuery(Req({{"query", "1"}, {"start", "0"}, {"end", "11000"}, {"step", "1"}}))
                .status,
            200);
  EXPECT_EQ(Body(api_.RangeQuery(
                Req({{"query", "up[5m]"}, {"start", "1"}, {"end", "5"}, {"step", "1"}}))),
            BadData("invalid parameter \"query\": invalid expression type \"range vector\" for "
                    "range query, must be Scalar or instant Vector"));
}

class QueryApiMetadataTest : public QueryApiTest {
 protected:
  void SetUp() override {
    Add({{"__name__", "up"}, {"job", "api"}, {"env", "prod"}}, {{1000, 1}});
    Add({{"__name__", "up"}, {"job", "db"}}, {{5000, 1}});
    Add({{"__name__", "requests_total"}, {"job", "api"}, {"code", "200"}}, {{5000, 1}});
  }
};

TEST_F(QueryApiMetadataTest, SeriesUnionsMatchSetsSortedAndDeduplicated) {
  ApiRequest req;
  req.params.emplace("match[]", "up");
  req.params.emplace("match[]", "{job=\"api\"}");
  ApiResponse r = api_.Series(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), json::parse(R"({"status":"success","data":[
      {"__name__":"requests_total","code":"200","job":"api"},
      {"__name__":"up","env":"prod","job":"api"},
      {"__name__":"up","job":"db"}]})"));
}

TEST_F(QueryApiMetadataTest, SeriesRestrictedToStartEnd) {
  ApiResponse r = api_.Series(Req({{"match[]", "up"}, {"start", "2"}, {"end", "10"}}));
  EXPECT_EQ(Body(r), json::parse(R"({"status":"success","data":[{"__name__":"up","job":"db"}]})"));
}

TEST_F(QueryApiMetadataTest, SeriesLimitTruncatesWithWarning) {
  ApiResponse r = api_.Series(Req({{"match[]", "{job=~\".+\"}"}, {"limit", "2"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":[{"__name__":"requests_total","code":"200","job":"api"},{"__name__":"up","env":"prod","job":"api"}],"warnings":["results truncated due to limit"]})");
  ApiResponse exact = api_.Series(Req({{"match[]", "{job=~\".+\"}"}, {"limit", "3"}}));
  EXPECT_FALSE(Body(exact).contains("warnings"));
  EXPECT_EQ(Body(exact)["data"].size(), 3u);
}

TEST_F(QueryApiMetadataTest, SeriesParameterErrorsAreBadData) {
  EXPECT_EQ(Body(api_.Series(Req({}))), BadData("no match[] parameter provided"));
  EXPECT_EQ(api_.Series(Req({})).status, 400);
  EXPECT_EQ(Body(api_.Series(Req({{"match[]", "{}"}}))),
            BadData("invalid parameter \"match[]\": 1:1: parse error: vector selector must "
                    "contain at least one non-empty matcher"));
  EXPECT_EQ(Body(api_.Series(Req({{"match[]", "up"}, {"start", "yesterday"}}))),
            BadData("invalid parameter \"start\": cannot parse \"yesterday\" to a valid "
                    "timestamp"));
  EXPECT_EQ(Body(api_.Series(Req({{"match[]", "up"}, {"start", "10"}, {"end", "5"}}))),
            BadData("end timestamp must not be before start time"));
  EXPECT_EQ(Body(api_.Series(Req({{"match[]", "up"}, {"limit", "ten"}}))),
            BadData("invalid parameter \"limit\": cannot parse \"ten\" to a valid limit"));
  EXPECT_EQ(Body(api_.Series(Req({{"match[]", "up"}, {"limit", "-1"}}))),
            BadData("invalid parameter \"limit\": limit must be non-negative"));
}

TEST_F(QueryApiMetadataTest, LabelNamesOverAllOrMatchingSeries) {
  EXPECT_EQ(api_.LabelNames(Req({})).body,
            R"({"status":"success","data":["__name__","code","env","job"]})");
  EXPECT_EQ(Body(api_.LabelNames(Req({{"match[]", "up"}}))),
            json::parse(R"({"status":"success","data":["__name__","env","job"]})"));
  EXPECT_EQ(Body(api_.LabelNames(Req({{"match[]", "up"}, {"start", "2"}}))),
            json::parse(R"({"status":"success","data":["__name__","job"]})"));
  EXPECT_EQ(Body(api_.LabelNames(Req({{"limit", "1"}}))),
            json::parse(R"({"status":"success","data":["__name__"],
                            "warnings":["results truncated due to limit"]})"));
}

TEST_F(QueryApiMetadataTest, LabelValuesSortedAndFiltered) {
  EXPECT_EQ(Body(api_.LabelValues("job", Req({}))),
            json::parse(R"({"status":"success","data":["api","db"]})"));
  EXPECT_EQ(Body(api_.LabelValues("__name__", Req({}))),
            json::parse(R"({"status":"success","data":["requests_total","up"]})"));
  EXPECT_EQ(Body(api_.LabelValues("code", Req({{"match[]", "up"}}))),
            json::parse(R"({"status":"success","data":[]})"));
  EXPECT_EQ(Body(api_.LabelValues("job", Req({{"match[]", "up"}, {"end", "1.5"}}))),
            json::parse(R"({"status":"success","data":["api"]})"));
}

TEST_F(QueryApiMetadataTest, LabelValuesOfInvalidLabelNameIsBadData) {
  ApiResponse r = api_.LabelValues("1abc", Req({}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r), BadData("invalid label name: \"1abc\""));
}

TEST_F(QueryApiTest, FormatQueryReturnsCanonicalPromql) {
  ApiResponse r = api_.FormatQuery(Req({{"query", "foo/bar"}}));
  EXPECT_EQ(r.status, 200);
  // The example of Prometheus' documentation.
  EXPECT_EQ(r.body, R"({"status":"success","data":"foo / bar"})");
  EXPECT_EQ(Body(api_.FormatQuery(
                Req({{"query", "sum by(job)(rate(x{b='2',a=\"1\"}[90s])) # c"}})))["data"],
            "sum by (job) (rate(x{a=\"1\",b=\"2\"}[1m30s]))");
}

TEST_F(QueryApiTest, FormatQueryOfInvalidQueryIsBadData) {
  ApiResponse r = api_.FormatQuery(Req({{"query", "foo +"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r),
            BadData("invalid parameter \"query\": 1:6: parse error: unexpected end of input"));
  EXPECT_EQ(api_.FormatQuery(Req({})).status, 400);
}

TEST_F(QueryApiTest, ParseQueryWrapsTheSyntaxTree) {
  ApiResponse r = api_.ParseQuery(Req({{"query", "1"}}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"success","data":{"type":"numberLiteral","val":"1"}})");
  ApiResponse bad = api_.ParseQuery(Req({{"query", "rate(foo)"}}));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad)["errorType"], "bad_data");
}

}  // namespace
}  // namespace strata::collector::api
