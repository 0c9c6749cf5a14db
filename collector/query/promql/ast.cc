#include "collector/query/promql/ast.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "collector/query/promql/functions.h"
#include "collector/query/promql/lexer.h"
#include "common/model/labels.h"

namespace strata::collector::promql {
namespace {

bool IsLegacyLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// A label name inside by(...), on(...) and group_x(...): bare when the lexer reads it back as a
// label, quoted otherwise (not a legacy name, or a word the lexer reads as a number).
void AppendGroupingLabel(std::string_view name, std::string& out) {
  if (IsLegacyLabelName(name) && !EqualsIgnoreCase(name, "inf") && !EqualsIgnoreCase(name, "nan")) {
    out += name;
  } else {
    out += GoQuote(name);
  }
}

void AppendLabelList(const std::vector<std::string>& labels, std::string& out) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    AppendGroupingLabel(labels[i], out);
  }
}

std::string MatcherString(const LabelMatcher& m) {
  static constexpr std::string_view kOps[] = {"=", "!=", "=~", "!~"};
  std::string out = IsLegacyLabelName(m.name()) ? m.name() : GoQuote(m.name());
  out += kOps[static_cast<int>(m.op())];
  out += GoQuote(m.value());
  return out;
}

// Seconds with exactly three decimals, computed from the integer so it is exact: "-1.500".
std::string FormatTimestamp(int64_t ms) {
  std::string out;
  uint64_t magnitude = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  if (ms < 0) out.push_back('-');
  out += std::to_string(magnitude / 1000);
  out.push_back('.');
  const uint64_t frac = magnitude % 1000;
  out.push_back(static_cast<char>('0' + frac / 100));
  out.push_back(static_cast<char>('0' + (frac / 10) % 10));
  out.push_back(static_cast<char>('0' + frac % 10));
  return out;
}

void AppendAtAndOffset(const AtModifier& at, int64_t offset_ms, std::string& out) {
  switch (at.kind) {
    case AtModifier::Kind::kNone:
      break;
    case AtModifier::Kind::kTimestamp:
      out += " @ ";
      out += FormatTimestamp(at.timestamp_ms);
      break;
    case AtModifier::Kind::kStart:
      out += " @ start()";
      break;
    case AtModifier::Kind::kEnd:
      out += " @ end()";
      break;
  }
  if (offset_ms > 0) {
    out += " offset ";
    out += FormatDuration(offset_ms);
  } else if (offset_ms < 0) {
    out += " offset -";
    out += FormatDuration(-offset_ms);
  }
}

void AppendSelectorBody(const VectorSelector& vs, std::string& out) {
  out += vs.name;
  std::vector<std::string> parts;
  parts.reserve(vs.matchers.size());
  for (const LabelMatcher& m : vs.matchers) {
    if (m.name() == common::kMetricNameLabel && m.op() == MatchOp::kEqual && m.value() == vs.name &&
        !m.value().empty()) {
      continue;  // printed as the name in front of the braces
    }
    parts.push_back(MatcherString(m));
  }
  if (parts.empty()) return;
  std::sort(parts.begin(), parts.end());
  out.push_back('{');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += parts[i];
  }
  out.push_back('}');
}

void Print(const Expr& expr, std::string& out);

// One function per node kind, so the frames of the recursion (one per tree level) stay small.
void AppendMatching(const VectorMatching& vm, std::string& out) {
  using Card = VectorMatching::Cardinality;
  const bool grouped = vm.card == Card::kManyToOne || vm.card == Card::kOneToMany;
  if (!vm.matching_labels.empty() || vm.on || grouped) {
    out += vm.on ? " on (" : " ignoring (";
    AppendLabelList(vm.matching_labels, out);
    out.push_back(')');
  }
  if (grouped) {
    out += vm.card == Card::kManyToOne ? " group_left (" : " group_right (";
    AppendLabelList(vm.include, out);
    out.push_back(')');
  }
}

void PrintVectorSelector(const VectorSelector& vs, std::string& out) {
  AppendSelectorBody(vs, out);
  AppendAtAndOffset(vs.at, vs.offset_ms, out);
}

void PrintMatrixSelector(const MatrixSelector& ms, std::string& out) {
  AppendSelectorBody(*ms.selector, out);
  out.push_back('[');
  out += FormatDuration(ms.range_ms);
  out.push_back(']');
  AppendAtAndOffset(ms.selector->at, ms.selector->offset_ms, out);
}

void AppendSubquerySuffix(const Subquery& sq, std::string& out) {
  out.push_back('[');
  out += FormatDuration(sq.range_ms);
  out.push_back(':');
  if (sq.step_ms != 0) out += FormatDuration(sq.step_ms);
  out.push_back(']');
  AppendAtAndOffset(sq.at, sq.offset_ms, out);
}

void AppendNumber(double value, std::string& out);

// The left operand of `^`. A signed number there would read back as a unary operator applied
// to the whole power (unary minus binds looser than `^`), so `+Inf` prints as `Inf` and a
// negative number keeps its sign inside parentheses.
void PrintPowerBase(const Expr& lhs, std::string& out) {
  if (lhs.kind == ExprKind::kNumberLiteral) {
    const double value = lhs.As<NumberLiteral>().value;
    if (std::isinf(value) && value > 0) {
      out += "Inf";
      return;
    }
    if (std::signbit(value) && !std::isnan(value)) {
      out.push_back('(');
      AppendNumber(value, out);
      out.push_back(')');
      return;
    }
  }
  Print(lhs, out);
}

void PrintBinary(const Binary& b, std::string& out) {
  if (b.op == BinaryOp::kPow) {
    PrintPowerBase(*b.lhs, out);
  } else {
    Print(*b.lhs, out);
  }
  out.push_back(' ');
  out += BinaryOpString(b.op);
  if (b.return_bool) out += " bool";
  if (b.matching.has_value()) AppendMatching(*b.matching, out);
  out.push_back(' ');
  Print(*b.rhs, out);
}

void AppendAggregatePrefix(const Aggregate& a, std::string& out) {
  out += AggregateOpString(a.op);
  if (a.without) {
    out += " without (";
    AppendLabelList(a.grouping, out);
    out += ") ";
  } else if (!a.grouping.empty()) {
    out += " by (";
    AppendLabelList(a.grouping, out);
    out += ") ";
  }
  out.push_back('(');
}

void PrintAggregate(const Aggregate& a, std::string& out) {
  AppendAggregatePrefix(a, out);
  if (a.param != nullptr) {
    Print(*a.param, out);
    out += ", ";
  }
  Print(*a.expr, out);
  out.push_back(')');
}

void PrintCall(const Call& c, std::string& out) {
  out += c.func->name;
  out.push_back('(');
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i > 0) out += ", ";
    Print(*c.args[i], out);
  }
  out.push_back(')');
}

void AppendNumber(double value, std::string& out) { out += FormatNumber(value); }
void AppendQuoted(const std::string& value, std::string& out) { out += GoQuote(value); }

void Print(const Expr& expr, std::string& out) {
  switch (expr.kind) {
    case ExprKind::kNumberLiteral:
      AppendNumber(expr.As<NumberLiteral>().value, out);
      return;
    case ExprKind::kStringLiteral:
      AppendQuoted(expr.As<StringLiteral>().value, out);
      return;
    case ExprKind::kVectorSelector:
      PrintVectorSelector(expr.As<VectorSelector>(), out);
      return;
    case ExprKind::kMatrixSelector:
      PrintMatrixSelector(expr.As<MatrixSelector>(), out);
      return;
    case ExprKind::kSubquery:
      Print(*expr.As<Subquery>().expr, out);
      AppendSubquerySuffix(expr.As<Subquery>(), out);
      return;
    case ExprKind::kParen:
      out.push_back('(');
      Print(*expr.As<Paren>().expr, out);
      out.push_back(')');
      return;
    case ExprKind::kUnary:
      out.push_back(expr.As<Unary>().op == UnaryOp::kMinus ? '-' : '+');
      Print(*expr.As<Unary>().expr, out);
      return;
    case ExprKind::kBinary:
      PrintBinary(expr.As<Binary>(), out);
      return;
    case ExprKind::kAggregate:
      PrintAggregate(expr.As<Aggregate>(), out);
      return;
    case ExprKind::kCall:
      PrintCall(expr.As<Call>(), out);
      return;
  }
}

}  // namespace

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "vector";
    case ValueType::kMatrix:
      return "matrix";
    case ValueType::kString:
      return "string";
  }
  return "none";
}

std::string_view DocumentedTypeName(ValueType type) {
  switch (type) {
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    default:
      return ValueTypeName(type);
  }
}

std::string Expr::String() const {
  std::string out;
  Print(*this, out);
  return out;
}

ValueType Binary::Type() const {
  if (lhs->Type() == ValueType::kScalar && rhs->Type() == ValueType::kScalar) {
    return ValueType::kScalar;
  }
  return ValueType::kVector;
}

ValueType Call::Type() const { return func->return_type; }

std::string_view BinaryOpString(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kAtan2:
      return "atan2";
    case BinaryOp::kEql:
      return "==";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kGtr:
      return ">";
    case BinaryOp::kLss:
      return "<";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kUnless:
      return "unless";
  }
  return "?";
}

bool IsComparisonOp(BinaryOp op) { return op >= BinaryOp::kEql && op <= BinaryOp::kLte; }

bool IsSetOp(BinaryOp op) { return op >= BinaryOp::kAnd && op <= BinaryOp::kUnless; }

int Precedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr:
      return 1;
    case BinaryOp::kAnd:
    case BinaryOp::kUnless:
      return 2;
    case BinaryOp::kEql:
    case BinaryOp::kNeq:
    case BinaryOp::kGtr:
    case BinaryOp::kLss:
    case BinaryOp::kGte:
    case BinaryOp::kLte:
      return 3;
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
      return 4;
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod:
    case BinaryOp::kAtan2:
      return 5;
    case BinaryOp::kPow:
      return 6;
  }
  return 0;
}

std::string_view AggregateOpString(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
      return "sum";
    case AggregateOp::kAvg:
      return "avg";
    case AggregateOp::kCount:
      return "count";
    case AggregateOp::kMin:
      return "min";
    case AggregateOp::kMax:
      return "max";
    case AggregateOp::kGroup:
      return "group";
    case AggregateOp::kStddev:
      return "stddev";
    case AggregateOp::kStdvar:
      return "stdvar";
    case AggregateOp::kTopk:
      return "topk";
    case AggregateOp::kBottomk:
      return "bottomk";
    case AggregateOp::kCountValues:
      return "count_values";
    case AggregateOp::kQuantile:
      return "quantile";
    case AggregateOp::kLimitk:
      return "limitk";
    case AggregateOp::kLimitRatio:
      return "limit_ratio";
  }
  return "?";
}

bool AggregateOpHasParam(AggregateOp op) {
  switch (op) {
    case AggregateOp::kTopk:
    case AggregateOp::kBottomk:
    case AggregateOp::kCountValues:
    case AggregateOp::kQuantile:
    case AggregateOp::kLimitk:
    case AggregateOp::kLimitRatio:
      return true;
    default:
      return false;
  }
}

std::string FormatDuration(int64_t ms) {
  if (ms <= 0) return "0s";
  std::string out;
  auto unit = [&](std::string_view name, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    if (const int64_t v = ms / mult; v > 0) {
      out += std::to_string(v);
      out += name;
      ms -= v * mult;
    }
  };
  // Years and weeks only when exact: "90d" reads better than "12w6d".
  unit("y", int64_t{1000} * 60 * 60 * 24 * 365, true);
  unit("w", int64_t{1000} * 60 * 60 * 24 * 7, true);
  unit("d", int64_t{1000} * 60 * 60 * 24, false);
  unit("h", int64_t{1000} * 60 * 60, false);
  unit("m", int64_t{1000} * 60, false);
  unit("s", 1000, false);
  unit("ms", 1, false);
  return out;
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[512];
  const auto result = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
  return std::string(buf, result.ptr);
}

}  // namespace strata::collector::promql
