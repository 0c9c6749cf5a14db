#pragma once

// A label matcher of a series selector: name op "value" with op one of = != =~ !~. Regexes are
// RE2, fully anchored as in Prometheus (`=~"a.*"` matches "abc", not "xabc"). An absent label
// has the value "", so {foo=""} matches series without foo and {foo!=""} those with it.

#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata::collector {

enum class MatchOp { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

class LabelMatcher {
 public:
  // Returns InvalidArgument for a regex RE2 cannot compile.
  static absl::StatusOr<LabelMatcher> Create(MatchOp op, std::string name, std::string value);

  bool Matches(std::string_view value) const;
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  MatchOp op() const { return op_; }
  // True when the matcher also matches the empty string (i.e. series lacking the label).
  bool MatchesEmpty() const { return Matches(""); }
  std::string ToString() const;  // name="value" form, for logs and errors

 private:
  LabelMatcher(MatchOp op, std::string name, std::string value, std::shared_ptr<const RE2> re)
      : op_(op), name_(std::move(name)), value_(std::move(value)), re_(std::move(re)) {}
  MatchOp op_;
  std::string name_;
  std::string value_;
  std::shared_ptr<const RE2> re_;  // shared so matchers copy cheaply
};

}  // namespace strata::collector
