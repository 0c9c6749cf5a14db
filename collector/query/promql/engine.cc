#include "collector/query/promql/engine.h"

#include <algorithm>
#include <exception>
#include <new>
#include <unordered_map>
#include <utility>

#include "collector/query/promql/eval_helpers.h"
#include "collector/query/promql/evaluator.h"
#include "collector/query/promql/parser.h"
#include "collector/query/promql/step_evaluator.h"

namespace strata::collector::promql {
namespace {

const common::Clock& ClockOf(const EngineOptions& options) {
  static const common::SystemClock kSystemClock;
  return options.clock != nullptr ? *options.clock : kSystemClock;
}

// Runs `fn`, turning the evaluator's exceptions into a status.
template <typename Fn>
absl::StatusOr<QueryResult> Guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const EvalError& e) {
    return e.status;
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("query ran out of memory");
  } catch (const std::exception& e) {
    return absl::InternalError(e.what());
  }
}

// Range queries with more steps than this (the HTTP API allows 11,000) evaluate step by step.
constexpr uint64_t kMaxStepsForStepEvaluation = 1'000'000;

}  // namespace

std::string_view ErrorTypeName(ErrorType type) {
  switch (type) {
    case ErrorType::kBadData:
      return "bad_data";
    case ErrorType::kExecution:
      return "execution";
    case ErrorType::kTimeout:
      return "timeout";
    case ErrorType::kCanceled:
      return "canceled";
  }
  return "execution";
}

ErrorType ErrorTypeOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return ErrorType::kBadData;
    case absl::StatusCode::kDeadlineExceeded:
      return ErrorType::kTimeout;
    case absl::StatusCode::kCancelled:
      return ErrorType::kCanceled;
    default:
      return ErrorType::kExecution;
  }
}

Engine::Engine(StorageReader& storage, EngineOptions options)
    : storage_(storage), options_(options) {}

absl::StatusOr<QueryResult> Engine::InstantQuery(std::string_view query, int64_t t_ms,
                                                 int64_t timeout_ms) const {
  absl::StatusOr<ExprPtr> root = ParseExpr(query);
  if (!root.ok()) return root.status();
  const common::Clock& clock = ClockOf(options_);
  const int64_t deadline =
      clock.MonotonicMs() + (timeout_ms > 0 ? timeout_ms : options_.timeout_ms);
  return Guarded([&]() -> absl::StatusOr<QueryResult> {
    Evaluator ev(storage_, options_, clock, deadline, t_ms, t_ms,
                 options_.default_evaluation_interval_ms);
    ev.Prepare(**root, t_ms, t_ms);
    QueryResult result;
    result.value = ev.Eval(**root, t_ms);
    if (Matrix* m = std::get_if<Matrix>(&result.value)) {
      std::sort(m->begin(), m->end(),
                [](const Series& a, const Series& b) { return a.metric < b.metric; });
    }
    ev.CheckDeadline();
    return result;
  });
}

absl::StatusOr<QueryResult> Engine::RangeQuery(std::string_view query, int64_t start_ms,
                                               int64_t end_ms, int64_t step_ms,
                                               int64_t timeout_ms) const {
  if (step_ms <= 0) {
    return absl::InvalidArgumentError(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if (end_ms < start_ms) {
    return absl::InvalidArgumentError("end timestamp must not be before start time");
  }
  absl::StatusOr<ExprPtr> root = ParseExpr(query);
  if (!root.ok()) return root.status();
  const ValueType type = (*root)->Type();
  if (type != ValueType::kScalar && type != ValueType::kVector) {
    return absl::InvalidArgumentError("invalid expression type \"" +
                                      std::string(DocumentedTypeName(type)) +
                                      "\" for range query, must be Scalar or instant Vector");
  }
  const common::Clock& clock = ClockOf(options_);
  const int64_t deadline =
      clock.MonotonicMs() + (timeout_ms > 0 ? timeout_ms : options_.timeout_ms);
  return Guarded([&]() -> absl::StatusOr<QueryResult> {
    Evaluator ev(storage_, options_, clock, deadline, start_ms, end_ms, step_ms);
    const auto by_labels = [](const Series& a, const Series& b) { return a.metric < b.metric; };
    // The steps are start, start + step, ... up to end (computed without overflow).
    const uint64_t steps = (static_cast<uint64_t>(end_ms) - static_cast<uint64_t>(start_ms)) /
                               static_cast<uint64_t>(step_ms) +
                           1;
    const bool step_evaluation = options_.step_evaluation && steps <= kMaxStepsForStepEvaluation;
    // The step evaluator streams the selectors it consumes whole (one series in memory at a
    // time), so loading waits for it; whatever it leaves is loaded before the per-step loop.
    ev.Prepare(**root, start_ms, end_ms, /*defer=*/step_evaluation);
    if (step_evaluation) {
      const StepGrid grid{start_ms, step_ms, static_cast<size_t>(steps)};
      ev.SetStepGrid(grid);
      if (StepEvaluator(ev, grid).Precompute(**root)) {
        int64_t total = 0;
        Matrix matrix = StepValueToMatrix(ev.TakePrecomputed(**root), grid, &total);
        ev.CheckSamples(total);
        std::sort(matrix.begin(), matrix.end(), by_labels);
        ev.CheckDeadline();
        QueryResult result;
        result.value = std::move(matrix);
        return result;
      }
      ev.LoadPending();
    }
    std::unordered_map<std::string, size_t> index;
    Matrix matrix;
    int64_t total = 0;
    for (int64_t t = start_ms; t <= end_ms; t += step_ms) {
      ev.CheckDeadline();
      Value v = ev.Eval(**root, t);
      if (const Scalar* s = std::get_if<Scalar>(&v)) {
        if (matrix.empty()) matrix.push_back({});
        matrix[0].points.push_back({t, s->v});
        ++total;
      } else if (Vector* vec = std::get_if<Vector>(&v)) {
        for (VectorElement& e : *vec) {
          auto [it, inserted] = index.try_emplace(LabelsKey(e.metric), matrix.size());
          if (inserted) matrix.push_back({std::move(e.metric), {}});
          matrix[it->second].points.push_back({t, e.v});
        }
        total += static_cast<int64_t>(vec->size());
      }
      ev.CheckSamples(total);
      if (end_ms - t < step_ms) break;  // no overflow past end
    }
    std::sort(matrix.begin(), matrix.end(), by_labels);
    QueryResult result;
    result.value = std::move(matrix);
    return result;
  });
}

}  // namespace strata::collector::promql
