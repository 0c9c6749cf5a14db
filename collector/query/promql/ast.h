#pragma once

// The PromQL syntax tree, as produced by ParseExpr (parser.h) and consumed by the evaluator.
//
// A tree is a plain owning hierarchy: every node owns its children through ExprPtr
// (std::unique_ptr<Expr>), nothing is shared, and a tree is immutable once ParseExpr returns it,
// so it may be read from any number of threads. Nodes are structs with public fields; switch on
// `kind` and downcast with As<T>() (or Cast<T>(), which returns nullptr on a kind mismatch):
//
//   NumberLiteral     1, -2.5e3, 0x1F, Inf, NaN, 1h (durations written as numbers are seconds)
//   StringLiteral     "text" (the decoded value)
//   VectorSelector    foo{job="a"} offset 5m @ 1700000000      -> instant vector
//   MatrixSelector    foo{job="a"}[5m] offset 5m @ end()       -> range vector; the offset and @
//                     modifiers are stored on its inner VectorSelector, as in Prometheus
//   Subquery          rate(foo[1m])[1h:5m] offset 5m @ start() -> range vector
//   Paren             (expr), kept so the tree prints back as written
//   Unary             -expr, +expr (a sign applied to a number literal is folded into it)
//   Binary            lhs op rhs with `bool` and on/ignoring/group_left/group_right matching
//   Aggregate         sum by (job) (expr), topk(5, expr), count_values("v", expr)
//   Call              rate(foo[5m]), with a pointer into the function table (functions.h)
//
// Every node knows its value type (Type()) and its byte range in the query (`pos`, for error
// messages). String() prints canonical PromQL that ParseExpr reads back to a tree printing the
// same string: durations as Prometheus writes them (`1h30m`), numbers with the fewest digits
// that round-trip exactly, strings double-quoted with Go escapes, matchers sorted, comments and
// redundant whitespace dropped.
//
// Trees are at most kMaxTreeDepth nodes deep (the parser rejects deeper input), so recursive
// walks over them are safe.
//
// Times are int64 milliseconds: offsets (negative = look ahead), ranges and steps (> 0; a
// subquery step of 0 means "the default evaluation interval"), and @ timestamps since the epoch.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/storage/label_matcher.h"

namespace strata::collector::promql {

struct Function;  // functions.h

inline constexpr int kMaxTreeDepth = 1024;

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };

// "scalar", "vector", "matrix", "string" (Prometheus' internal names, used in a few messages).
std::string_view ValueTypeName(ValueType type);
// "scalar", "instant vector", "range vector", "string" (the names the documentation uses).
std::string_view DocumentedTypeName(ValueType type);

// Byte offsets into the query, end exclusive.
struct PositionRange {
  size_t start = 0;
  size_t end = 0;
};

enum class ExprKind {
  kNumberLiteral,
  kStringLiteral,
  kVectorSelector,
  kMatrixSelector,
  kSubquery,
  kParen,
  kUnary,
  kBinary,
  kAggregate,
  kCall,
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  virtual ValueType Type() const = 0;
  // Canonical PromQL for this subtree.
  std::string String() const;

  // Downcasts; As<T>() requires kind == T::kKind.
  template <typename T>
  const T& As() const {
    return static_cast<const T&>(*this);
  }
  template <typename T>
  T& As() {
    return static_cast<T&>(*this);
  }
  template <typename T>
  const T* Cast() const {
    return kind == T::kKind ? static_cast<const T*>(this) : nullptr;
  }
  template <typename T>
  T* Cast() {
    return kind == T::kKind ? static_cast<T*>(this) : nullptr;
  }

  const ExprKind kind;
  PositionRange pos;

 protected:
  Expr(ExprKind k, PositionRange p) : kind(k), pos(p) {}
};

struct NumberLiteral final : Expr {
  static constexpr ExprKind kKind = ExprKind::kNumberLiteral;
  NumberLiteral(double v, PositionRange p) : Expr(kKind, p), value(v) {}
  ValueType Type() const override { return ValueType::kScalar; }

  double value;
};

struct StringLiteral final : Expr {
  static constexpr ExprKind kKind = ExprKind::kStringLiteral;
  StringLiteral(std::string v, PositionRange p) : Expr(kKind, p), value(std::move(v)) {}
  ValueType Type() const override { return ValueType::kString; }

  std::string value;
};

// The @ modifier of a selector or subquery: none, a fixed time, or the start/end of the query
// range (both resolve to the evaluation time of an instant query).
struct AtModifier {
  enum class Kind { kNone, kTimestamp, kStart, kEnd };
  Kind kind = Kind::kNone;
  int64_t timestamp_ms = 0;  // valid when kind == kTimestamp

  bool is_set() const { return kind != Kind::kNone; }
};

struct VectorSelector final : Expr {
  static constexpr ExprKind kKind = ExprKind::kVectorSelector;
  explicit VectorSelector(PositionRange p) : Expr(kKind, p) {}
  ValueType Type() const override { return ValueType::kVector; }

  // The metric name written before the braces ("" for `{__name__="x"}` or `{"x"}`). When set, the
  // first matcher is its `__name__="<name>"` matcher.
  std::string name;
  // All matchers, ANDed; at least one does not match the empty string.
  std::vector<LabelMatcher> matchers;
  int64_t offset_ms = 0;
  AtModifier at;
};

struct MatrixSelector final : Expr {
  static constexpr ExprKind kKind = ExprKind::kMatrixSelector;
  MatrixSelector(std::unique_ptr<VectorSelector> s, int64_t range, PositionRange p)
      : Expr(kKind, p), selector(std::move(s)), range_ms(range) {}
  ValueType Type() const override { return ValueType::kMatrix; }

  std::unique_ptr<VectorSelector> selector;  // carries the offset and @ modifiers
  int64_t range_ms;                          // > 0
};

struct Subquery final : Expr {
  static constexpr ExprKind kKind = ExprKind::kSubquery;
  Subquery(ExprPtr e, int64_t range, int64_t step, PositionRange p)
      : Expr(kKind, p), expr(std::move(e)), range_ms(range), step_ms(step) {}
  ValueType Type() const override { return ValueType::kMatrix; }

  ExprPtr expr;      // an instant vector expression
  int64_t range_ms;  // > 0
  int64_t step_ms;   // > 0, or 0 for the default evaluation interval (`[1h:]`)
  int64_t offset_ms = 0;
  AtModifier at;
};

struct Paren final : Expr {
  static constexpr ExprKind kKind = ExprKind::kParen;
  Paren(ExprPtr e, PositionRange p) : Expr(kKind, p), expr(std::move(e)) {}
  ValueType Type() const override { return expr->Type(); }

  ExprPtr expr;
};

enum class UnaryOp { kPlus, kMinus };

struct Unary final : Expr {
  static constexpr ExprKind kKind = ExprKind::kUnary;
  Unary(UnaryOp o, ExprPtr e, PositionRange p) : Expr(kKind, p), op(o), expr(std::move(e)) {}
  ValueType Type() const override { return expr->Type(); }

  UnaryOp op;
  ExprPtr expr;  // a scalar or instant vector
};

enum class BinaryOp {
  // Arithmetic.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  // Comparison (filter, or 0/1 with `bool`).
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  // Set operators (instant vectors only, always many-to-many).
  kAnd,
  kOr,
  kUnless,
};

std::string_view BinaryOpString(BinaryOp op);  // "+", "==", "and", "atan2", ...
bool IsComparisonOp(BinaryOp op);
bool IsSetOp(BinaryOp op);
// Binding strength, 1 (or) to 6 (^). `^` is right-associative, all others left.
int Precedence(BinaryOp op);

// How the series of two instant vectors are paired. Present on a Binary only when both operands
// are instant vectors.
struct VectorMatching {
  enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };
  Cardinality card = Cardinality::kOneToOne;  // kManyToMany for and/or/unless
  // true: match on `matching_labels` only (on(...)); false: on all labels except them
  // (ignoring(...), or no modifier with an empty list).
  bool on = false;
  std::vector<std::string> matching_labels;
  // group_left/group_right(...) labels copied from the "one" side.
  std::vector<std::string> include;
};

struct Binary final : Expr {
  static constexpr ExprKind kKind = ExprKind::kBinary;
  Binary(BinaryOp o, ExprPtr l, ExprPtr r, PositionRange p)
      : Expr(kKind, p), op(o), lhs(std::move(l)), rhs(std::move(r)) {}
  // Scalar when both operands are scalars, else an instant vector.
  ValueType Type() const override;

  BinaryOp op;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;  // comparison with `bool`: return 0/1 instead of filtering
  std::optional<VectorMatching> matching;
};

enum class AggregateOp {
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kCountValues,
  kQuantile,
  kLimitk,
  kLimitRatio,
};

std::string_view AggregateOpString(AggregateOp op);  // "sum", "count_values", ...
// topk, bottomk, quantile, limitk, limit_ratio (scalar parameter) and count_values (string).
bool AggregateOpHasParam(AggregateOp op);

struct Aggregate final : Expr {
  static constexpr ExprKind kKind = ExprKind::kAggregate;
  Aggregate(AggregateOp o, PositionRange p) : Expr(kKind, p), op(o) {}
  ValueType Type() const override { return ValueType::kVector; }

  AggregateOp op;
  ExprPtr expr;   // the instant vector aggregated
  ExprPtr param;  // null unless AggregateOpHasParam(op)
  std::vector<std::string> grouping;
  bool without = false;  // true: group by all labels except `grouping`
};

struct Call final : Expr {
  static constexpr ExprKind kKind = ExprKind::kCall;
  Call(const Function* f, PositionRange p) : Expr(kKind, p), func(f) {}
  ValueType Type() const override;

  const Function* func;  // never null; points into the static function table
  std::vector<ExprPtr> args;
};

// Prometheus' duration format: "1h30m", "5m", "1y", "2w", "90d", "1s500ms", "0s". Years and weeks
// are used only when they divide the remainder exactly.
std::string FormatDuration(int64_t ms);

// Prometheus' number format: shortest round-tripping decimal without exponent; "NaN", "+Inf",
// "-Inf".
std::string FormatNumber(double value);

}  // namespace strata::collector::promql
