#pragma once

// The PromQL function table: every function the parser accepts, with the value types of its
// arguments and of its result. The parser checks calls against it (argument count and types,
// with Prometheus' messages) and stores a pointer to the entry in each Call node; the evaluator
// dispatches on the name.
//
// Argument rules, as in Prometheus:
//   variadic == 0   exactly arg_types.size() arguments;
//   variadic  > 0   the last listed argument is optional and may repeat: between
//                   arg_types.size() - 1 and arg_types.size() - 1 + variadic arguments
//                   (round(v [, to_nearest]), hour([v]));
//   variadic  < 0   at least arg_types.size() - 1 arguments, no upper bound (label_join).
// Arguments beyond the listed ones take the type of the last listed one.
//
// `experimental` marks functions Prometheus 3 only enables behind
// --enable-feature=promql-experimental-functions; this parser accepts them all.
//
// The table is a compile-time constant; entries live for the whole program.

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include "collector/query/promql/ast.h"

namespace strata::collector::promql {

inline constexpr size_t kMaxFunctionArgTypes = 5;

struct Function {
  std::string_view name;
  std::array<ValueType, kMaxFunctionArgTypes> arg_type_storage{};
  size_t num_arg_types = 0;
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
  bool experimental = false;

  std::span<const ValueType> arg_types() const { return {arg_type_storage.data(), num_arg_types}; }
  size_t min_args() const { return variadic == 0 ? num_arg_types : num_arg_types - 1; }
  // SIZE_MAX when unbounded.
  size_t max_args() const;
};

// Returns the function named `name` (case-sensitive, as in Prometheus), or nullptr.
const Function* FindFunction(std::string_view name);

// Every function, sorted by name.
std::span<const Function> AllFunctions();

}  // namespace strata::collector::promql
