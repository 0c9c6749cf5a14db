#pragma once

// Opens a bound (and, for TCP, listening) non-blocking socket for a "host:port" address, the form
// every listen setting of the agent takes ("127.0.0.1:8125", "[::1]:8125", ":8125" for every
// interface, port 0 for any free port).

#include <string>

#include "absl/status/statusor.h"

namespace strata::agent::statsd {

struct ListenSocket {
  int fd = -1;
  std::string address;  // the bound address, "host:port" with the real port
};

enum class Transport { kUdp, kTcp };

// The socket, or InvalidArgument for a malformed address and Unavailable when it cannot be bound
// (e.g. the port is taken), naming the address and the system's reason.
absl::StatusOr<ListenSocket> OpenListenSocket(const std::string& address, Transport transport);

}  // namespace strata::agent::statsd
