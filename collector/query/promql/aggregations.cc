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
struct Group : AggregateAccumulator {
  common::Labels labels;
  std::vector<double> values;   // quantile
  std::vector<size_t> members;  // topk/bottomk/limitk/limit_ratio: input indexes
};

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

bool RanksBefore(double a, double b, bool top) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return top ? a > b : a < b;
}

int64_t AggregateKParam(double param, const char* op) {
  if (std::isnan(param)) ThrowExecution(std::string("Parameter value is NaN for ") + op);
  if (param >= 9.2e18) return std::numeric_limits<int64_t>::max();
  if (param <= -9.2e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(param);
}

bool IsAccumulatorOp(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
    case AggregateOp::kAvg:
    case AggregateOp::kCount:
    case AggregateOp::kGroup:
    case AggregateOp::kMin:
    case AggregateOp::kMax:
    case AggregateOp::kStddev:
    case AggregateOp::kStdvar:
      return true;
    default:
      return false;
  }
}

void AggregateAccumulator::First(AggregateOp op, double f) {
  count = 1;
  value = (op == AggregateOp::kStddev || op == AggregateOp::kStdvar) ? 0 : f;
  mean = f;
  kahan_c = 0;
  incremental_mean = false;
}

void AggregateAccumulator::Add(AggregateOp op, double f) {
  count += 1;
  switch (op) {
    case AggregateOp::kSum:
      std::tie(value, kahan_c) = KahanSumInc(f, value, kahan_c);
      return;
    case AggregateOp::kAvg: {
      if (!incremental_mean) {
        auto [nv, nc] = KahanSumInc(f, value, kahan_c);
        if (!std::isinf(nv)) {
          value = nv;
          kahan_c = nc;
          return;
        }
        // The sum would overflow: continue with an incremental mean.
        incremental_mean = true;
        mean = value / (count - 1);
        kahan_c /= count - 1;
      }
      if (std::isinf(mean)) {
        if (std::isinf(f) && (mean > 0) == (f > 0)) return;
        if (!std::isinf(f) && !std::isnan(f)) return;
      }
      const double current = mean + kahan_c;
      std::tie(mean, kahan_c) = KahanSumInc(f / count - current / count, mean, kahan_c);
      return;
    }
    case AggregateOp::kMin:
      if (value > f || std::isnan(value)) value = f;
      return;
    case AggregateOp::kMax:
      if (value < f || std::isnan(value)) value = f;
      return;
    case AggregateOp::kStddev:
    case AggregateOp::kStdvar: {
      const double delta = f - mean;
      mean += delta / count;
      value += delta * (f - mean);
      return;
    }
    default:
      return;
  }
}

double AggregateAccumulator::Result(AggregateOp op) const {
  switch (op) {
    case AggregateOp::kSum:
      return value + kahan_c;
    case AggregateOp::kAvg:
      return incremental_mean ? mean + kahan_c : (value + kahan_c) / count;
    case AggregateOp::kCount:
      return count;
    case AggregateOp::kGroup:
      return 1;
    case AggregateOp::kStdvar:
      return value / count;
    case AggregateOp::kStddev:
      return std::sqrt(value / count);
    default:  // min, max
      return value;
  }
}

Vector EvalAggregation(const Aggregate& node, Vector input, double param,
                       const std::string& label) {
  const AggregateOp op = node.op;
  if (op == AggregateOp::kCountValues && !common::IsValidLabelName(label)) {
    ThrowExecution("invalid label name \"" + label + "\"");
  }
  int64_t k = 0;
  if (op == AggregateOp::kTopk || op == AggregateOp::kBottomk || op == AggregateOp::kLimitk) {
    k = AggregateKParam(param, std::string(AggregateOpString(op)).c_str());
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
      g.First(op, f);
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
    if (IsAccumulatorOp(op)) {
      g.Add(op, f);
      continue;
    }
    g.count += 1;
    switch (op) {
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
      default:  // count_values counts only; the accumulator ops were handled above
        break;
    }
  }

  Vector out;
  out.reserve(groups.size());
  for (Group& g : groups) {
    if (IsAccumulatorOp(op)) {
      out.push_back({std::move(g.labels), g.Result(op), 0});
      continue;
    }
    switch (op) {
      case AggregateOp::kCountValues:
        out.push_back({std::move(g.labels), g.count, 0});
        break;
      case AggregateOp::kQuantile:
        out.push_back({std::move(g.labels), Quantile(param, g.values), 0});
        break;
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk: {
        const bool top = op == AggregateOp::kTopk;
        std::stable_sort(g.members.begin(), g.members.end(), [&](size_t a, size_t b) {
          return RanksBefore(input[a].v, input[b].v, top);
        });
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
      default:
        break;
    }
  }
  (void)kNaN;
  return out;
}

}  // namespace strata::collector::promql
