#pragma once

// One relabeling step, in the YAML shape of Prometheus' <relabel_config> (relabel_configs on
// targets, metric_relabel_configs on scraped samples), with its defaults and its validation
// rules (Prometheus 2.x wording for the errors).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config/schema.h"

namespace strata::agent::relabel {

enum class Action {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};

inline constexpr char kDefaultSeparator[] = ";";
inline constexpr char kDefaultRegex[] = "(.*)";
inline constexpr char kDefaultReplacement[] = "$1";

struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = kDefaultSeparator;
  std::string target_label;
  std::string regex = kDefaultRegex;  // fully anchored, RE2 (Go regexp) syntax
  int64_t modulus = 0;
  std::string replacement = kDefaultReplacement;
  std::string action = "replace";  // case-insensitive
};

// The action named (case-insensitively) by `name`, or none.
std::optional<Action> ParseAction(const std::string& name);
// The reason `c` is not a valid step, or "" when it is (what Prometheus refuses at load).
std::string ValidateRelabelConfig(const RelabelConfig& c);

const common::Schema<RelabelConfig>& RelabelConfigSchema();

}  // namespace strata::agent::relabel
