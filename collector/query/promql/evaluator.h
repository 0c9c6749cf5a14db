#pragma once

// The tree walker behind Engine: evaluates a parsed expression at one evaluation time over data
// loaded up front.
//
// Lifecycle (one Evaluator per query, single-threaded):
//   1. Prepare(root, min_t, max_t) walks the tree once, works out for every selector the time span
//      it can be asked about (evaluation times shifted by offset/@, widened by the lookback delta
//      or the range, through any subqueries) and reads exactly that from storage, once. Range
//      queries defer the reading: the step evaluator streams the selectors it consumes whole
//      (StreamSeries: one series decoded, turned into step values and dropped at a time), and
//      LoadPending() then loads what it left.
//   2. Eval(root, t) is then called for each evaluation time. Instant selectors find the newest
//      sample in (t - lookback, t] by binary search; range selectors and subqueries hand out
//      windows (spans) over the loaded data without copying it. A subquery's inner expression is
//      evaluated once over the whole aligned step grid it needs and cached.
//
// Errors are thrown as EvalError (eval_helpers.h) and caught by Engine; the evaluator checks the
// deadline at every subquery step and the sample limit as windows and vectors are built.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "collector/query/promql/ast.h"
#include "collector/query/promql/engine.h"
#include "collector/query/promql/step_value.h"
#include "collector/query/promql/value.h"
#include "collector/storage/storage.h"

namespace strata::collector::promql {

// One series' points inside a range window.
struct RangeWindow {
  const common::Labels* metric = nullptr;
  std::span<const Point> points;
};

// A range vector at one evaluation time: the points of each series in (range_start_ms,
// range_end_ms]. Series without points are left out.
struct RangeArg {
  std::vector<RangeWindow> series;
  int64_t range_start_ms = 0;  // exclusive
  int64_t range_end_ms = 0;    // inclusive
  int64_t range_ms = 0;
};

class Evaluator {
 public:
  // `query_start_ms`/`query_end_ms` resolve @ start()/end(); `interval_ms` is the default
  // subquery step; `deadline_ms` is on options.clock's monotonic scale.
  Evaluator(StorageReader& storage, const EngineOptions& options, const common::Clock& clock,
            int64_t deadline_ms, int64_t query_start_ms, int64_t query_end_ms, int64_t interval_ms);

  // Works out the data `root` needs to be evaluated at times in [min_t_ms, max_t_ms] and loads
  // it. With `defer`, only records what each selector needs: StreamSeries() can then read a
  // selector series by series without holding it, LoadPending() loads what is left, and a
  // selector still unloaded is loaded when first evaluated.
  void Prepare(const Expr& root, int64_t min_t_ms, int64_t max_t_ms, bool defer = false);
  // Loads every deferred selector that StreamSeries() has not read.
  void LoadPending();

  // The value of `expr` at `t_ms`: Scalar, String, Vector, or Matrix for range expressions.
  Value Eval(const Expr& expr, int64_t t_ms);
  Vector EvalVector(const Expr& expr, int64_t t_ms);
  double EvalScalar(const Expr& expr, int64_t t_ms);
  RangeArg EvalRange(const Expr& expr, int64_t t_ms);

  // Throws a timeout error once the deadline has passed.
  void CheckDeadline() const;
  // Throws the too-many-samples error when `n` samples exceed the limit.
  void CheckSamples(int64_t n) const;

  // What Prepare() loaded for a selector (staleness markers dropped for range selectors).
  struct LoadedSeries {
    common::Labels metric;
    std::vector<Point> points;
  };
  // Null when Prepare() found nothing to load for `vs`; loads a deferred selector first.
  const std::vector<LoadedSeries>* LoadedFor(const VectorSelector& vs);
  // Calls fn(metric, points) for each series of `vs` with points, in label order, the points as
  // LoadedFor would hold them; fn returns false to stop. A deferred selector is read from storage
  // one series at a time and not kept (memory: one series); its samples count against the limit
  // as Load's do. False when Prepare() found nothing to load for `vs`.
  using SeriesFn = absl::FunctionRef<bool(const common::Labels&, std::span<const Point>)>;
  bool StreamSeries(const VectorSelector& vs, SeriesFn fn);
  // StreamSeries with each series' step values computed by `compute` (which fills `out`'s values
  // and present flags and says whether any is set; it must be safe to run concurrently) and
  // handed to `consume` in the same order. With `parallel`, read-ahead and several read threads,
  // `compute` runs on those threads (parallel_series_reader.h); otherwise on this one.
  using StepComputeFn =
      std::function<bool(const common::Labels&, std::span<const Point>, StepSeries& out)>;
  using StepConsumeFn = absl::FunctionRef<bool(const common::Labels&, StepSeries&)>;
  bool StreamStepSeries(const VectorSelector& vs, const StepComputeFn& compute,
                        StepConsumeFn consume, bool parallel = true);
  // The evaluation time after applying @ and offset.
  int64_t EffectiveTime(const AtModifier& at, int64_t offset_ms, int64_t t) const;
  int64_t lookback_delta_ms() const { return options_.lookback_delta_ms; }

  // Whole-grid values of subtrees (StepEvaluator): once stored, Eval() of that subtree at a time
  // on `grid` reads the stored value instead of evaluating it.
  void SetStepGrid(const StepGrid& grid) { grid_ = grid; }
  void StorePrecomputed(const Expr& expr, StepValue value);
  // Null when `expr` has no stored value.
  const StepValue* FindPrecomputed(const Expr& expr) const;
  StepValue TakePrecomputed(const Expr& expr);

 private:
  struct SubqueryGrid {
    int64_t step_ms = 0;
    int64_t first_ms = 0;  // first aligned step
    int64_t last_ms = -1;  // last aligned step; first > last when empty
    bool built = false;
    Matrix matrix;
  };

  // What a selector needs from storage: samples in [min_t, max_t], staleness markers dropped for
  // range selectors.
  struct LoadSpec {
    int64_t min_t = 0;
    int64_t max_t = 0;
    bool drop_stale = false;
    bool streamed = false;  // read by StreamSeries (LoadPending leaves it)
  };

  void Walk(const Expr& expr, int64_t lo, int64_t hi, int depth);
  void Request(const VectorSelector& vs, int64_t min_t, int64_t max_t, bool drop_stale);
  void Load(const VectorSelector& vs, const LoadSpec& spec);
  std::unique_ptr<SeriesCursor> OpenCursor(const VectorSelector& vs, const LoadSpec& spec);
  Vector EvalSelector(const VectorSelector& vs, int64_t t);
  Value EvalUnary(const Unary& u, int64_t t);
  Value EvalBinary(const Binary& b, int64_t t);
  Vector EvalAggregate(const Aggregate& a, int64_t t);
  Value EvalCall(const Call& c, int64_t t);
  void BuildSubquery(const Subquery& sq, SubqueryGrid& grid);
  Matrix RangeToMatrix(const RangeArg& range) const;

  StorageReader& storage_;
  const EngineOptions& options_;
  const common::Clock& clock_;
  const int64_t deadline_ms_;
  const int64_t query_start_ms_;
  const int64_t query_end_ms_;
  const int64_t interval_ms_;

  bool defer_ = false;
  absl::flat_hash_map<const VectorSelector*, LoadSpec> pending_;
  std::vector<const VectorSelector*> pending_order_;
  absl::flat_hash_map<const VectorSelector*, std::vector<LoadedSeries>> selectors_;
  absl::flat_hash_map<const Subquery*, SubqueryGrid> subqueries_;
  StepGrid grid_;
  absl::flat_hash_map<const Expr*, StepValue> precomputed_;
};

}  // namespace strata::collector::promql
