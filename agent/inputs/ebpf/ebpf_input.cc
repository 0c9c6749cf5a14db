#include "agent/inputs/ebpf/ebpf_input.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>

#include "agent/inputs/ebpf/programs.h"
#include "common/base/log.h"

#if STRATA_HAVE_EBPF
#include <bpf/libbpf.h>
#endif

namespace strata::agent::ebpf {
namespace {

constexpr std::string_view kComponent = "ebpf";

std::string Hostname() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

#if STRATA_HAVE_EBPF
// libbpf's own messages go to our log at debug level: the one line per program that failed is
// ours, with the reason.
int LibbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG || !common::LogEnabled(common::LogLevel::kDebug)) return 0;
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof(buf), format, args);
  std::string_view msg(buf, n > 0 ? std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1) : 0);
  while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  common::Log(common::LogLevel::kDebug, kComponent, "libbpf", {{"detail", msg}});
  return 0;
}
#endif

}  // namespace

EbpfInput::EbpfInput(EbpfOptions options, const common::Clock& clock, common::Registry& registry)
    : options_(std::move(options)), clock_(clock), registry_(registry) {
  base_ = {{"job", options_.job},
           {"instance", options_.instance.empty() ? Hostname() : options_.instance}};
}

EbpfInput::~EbpfInput() { Stop(); }

absl::Status EbpfInput::Start(SampleSink& sink) {
  if (!options_.enabled) return absl::OkStatus();
  if (!slots_.empty()) return absl::FailedPreconditionError("ebpf already started");
#if STRATA_HAVE_EBPF
  libbpf_set_print(LibbpfPrint);
#endif
  // Programs that fail usually fail for one reason (no privileges, no BTF): one line per
  // distinct reason, naming the programs, rather than one per program.
  std::vector<std::pair<std::string, std::string>> failures;  // (reason, programs)
  for (const std::string& name : options_.programs) {
    Slot slot;
    slot.name = name;
    slot.up = &registry_.GetGauge("strata_ebpf_up",
                                  "1 when the eBPF program is loaded and collecting, else 0.",
                                  {{"program", name}});
    std::unique_ptr<EbpfProgram> program = MakeEbpfProgram(name, options_);
    absl::Status status = program == nullptr
                              ? absl::UnimplementedError("this build has no eBPF support")
                              : program->Load();
    if (status.ok()) {
      slot.program = std::move(program);
      slot.up->Set(1);
    } else {
      slot.up->Set(0);
      std::string reason(status.message());
      auto it = std::find_if(failures.begin(), failures.end(),
                             [&](const auto& f) { return f.first == reason; });
      if (it == failures.end()) {
        failures.emplace_back(reason, name);
      } else {
        it->second += "," + name;
      }
    }
    slots_.push_back(std::move(slot));
  }
  for (const auto& [reason, programs] : failures) {
    common::Log(common::LogLevel::kWarn, kComponent,
                "eBPF programs unavailable, exporting strata_ebpf_up 0 for them and continuing",
                {{"programs", programs}, {"reason", reason}});
  }
  common::Log(common::LogLevel::kInfo, kComponent, "eBPF collectors started",
              {{"loaded", LoadedCount()}, {"configured", slots_.size()}});
  sink_ = &sink;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void EbpfInput::Stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  slots_.clear();
}

size_t EbpfInput::LoadedCount() const {
  size_t n = 0;
  for (const Slot& s : slots_) n += s.program != nullptr ? 1 : 0;
  return n;
}

common::SampleBatch EbpfInput::Collect() {
  const int64_t ts = clock_.NowMs();
  common::SampleBatch out;
  for (Slot& s : slots_) {
    if (s.program != nullptr) s.program->Collect(base_, ts, out);
    std::vector<common::Label> labels = base_;
    labels.push_back({std::string(common::kMetricNameLabel), "strata_ebpf_up"});
    labels.push_back({"program", s.name});
    out.push_back(
        {common::Labels::FromUnsorted(std::move(labels)), {ts, s.program != nullptr ? 1.0 : 0.0}});
  }
  return out;
}

void EbpfInput::Run() {
  pthread_setname_np(pthread_self(), "ebpf");
  const auto interval = std::chrono::milliseconds(options_.interval_ms);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    common::SampleBatch batch = Collect();
    if (!batch.empty()) sink_->Push(std::move(batch));
    lock.lock();
    wake_.wait_for(lock, interval, [this] { return stop_; });
  }
}

}  // namespace strata::agent::ebpf
