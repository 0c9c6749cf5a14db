#include "collector/query/promql/aggregations.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "collector/query/promql/eval_helpers.h"
#include "common/model/labels.h"
#include "common/model/names.h"

namespace strata::collector::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Running state of one group.
struct Group {
  common::Labels labels;
  double value = 0;  // sum / min / max / Welford M2
  double kahan_c = 0;
  double mean = 0;
  double count = 0;
  bool incremental_mean = false;
  std::vector<double> values;   // quantile
  std::vector<size_t> members;  // topk/bottomk/limitk/limit_ratio: input indexes
};

// Prometheus' ordering for topk (NaN ranks below every number).
bool Better(double a, double b, bool top) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return top ? a > b : a < b;
}

int64_t KParam(double param, const char* op) {
  if (std::isnan(param)) ThrowExecution(std::string("Parameter value is NaN for ") + op);
  if (param >= 9.2e18) return std::numeric_limits<int64_t>::max();
  if (param <= -9.2e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(param);
}

// Where limit_ratio places a series in [0, 1): a stable hash of its labels.
double RatioOffset(const common::Labels& labels) {
  const std::string key = LabelsKey(labels);
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<double>(h % (uint64_t{1} << 52)) / static_cast<double>(uint64_t{1} << 52);
}

}  // namespace

Vector EvalAggregation(const Aggregate& node, Vector input, double param,
                       const std::string& label) {
  const AggregateOp op = node.op;
  if (op == AggregateOp::kCountValues && !common::IsValidLabelName(label)) {
    ThrowExecution("invalid label name \"" + label + "\"");
  }
  int64_t k = 0;
  if (op == AggregateOp::kTopk || op == AggregateOp::kBottomk || op == AggregateOp::kLimitk) {
    k = KParam(param, std::string(AggregateOpString(op)).c_str());
    if (k < 1) return {};
  }
  if (op == AggregateOp::kLimitRatio) {
    if (std::isnan(param)) ThrowExecution("Ratio value is NaN");
    param = std::clamp(param, -1.0, 1.0);
  }

  std::unordered_map<std::string, size_t> index;
  std::vector<Group> groups;
  for (size_t i = 0; i < input.size(); ++i) {
    const VectorElement& e = input[i];
    std::string key;
    common::Labels value_labels;
    if (op == AggregateOp::kCountValues) {
      common::LabelsBuilder b(GroupingLabels(e.metric, node.grouping, !node.without, true));
      b.Set(label, FormatFloatPlain(e.v));
      value_labels = b.Build();
      key = LabelsKey(value_labels);
    } else {
      key = GroupingKey(e.metric, node.grouping, !node.without, true);
    }
    auto [it, inserted] = index.try_emplace(std::move(key), groups.size());
    const double f = e.v;
    if (inserted) {
      Group g;
      if (op == AggregateOp::kCountValues) {
        g.labels = std::move(value_labels);
      } else {
        g.labels = GroupingLabels(e.metric, node.grouping, !node.without, true);
      }
      g.count = 1;
      g.value = f;
      g.mean = f;
      if (op == AggregateOp::kStddev || op == AggregateOp::kStdvar) g.value = 0;
      if (op == AggregateOp::kQuantile) g.values.push_back(f);
      if (op == AggregateOp::kTopk || op == AggregateOp::kBottomk || op == AggregateOp::kLimitk) {
        g.members.push_back(i);
      }
      if (op == AggregateOp::kLimitRatio) {
        const double offset = RatioOffset(e.metric);
        if ((param >= 0 && offset < param) || (param < 0 && offset >= 1.0 + param)) {
          g.members.push_back(i);
        }
      }
      groups.push_back(std::move(g));
      continue;
    }
    Group& g = groups[it->second];
    g.count += 1;
    switch (op) {
      case AggregateOp::kSum:
        std::tie(g.value, g.kahan_c) = KahanSumInc(f, g.value, g.kahan_c);
        break;
      case AggregateOp::kAvg: {
        if (!g.incremental_mean) {
          auto [nv, nc] = KahanSumInc(f, g.value, g.kahan_c);
          if (!std::isinf(nv)) {
            g.value = nv;
            g.kahan_c = nc;
            break;
          }
          // The sum would overflow: continue with an incremental mean.
          g.incremental_mean = true;
          g.mean = g.value / (g.count - 1);
          g.kahan_c /= g.count - 1;
        }
        if (std::isinf(g.mean)) {
          if (std::isinf(f) && (g.mean > 0) == (f > 0)) break;
          if (!std::isinf(f) && !std::isnan(f)) break;
        }
        const double current = g.mean + g.kahan_c;
        std::tie(g.mean, g.kahan_c) =
            KahanSumInc(f / g.count - current / g.count, g.mean, g.kahan_c);
        break;
      }
      case AggregateOp::kMin:
        if (g.value > f || std::isnan(g.value)) g.value = f;
        break;
      case AggregateOp::kMax:
        if (g.value < f || std::isnan(g.value)) g.value = f;
        break;
      case AggregateOp::kStddev:
      case AggregateOp::kStdvar: {
        const double delta = f - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (f - g.mean);
        break;
      }
      case AggregateOp::kQuantile:
        g.values.push_back(f);
        break;
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk:
      case AggregateOp::kLimitk:
        g.members.push_back(i);
        break;
      case AggregateOp::kLimitRatio: {
        const double offset = RatioOffset(e.metric);
        if ((param >= 0 && offset < param) || (param < 0 && offset >= 1.0 + param)) {
          g.members.push_back(i);
        }
        break;
      }
      case AggregateOp::kCount:
      case AggregateOp::kGroup:
      case AggregateOp::kCountValues:
        break;
    }
  }

  Vector out;
  out.reserve(groups.size());
  for (Group& g : groups) {
    switch (op) {
      case AggregateOp::kSum:
        out.push_back({std::move(g.labels), g.value + g.kahan_c, 0});
        break;
      case AggregateOp::kAvg:
        out.push_back({std::move(g.labels),
                       g.incremental_mean ? g.mean + g.kahan_c : (g.value + g.kahan_c) / g.count,
                       0});
        break;
      case AggregateOp::kCount:
      case AggregateOp::kCountValues:
        out.push_back({std::move(g.labels), g.count, 0});
        break;
      case AggregateOp::kGroup:
        out.push_back({std::move(g.labels), 1, 0});
        break;
      case AggregateOp::kMin:
      case AggregateOp::kMax:
        out.push_back({std::move(g.labels), g.value, 0});
        break;
      case AggregateOp::kStdvar:
        out.push_back({std::move(g.labels), g.value / g.count, 0});
        break;
      case AggregateOp::kStddev:
        out.push_back({std::move(g.labels), std::sqrt(g.value / g.count), 0});
        break;
      case AggregateOp::kQuantile:
        out.push_back({std::move(g.labels), Quantile(param, g.values), 0});
        break;
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk: {
        const bool top = op == AggregateOp::kTopk;
        std::stable_sort(g.members.begin(), g.members.end(),
                         [&](size_t a, size_t b) { return Better(input[a].v, input[b].v, top); });
        const size_t n = std::min<size_t>(g.members.size(), static_cast<size_t>(k));
        for (size_t j = 0; j < n; ++j) out.push_back(input[g.members[j]]);
        break;
      }
      case AggregateOp::kLimitk: {
        const size_t n = std::min<size_t>(g.members.size(), static_cast<size_t>(k));
        for (size_t j = 0; j < n; ++j) out.push_back(input[g.members[j]]);
        break;
      }
      case AggregateOp::kLimitRatio:
        for (size_t m : g.members) out.push_back(input[m]);
        break;
    }
  }
  (void)kNaN;
  return out;
}

}  // namespace strata::collector::promql
