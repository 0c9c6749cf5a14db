#include "agent/inputs/otlp/metric_naming.h"

#include <gtest/gtest.h>

namespace strata::agent::otlp {
namespace {

TEST(MetricNamingTest, EscapesAndAddsUnitAndTotalSuffixes) {
  EXPECT_EQ(PrometheusMetricName("http.server.duration", "s", MetricKind::kHistogram),
            "http_server_duration_seconds");
  EXPECT_EQ(PrometheusMetricName("requests", "{request}", MetricKind::kCounter), "requests_total");
  EXPECT_EQ(PrometheusMetricName("requests_total", "", MetricKind::kCounter), "requests_total");
  EXPECT_EQ(PrometheusMetricName("io", "By", MetricKind::kCounter), "io_bytes_total");
  EXPECT_EQ(PrometheusMetricName("io_bytes", "By", MetricKind::kCounter), "io_bytes_total");
  EXPECT_EQ(PrometheusMetricName("temp", "Cel", MetricKind::kGauge), "temp_celsius");
  EXPECT_EQ(PrometheusMetricName("cpu.utilization", "1", MetricKind::kGauge),
            "cpu_utilization_ratio");
  EXPECT_EQ(PrometheusMetricName("hits", "1", MetricKind::kCounter), "hits_total");
  EXPECT_EQ(PrometheusMetricName("in_use", "1", MetricKind::kUpDownCounter), "in_use");
  EXPECT_EQ(PrometheusMetricName("speed", "m/s", MetricKind::kGauge), "speed_meters_per_second");
  EXPECT_EQ(PrometheusMetricName("rate", "{packet}/s", MetricKind::kGauge), "rate_per_second");
  EXPECT_EQ(PrometheusMetricName("a..b--c", "", MetricKind::kGauge), "a_b_c");
  EXPECT_EQ(PrometheusMetricName("__x__", "", MetricKind::kGauge), "x");
  EXPECT_EQ(PrometheusMetricName("2xx", "", MetricKind::kGauge), "_2xx");
  EXPECT_EQ(PrometheusMetricName("ns:metric", "", MetricKind::kGauge), "ns:metric");
  EXPECT_EQ(PrometheusMetricName("...", "s", MetricKind::kGauge), "");
  EXPECT_EQ(PrometheusMetricName("q", "furlongs", MetricKind::kGauge), "q_furlongs");
}

TEST(MetricNamingTest, LabelNames) {
  EXPECT_EQ(PrometheusLabelName("http.method"), "http_method");
  EXPECT_EQ(PrometheusLabelName("0day"), "key_0day");
  EXPECT_EQ(PrometheusLabelName("ok_name"), "ok_name");
  EXPECT_EQ(PrometheusLabelName(""), "");
}

}  // namespace
}  // namespace strata::agent::otlp
