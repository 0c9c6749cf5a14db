#pragma once

// Go's regexp.Expand template language, which Prometheus relabeling uses for `replacement` and
// `target_label`: `$1` or `${1}` is a numbered capture group, `$name` or `${name}` a named one
// (a name is the longest run of letters, digits and underscores, so `$1x` means group "1x"), a
// group that does not exist or did not take part in the match is empty, `$$` is a literal `$`,
// and a `$` not followed by a name is kept as it is. Names are ASCII here; Go also accepts other
// Unicode letters and digits in them.

#include <re2/re2.h>

#include <span>
#include <string>
#include <string_view>

namespace strata::agent::relabel {

// Appends `tmpl` expanded against `groups` (groups[0] the whole match, groups[i] the i-th
// capture; a null data() means the group did not participate) of a match of `re`.
void ExpandTemplate(const RE2& re, std::string_view tmpl, std::span<const std::string_view> groups,
                    std::string* out);

}  // namespace strata::agent::relabel
