#pragma once

// Debian 12's Abseil is built without std::string_view aliasing: absl::string_view is its own
// type, and the heterogeneous lookup of absl's string-keyed hash maps wants it. AbslView() makes
// one from a std::string_view without copying.

#include <string_view>

#include "absl/strings/string_view.h"

namespace strata::common {

inline absl::string_view AbslView(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace strata::common
