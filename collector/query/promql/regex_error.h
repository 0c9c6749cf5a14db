#pragma once

// RE2's compile errors in the wording of Go's regexp package ("error parsing regexp: missing
// closing ): `(a`"), which is what Prometheus reports for a bad `=~` matcher or label_replace()
// regex. Shared by the parser and the label functions.

#include <re2/re2.h>

#include <string>

namespace strata::collector::promql {

// The message for a regex that failed to compile (re.ok() is false).
std::string GoRegexError(const RE2& re);

}  // namespace strata::collector::promql
