#include "agent/relabel/relabel_config.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "common/model/names.h"

namespace strata::agent::relabel {
namespace {

constexpr std::array<std::pair<const char*, Action>, 11> kActions = {{
    {"replace", Action::kReplace},
    {"keep", Action::kKeep},
    {"drop", Action::kDrop},
    {"keepequal", Action::kKeepEqual},
    {"dropequal", Action::kDropEqual},
    {"hashmod", Action::kHashMod},
    {"labelmap", Action::kLabelMap},
    {"labeldrop", Action::kLabelDrop},
    {"labelkeep", Action::kLabelKeep},
    {"lowercase", Action::kLowercase},
    {"uppercase", Action::kUppercase},
}};

// What a target_label (and labelmap's replacement) may be: label-name characters and `$1`,
// `${name}` references.
bool IsRelabelTarget(const std::string& s) {
  static const RE2 kTarget(R"((?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+)");
  return RE2::FullMatch(s, kTarget);
}

}  // namespace

std::optional<Action> ParseAction(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [n, a] : kActions) {
    if (lower == n) return a;
  }
  return std::nullopt;
}

std::string ValidateRelabelConfig(const RelabelConfig& c) {
  if (c.action.empty()) return "relabel action cannot be empty";
  const std::optional<Action> parsed = ParseAction(c.action);
  if (!parsed) return "unknown relabel action \"" + c.action + "\"";
  const Action a = *parsed;
  std::string lower = c.action;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  {
    RE2::Options options;
    options.set_log_errors(false);  // the error is returned, not logged by RE2
    const RE2 re("^(?:" + c.regex + ")$", options);
    if (!re.ok()) return "invalid regex \"" + c.regex + "\": " + re.error();
  }
  if (a == Action::kHashMod && c.modulus == 0) {
    return "relabel configuration for hashmod requires non-zero modulus";
  }
  const bool needs_target = a == Action::kReplace || a == Action::kHashMod ||
                            a == Action::kLowercase || a == Action::kUppercase ||
                            a == Action::kKeepEqual || a == Action::kDropEqual;
  if (needs_target && c.target_label.empty()) {
    return "relabel configuration for " + lower + " action requires 'target_label' value";
  }
  const bool templated_target = a == Action::kReplace || a == Action::kLowercase ||
                                a == Action::kUppercase || a == Action::kKeepEqual ||
                                a == Action::kDropEqual;
  if (templated_target && !IsRelabelTarget(c.target_label)) {
    return "\"" + c.target_label + "\" is invalid 'target_label' for " + lower + " action";
  }
  const bool fixed_replacement = a == Action::kLowercase || a == Action::kUppercase ||
                                 a == Action::kKeepEqual || a == Action::kDropEqual;
  if (fixed_replacement && c.replacement != kDefaultReplacement) {
    return "'replacement' can not be set for " + lower + " action";
  }
  if (a == Action::kLabelMap && !IsRelabelTarget(c.replacement)) {
    return "\"" + c.replacement + "\" is invalid 'replacement' for " + lower + " action";
  }
  if (a == Action::kHashMod && !common::IsValidLabelName(c.target_label)) {
    return "\"" + c.target_label + "\" is invalid 'target_label' for " + lower + " action";
  }
  if ((a == Action::kKeepEqual || a == Action::kDropEqual) &&
      (c.regex != kDefaultRegex || c.modulus != 0 || c.separator != kDefaultSeparator ||
       c.replacement != kDefaultReplacement)) {
    return lower + " action requires only 'source_labels' and `target_label`, and no other fields";
  }
  if ((a == Action::kLabelDrop || a == Action::kLabelKeep) &&
      (!c.source_labels.empty() || !c.target_label.empty() || c.modulus != 0 ||
       c.separator != kDefaultSeparator || c.replacement != kDefaultReplacement)) {
    return lower + " action requires only 'regex', and no other fields";
  }
  for (const std::string& name : c.source_labels) {
    if (!common::IsValidLabelName(name)) return "\"" + name + "\" is not a valid label name";
  }
  return "";
}

const common::Schema<RelabelConfig>& RelabelConfigSchema() {
  static const common::Schema<RelabelConfig> schema = [] {
    common::Schema<RelabelConfig> s;
    s.StringList("source_labels", &RelabelConfig::source_labels,
                 "labels whose values, joined by separator, the regex is matched against")
        .String("separator", &RelabelConfig::separator, "joins the source label values")
        .String("target_label", &RelabelConfig::target_label,
                "label written by replace, hashmod, lowercase and uppercase (may use $1, ${name})")
        .String("regex", &RelabelConfig::regex,
                "RE2 regular expression, anchored at both ends, matched against the joined value")
        .Int("modulus", &RelabelConfig::modulus, "hashmod: the modulus of the MD5 hash", 0)
        .String("replacement", &RelabelConfig::replacement,
                "replace/labelmap: the value written, with $1, ${name} group references")
        .String("action", &RelabelConfig::action,
                "replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, "
                "labelkeep, lowercase or uppercase")
        .Check(ValidateRelabelConfig);
    return s;
  }();
  return schema;
}

}  // namespace strata::agent::relabel
