#include "agent/agent_cli.h"

#include <CLI/CLI.hpp>

#include "common/config/cli_parse.h"
#include "strata/version.h"

namespace strata::agent {

std::optional<int> ParseAgentCli(int argc, char** argv, AgentCli* cli) {
  CLI::App app{
      "strata-agent: scrapes exporters and reads host counters, then ships batches to a "
      "strata-collector over mTLS gRPC.\nWith no --config it runs on embedded defaults "
      "(see --print-config-reference)."};
  app.set_version_flag("--version", std::string("strata-agent ") + kVersion);
  bool print_reference = false;
  app.add_option("-c,--config", cli->config_path, "YAML config file")->check(CLI::ExistingFile);
  app.add_flag("--check-config", cli->check_config, "validate the config and exit (0 ok, 2 bad)");
  app.add_flag("--print-config-reference", print_reference,
               "print every config key with its default and doc, then exit");
  app.add_option("--collector", cli->collector,
                 "collector gRPC address host:port (overrides collector.address)");
  app.add_option("--http-listen", cli->http_listen,
                 "address of /metrics and /healthz (overrides http_listen)");
  app.add_option("--tls-ca", cli->tls_ca, "CA certificate (overrides collector.tls.ca_file)");
  app.add_option("--tls-cert", cli->tls_cert,
                 "client certificate (overrides collector.tls.cert_file)");
  app.add_option("--tls-key", cli->tls_key,
                 "client private key (overrides collector.tls.key_file)");
  app.add_option(
      "--tls-server-name", cli->tls_server_name,
      "name expected in the collector certificate (overrides collector.tls.server_name)");
  app.add_option("--agent-id", cli->agent_id, "agent identity (overrides agent_id)");
  app.add_option("--log-level", cli->log_level, "debug, info, warn or error (overrides log_level)");
  return common::ParseCommandLine(app, argc, argv, print_reference, "strata-agent",
                                  AgentConfigSchema());
}

absl::Status LoadAgentConfig(const AgentCli& cli, AgentConfig* config, bool* defaults_scrape) {
  *config = AgentConfig{};
  absl::Status s = common::LoadConfig(cli.config_path, AgentConfigSchema(), config);
  if (!s.ok()) return s;
  *defaults_scrape =
      config->scrape_configs.size() == AgentConfig::DefaultScrapeConfigs().size() &&
      config->scrape_configs.front().job_name == "strata-agent" &&
      config->scrape_configs.front().static_configs.front().targets.front() == "localhost:9472";
  if (cli.collector) config->collector.address = *cli.collector;
  if (cli.http_listen) config->http_listen = *cli.http_listen;
  if (cli.tls_ca) config->collector.tls.ca_file = *cli.tls_ca;
  if (cli.tls_cert) config->collector.tls.cert_file = *cli.tls_cert;
  if (cli.tls_key) config->collector.tls.key_file = *cli.tls_key;
  if (cli.tls_server_name) config->collector.tls.server_name = *cli.tls_server_name;
  if (cli.agent_id) config->agent_id = *cli.agent_id;
  if (cli.log_level) config->log_level = *cli.log_level;
  return absl::OkStatus();
}

}  // namespace strata::agent
