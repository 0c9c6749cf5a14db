#include "agent/discovery/target_group.h"

#include <yaml-cpp/yaml.h>

#include "common/model/names.h"

namespace strata::agent::discovery {
namespace {

absl::Status GroupError(size_t index, const std::string& message) {
  return absl::InvalidArgumentError("target group " + std::to_string(index) + ": " + message);
}

}  // namespace

absl::StatusOr<std::vector<TargetGroup>> ParseTargetGroups(std::string_view text,
                                                           const std::string& source_label,
                                                           const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(std::string("not valid JSON or YAML: ") + e.what());
  }
  std::vector<TargetGroup> out;
  if (root.IsNull()) return out;  // an empty file: no targets
  if (!root.IsSequence()) return absl::InvalidArgumentError("expected a list of target groups");
  for (size_t i = 0; i < root.size(); ++i) {
    const YAML::Node& g = root[i];
    if (!g.IsMap()) return GroupError(i, "expected a map with targets and labels");
    TargetGroup group;
    for (const auto& kv : g) {
      if (!kv.first.IsScalar()) return GroupError(i, "keys must be strings");
      const std::string key = kv.first.Scalar();
      if (key == "targets") {
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsSequence()) return GroupError(i, "targets must be a list");
        for (const YAML::Node& t : kv.second) {
          if (!t.IsScalar()) return GroupError(i, "each target must be a string");
          group.targets.push_back(t.Scalar());
        }
      } else if (key == "labels") {
        if (kv.second.IsNull()) continue;
        if (!kv.second.IsMap()) return GroupError(i, "labels must be a map");
        for (const auto& l : kv.second) {
          if (!l.first.IsScalar() || !l.second.IsScalar()) {
            return GroupError(i, "label names and values must be strings");
          }
          const std::string name = l.first.Scalar();
          if (!common::IsValidLabelName(name)) {
            return GroupError(i, "invalid label name \"" + name + "\"");
          }
          group.labels.emplace_back(name, l.second.Scalar());
        }
      } else {
        return GroupError(i, "unknown key \"" + key + "\"");
      }
    }
    if (!source_label.empty()) group.labels.emplace_back(source_label, source);
    out.push_back(std::move(group));
  }
  return out;
}

}  // namespace strata::agent::discovery
