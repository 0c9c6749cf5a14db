#pragma once

// OTLP attributes as Prometheus labels: keys escaped with PrometheusLabelName (metric_naming.h),
// values rendered as text (strings as they are; bools "true"/"false"; integers in decimal;
// doubles in the shortest form that reads back the same; arrays and key-value lists as JSON;
// bytes base64). Attributes whose keys escape to the same name are joined with ';' in the order
// of their original keys, as the OpenTelemetry compatibility specification asks. Attributes
// with an empty key or an empty value are left out (an empty label is no label).

#include <string>
#include <vector>

#include "common/model/labels.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "opentelemetry/proto/common/v1/common.pb.h"

namespace strata::agent::otlp {

using Attributes = google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>;

// The text form of an attribute value.
std::string AnyValueText(const opentelemetry::proto::common::v1::AnyValue& value);

// Appends the attributes as labels to `out` (unsorted; names unique among those appended).
void AppendAttributeLabels(const Attributes& attributes, std::vector<common::Label>* out);

}  // namespace strata::agent::otlp
