#pragma once

// A target group as Prometheus' file and HTTP service discovery write it: a list of
// `{"targets": ["host:port", ...], "labels": {"name": "value", ...}}`, in JSON or YAML.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace strata::agent::discovery {

// Also the shape of a scrape job's static_configs entries.
struct TargetGroup {
  std::vector<std::string> targets;                         // host:port
  std::vector<std::pair<std::string, std::string>> labels;  // added to every series
  bool operator==(const TargetGroup&) const = default;
};

// Parses a target-group list (JSON is read as the YAML subset it is). Each group gets the label
// `source_label` = `source` (e.g. __meta_filepath) unless `source_label` is empty. Errors name
// the group and the problem: not a list, a group that is not a map, an unknown key, a target
// that is not a string, an invalid label name.
absl::StatusOr<std::vector<TargetGroup>> ParseTargetGroups(std::string_view text,
                                                           const std::string& source_label,
                                                           const std::string& source);

}  // namespace strata::agent::discovery
