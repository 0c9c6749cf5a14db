#pragma once

// The command-line conventions both binaries share: parse errors exit 2 with CLI11's message,
// --help/--version exit 0, and --print-config-reference prints the option table's YAML reference.

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string>

#include "common/config/schema.h"

namespace strata::common {

// Parses argv with `app` (which must have registered --print-config-reference into
// `print_reference`). Returns an exit code when the process should exit now, std::nullopt to go on.
template <typename T>
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv,
                                    const bool& print_reference, const std::string& binary,
                                    const Schema<T>& schema) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (print_reference) {
    std::string text = "# " + binary + " configuration reference (defaults shown)\n";
    schema.Describe(T{}, 0, &text);
    std::cout << text;
    return 0;
  }
  return std::nullopt;
}

}  // namespace strata::common
