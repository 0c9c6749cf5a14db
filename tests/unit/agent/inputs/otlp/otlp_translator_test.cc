#include "agent/inputs/otlp/otlp_translator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "common/selfmon/metrics.h"

namespace strata::agent::otlp {
namespace {

namespace pb = opentelemetry::proto::metrics::v1;
using opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;

constexpr uint64_t kT = 1'700'000'000'000'000'000ULL;  // ns
constexpr int64_t kTms = 1'700'000'000'000;

void Attr(google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>* attrs,
          const std::string& k, const std::string& v) {
  auto* kv = attrs->Add();
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

class OtlpTranslatorTest : public ::testing::Test {
 protected:
  OtlpTranslatorTest() : translator_(options_, registry_) {
    rm_ = request_.add_resource_metrics();
    Attr(rm_->mutable_resource()->mutable_attributes(), "service.name", "cart");
    Attr(rm_->mutable_resource()->mutable_attributes(), "service.namespace", "shop");
    Attr(rm_->mutable_resource()->mutable_attributes(), "service.instance.id", "i-1");
    Attr(rm_->mutable_resource()->mutable_attributes(), "deployment.environment", "prod");
    scope_ = rm_->add_scope_metrics();
    scope_->mutable_scope()->set_name("lib");
  }
  pb::Metric* NewMetric(const std::string& name, const std::string& unit = "") {
    pb::Metric* m = scope_->add_metrics();
    m->set_name(name);
    m->set_unit(unit);
    return m;
  }
  // Translates and returns the samples by series text.
  std::map<std::string, double> Run(OtlpTranslator::Result* result = nullptr) {
    common::SampleBatch batch;
    OtlpTranslator::Result r = translator_.Translate(request_, kTms + 5000, &batch);
    if (result != nullptr) *result = r;
    std::map<std::string, double> out;
    for (const auto& s : batch) {
      EXPECT_TRUE(out.emplace(s.labels.ToString(), s.sample.value).second)
          << "duplicate " << s.labels.ToString();
      timestamps_.push_back(s.sample.timestamp_ms);
    }
    return out;
  }

  OtlpOptions options_;
  common::Registry registry_;
  OtlpTranslator translator_;
  ExportMetricsServiceRequest request_;
  pb::ResourceMetrics* rm_;
  pb::ScopeMetrics* scope_;
  std::vector<int64_t> timestamps_;
};

const std::string kRes = R"(instance="i-1",job="shop/cart")";

TEST_F(OtlpTranslatorTest, GaugesAndSumsWithResourceLabelsAndTargetInfo) {
  auto* g = NewMetric("temp", "Cel")->mutable_gauge()->add_data_points();
  g->set_time_unix_nano(kT);
  g->set_as_double(21.5);
  Attr(g->mutable_attributes(), "room.name", "lab");
  auto* sum = NewMetric("requests", "{request}")->mutable_sum();
  sum->set_is_monotonic(true);
  sum->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* p = sum->add_data_points();
  p->set_time_unix_nano(kT);
  p->set_as_int(42);
  auto* updown = NewMetric("queue.depth")->mutable_sum();
  updown->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* q = updown->add_data_points();
  q->set_time_unix_nano(kT);
  q->set_as_int(-3);
  OtlpTranslator::Result r;
  auto out = Run(&r);
  EXPECT_EQ(r.accepted_points, 3);
  EXPECT_EQ(r.rejected_points, 0);
  EXPECT_EQ(out["temp_celsius{" + kRes + R"(,room_name="lab"})"], 21.5);
  EXPECT_EQ(out["requests_total{" + kRes + "}"], 42);
  EXPECT_EQ(out["queue_depth{" + kRes + "}"], -3);
  EXPECT_EQ(out[R"(target_info{deployment_environment="prod",)" + kRes + "}"], 1);
  EXPECT_EQ(out.size(), 4u);
  for (int64_t ts : timestamps_) EXPECT_EQ(ts, kTms);
}

TEST_F(OtlpTranslatorTest, ResourceJobAndInstanceWinOverAttributes) {
  auto* g = NewMetric("g")->mutable_gauge()->add_data_points();
  g->set_as_double(1);
  Attr(g->mutable_attributes(), "job", "other");
  Attr(g->mutable_attributes(), "http.method", "GET");
  Attr(g->mutable_attributes(), "http_method", "POST");  // escapes to the same name
  auto out = Run();
  EXPECT_EQ(out.count("g{http_method=\"GET;POST\"," + kRes + "}"), 1u) << out.begin()->first;
  for (int64_t ts : timestamps_) EXPECT_EQ(ts, kTms + 5000);  // no time: the receive time
}

TEST_F(OtlpTranslatorTest, HistogramBecomesCumulativeBuckets) {
  auto* h = NewMetric("latency", "ms")->mutable_histogram();
  h->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* p = h->add_data_points();
  p->set_time_unix_nano(kT);
  p->set_count(6);
  p->set_sum(900);
  for (double b : {100.0, 250.0}) p->add_explicit_bounds(b);
  for (uint64_t c : {1, 4, 1}) p->add_bucket_counts(c);
  auto out = Run();
  const std::string n = "latency_milliseconds";
  EXPECT_EQ(out[n + "_bucket{" + kRes + R"(,le="100"})"], 1);
  EXPECT_EQ(out[n + "_bucket{" + kRes + R"(,le="250"})"], 5);
  EXPECT_EQ(out[n + "_bucket{" + kRes + R"(,le="+Inf"})"], 6);
  EXPECT_EQ(out[n + "_sum{" + kRes + "}"], 900);
  EXPECT_EQ(out[n + "_count{" + kRes + "}"], 6);
}

TEST_F(OtlpTranslatorTest, DeltaSumsAndHistogramsAccumulate) {
  auto* sum = NewMetric("jobs")->mutable_sum();
  sum->set_is_monotonic(true);
  sum->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_DELTA);
  auto* sp = sum->add_data_points();
  sp->set_as_int(5);
  auto* h = NewMetric("size", "By")->mutable_histogram();
  h->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_DELTA);
  auto* hp = h->add_data_points();
  hp->set_count(2);
  hp->set_sum(30);
  hp->add_explicit_bounds(10);
  hp->add_bucket_counts(1);
  hp->add_bucket_counts(1);
  Run();
  sp->set_as_int(7);
  hp->set_count(3);
  hp->set_sum(12);
  hp->set_bucket_counts(0, 3);
  hp->set_bucket_counts(1, 0);
  auto out = Run();
  EXPECT_EQ(out["jobs_total{" + kRes + "}"], 12);
  EXPECT_EQ(out["size_bytes_count{" + kRes + "}"], 5);
  EXPECT_EQ(out["size_bytes_sum{" + kRes + "}"], 42);
  EXPECT_EQ(out["size_bytes_bucket{" + kRes + R"(,le="10"})"], 4);
  EXPECT_EQ(out["size_bytes_bucket{" + kRes + R"(,le="+Inf"})"], 5);
  EXPECT_EQ(registry_.ValueOf("strata_agent_otlp_delta_series"), 2);
}

TEST_F(OtlpTranslatorTest, DeltaSeriesBeyondTheLimitAreRejected) {
  options_.max_delta_series = 1;
  OtlpTranslator limited(options_, registry_);
  auto* sum = NewMetric("jobs")->mutable_sum();
  sum->set_is_monotonic(true);
  sum->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_DELTA);
  for (const char* route : {"/a", "/b"}) {
    auto* p = sum->add_data_points();
    p->set_as_int(1);
    Attr(p->mutable_attributes(), "route", route);
  }
  common::SampleBatch batch;
  OtlpTranslator::Result r = limited.Translate(request_, kTms, &batch);
  EXPECT_EQ(r.accepted_points, 1);
  EXPECT_EQ(r.rejected_points, 1);
  EXPECT_NE(r.error.find("max_delta_series"), std::string::npos);
}

TEST_F(OtlpTranslatorTest, SummaryQuantilesSumAndCount) {
  auto* p = NewMetric("rpc.latency", "s")->mutable_summary()->add_data_points();
  p->set_count(10);
  p->set_sum(2.5);
  auto* q = p->add_quantile_values();
  q->set_quantile(0.99);
  q->set_value(0.7);
  auto out = Run();
  EXPECT_EQ(out["rpc_latency_seconds{" + kRes + R"(,quantile="0.99"})"], 0.7);
  EXPECT_EQ(out["rpc_latency_seconds_sum{" + kRes + "}"], 2.5);
  EXPECT_EQ(out["rpc_latency_seconds_count{" + kRes + "}"], 10);
}

TEST_F(OtlpTranslatorTest, NoRecordedValueIsAStalenessMarker) {
  auto* p = NewMetric("g")->mutable_gauge()->add_data_points();
  p->set_flags(pb::DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK);
  common::SampleBatch batch;
  translator_.Translate(request_, kTms, &batch);
  ASSERT_EQ(batch.size(), 2u);  // the gauge and target_info
  EXPECT_TRUE(common::IsStaleNaN(batch[0].sample.value));
}

TEST_F(OtlpTranslatorTest, BadPointsAreRejectedAndTheRestKept) {
  auto* bad = NewMetric("h")->mutable_histogram();
  bad->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  auto* bp = bad->add_data_points();
  bp->set_count(1);
  bp->add_explicit_bounds(1);
  bp->add_bucket_counts(1);  // one short
  auto* unspecified = NewMetric("s")->mutable_sum();
  unspecified->add_data_points()->set_as_int(1);
  unspecified->add_data_points()->set_as_int(2);
  NewMetric("...")->mutable_gauge()->add_data_points()->set_as_double(1);
  NewMetric("ok")->mutable_gauge()->add_data_points()->set_as_double(3);
  OtlpTranslator::Result r;
  auto out = Run(&r);
  EXPECT_EQ(r.rejected_points, 4);
  EXPECT_EQ(r.accepted_points, 1);
  EXPECT_NE(r.error.find("bounds + 1"), std::string::npos) << r.error;
  EXPECT_EQ(out["ok{" + kRes + "}"], 3);
  EXPECT_EQ(registry_.ValueOf("strata_agent_otlp_data_points_total", {{"outcome", "rejected"}}), 4);
}

TEST_F(OtlpTranslatorTest, ServiceNameAloneIsTheJob) {
  request_.clear_resource_metrics();
  auto* rm = request_.add_resource_metrics();
  Attr(rm->mutable_resource()->mutable_attributes(), "service.name", "solo");
  auto* m = rm->add_scope_metrics()->add_metrics();
  m->set_name("up");
  m->mutable_gauge()->add_data_points()->set_as_int(1);
  auto out = Run();
  EXPECT_EQ(out.count(R"(up{job="solo"})"), 1u);
  EXPECT_EQ(out.size(), 1u);  // no other resource attributes: no target_info
}

}  // namespace
}  // namespace strata::agent::otlp
