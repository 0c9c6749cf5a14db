#pragma once

// TcpServer: accepts newline-delimited StatsD over TCP and hands complete lines to a handler, on
// one thread ("statsd-tcp") that polls the listener and every connection.
//
// Each connection buffers at most `max_line_bytes` of an unfinished line. A longer line is
// refused: it is skipped up to its newline and counted in
// strata_agent_statsd_rejected_packets_total{transport="tcp",reason="too_large"}; the lines
// around it are kept. A connection beyond `max_connections` is closed at once and counted in
// strata_agent_statsd_tcp_refused_connections_total. A line still unfinished when the client
// closes is handled as if it had ended there.
//
// Stop() reads what the open connections have already delivered, then closes them.

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

class TcpServer {
 public:
  // Called with one or more complete lines ('\n' separated).
  using Handler = std::function<void(std::string_view lines)>;
  struct Options {
    std::string listen;
    int64_t max_line_bytes = 65536;
    int64_t max_connections = 256;
  };

  TcpServer(Options options, common::Registry& registry);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Binds and listens; returns the bound address, or why it could not.
  absl::StatusOr<std::string> Listen();
  void Start(Handler handler);
  // Stops the thread after a last read of every connection and closes all sockets. Idempotent.
  void Stop();

 private:
  struct Connection {
    int fd = -1;
    std::string pending;      // an unfinished line
    bool discarding = false;  // skipping the rest of a line that was too long
  };

  void Run();
  void Accept();
  // Reads what `c` has; false when the connection is finished (EOF or error).
  bool Read(Connection& c);
  void Consume(Connection& c, std::string_view data);
  void Close(Connection& c);

  const Options options_;
  Handler handler_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::vector<Connection> conns_;
  std::vector<char> read_buf_;
  std::thread thread_;
  common::Counter& packets_;
  common::Counter& bytes_;
  common::Counter& too_large_;
  common::Counter& refused_;
  common::Gauge& open_;
};

}  // namespace strata::agent::statsd
