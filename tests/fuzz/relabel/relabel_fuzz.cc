// Arbitrary relabel steps over an arbitrary label set: the input is YAML
// `{steps: [<relabel_config>...], labels: {name: value...}}`. Steps that decode and validate
// are applied; the result must be a well-formed label set (sorted, unique names, no empty value)
// whatever the regexes and templates do.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/relabel/relabel_config.h"
#include "agent/relabel/relabeler.h"
#include "common/model/names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  if (size > 4096) return 0;  // regexes compile per input: keep inputs small
  YAML::Node root;
  try {
    root = YAML::Load(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const YAML::Exception&) {
    return 0;
  }
  if (!root.IsMap()) return 0;
  std::vector<agent::relabel::RelabelConfig> steps;
  if (root["steps"] && root["steps"].IsSequence()) {
    for (const YAML::Node& n : root["steps"]) {
      agent::relabel::RelabelConfig c;
      if (!agent::relabel::RelabelConfigSchema().Decode(n, "fuzz", "steps", &c).ok()) return 0;
      steps.push_back(c);
    }
  }
  std::vector<common::Label> labels;
  if (root["labels"] && root["labels"].IsMap()) {
    for (const auto& kv : root["labels"]) {
      if (!kv.first.IsScalar() || !kv.second.IsScalar()) return 0;
      labels.push_back({kv.first.Scalar(), kv.second.Scalar()});
    }
  }
  const common::Labels in = common::Labels::FromUnsorted(labels);
  auto relabeler = agent::relabel::Relabeler::Create(steps);
  if (!relabeler.ok()) __builtin_trap();  // the schema validated every step
  std::vector<common::Label> out = in.ToVector();
  if (!relabeler->Apply(&out)) return 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].value.empty()) __builtin_trap();
    if (i > 0 && out[i - 1].name >= out[i].name) __builtin_trap();
  }
  return 0;
}
