#include "collector/storage/label_matcher.h"

namespace strata::collector {

absl::StatusOr<LabelMatcher> LabelMatcher::Create(MatchOp op, std::string name, std::string value) {
  std::shared_ptr<const RE2> re;
  if (op == MatchOp::kRegexMatch || op == MatchOp::kRegexNoMatch) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_dot_nl(true);  // Prometheus compiles with (?s)
    auto compiled = std::make_shared<RE2>("^(?:" + value + ")$", options);
    if (!compiled->ok()) {
      return absl::InvalidArgumentError("invalid regular expression \"" + value +
                                        "\": " + compiled->error());
    }
    re = std::move(compiled);
  }
  return LabelMatcher(op, std::move(name), std::move(value), std::move(re));
}

bool LabelMatcher::Matches(std::string_view v) const {
  switch (op_) {
    case MatchOp::kEqual:
      return v == value_;
    case MatchOp::kNotEqual:
      return v != value_;
    case MatchOp::kRegexMatch:
      return RE2::FullMatch(v, *re_);
    case MatchOp::kRegexNoMatch:
      return !RE2::FullMatch(v, *re_);
  }
  return false;
}

std::string LabelMatcher::ToString() const {
  static constexpr const char* kOps[] = {"=", "!=", "=~", "!~"};
  std::string out = name_ + kOps[static_cast<int>(op_)] + "\"";
  for (char c : value_) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace strata::collector
