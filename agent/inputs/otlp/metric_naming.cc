#include "agent/inputs/otlp/metric_naming.h"

#include <array>
#include <utility>

namespace strata::agent::otlp {
namespace {

bool IsNameChar(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (colon && c == ':');
}

// Escapes `s`: invalid characters become '_', runs of '_' collapse, edges are trimmed.
std::string Escape(std::string_view s, bool colon) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    char e = IsNameChar(c, colon) ? c : '_';
    if (e == '_' && (out.empty() || out.back() == '_')) continue;
    out.push_back(e);
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 33> kUnits = {{
    {"d", "days"},          {"h", "hours"},         {"min", "minutes"},    {"s", "seconds"},
    {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"}, {"By", "bytes"},
    {"KiBy", "kibibytes"},  {"MiBy", "mebibytes"},  {"GiBy", "gibibytes"}, {"TiBy", "tibibytes"},
    {"KBy", "kilobytes"},   {"MBy", "megabytes"},   {"GBy", "gigabytes"},  {"TBy", "terabytes"},
    {"m", "meters"},        {"V", "volts"},         {"A", "amperes"},      {"J", "joules"},
    {"W", "watts"},         {"g", "grams"},         {"Cel", "celsius"},    {"Hz", "hertz"},
    {"%", "percent"},       {"bit", "bits"},        {"Kibit", "kibibits"}, {"Mibit", "mebibits"},
    {"Gibit", "gibibits"},  {"kbit", "kilobits"},   {"Mbit", "megabits"},  {"Gbit", "gigabits"},
    {"K", "kelvin"},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kPerUnits = {{
    {"s", "second"},
    {"m", "minute"},
    {"h", "hour"},
    {"d", "day"},
    {"w", "week"},
    {"mo", "month"},
    {"y", "year"},
}};

std::string Lookup(std::string_view unit, bool per) {
  if (per) {
    for (const auto& [k, v] : kPerUnits) {
      if (k == unit) return std::string(v);
    }
  } else {
    for (const auto& [k, v] : kUnits) {
      if (k == unit) return std::string(v);
    }
  }
  return Escape(unit, false);
}

// Removes "{...}" annotations.
std::string StripAnnotations(std::string_view unit) {
  std::string out;
  int depth = 0;
  for (char c : unit) {
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string UnitSuffix(std::string_view raw_unit, MetricKind kind) {
  const std::string unit = StripAnnotations(raw_unit);
  if (unit.empty()) return "";
  if (unit == "1") return kind == MetricKind::kGauge ? "ratio" : "";
  size_t slash = unit.find('/');
  if (slash == std::string::npos) return Lookup(unit, false);
  std::string main = unit.substr(0, slash) == "" ? "" : Lookup(unit.substr(0, slash), false);
  std::string per = Lookup(unit.substr(slash + 1), true);
  if (per.empty()) return main;
  return main.empty() ? "per_" + per : main + "_per_" + per;
}

std::string PrometheusMetricName(std::string_view name, std::string_view unit, MetricKind kind) {
  std::string out = Escape(name, true);
  if (out.empty()) return out;
  if (out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
  auto append = [&out](std::string_view suffix) {
    if (suffix.empty()) return;
    if (out.size() > suffix.size() && out.ends_with(suffix) &&
        out[out.size() - suffix.size() - 1] == '_') {
      return;
    }
    out.append("_").append(suffix);
  };
  append(UnitSuffix(unit, kind));
  if (kind == MetricKind::kCounter) append("total");
  return out;
}

std::string PrometheusLabelName(std::string_view key) {
  if (key.empty()) return "";
  std::string out;
  out.reserve(key.size() + 4);
  if (key[0] >= '0' && key[0] <= '9') out = "key_";
  for (char c : key) out.push_back(IsNameChar(c, false) ? c : '_');
  return out;
}

}  // namespace strata::agent::otlp
