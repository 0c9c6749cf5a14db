#pragma once

// TLS material for mutual TLS between agent and collector, loaded from PEM files named in config.
// Loading reads every file up front so a wrong path fails at start-up with the path in the error,
// not at the first connection.

#include <string>

#include "absl/status/statusor.h"

namespace strata::common {

struct TlsFileOptions {
  std::string ca_file;    // CA bundle that signs the peer's certificate
  std::string cert_file;  // our certificate chain (may be empty on the agent: no client cert)
  std::string key_file;   // our private key
};

struct TlsMaterial {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};

// Reads the files. `require_cert` makes cert_file/key_file mandatory (the collector).
absl::StatusOr<TlsMaterial> LoadTlsMaterial(const TlsFileOptions& options, bool require_cert);

// Reads a whole small file (bounded to 1 MiB, certificates are tiny).
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

}  // namespace strata::common
