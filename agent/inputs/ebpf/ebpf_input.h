#pragma once

// EbpfInput: the agent's kernel collectors (programs.h lists them and what they export). At
// Start() each configured program is loaded; one that cannot be (no root or CAP_BPF, no BTF, a
// kernel without the tracepoint, a build without eBPF support) is logged once with the reason and
// reported as `strata_ebpf_up{program} 0`, and everything else carries on. A thread named
// "ebpf" then reads the loaded programs' maps every interval and pushes one batch: their
// series plus strata_ebpf_up{program} (1 or 0) for every configured program, labelled with the
// configured job and instance. The same up values are on the agent's own /metrics.
//
// Stop() wakes the thread, joins it, and unloads the programs.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/input.h"
#include "agent/inputs/ebpf/ebpf_config.h"
#include "agent/inputs/ebpf/ebpf_program.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::ebpf {

class EbpfInput final : public Input {
 public:
  EbpfInput(EbpfOptions options, const common::Clock& clock, common::Registry& registry);
  ~EbpfInput() override;

  std::string Name() const override { return "ebpf"; }
  // Loads the programs (failures are not errors: see above) and starts the thread.
  absl::Status Start(SampleSink& sink) override;
  void Stop() override;

  // One collection, as the thread does it (for tests and tools).
  common::SampleBatch Collect();
  // How many configured programs are loaded.
  size_t LoadedCount() const;

 private:
  struct Slot {
    std::string name;
    std::unique_ptr<EbpfProgram> program;  // null when it could not be loaded
    common::Gauge* up = nullptr;
  };
  void Run();

  const EbpfOptions options_;
  const common::Clock& clock_;
  common::Registry& registry_;
  std::vector<common::Label> base_;
  std::vector<Slot> slots_;
  SampleSink* sink_ = nullptr;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace strata::agent::ebpf
