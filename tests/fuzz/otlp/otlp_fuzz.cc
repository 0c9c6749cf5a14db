// Arbitrary bytes as an OTLP export request, decoded as the HTTP receiver does (binary protobuf,
// or OTLP JSON when the first byte is '{') and translated twice (so delta totals accumulate):
// no crash, every sample a well-formed series, and the tally consistent with the points.
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agent/inputs/otlp/otlp_translator.h"
#include "common/model/names.h"
#include "common/model/utf8.h"
#include "common/selfmon/metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  namespace collector = opentelemetry::proto::collector::metrics::v1;
  static common::Registry registry;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  collector::ExportMetricsServiceRequest request;
  if (!bytes.empty() && bytes[0] == '{') {
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(bytes, &request, opts).ok()) return 0;
  } else if (!request.ParseFromString(bytes)) {
    return 0;
  }
  agent::otlp::OtlpOptions options;
  options.max_delta_series = 16;
  options.max_histogram_buckets = 64;
  agent::otlp::OtlpTranslator translator(options, registry);
  for (int round = 0; round < 2; ++round) {
    common::SampleBatch batch;
    auto r = translator.Translate(request, 1'700'000'000'000 + round, &batch);
    if (r.accepted_points < 0 || r.rejected_points < 0) abort();
    if (r.rejected_points > 0 && r.error.empty()) abort();
    for (const common::SeriesSample& s : batch) {
      if (!common::IsValidMetricName(s.labels.MetricName())) abort();
      std::string_view prev;
      for (const auto& l : s.labels) {
        if (l.value.empty() || l.name <= prev || !common::IsValidUtf8(l.value)) abort();
        if (l.name != common::kMetricNameLabel && !common::IsValidLabelName(l.name)) abort();
        prev = l.name;
      }
    }
  }
  return 0;
}
