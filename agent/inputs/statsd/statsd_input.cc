#include "agent/inputs/statsd/statsd_input.h"

#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <utility>

#include "common/base/log.h"

namespace strata::agent::statsd {
namespace {

constexpr std::string_view kComponent = "statsd";

std::string Hostname() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

StatsdInput::StatsdInput(StatsdOptions options, const common::Clock& clock,
                         common::Registry& registry)
    : options_(std::move(options)),
      clock_(clock),
      registry_(registry),
      flushes_(registry.GetCounter("strata_agent_statsd_flushes_total",
                                   "StatsD aggregator flushes pushed to the queue.")) {}

StatsdInput::~StatsdInput() { Stop(); }

absl::Status StatsdInput::Start(SampleSink& sink) {
  if (!options_.enabled) return absl::OkStatus();
  if (aggregator_ != nullptr) return absl::FailedPreconditionError("statsd already started");
  aggregator_ = std::make_unique<StatsdAggregator>(
      options_, options_.instance.empty() ? Hostname() : options_.instance, registry_);
  if (!options_.udp_listen.empty()) {
    udp_ = std::make_unique<UdpServer>(
        UdpServer::Options{options_.udp_listen, options_.max_packet_bytes,
                           options_.udp_receive_buffer_bytes},
        registry_);
    absl::StatusOr<std::string> addr = udp_->Listen();
    if (!addr.ok()) {
      udp_.reset();
      aggregator_.reset();
      return addr.status();
    }
    udp_address_ = *addr;
  }
  if (!options_.tcp_listen.empty()) {
    tcp_ =
        std::make_unique<TcpServer>(TcpServer::Options{options_.tcp_listen, options_.max_line_bytes,
                                                       options_.max_tcp_connections},
                                    registry_);
    absl::StatusOr<std::string> addr = tcp_->Listen();
    if (!addr.ok()) {
      tcp_.reset();
      udp_.reset();
      aggregator_.reset();
      return addr.status();
    }
    tcp_address_ = *addr;
  }
  sink_ = &sink;
  auto handle = [this](std::string_view packet) {
    aggregator_->ApplyPacket(packet, clock_.NowMs());
  };
  if (udp_ != nullptr) {
    udp_->Start(handle);
    common::Log(common::LogLevel::kInfo, kComponent, "listening",
                {{"component_listener", "statsd_udp"}, {"addr", udp_address_}});
  }
  if (tcp_ != nullptr) {
    tcp_->Start(handle);
    common::Log(common::LogLevel::kInfo, kComponent, "listening",
                {{"component_listener", "statsd_tcp"}, {"addr", tcp_address_}});
  }
  stop_ = false;
  flush_thread_ = std::thread([this] { FlushLoop(); });
  return absl::OkStatus();
}

void StatsdInput::Stop() {
  if (aggregator_ == nullptr) return;
  if (udp_ != nullptr) udp_->Stop();
  if (tcp_ != nullptr) tcp_->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (flush_thread_.joinable()) flush_thread_.join();
  FlushOnce();
  udp_.reset();
  tcp_.reset();
  aggregator_.reset();
}

void StatsdInput::FlushOnce() {
  common::SampleBatch batch = aggregator_->Flush(clock_.NowMs());
  flushes_.Inc();
  if (!batch.empty()) sink_->Push(std::move(batch));
}

void StatsdInput::FlushLoop() {
  pthread_setname_np(pthread_self(), "statsd-flush");
  const auto interval = std::chrono::milliseconds(options_.flush_interval_ms);
  auto next = std::chrono::steady_clock::now() + interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (wake_.wait_until(lock, next, [this] { return stop_; })) break;
    next += interval;
    lock.unlock();
    FlushOnce();
    lock.lock();
  }
}

}  // namespace strata::agent::statsd
