#pragma once

// Command line of strata-agent: --config plus flags for the settings people override most, which
// win over the file. Exit codes: 0 ok, 1 runtime failure, 2 bad command line or config.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "agent/agent_config.h"

namespace strata::agent {

struct AgentCli {
  std::string config_path;
  bool check_config = false;
  std::optional<std::string> collector, http_listen, tls_ca, tls_cert, tls_key, tls_server_name,
      log_level, agent_id;
};

std::optional<int> ParseAgentCli(int argc, char** argv, AgentCli* cli);

// Loads the file (or embedded defaults) and applies overrides. `*defaults_scrape` tells whether
// scrape_configs are the embedded defaults (so main may point the self-scrape at the bound port).
absl::Status LoadAgentConfig(const AgentCli& cli, AgentConfig* config, bool* defaults_scrape);

}  // namespace strata::agent
