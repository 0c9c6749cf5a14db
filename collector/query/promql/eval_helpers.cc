#include "collector/query/promql/eval_helpers.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <unordered_set>

namespace strata::collector::promql {
namespace {

bool Contains(std::span<const std::string> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool Keep(std::string_view name, std::span<const std::string> names, bool on, bool drop_name) {
  if (on) return Contains(names, name);
  if (drop_name && name == common::kMetricNameLabel) return false;
  return !Contains(names, name);
}

}  // namespace

std::string GroupingKey(const common::Labels& labels, std::span<const std::string> names, bool on,
                        bool drop_name) {
  std::string key;
  for (const auto& l : labels) {
    if (!Keep(l.name, names, on, drop_name)) continue;
    key.append(l.name);
    key.push_back('\xfe');
    key.append(l.value);
    key.push_back('\xff');
  }
  return key;
}

common::Labels GroupingLabels(const common::Labels& labels, std::span<const std::string> names,
                              bool on, bool drop_name) {
  std::vector<common::Label> kept;
  for (const auto& l : labels) {
    if (Keep(l.name, names, on, drop_name)) {
      kept.push_back(common::Label{std::string(l.name), std::string(l.value)});
    }
  }
  return common::Labels::FromUnsorted(std::move(kept));
}

std::string LabelsKey(const common::Labels& labels) {
  return GroupingKey(labels, {}, false, false);
}

void CheckNoDuplicateLabelsets(const Vector& vector) {
  if (vector.size() < 2) return;
  std::unordered_set<std::string> seen;
  seen.reserve(vector.size());
  for (const VectorElement& e : vector) {
    if (!seen.insert(LabelsKey(e.metric)).second)
      ThrowExecution(std::string(kDuplicateLabelsetError));
  }
}

double Quantile(double phi, std::span<double> values) {
  if (values.empty() || std::isnan(phi)) return std::numeric_limits<double>::quiet_NaN();
  if (phi < 0) return -std::numeric_limits<double>::infinity();
  if (phi > 1) return std::numeric_limits<double>::infinity();
  // NaN sorts first, as in Prometheus.
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a < b;
  });
  const double n = static_cast<double>(values.size());
  const double rank = phi * (n - 1);
  const double lower = std::max(0.0, std::floor(rank));
  const double upper = std::min(n - 1, lower + 1);
  const double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

}  // namespace strata::collector::promql

namespace strata::collector::promql {

std::string GoLabelsString(const common::Labels& labels) {
  std::string out = "{";
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out.append(", ");
    first = false;
    out.append(l.name);
    out.append("=\"");
    for (char c : l.value) {
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          out.push_back(c);
      }
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

}  // namespace strata::collector::promql
