#pragma once

// UdpServer: receives datagrams on one socket and hands each to a handler, on a thread of its
// own ("statsd-udp"). Datagrams are read in batches (recvmmsg) to keep the syscall count low at
// high packet rates.
//
// Bounds: a datagram larger than `max_packet_bytes` is refused whole (the kernel truncated it, so
// its last line is cut) and counted in strata_agent_statsd_rejected_packets_total
// {reason="too_large"}. Datagrams the kernel dropped because the receive buffer was full are
// counted in strata_agent_statsd_udp_kernel_drops_total (SO_RXQ_OVFL).
//
// Stop() drains what is already in the socket's receive buffer before the thread exits, so
// packets that reached the host are not lost at shutdown or reload.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::statsd {

class UdpServer {
 public:
  using Handler = std::function<void(std::string_view packet)>;
  struct Options {
    std::string listen;
    int64_t max_packet_bytes = 65535;
    int64_t receive_buffer_bytes = 4 << 20;
  };

  UdpServer(Options options, common::Registry& registry);
  ~UdpServer();
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  // Binds the socket; returns the bound address, or why it could not be bound.
  absl::StatusOr<std::string> Listen();
  // Starts the receive thread (after a successful Listen()).
  void Start(Handler handler);
  // Drains the receive buffer, stops the thread and closes the socket. Idempotent.
  void Stop();

 private:
  void Run();
  // Reads and handles the datagrams waiting; false when none were.
  bool ReadBatch();

  const Options options_;
  Handler handler_;
  int fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  uint32_t kernel_drops_seen_ = 0;
  std::vector<char> buffers_;
  std::thread thread_;
  common::Counter& packets_;
  common::Counter& bytes_;
  common::Counter& too_large_;
  common::Counter& kernel_drops_;
};

}  // namespace strata::agent::statsd
