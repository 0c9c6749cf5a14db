#pragma once

// Routes gRPC core's own log lines into our logfmt logger, and reports TLS handshake failures.
//
// gRPC terminates TLS inside its core and gives the application no callback when a peer fails the
// handshake (no client certificate, certificate from another CA). The only signal is its log line
// ("Handshake failed with fatal error SSL_ERROR_SSL: ..."), so the bridge recognises those lines
// and calls `on_handshake_failure(reason)`; the collector counts and logs them. gRPC's log hook is
// process-global, hence Install() is called once from main().

#include <functional>
#include <string>

namespace strata::common {

using HandshakeFailureFn = std::function<void(const std::string& detail)>;

// Installs the hook and lowers gRPC's verbosity to INFO so handshake failures reach it.
void InstallGrpcLogBridge(HandshakeFailureFn on_handshake_failure);

// Classifies a gRPC core log message; returns true (and a short detail) for handshake failures.
bool IsHandshakeFailure(const std::string& message, std::string* detail);

}  // namespace strata::common
