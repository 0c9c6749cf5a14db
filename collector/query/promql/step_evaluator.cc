#include "collector/query/promql/step_evaluator.h"

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "collector/query/promql/aggregations.h"
#include "collector/query/promql/binary_ops.h"
#include "collector/query/promql/eval_helpers.h"
#include "collector/query/promql/extrapolated_rate.h"
#include "collector/query/promql/functions.h"
#include "collector/query/promql/range_functions.h"
#include "collector/query/promql/step_aggregator.h"
#include "collector/query/promql/step_selection.h"
#include "common/model/sample.h"

namespace strata::collector::promql {
namespace {

// True when no two of `metrics` are equal (the per-step evaluator would fail at a step where two
// equal ones are both present, so such nodes are left to it).
bool AllDistinct(const std::vector<common::Labels>& metrics) {
  std::unordered_set<std::string> keys;
  keys.reserve(metrics.size());
  for (const common::Labels& m : metrics) {
    if (!keys.insert(LabelsKey(m)).second) return false;
  }
  return true;
}

bool AnyPresent(const StepSeries& s) {
  for (uint8_t p : s.present) {
    if (p) return true;
  }
  return false;
}

}  // namespace

StepSeries StepEvaluator::NewSeries(common::Labels metric) const {
  StepSeries s;
  s.metric = std::move(metric);
  s.values.assign(grid_.num_steps, 0);
  s.present.assign(grid_.num_steps, 0);
  return s;
}

bool StepEvaluator::Visit(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kNumberLiteral: {
      StepValue v;
      v.is_scalar = true;
      v.scalar.assign(grid_.num_steps, expr.As<NumberLiteral>().value);
      ev_.StorePrecomputed(expr, std::move(v));
      return true;
    }
    case ExprKind::kStringLiteral:
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery:  // its inner expression runs on the subquery's own grid
      return false;
    case ExprKind::kParen: {
      const Expr& inner = *expr.As<Paren>().expr;
      if (!Visit(inner)) return false;
      ev_.StorePrecomputed(expr, ev_.TakePrecomputed(inner));
      return true;
    }
    case ExprKind::kVectorSelector:
      return Collect(
          expr, [&](SeriesSink sink) { return StreamSelector(expr.As<VectorSelector>(), sink); });
    case ExprKind::kUnary:
      return Visit(*expr.As<Unary>().expr) && UnaryOp(expr.As<Unary>(), expr);
    case ExprKind::kBinary: {
      const auto& b = expr.As<Binary>();
      const bool lhs = Visit(*b.lhs);
      const bool rhs = Visit(*b.rhs);
      return lhs && rhs && BinaryOpNode(b, expr);
    }
    case ExprKind::kAggregate: {
      const auto& a = expr.As<Aggregate>();
      // Over a selector or a range function, each input series is folded into its group as it
      // is computed, so the input vector never exists as a whole.
      if (IsAccumulatorOp(a.op) && a.param == nullptr && IsStreamable(*a.expr)) {
        return FusedAggregation(a, expr);
      }
      const bool param = a.param == nullptr || Visit(*a.param);
      const bool inner = Visit(*a.expr);
      return param && inner && Aggregation(a, expr);
    }
    case ExprKind::kCall: {
      const auto& c = expr.As<Call>();
      const std::string_view name = c.func->name;
      if (name == "time") {
        StepValue v;
        v.is_scalar = true;
        v.scalar.resize(grid_.num_steps);
        for (size_t i = 0; i < grid_.num_steps; ++i) {
          v.scalar[i] = static_cast<double>(grid_.At(i)) / 1000.0;
        }
        ev_.StorePrecomputed(expr, std::move(v));
        return true;
      }
      // timestamp() of a selector reads the samples' own timestamps, which step values drop.
      if (name == "timestamp") return false;
      bool all = true;
      for (const ExprPtr& arg : c.args) {
        if (arg->Type() == ValueType::kMatrix || arg->Type() == ValueType::kString) continue;
        all = Visit(*arg) && all;
      }
      return all && IsRangeFunction(name) &&
             Collect(expr, [&](SeriesSink sink) { return StreamRangeCall(c, sink); });
    }
  }
  return false;
}

void StepEvaluator::Reset(StepSeries& s, common::Labels metric) const {
  s.metric = std::move(metric);
  s.values.assign(grid_.num_steps, 0);
  s.present.assign(grid_.num_steps, 0);
  s.rank.clear();
}

bool StepEvaluator::IsStreamable(const Expr& expr) {
  const Expr& e = Unparen(expr);
  if (e.kind == ExprKind::kVectorSelector) return true;
  return e.kind == ExprKind::kCall && IsRangeFunction(e.As<Call>().func->name);
}

bool StepEvaluator::Stream(const Expr& expr, SeriesSink sink) {
  const Expr& e = Unparen(expr);
  if (e.kind == ExprKind::kVectorSelector) return StreamSelector(e.As<VectorSelector>(), sink);
  if (e.kind != ExprKind::kCall) return false;
  const auto& c = e.As<Call>();
  bool all = true;
  for (const ExprPtr& arg : c.args) {
    if (arg->Type() == ValueType::kMatrix || arg->Type() == ValueType::kString) continue;
    all = Visit(*arg) && all;
  }
  return all && IsRangeFunction(c.func->name) && StreamRangeCall(c, sink);
}

bool StepEvaluator::Collect(const Expr& expr, absl::FunctionRef<bool(SeriesSink)> stream) {
  StepValue out;
  const bool done = stream([&](StepSeries& series) {
    if (!Fits(out.series.size() + 1)) return false;
    out.series.push_back(std::move(series));
    return true;
  });
  if (!done) return false;
  ev_.StorePrecomputed(expr, std::move(out));
  return true;
}

bool StepEvaluator::StreamSelector(const VectorSelector& vs, SeriesSink sink) {
  ev_.CheckDeadline();
  const size_t n = grid_.num_steps;
  std::vector<int64_t> at(n);
  std::vector<int64_t> oldest(n);  // exclusive
  for (size_t i = 0; i < n; ++i) {
    at[i] = ev_.EffectiveTime(vs.at, vs.offset_ms, grid_.At(i));
    oldest[i] = SatSub(at[i], ev_.lookback_delta_ms());
  }
  size_t visited = 0;
  bool done = true;
  StepSeries series;
  ev_.StreamSeries(vs, [&](const common::Labels& metric, std::span<const Point> pts) {
    if (++visited % 256 == 0) ev_.CheckDeadline();
    Reset(series, metric);
    size_t pos = 0;
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      while (pos < pts.size() && pts[pos].timestamp_ms <= at[i]) ++pos;
      if (pos == 0) continue;
      const Point& p = pts[pos - 1];
      if (p.timestamp_ms <= oldest[i] || common::IsStaleNaN(p.value)) continue;
      series.values[i] = p.value;
      series.present[i] = 1;
      any = true;
    }
    if (any && !sink(series)) done = false;
    return done;
  });
  return done;
}

bool StepEvaluator::StreamRangeCall(const Call& c, SeriesSink sink) {
  ev_.CheckDeadline();
  const RangeFn fn = RangeFnByName(c.func->name);
  // Its factor checks fail even over an empty range vector: leave it to the per-step evaluator.
  if (fn == RangeFn::kDoubleExponentialSmoothing) return false;
  const MatrixSelector* ms = nullptr;
  std::vector<const StepValue*> scalar_args;
  for (const ExprPtr& arg : c.args) {
    if (arg->Type() == ValueType::kMatrix) {
      ms = Unparen(*arg).Cast<MatrixSelector>();
      if (ms == nullptr) return false;  // a subquery
      continue;
    }
    const StepValue* v = ev_.FindPrecomputed(*arg);
    if (v == nullptr || !v->is_scalar) return false;
    scalar_args.push_back(v);
  }
  if (ms == nullptr) return false;
  const VectorSelector& vs = *ms->selector;
  const bool keep_name = RangeFnKeepsName(fn);
  const size_t n = grid_.num_steps;
  std::vector<RangeBounds> bounds(n);
  for (size_t i = 0; i < n; ++i) {
    bounds[i].end_ms = ev_.EffectiveTime(vs.at, vs.offset_ms, grid_.At(i));
    bounds[i].start_ms = SatSub(bounds[i].end_ms, ms->range_ms);
    bounds[i].range_ms = ms->range_ms;
  }
  std::vector<double> scalars(scalar_args.size());
  const bool counter = fn == RangeFn::kRate || fn == RangeFn::kIncrease;
  const bool extrapolated = counter || fn == RangeFn::kDelta;
  // The output labels of every series so far: two equal ones are left to the per-step evaluator.
  std::unordered_set<std::string> keys;
  // Points up to each step's window end; `lag` steps back is the one whose end is this window's
  // start, at every step (n when there is none, e.g. a range that is no multiple of the step).
  size_t lag = n;
  for (size_t k = 1; k < n && lag == n; ++k) {
    bool all = true;
    for (size_t i = k; i < n && all; ++i) all = bounds[i].start_ms == bounds[i - k].end_ms;
    if (all && bounds[k].start_ms == bounds[0].end_ms) lag = k;
    if (bounds[k].end_ms - bounds[0].end_ms > ms->range_ms) break;  // ends ascend
  }
  // One series' step values; for rate, increase and delta it may run on several threads at once
  // (it reads only the bounds and its own scratch), the others stay on this one.
  const bool is_rate = fn == RangeFn::kRate;
  const double range_s = static_cast<double>(ms->range_ms) / 1000.0;
  const Evaluator::StepComputeFn compute = [&, n, lag, counter, is_rate, range_s](
                                               const common::Labels&, std::span<const Point> pts,
                                               StepSeries& series) {
    series.rank.clear();
    size_t lo = 0, hi = 0;
    bool any = false;
    if (extrapolated) {
      // Every step's value and flag is written below: no clearing first.
      series.values.resize(n);
      series.present.resize(n);
      // rate, increase and delta: the same values as RangeFnValue, inlined into the step loop.
      // Each window's value is computed up to its one division (ExtrapolatedParts), and the
      // divisions are done afterwards in a pass of their own: in the walk, each one's latency
      // would stall it. Absent steps get 0 * 0 / 1.
      //
      // Two passes: the walk finds each window's points, then each window's parts are computed
      // from its ends alone (no step depends on another there). Raw pointers throughout: a
      // store through the uint8_t flags may alias anything, so through the vectors every
      // store would reload their data pointers.
      thread_local std::vector<double> delta_buf, num_buf, den_buf;
      thread_local std::vector<size_t> starts_buf, ends_buf;
      thread_local std::vector<uint8_t> resets_buf;
      delta_buf.resize(n);
      num_buf.resize(n);
      den_buf.resize(n);
      starts_buf.resize(n);
      ends_buf.resize(n);
      resets_buf.resize(n);
      double* const delta = delta_buf.data();
      double* const num = num_buf.data();
      double* const den = den_buf.data();
      size_t* const starts_at = starts_buf.data();
      size_t* const ends_at = ends_buf.data();
      uint8_t* const resets = resets_buf.data();
      uint8_t* const present = series.present.data();
      const RangeBounds* const b = bounds.data();
      const Point* const p = pts.data();
      const size_t np = pts.size();
      // last_drop is the last point below its predecessor among those passed so far: a window
      // [lo, hi) holds a counter reset exactly when it is past lo. Most hold none and skip the
      // scan.
      size_t last_drop = 0;
      double prev_value = np > 0 ? p[0].value : 0;  // the point before hi's (p[0] at hi = 0)
      for (size_t i = 0; i < n; ++i) {
        const int64_t end_ms = b[i].end_ms;
        if (counter) {
          for (; hi < np && p[hi].timestamp_ms <= end_ms; ++hi) {
            const double value = p[hi].value;
            if (value < prev_value) last_drop = hi;
            prev_value = value;
          }
        } else {
          while (hi < np && p[hi].timestamp_ms <= end_ms) ++hi;
        }
        // Where this window starts exactly where an earlier one ended, the points up to its
        // start are counted already.
        if (i >= lag) {
          lo = ends_at[i - lag];
        } else {
          while (lo < hi && p[lo].timestamp_ms <= b[i].start_ms) ++lo;
        }
        starts_at[i] = lo;
        ends_at[i] = hi;
        resets[i] = last_drop > lo;
      }
      for (size_t i = 0; i < n; ++i) {
        const size_t from = starts_at[i];
        const size_t to = ends_at[i];
        ExtrapolatedParts parts;
        const bool has = to - from >= 2;
        if (has) {
          ExtrapolatedRateWindow(b[i].start_ms, b[i].end_ms, range_s,
                                 std::span<const Point>(p + from, to - from), counter, is_rate,
                                 resets[i] != 0, parts);
          any = true;
        }
        present[i] = has;
        delta[i] = parts.delta;
        num[i] = parts.num;
        den[i] = parts.den;
      }
      double* const values = series.values.data();
      for (size_t i = 0; i < n; ++i) values[i] = delta[i] * (num[i] / den[i]);
      return any;
    }
    series.values.assign(n, 0);
    series.present.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
      while (hi < pts.size() && pts[hi].timestamp_ms <= bounds[i].end_ms) ++hi;
      while (lo < hi && pts[lo].timestamp_ms <= bounds[i].start_ms) ++lo;
      if (lo == hi) continue;
      for (size_t k = 0; k < scalars.size(); ++k) scalars[k] = scalar_args[k]->scalar[i];
      double v = 0;
      if (!RangeFnValue(fn, bounds[i], pts.subspan(lo, hi - lo), scalars, grid_.At(i), v)) {
        continue;
      }
      series.values[i] = v;
      series.present[i] = 1;
      any = true;
    }
    return any;
  };
  size_t visited = 0;
  bool done = true;
  // Streamed: each series' samples are read, turned into step values and dropped in turn.
  ev_.StreamStepSeries(
      vs, compute,
      [&](const common::Labels& input, StepSeries& series) {
        if (++visited % 256 == 0) ev_.CheckDeadline();
        series.metric = keep_name ? input : DropMetricName(input);
        if (!keys.insert(LabelsKey(series.metric)).second) {
          done = false;
          return false;
        }
        if (!sink(series)) done = false;
        return done;
      },
      /*parallel=*/extrapolated);
  if (!done) return false;
  for (const ExprPtr& arg : c.args) {
    if (arg->Type() != ValueType::kMatrix) ev_.TakePrecomputed(*arg);
  }
  return true;
}

bool StepEvaluator::Aggregation(const Aggregate& a, const Expr& expr) {
  if (IsSelectionOp(a.op) && a.param != nullptr) return Selection(a, expr);
  if (!IsAccumulatorOp(a.op) || a.param != nullptr) return false;
  ev_.CheckDeadline();
  const StepValue* in = ev_.FindPrecomputed(*a.expr);
  if (in == nullptr || in->is_scalar) return false;
  StepAggregator agg(a, grid_.num_steps, kMaxPoints);
  for (size_t si = 0; si < in->series.size(); ++si) {
    if (si % 256 == 255) ev_.CheckDeadline();
    if (!agg.Add(in->series[si], si)) return false;
  }
  ev_.TakePrecomputed(*a.expr);
  ev_.StorePrecomputed(expr, agg.Finish());
  return true;
}

bool StepEvaluator::Selection(const Aggregate& a, const Expr& expr) {
  ev_.CheckDeadline();
  const StepValue* in = ev_.FindPrecomputed(*a.expr);
  const StepValue* k = ev_.FindPrecomputed(*a.param);
  if (in == nullptr || in->is_scalar || k == nullptr || !k->is_scalar) return false;
  StepValue out;
  if (!SelectAtSteps(a, *in, k->scalar, grid_.num_steps, kMaxPoints, &out)) return false;
  ev_.TakePrecomputed(*a.expr);
  ev_.TakePrecomputed(*a.param);
  ev_.StorePrecomputed(expr, std::move(out));
  return true;
}

bool StepEvaluator::FusedAggregation(const Aggregate& a, const Expr& expr) {
  StepAggregator agg(a, grid_.num_steps, kMaxPoints);
  size_t index = 0;
  if (!Stream(*a.expr, [&](StepSeries& series) { return agg.Add(series, index++); })) {
    return false;
  }
  ev_.StorePrecomputed(expr, agg.Finish());
  return true;
}

bool StepEvaluator::UnaryOp(const Unary& u, const Expr& expr) {
  if (u.op == promql::UnaryOp::kPlus) {
    ev_.StorePrecomputed(expr, ev_.TakePrecomputed(*u.expr));
    return true;
  }
  const StepValue* in = ev_.FindPrecomputed(*u.expr);
  if (in == nullptr) return false;
  if (!in->is_scalar) {
    std::vector<common::Labels> metrics;
    metrics.reserve(in->series.size());
    for (const StepSeries& s : in->series) metrics.push_back(DropMetricName(s.metric));
    if (!AllDistinct(metrics)) return false;
    StepValue out = ev_.TakePrecomputed(*u.expr);
    for (size_t si = 0; si < out.series.size(); ++si) {
      out.series[si].metric = std::move(metrics[si]);
      for (double& v : out.series[si].values) v = -v;
    }
    ev_.StorePrecomputed(expr, std::move(out));
    return true;
  }
  StepValue out = ev_.TakePrecomputed(*u.expr);
  for (double& v : out.scalar) v = -v;
  ev_.StorePrecomputed(expr, std::move(out));
  return true;
}

bool StepEvaluator::BinaryOpNode(const Binary& b, const Expr& expr) {
  const StepValue* l = ev_.FindPrecomputed(*b.lhs);
  const StepValue* r = ev_.FindPrecomputed(*b.rhs);
  if (l == nullptr || r == nullptr) return false;
  const size_t n = grid_.num_steps;
  if (l->is_scalar && r->is_scalar) {
    StepValue out;
    out.is_scalar = true;
    out.scalar.resize(n);
    for (size_t i = 0; i < n; ++i) out.scalar[i] = ScalarBinaryOp(b.op, l->scalar[i], r->scalar[i]);
    ev_.TakePrecomputed(*b.lhs);
    ev_.TakePrecomputed(*b.rhs);
    ev_.StorePrecomputed(expr, std::move(out));
    return true;
  }
  if (!l->is_scalar && !r->is_scalar) {
    if (IsSetOp(b.op)) return false;
    return VectorVector(b, ev_.TakePrecomputed(*b.lhs), ev_.TakePrecomputed(*b.rhs), expr);
  }
  // vector op scalar, or scalar op vector.
  const bool scalar_left = l->is_scalar;
  const StepValue& vec = scalar_left ? *r : *l;
  const std::vector<double>& scalar = scalar_left ? l->scalar : r->scalar;
  const bool drop_name = DropsMetricName(b.op, b.return_bool);
  std::vector<common::Labels> metrics;
  metrics.reserve(vec.series.size());
  for (const StepSeries& s : vec.series) {
    metrics.push_back(drop_name ? DropMetricName(s.metric) : s.metric);
  }
  if (!AllDistinct(metrics)) return false;
  StepValue out;
  for (size_t si = 0; si < vec.series.size(); ++si) {
    const StepSeries& s = vec.series[si];
    StepSeries series = NewSeries(std::move(metrics[si]));
    series.rank = s.rank;
    for (size_t i = 0; i < n; ++i) {
      if (!s.present[i]) continue;
      auto [v, keep] =
          VectorScalarElementOp(b.op, s.values[i], scalar[i], scalar_left, b.return_bool);
      if (!keep) continue;
      series.values[i] = v;
      series.present[i] = 1;
    }
    if (AnyPresent(series)) out.series.push_back(std::move(series));
  }
  ev_.TakePrecomputed(*b.lhs);
  ev_.TakePrecomputed(*b.rhs);
  ev_.StorePrecomputed(expr, std::move(out));
  return true;
}

bool StepEvaluator::VectorVector(const Binary& b, StepValue lhs, StepValue rhs, const Expr& expr) {
  // On failure the operands go back where they were, for the per-step evaluator.
  const auto restore = [&] {
    ev_.StorePrecomputed(*b.lhs, std::move(lhs));
    ev_.StorePrecomputed(*b.rhs, std::move(rhs));
    return false;
  };
  const VectorMatching m = b.matching.value_or(VectorMatching{});
  const bool one_to_many = m.card == VectorMatching::Cardinality::kOneToMany;
  const bool one_to_one = m.card == VectorMatching::Cardinality::kOneToOne;
  const std::vector<StepSeries>& many = one_to_many ? rhs.series : lhs.series;
  const std::vector<StepSeries>& one = one_to_many ? lhs.series : rhs.series;

  std::unordered_map<std::string, size_t> one_by_signature;
  for (size_t j = 0; j < one.size(); ++j) {
    if (!one_by_signature.try_emplace(Signature(one[j].metric, m), j).second) return restore();
  }
  std::vector<std::pair<size_t, size_t>> pairs;  // (many, one)
  std::vector<common::Labels> metrics;
  std::unordered_set<size_t> matched;
  for (size_t i = 0; i < many.size(); ++i) {
    auto it = one_by_signature.find(Signature(many[i].metric, m));
    if (it == one_by_signature.end()) continue;
    if (one_to_one && !matched.insert(it->second).second) return restore();
    pairs.push_back({i, it->second});
    metrics.push_back(ResultMetric(many[i].metric, one[it->second].metric, b.op, m, b.return_bool));
  }
  if (!AllDistinct(metrics) || !Fits(pairs.size())) return restore();

  const size_t n = grid_.num_steps;
  StepValue out;
  for (size_t p = 0; p < pairs.size(); ++p) {
    const StepSeries& ms = many[pairs[p].first];
    const StepSeries& os = one[pairs[p].second];
    StepSeries series = NewSeries(std::move(metrics[p]));
    series.rank = ms.rank;
    for (size_t i = 0; i < n; ++i) {
      if (!ms.present[i] || !os.present[i]) continue;
      double vl = ms.values[i];
      double vr = os.values[i];
      if (one_to_many) std::swap(vl, vr);
      auto [v, keep] = VectorElementOp(b.op, vl, vr, b.return_bool);
      if (!keep) continue;
      series.values[i] = v;
      series.present[i] = 1;
    }
    if (AnyPresent(series)) out.series.push_back(std::move(series));
  }
  ev_.StorePrecomputed(expr, std::move(out));
  return true;
}

}  // namespace strata::collector::promql
