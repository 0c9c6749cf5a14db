#include "agent/inputs/ebpf/log2_histogram.h"

#include <cmath>

#include "common/model/float_text.h"

namespace strata::agent::ebpf {

void AppendLog2Histogram(const std::string& name, const Log2Histogram& h,
                         const std::vector<common::Label>& base, int64_t ts_ms,
                         common::SampleBatch& out) {
  auto push = [&](const std::string& metric, const char* le, const std::string& le_value,
                  double v) {
    std::vector<common::Label> labels = base;
    labels.push_back({std::string(common::kMetricNameLabel), metric});
    if (le != nullptr) labels.push_back({le, le_value});
    out.push_back({common::Labels::FromUnsorted(std::move(labels)), {ts_ms, v}});
  };
  double cumulative = 0;
  for (size_t s = 0; s + 1 < h.slots.size(); ++s) {
    cumulative += static_cast<double>(h.slots[s]);
    push(name + "_bucket", "le",
         common::FormatFloatPlain(std::ldexp(1e-6, static_cast<int>(s) + 1)), cumulative);
  }
  cumulative += static_cast<double>(h.slots.back());
  push(name + "_bucket", "le", "+Inf", cumulative);
  push(name + "_sum", nullptr, "", static_cast<double>(h.sum_ns) / 1e9);
  push(name + "_count", nullptr, "", cumulative);
}

}  // namespace strata::agent::ebpf
