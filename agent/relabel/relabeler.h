#pragma once

// Applies a list of relabeling steps to a label set, as Prometheus does for relabel_configs
// (targets) and metric_relabel_configs (samples): each step sees the result of the one before;
// keep/drop/keepequal/dropequal may drop the whole set; a label set to an empty value is
// removed.
//
// Built once per config (regexes compiled then); Apply is const and thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/relabel/relabel_config.h"
#include "common/model/labels.h"

namespace re2 {
class RE2;
}

namespace strata::agent::relabel {

class Relabeler {
 public:
  Relabeler();
  ~Relabeler();
  Relabeler(Relabeler&&) noexcept;
  Relabeler& operator=(Relabeler&&) noexcept;

  // Fails with the first invalid step's reason (ValidateRelabelConfig), naming its index.
  static absl::StatusOr<Relabeler> Create(const std::vector<RelabelConfig>& configs);

  // Rewrites `labels` (sorted by name, unique names, as in common::Labels) in place. False when a
  // step drops the set; `labels` is then unspecified.
  bool Apply(std::vector<common::Label>* labels) const;
  // The same over a Labels: the result, or false when dropped.
  bool Apply(const common::Labels& in, common::Labels* out) const;

  bool empty() const { return steps_.empty(); }
  size_t size() const { return steps_.size(); }

 private:
  struct Step;
  std::vector<std::unique_ptr<Step>> steps_;
};

}  // namespace strata::agent::relabel
