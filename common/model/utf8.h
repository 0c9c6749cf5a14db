#pragma once

// Strict UTF-8 validation: no overlong forms, no surrogates, nothing above U+10FFFF. Label values
// travel in protobuf `string` fields, which must hold valid UTF-8, so every input checks the
// values it takes from the outside world with this before they become labels.

#include <string_view>

namespace strata::common {

bool IsValidUtf8(std::string_view s);

}  // namespace strata::common
