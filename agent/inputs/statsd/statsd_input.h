#pragma once

// StatsdInput: the agent's StatsD / DogStatsD server. UDP and TCP listeners (udp_server.h,
// tcp_server.h) feed every line into one aggregator (statsd_aggregator.h, which documents how
// StatsD maps onto series), and a flush thread ("statsd-flush") pushes the aggregated series to
// the sink every flush_interval, stamped with the flush time.
//
// Start() binds the listeners first, so a taken port is an error before anything runs. Stop()
// stops the listeners after they drained what had arrived, then flushes once more, so values
// received before a shutdown or reload reach the sink.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/input.h"
#include "agent/inputs/statsd/statsd_aggregator.h"
#include "agent/inputs/statsd/statsd_config.h"
#include "agent/inputs/statsd/tcp_server.h"
#include "agent/inputs/statsd/udp_server.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::statsd {

class StatsdInput final : public Input {
 public:
  // `clock` and `registry` must outlive the input.
  StatsdInput(StatsdOptions options, const common::Clock& clock, common::Registry& registry);
  ~StatsdInput() override;

  std::string Name() const override { return "statsd"; }
  // Binds the listeners and starts the threads; Unavailable when a port cannot be bound.
  absl::Status Start(SampleSink& sink) override;
  void Stop() override;

  // The bound addresses ("" when that listener is disabled); valid after Start().
  const std::string& udp_address() const { return udp_address_; }
  const std::string& tcp_address() const { return tcp_address_; }

 private:
  void FlushLoop();
  void FlushOnce();

  const StatsdOptions options_;
  const common::Clock& clock_;
  common::Registry& registry_;
  std::unique_ptr<StatsdAggregator> aggregator_;
  std::unique_ptr<UdpServer> udp_;
  std::unique_ptr<TcpServer> tcp_;
  std::string udp_address_;
  std::string tcp_address_;
  SampleSink* sink_ = nullptr;
  common::Counter& flushes_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread flush_thread_;
};

}  // namespace strata::agent::statsd
