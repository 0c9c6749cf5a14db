#include "collector/query/promql/evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collector/query/promql/aggregations.h"
#include "collector/query/promql/binary_ops.h"
#include "collector/query/promql/eval_helpers.h"
#include "collector/query/promql/functions.h"
#include "collector/query/promql/histogram_functions.h"
#include "collector/query/promql/instant_functions.h"
#include "collector/query/promql/label_functions.h"
#include "collector/query/promql/parallel_series_reader.h"
#include "collector/query/promql/range_functions.h"
#include "collector/query/promql/series_prefetcher.h"
#include "common/model/sample.h"

namespace strata::collector::promql {
namespace {

// Smallest multiple of `step` strictly greater than `t` (floor division for negatives).
int64_t FirstMultipleAfter(int64_t t, int64_t step) {
  int64_t q = t / step;
  if (t % step != 0 && t < 0) --q;
  return (q + 1) * step;
}

int64_t LastMultipleAtOrBefore(int64_t t, int64_t step) {
  int64_t q = t / step;
  if (t % step != 0 && t < 0) --q;
  return q * step;
}

// Equality matchers of a selector as labels, for absent(): a name matched twice is left out.
common::Labels AbsentLabels(const VectorSelector& vs) {
  std::vector<common::Label> out;
  std::vector<std::string> dropped;
  for (const LabelMatcher& m : vs.matchers) {
    if (m.name() == common::kMetricNameLabel) continue;
    if (std::find(dropped.begin(), dropped.end(), m.name()) != dropped.end()) continue;
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& l) { return l.name == m.name(); });
    if (m.op() != MatchOp::kEqual) {
      if (it != out.end()) {
        out.erase(it);
        dropped.push_back(m.name());
      }
      continue;
    }
    if (it != out.end()) {
      out.erase(it);
      dropped.push_back(m.name());
      continue;
    }
    out.push_back({m.name(), m.value()});
  }
  return common::Labels::FromUnsorted(std::move(out));
}

}  // namespace

Evaluator::Evaluator(StorageReader& storage, const EngineOptions& options,
                     const common::Clock& clock, int64_t deadline_ms, int64_t query_start_ms,
                     int64_t query_end_ms, int64_t interval_ms)
    : storage_(storage),
      options_(options),
      clock_(clock),
      deadline_ms_(deadline_ms),
      query_start_ms_(query_start_ms),
      query_end_ms_(query_end_ms),
      interval_ms_(interval_ms > 0 ? interval_ms : 60 * 1000) {}

void Evaluator::CheckDeadline() const {
  if (clock_.MonotonicMs() > deadline_ms_) {
    throw EvalError{absl::DeadlineExceededError("query timed out in query execution")};
  }
}

void Evaluator::CheckSamples(int64_t n) const {
  if (n > options_.max_samples) {
    throw EvalError{absl::ResourceExhaustedError(std::string(kTooManySamplesError))};
  }
}

int64_t Evaluator::EffectiveTime(const AtModifier& at, int64_t offset_ms, int64_t t) const {
  switch (at.kind) {
    case AtModifier::Kind::kTimestamp:
      t = at.timestamp_ms;
      break;
    case AtModifier::Kind::kStart:
      t = query_start_ms_;
      break;
    case AtModifier::Kind::kEnd:
      t = query_end_ms_;
      break;
    case AtModifier::Kind::kNone:
      break;
  }
  return SatSub(t, offset_ms);
}

void Evaluator::Prepare(const Expr& root, int64_t min_t_ms, int64_t max_t_ms, bool defer) {
  defer_ = defer;
  Walk(root, min_t_ms, max_t_ms, 0);
}

void Evaluator::Request(const VectorSelector& vs, int64_t min_t, int64_t max_t, bool drop_stale) {
  const LoadSpec spec{min_t, max_t, drop_stale};
  if (!defer_) {
    Load(vs, spec);
    return;
  }
  if (pending_.try_emplace(&vs, spec).second) pending_order_.push_back(&vs);
}

void Evaluator::LoadPending() {
  for (const VectorSelector* vs : pending_order_) {
    auto it = pending_.find(vs);
    if (it == pending_.end() || it->second.streamed) continue;
    const LoadSpec spec = it->second;
    pending_.erase(it);
    Load(*vs, spec);
  }
}

void Evaluator::Walk(const Expr& expr, int64_t lo, int64_t hi, int depth) {
  if (depth > kMaxTreeDepth + 8) ThrowExecution("query is nested too deeply");
  switch (expr.kind) {
    case ExprKind::kNumberLiteral:
    case ExprKind::kStringLiteral:
      return;
    case ExprKind::kVectorSelector: {
      const auto& vs = expr.As<VectorSelector>();
      const int64_t a = EffectiveTime(vs.at, vs.offset_ms, lo);
      const int64_t b = EffectiveTime(vs.at, vs.offset_ms, hi);
      Request(vs, SatSub(a, options_.lookback_delta_ms - 1), b, /*drop_stale=*/false);
      return;
    }
    case ExprKind::kMatrixSelector: {
      const auto& ms = expr.As<MatrixSelector>();
      const VectorSelector& vs = *ms.selector;
      const int64_t a = EffectiveTime(vs.at, vs.offset_ms, lo);
      const int64_t b = EffectiveTime(vs.at, vs.offset_ms, hi);
      Request(vs, SatSub(a, ms.range_ms - 1), b, /*drop_stale=*/true);
      return;
    }
    case ExprKind::kSubquery: {
      const auto& sq = expr.As<Subquery>();
      const int64_t a = EffectiveTime(sq.at, sq.offset_ms, lo);
      const int64_t b = EffectiveTime(sq.at, sq.offset_ms, hi);
      SubqueryGrid& grid = subqueries_[&sq];
      grid.step_ms = sq.step_ms > 0 ? sq.step_ms : interval_ms_;
      grid.first_ms = FirstMultipleAfter(SatSub(a, sq.range_ms), grid.step_ms);
      grid.last_ms = LastMultipleAtOrBefore(b, grid.step_ms);
      if (grid.first_ms <= grid.last_ms) Walk(*sq.expr, grid.first_ms, grid.last_ms, depth + 1);
      return;
    }
    case ExprKind::kParen:
      Walk(*expr.As<Paren>().expr, lo, hi, depth + 1);
      return;
    case ExprKind::kUnary:
      Walk(*expr.As<Unary>().expr, lo, hi, depth + 1);
      return;
    case ExprKind::kBinary:
      Walk(*expr.As<Binary>().lhs, lo, hi, depth + 1);
      Walk(*expr.As<Binary>().rhs, lo, hi, depth + 1);
      return;
    case ExprKind::kAggregate:
      if (expr.As<Aggregate>().param) Walk(*expr.As<Aggregate>().param, lo, hi, depth + 1);
      Walk(*expr.As<Aggregate>().expr, lo, hi, depth + 1);
      return;
    case ExprKind::kCall:
      for (const ExprPtr& arg : expr.As<Call>().args) Walk(*arg, lo, hi, depth + 1);
      return;
  }
}

std::unique_ptr<SeriesCursor> Evaluator::OpenCursor(const VectorSelector& vs,
                                                    const LoadSpec& spec) {
  absl::StatusOr<std::unique_ptr<SeriesCursor>> cursor =
      storage_.SelectCursor(vs.matchers, spec.min_t, spec.max_t);
  if (!cursor.ok()) throw EvalError{absl::InternalError(std::string(cursor.status().message()))};
  return *std::move(cursor);
}

namespace {

void ThrowIfFailed(const SeriesCursor& cursor) {
  if (!cursor.status().ok()) {
    throw EvalError{absl::InternalError(std::string(cursor.status().message()))};
  }
}

}  // namespace

void Evaluator::Load(const VectorSelector& vs, const LoadSpec& spec) {
  CheckDeadline();
  std::unique_ptr<SeriesCursor> cursor = OpenCursor(vs, spec);
  std::vector<LoadedSeries>& out = selectors_[&vs];
  int64_t total = 0;
  SeriesData s;
  size_t n = 0;
  while (cursor->Next(&s)) {
    if (++n % 1024 == 0) CheckDeadline();
    const std::span<const Point> points =
        PointsInRange(s.samples, spec.min_t, spec.max_t, spec.drop_stale);
    if (points.empty()) continue;
    LoadedSeries loaded;
    loaded.points.assign(points.begin(), points.end());
    loaded.metric = std::move(s.labels);
    total += static_cast<int64_t>(loaded.points.size());
    out.push_back(std::move(loaded));
  }
  ThrowIfFailed(*cursor);
  CheckSamples(total);
}

const std::vector<Evaluator::LoadedSeries>* Evaluator::LoadedFor(const VectorSelector& vs) {
  if (auto it = selectors_.find(&vs); it != selectors_.end()) return &it->second;
  auto pending = pending_.find(&vs);
  if (pending == pending_.end()) return nullptr;
  const LoadSpec spec = pending->second;
  pending_.erase(pending);
  Load(vs, spec);
  return &selectors_[&vs];
}

bool Evaluator::StreamSeries(const VectorSelector& vs, SeriesFn fn) {
  if (auto it = selectors_.find(&vs); it != selectors_.end()) {
    for (const LoadedSeries& s : it->second) {
      if (!fn(s.metric, s.points)) break;
    }
    return true;
  }
  auto pending = pending_.find(&vs);
  if (pending == pending_.end()) return false;
  LoadSpec& spec = pending->second;
  spec.streamed = true;
  CheckDeadline();
  std::unique_ptr<SeriesCursor> cursor = OpenCursor(vs, spec);
  int64_t total = 0;
  size_t n = 0;
  if (options_.read_ahead) {
    std::unique_ptr<SeriesPrefetcher> prefetcher;
    try {
      prefetcher = std::make_unique<SeriesPrefetcher>(
          std::move(cursor), SeriesPrefetcher::Filter{spec.min_t, spec.max_t, spec.drop_stale});
    } catch (const std::system_error& e) {
      throw EvalError{absl::ResourceExhaustedError(
          absl::StrCat("cannot start a storage reader thread: ", e.what()))};
    }
    while (SeriesPrefetcher::Series* s = prefetcher->Next()) {
      if (++n % 1024 == 0) CheckDeadline();
      total += static_cast<int64_t>(s->points.size());
      CheckSamples(total);
      if (!fn(s->labels, s->points)) return true;
    }
    if (absl::Status status = prefetcher->status(); !status.ok()) {
      throw EvalError{absl::InternalError(std::string(status.message()))};
    }
    return true;
  }
  SeriesData s;
  while (cursor->Next(&s)) {
    if (++n % 1024 == 0) CheckDeadline();
    const std::span<const Point> points =
        PointsInRange(s.samples, spec.min_t, spec.max_t, spec.drop_stale);
    if (points.empty()) continue;
    total += static_cast<int64_t>(points.size());
    CheckSamples(total);
    if (!fn(s.labels, points)) return true;
  }
  ThrowIfFailed(*cursor);
  return true;
}

bool Evaluator::StreamStepSeries(const VectorSelector& vs, const StepComputeFn& compute,
                                 StepConsumeFn consume, bool parallel) {
  auto pending = pending_.find(&vs);
  parallel = parallel && options_.read_ahead && options_.read_threads > 1 &&
             !selectors_.contains(&vs) && pending != pending_.end();
  if (!parallel) {
    StepSeries scratch;
    return StreamSeries(vs, [&](const common::Labels& labels, std::span<const Point> pts) {
      if (!compute(labels, pts, scratch)) return true;
      return consume(labels, scratch);
    });
  }
  LoadSpec& spec = pending->second;
  spec.streamed = true;
  CheckDeadline();
  std::vector<std::unique_ptr<SeriesCursor>> cursors;
  for (int i = 0; i < options_.read_threads; ++i) cursors.push_back(OpenCursor(vs, spec));
  std::unique_ptr<ParallelSeriesReader> reader;
  try {
    reader = std::make_unique<ParallelSeriesReader>(
        std::move(cursors), ParallelSeriesReader::Filter{spec.min_t, spec.max_t, spec.drop_stale},
        compute);
  } catch (const std::system_error& e) {
    throw EvalError{absl::ResourceExhaustedError(
        absl::StrCat("cannot start a storage reader thread: ", e.what()))};
  }
  int64_t total = 0;
  size_t n = 0;
  while (ParallelSeriesReader::Item* item = reader->Next()) {
    if (++n % 256 == 0) CheckDeadline();
    total += static_cast<int64_t>(item->num_points);
    CheckSamples(total);
    if (!consume(item->labels, item->result)) return true;
  }
  if (absl::Status status = reader->status(); !status.ok()) {
    throw EvalError{absl::InternalError(std::string(status.message()))};
  }
  return true;
}

void Evaluator::StorePrecomputed(const Expr& expr, StepValue value) {
  precomputed_[&expr] = std::move(value);
}

const StepValue* Evaluator::FindPrecomputed(const Expr& expr) const {
  auto it = precomputed_.find(&expr);
  return it == precomputed_.end() ? nullptr : &it->second;
}

StepValue Evaluator::TakePrecomputed(const Expr& expr) {
  auto node = precomputed_.extract(&expr);
  return node.empty() ? StepValue{} : std::move(node.mapped());
}

Value Evaluator::Eval(const Expr& expr, int64_t t) {
  if (!precomputed_.empty()) {
    size_t step = 0;
    if (const StepValue* value = FindPrecomputed(expr);
        value != nullptr && grid_.IndexOf(t, &step)) {
      return Materialize(*value, step, t);
    }
  }
  switch (expr.kind) {
    case ExprKind::kNumberLiteral:
      return Scalar{expr.As<NumberLiteral>().value};
    case ExprKind::kStringLiteral:
      return String{expr.As<StringLiteral>().value};
    case ExprKind::kVectorSelector:
      return EvalSelector(expr.As<VectorSelector>(), t);
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery:
      return RangeToMatrix(EvalRange(expr, t));
    case ExprKind::kParen:
      return Eval(*expr.As<Paren>().expr, t);
    case ExprKind::kUnary:
      return EvalUnary(expr.As<Unary>(), t);
    case ExprKind::kBinary:
      return EvalBinary(expr.As<Binary>(), t);
    case ExprKind::kAggregate:
      return EvalAggregate(expr.As<Aggregate>(), t);
    case ExprKind::kCall:
      return EvalCall(expr.As<Call>(), t);
  }
  ThrowExecution("unknown expression");
}

Vector Evaluator::EvalVector(const Expr& expr, int64_t t) {
  Value v = Eval(expr, t);
  if (Vector* vec = std::get_if<Vector>(&v)) return std::move(*vec);
  ThrowExecution("expected an instant vector, got " + std::string(ValueTypeName(expr.Type())));
}

double Evaluator::EvalScalar(const Expr& expr, int64_t t) {
  Value v = Eval(expr, t);
  if (const Scalar* s = std::get_if<Scalar>(&v)) return s->v;
  ThrowExecution("expected a scalar, got " + std::string(ValueTypeName(expr.Type())));
}

Vector Evaluator::EvalSelector(const VectorSelector& vs, int64_t t) {
  const int64_t te = EffectiveTime(vs.at, vs.offset_ms, t);
  const int64_t oldest = SatSub(te, options_.lookback_delta_ms);  // exclusive
  Vector out;
  const std::vector<LoadedSeries>* loaded = LoadedFor(vs);
  if (loaded == nullptr) return out;
  for (const LoadedSeries& s : *loaded) {
    auto pos = std::upper_bound(s.points.begin(), s.points.end(), te,
                                [](int64_t ts, const Point& p) { return ts < p.timestamp_ms; });
    if (pos == s.points.begin()) continue;
    const Point& p = *(pos - 1);
    if (p.timestamp_ms <= oldest || common::IsStaleNaN(p.value)) continue;
    out.push_back({s.metric, p.value, p.timestamp_ms});
  }
  CheckSamples(static_cast<int64_t>(out.size()));
  return out;
}

RangeArg Evaluator::EvalRange(const Expr& e, int64_t t) {
  const Expr& expr = Unparen(e);
  RangeArg out;
  const auto window = [&](const std::vector<Point>& points, const common::Labels& metric) {
    auto first = std::upper_bound(points.begin(), points.end(), out.range_start_ms,
                                  [](int64_t ts, const Point& p) { return ts < p.timestamp_ms; });
    auto last = std::upper_bound(first, points.end(), out.range_end_ms,
                                 [](int64_t ts, const Point& p) { return ts < p.timestamp_ms; });
    if (first != last) out.series.push_back({&metric, std::span<const Point>(first, last)});
  };
  int64_t total = 0;
  if (const MatrixSelector* ms = expr.Cast<MatrixSelector>()) {
    const VectorSelector& vs = *ms->selector;
    out.range_end_ms = EffectiveTime(vs.at, vs.offset_ms, t);
    out.range_start_ms = SatSub(out.range_end_ms, ms->range_ms);
    out.range_ms = ms->range_ms;
    const std::vector<LoadedSeries>* loaded = LoadedFor(vs);
    if (loaded == nullptr) return out;
    for (const LoadedSeries& s : *loaded) window(s.points, s.metric);
  } else if (const Subquery* sq = expr.Cast<Subquery>()) {
    out.range_end_ms = EffectiveTime(sq->at, sq->offset_ms, t);
    out.range_start_ms = SatSub(out.range_end_ms, sq->range_ms);
    out.range_ms = sq->range_ms;
    auto it = subqueries_.find(sq);
    if (it == subqueries_.end()) return out;
    SubqueryGrid& grid = it->second;
    if (!grid.built) BuildSubquery(*sq, grid);
    for (const Series& s : grid.matrix) window(s.points, s.metric);
  } else {
    ThrowExecution("expected a range vector, got " + std::string(ValueTypeName(expr.Type())));
  }
  for (const RangeWindow& w : out.series) total += static_cast<int64_t>(w.points.size());
  CheckSamples(total);
  return out;
}

void Evaluator::BuildSubquery(const Subquery& sq, SubqueryGrid& grid) {
  grid.built = true;
  std::unordered_map<std::string, size_t> index;
  int64_t total = 0;
  for (int64_t ts = grid.first_ms; ts <= grid.last_ms; ts += grid.step_ms) {
    CheckDeadline();
    Value v = Eval(*sq.expr, ts);
    if (const Scalar* s = std::get_if<Scalar>(&v)) {
      // A scalar inner expression (allowed by Prometheus' grammar only through functions that
      // return vectors, but be safe).
      if (grid.matrix.empty()) grid.matrix.push_back({});
      grid.matrix[0].points.push_back({ts, s->v});
      ++total;
    } else if (Vector* vec = std::get_if<Vector>(&v)) {
      for (VectorElement& e : *vec) {
        auto [it, inserted] = index.try_emplace(LabelsKey(e.metric), grid.matrix.size());
        if (inserted) grid.matrix.push_back({std::move(e.metric), {}});
        grid.matrix[it->second].points.push_back({ts, e.v});
      }
      total += static_cast<int64_t>(vec->size());
    }
    CheckSamples(total);
  }
}

Matrix Evaluator::RangeToMatrix(const RangeArg& range) const {
  Matrix out;
  out.reserve(range.series.size());
  for (const RangeWindow& w : range.series) {
    out.push_back({*w.metric, std::vector<Point>(w.points.begin(), w.points.end())});
  }
  return out;
}

Value Evaluator::EvalUnary(const Unary& u, int64_t t) {
  Value v = Eval(*u.expr, t);
  if (u.op == UnaryOp::kPlus) return v;
  if (Scalar* s = std::get_if<Scalar>(&v)) return Scalar{-s->v};
  Vector vec = std::move(std::get<Vector>(v));
  for (VectorElement& e : vec) {
    e.v = -e.v;
    e.metric = DropMetricName(e.metric);
    e.t = t;
  }
  CheckNoDuplicateLabelsets(vec);
  return vec;
}

Value Evaluator::EvalBinary(const Binary& b, int64_t t) {
  const ValueType lt = b.lhs->Type();
  const ValueType rt = b.rhs->Type();
  if (lt == ValueType::kScalar && rt == ValueType::kScalar) {
    const double l = EvalScalar(*b.lhs, t);
    const double r = EvalScalar(*b.rhs, t);
    return Scalar{ScalarBinaryOp(b.op, l, r)};
  }
  if (lt == ValueType::kScalar) {
    const double l = EvalScalar(*b.lhs, t);
    Vector r = EvalVector(*b.rhs, t);
    for (VectorElement& e : r) e.t = t;
    Vector out = VectorScalarBinaryOp(b.op, std::move(r), l, true, b.return_bool);
    CheckNoDuplicateLabelsets(out);
    return out;
  }
  if (rt == ValueType::kScalar) {
    Vector l = EvalVector(*b.lhs, t);
    for (VectorElement& e : l) e.t = t;
    const double r = EvalScalar(*b.rhs, t);
    Vector out = VectorScalarBinaryOp(b.op, std::move(l), r, false, b.return_bool);
    CheckNoDuplicateLabelsets(out);
    return out;
  }
  Vector l = EvalVector(*b.lhs, t);
  Vector r = EvalVector(*b.rhs, t);
  Vector out = VectorVectorBinaryOp(b, std::move(l), std::move(r));
  for (VectorElement& e : out) e.t = t;
  return out;
}

Vector Evaluator::EvalAggregate(const Aggregate& a, int64_t t) {
  double param = 0;
  std::string label;
  if (a.param) {
    if (a.op == AggregateOp::kCountValues) {
      Value v = Eval(*a.param, t);
      if (const String* s = std::get_if<String>(&v)) label = s->v;
    } else {
      param = EvalScalar(*a.param, t);
    }
  }
  Vector in = EvalVector(*a.expr, t);
  Vector out = EvalAggregation(a, std::move(in), param, label);
  for (VectorElement& e : out) e.t = t;
  return out;
}

Value Evaluator::EvalCall(const Call& c, int64_t t) {
  const std::string_view name = c.func->name;
  const double now_s = static_cast<double>(t) / 1000.0;
  if (name == "time") return Scalar{now_s};
  if (name == "pi") return Scalar{M_PI};
  if (name == "vector") return Vector{{{}, EvalScalar(*c.args[0], t), t}};
  if (name == "scalar") {
    Vector v = EvalVector(*c.args[0], t);
    return Scalar{v.size() == 1 ? v[0].v : std::numeric_limits<double>::quiet_NaN()};
  }
  if (name == "timestamp") {
    const Expr& arg = Unparen(*c.args[0]);
    Vector v = EvalVector(arg, t);
    const bool from_selector = arg.kind == ExprKind::kVectorSelector;
    for (VectorElement& e : v) {
      e.v = static_cast<double>(from_selector ? e.t : t) / 1000.0;
      e.metric = DropMetricName(e.metric);
      e.t = t;
    }
    CheckNoDuplicateLabelsets(v);
    return v;
  }
  if (name == "absent" || name == "absent_over_time") {
    const Expr& arg = Unparen(*c.args[0]);
    bool empty;
    if (name == "absent") {
      empty = EvalVector(arg, t).empty();
    } else {
      empty = EvalRange(arg, t).series.empty();
    }
    if (!empty) return Vector{};
    common::Labels labels;
    if (const VectorSelector* vs = arg.Cast<VectorSelector>()) {
      labels = AbsentLabels(*vs);
    } else if (const MatrixSelector* ms = arg.Cast<MatrixSelector>()) {
      labels = AbsentLabels(*ms->selector);
    }
    return Vector{{std::move(labels), 1, t}};
  }
  if (IsRangeFunction(name)) {
    std::vector<double> scalars;
    const Expr* range_arg = nullptr;
    for (const ExprPtr& arg : c.args) {
      if (arg->Type() == ValueType::kMatrix) {
        range_arg = arg.get();
      } else {
        scalars.push_back(EvalScalar(*arg, t));
      }
    }
    Vector out = EvalRangeFunction(name, EvalRange(*range_arg, t), scalars, t);
    for (VectorElement& e : out) e.t = t;
    CheckNoDuplicateLabelsets(out);
    return out;
  }
  if (name == "label_replace" || name == "label_join") {
    Vector v = EvalVector(*c.args[0], t);
    std::vector<std::string> strings;
    for (size_t i = 1; i < c.args.size(); ++i) {
      Value s = Eval(*c.args[i], t);
      strings.push_back(std::get_if<String>(&s) ? std::get<String>(s).v : std::string());
    }
    Vector out;
    if (name == "label_replace") {
      out = LabelReplace(std::move(v), strings[0], strings[1], strings[2], strings[3]);
    } else {
      out = LabelJoin(std::move(v), strings[0], strings[1],
                      std::span<const std::string>(strings).subspan(2));
    }
    CheckNoDuplicateLabelsets(out);
    return out;
  }
  if (name == "sort_by_label" || name == "sort_by_label_desc") {
    Vector v = EvalVector(*c.args[0], t);
    std::vector<std::string> labels;
    for (size_t i = 1; i < c.args.size(); ++i) {
      Value s = Eval(*c.args[i], t);
      if (const String* str = std::get_if<String>(&s)) labels.push_back(str->v);
    }
    return SortByLabel(std::move(v), labels, name == "sort_by_label_desc");
  }
  if (name == "histogram_quantile") {
    const double phi = EvalScalar(*c.args[0], t);
    Vector out = HistogramQuantile(phi, EvalVector(*c.args[1], t));
    for (VectorElement& e : out) e.t = t;
    return out;
  }
  if (name.starts_with("histogram_")) {
    // Native-histogram functions: float samples are ignored, and only floats are stored.
    for (const ExprPtr& arg : c.args) {
      if (arg->Type() == ValueType::kVector) (void)EvalVector(*arg, t);
    }
    return Vector{};
  }
  if (IsInstantFunction(name)) {
    Vector v;
    std::vector<double> scalars;
    if (c.args.empty()) {
      v = Vector{{{}, now_s, t}};  // date functions default to vector(time())
    } else {
      v = EvalVector(*c.args[0], t);
      for (size_t i = 1; i < c.args.size(); ++i) scalars.push_back(EvalScalar(*c.args[i], t));
    }
    for (VectorElement& e : v) e.t = t;
    Vector out = EvalInstantFunction(name, std::move(v), scalars);
    CheckNoDuplicateLabelsets(out);
    return out;
  }
  ThrowExecution("function \"" + std::string(name) + "\" is not supported");
}

}  // namespace strata::collector::promql
