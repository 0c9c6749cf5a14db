#include "collector/query/promql/binary_ops.h"

#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "collector/query/promql/eval_helpers.h"

namespace strata::collector::promql {
namespace {

Vector SetOp(BinaryOp op, const VectorMatching& m, Vector lhs, Vector rhs) {
  Vector out;
  switch (op) {
    case BinaryOp::kAnd: {
      if (lhs.empty() || rhs.empty()) return out;
      std::unordered_set<std::string> right;
      for (const VectorElement& e : rhs) right.insert(Signature(e.metric, m));
      for (VectorElement& e : lhs) {
        if (right.contains(Signature(e.metric, m))) out.push_back(std::move(e));
      }
      return out;
    }
    case BinaryOp::kOr: {
      std::unordered_set<std::string> left;
      for (VectorElement& e : lhs) {
        left.insert(Signature(e.metric, m));
        out.push_back(std::move(e));
      }
      for (VectorElement& e : rhs) {
        if (!left.contains(Signature(e.metric, m))) out.push_back(std::move(e));
      }
      return out;
    }
    case BinaryOp::kUnless: {
      std::unordered_set<std::string> right;
      for (const VectorElement& e : rhs) right.insert(Signature(e.metric, m));
      for (VectorElement& e : lhs) {
        if (!right.contains(Signature(e.metric, m))) out.push_back(std::move(e));
      }
      return out;
    }
    default:
      return out;
  }
}

}  // namespace

bool DropsMetricName(BinaryOp op, bool return_bool) {
  return return_bool || (!IsComparisonOp(op) && !IsSetOp(op));
}

std::string Signature(const common::Labels& labels, const VectorMatching& m) {
  return GroupingKey(labels, m.matching_labels, m.on, /*drop_name=*/true);
}

common::Labels ResultMetric(const common::Labels& lhs, const common::Labels& rhs, BinaryOp op,
                            const VectorMatching& m, bool return_bool) {
  common::LabelsBuilder b(lhs);
  if (DropsMetricName(op, return_bool)) b.Del(common::kMetricNameLabel);
  if (m.card == VectorMatching::Cardinality::kOneToOne) {
    if (m.on) {
      for (const auto& l : lhs) {
        if (std::find(m.matching_labels.begin(), m.matching_labels.end(), l.name) ==
            m.matching_labels.end()) {
          b.Del(l.name);
        }
      }
    } else {
      for (const std::string& name : m.matching_labels) b.Del(name);
    }
  }
  for (const std::string& name : m.include) {
    const std::string_view v = rhs.Get(name);
    if (!v.empty()) {
      b.Set(name, v);
    } else {
      b.Del(name);
    }
  }
  return b.Build();
}

std::pair<double, bool> ElementBinaryOp(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd:
      return {l + r, true};
    case BinaryOp::kSub:
      return {l - r, true};
    case BinaryOp::kMul:
      return {l * r, true};
    case BinaryOp::kDiv:
      return {l / r, true};
    case BinaryOp::kMod:
      return {std::fmod(l, r), true};
    case BinaryOp::kPow:
      return {std::pow(l, r), true};
    case BinaryOp::kAtan2:
      return {std::atan2(l, r), true};
    case BinaryOp::kEql:
      return {l, l == r};
    case BinaryOp::kNeq:
      return {l, l != r};
    case BinaryOp::kGtr:
      return {l, l > r};
    case BinaryOp::kLss:
      return {l, l < r};
    case BinaryOp::kGte:
      return {l, l >= r};
    case BinaryOp::kLte:
      return {l, l <= r};
    case BinaryOp::kAnd:
    case BinaryOp::kOr:
    case BinaryOp::kUnless:
      break;
  }
  ThrowExecution("operator \"" + std::string(BinaryOpString(op)) + "\" not allowed here");
}

std::pair<double, bool> VectorElementOp(BinaryOp op, double l, double r, bool return_bool) {
  auto [v, keep] = ElementBinaryOp(op, l, r);
  if (return_bool) return {keep ? 1.0 : 0.0, true};
  return {v, keep};
}

std::pair<double, bool> VectorScalarElementOp(BinaryOp op, double vector_value, double scalar,
                                              bool scalar_left, bool return_bool) {
  auto [v, keep] = scalar_left ? VectorElementOp(op, scalar, vector_value, return_bool)
                               : VectorElementOp(op, vector_value, scalar, return_bool);
  // A comparison keeps the vector's value even when the scalar is on the left.
  if (!return_bool && IsComparisonOp(op)) v = vector_value;
  return {v, keep};
}

double ScalarBinaryOp(BinaryOp op, double l, double r) {
  auto [v, keep] = ElementBinaryOp(op, l, r);
  if (IsComparisonOp(op)) return keep ? 1 : 0;
  return v;
}

Vector VectorScalarBinaryOp(BinaryOp op, Vector vector, double scalar, bool scalar_left,
                            bool return_bool) {
  Vector out;
  out.reserve(vector.size());
  for (VectorElement& e : vector) {
    auto [v, keep] = VectorScalarElementOp(op, e.v, scalar, scalar_left, return_bool);
    if (!keep) continue;
    e.v = v;
    if (DropsMetricName(op, return_bool)) e.metric = DropMetricName(e.metric);
    out.push_back(std::move(e));
  }
  return out;
}

Vector VectorVectorBinaryOp(const Binary& node, Vector lhs, Vector rhs) {
  const VectorMatching m = node.matching.value_or(VectorMatching{});
  if (IsSetOp(node.op)) return SetOp(node.op, m, std::move(lhs), std::move(rhs));
  Vector out;
  if (lhs.empty() || rhs.empty()) return out;
  const bool one_to_many = m.card == VectorMatching::Cardinality::kOneToMany;
  if (one_to_many) std::swap(lhs, rhs);

  // The "one" side, by signature.
  std::unordered_map<std::string, size_t> right;
  right.reserve(rhs.size());
  for (size_t i = 0; i < rhs.size(); ++i) {
    auto [it, inserted] = right.try_emplace(Signature(rhs[i].metric, m), i);
    if (!inserted) {
      const common::Labels matched = GroupingLabels(rhs[i].metric, m.matching_labels, m.on, true);
      ThrowExecution("found duplicate series for the match group " + GoLabelsString(matched) +
                     " on the " + (one_to_many ? "left" : "right") +
                     " hand-side of the operation: [" + GoLabelsString(rhs[i].metric) + ", " +
                     GoLabelsString(rhs[it->second].metric) +
                     "];many-to-many matching not allowed: matching labels must be unique on one "
                     "side");
    }
  }

  // Signatures already matched, and for many-to-one the result label sets per signature.
  std::unordered_map<std::string, std::unordered_set<std::string>> matched;
  for (VectorElement& ls : lhs) {
    std::string sig = Signature(ls.metric, m);
    auto it = right.find(sig);
    if (it == right.end()) continue;
    const VectorElement& rs = rhs[it->second];
    double vl = ls.v;
    double vr = rs.v;
    if (one_to_many) std::swap(vl, vr);
    auto [v, keep] = VectorElementOp(node.op, vl, vr, node.return_bool);
    if (!keep) continue;
    common::Labels metric = ResultMetric(ls.metric, rs.metric, node.op, m, node.return_bool);
    auto [mit, first] = matched.try_emplace(std::move(sig));
    if (m.card == VectorMatching::Cardinality::kOneToOne) {
      if (!first) {
        ThrowExecution(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      }
    } else if (!mit->second.insert(LabelsKey(metric)).second) {
      ThrowExecution(
          "multiple matches for matching labels: grouping labels must ensure unique matches");
    }
    out.push_back({std::move(metric), v, 0});
  }
  return out;
}

}  // namespace strata::collector::promql
