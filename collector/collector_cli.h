#pragma once

// Command line of strata-collector: --config plus flags for the settings people override most,
// which win over the file. Exit codes: 0 ok, 1 runtime failure, 2 bad command line or config.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "collector/collector_config.h"

namespace strata::collector {

struct CollectorCli {
  std::string config_path;
  bool check_config = false;
  std::optional<std::string> data_dir, http_listen, grpc_listen, tls_ca, tls_cert, tls_key,
      log_level;
};

// Parses argv. Returns an exit code when the process should exit now (--help, --version,
// --print-config-reference, usage errors), std::nullopt to go on.
std::optional<int> ParseCollectorCli(int argc, char** argv, CollectorCli* cli);

// Loads the config file named on the command line (or the embedded defaults) and applies the
// command-line overrides.
absl::Status LoadCollectorConfig(const CollectorCli& cli, CollectorConfig* config);

}  // namespace strata::collector
