#include "agent/inputs/otlp/attribute_labels.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "agent/inputs/otlp/metric_naming.h"

namespace strata::agent::otlp {
namespace {

using opentelemetry::proto::common::v1::AnyValue;

// A JSON string literal (nlohmann::json's escaping; invalid UTF-8 is replaced, not thrown).
void AppendJsonString(const std::string& s, std::string* out) {
  out->append(nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string FormatDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

// `json`: nested values are written as JSON (strings quoted).
void AppendValue(const AnyValue& v, bool json, std::string* out, int depth) {
  if (depth > 16) {  // protobuf already bounds nesting; this keeps the text bounded too
    out->append("null");
    return;
  }
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      if (json) {
        AppendJsonString(v.string_value(), out);
      } else {
        out->append(v.string_value());
      }
      break;
    case AnyValue::kBoolValue:
      out->append(v.bool_value() ? "true" : "false");
      break;
    case AnyValue::kIntValue:
      out->append(std::to_string(v.int_value()));
      break;
    case AnyValue::kDoubleValue:
      out->append(FormatDouble(v.double_value()));
      break;
    case AnyValue::kBytesValue:
      if (json) out->push_back('"');
      out->append(absl::Base64Escape(v.bytes_value()));
      if (json) out->push_back('"');
      break;
    case AnyValue::kArrayValue: {
      out->push_back('[');
      bool first = true;
      for (const AnyValue& e : v.array_value().values()) {
        if (!first) out->push_back(',');
        first = false;
        AppendValue(e, true, out, depth + 1);
      }
      out->push_back(']');
      break;
    }
    case AnyValue::kKvlistValue: {
      out->push_back('{');
      bool first = true;
      for (const auto& kv : v.kvlist_value().values()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(kv.key(), out);
        out->push_back(':');
        AppendValue(kv.value(), true, out, depth + 1);
      }
      out->push_back('}');
      break;
    }
    case AnyValue::VALUE_NOT_SET:
      if (json) out->append("null");
      break;
  }
}

}  // namespace

std::string AnyValueText(const AnyValue& value) {
  std::string out;
  AppendValue(value, false, &out, 0);
  return out;
}

void AppendAttributeLabels(const Attributes& attributes, std::vector<common::Label>* out) {
  if (attributes.empty()) return;
  // Escaped name -> (original key, value), ordered by original key for the ';' join.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_name;
  for (const auto& kv : attributes) {
    std::string name = PrometheusLabelName(kv.key());
    std::string value = AnyValueText(kv.value());
    if (name.empty() || value.empty()) continue;
    by_name[std::move(name)].emplace_back(kv.key(), std::move(value));
  }
  for (auto& [name, values] : by_name) {
    std::sort(values.begin(), values.end());
    std::string joined;
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) joined.push_back(';');
      joined.append(values[i].second);
    }
    out->push_back({name, std::move(joined)});
  }
}

}  // namespace strata::agent::otlp
