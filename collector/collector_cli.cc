#include "collector/collector_cli.h"

#include <CLI/CLI.hpp>

#include "common/config/cli_parse.h"
#include "strata/version.h"

namespace strata::collector {

std::optional<int> ParseCollectorCli(int argc, char** argv, CollectorCli* cli) {
  CLI::App app{
      "strata-collector: receives agent batches over mTLS gRPC, stores samples and answers "
      "Prometheus-compatible queries.\nWith no --config it runs on embedded defaults "
      "(see --print-config-reference)."};
  app.set_version_flag("--version", std::string("strata-collector ") + kVersion);
  bool print_reference = false;
  app.add_option("-c,--config", cli->config_path, "YAML config file")->check(CLI::ExistingFile);
  app.add_flag("--check-config", cli->check_config, "validate the config and exit (0 ok, 2 bad)");
  app.add_flag("--print-config-reference", print_reference,
               "print every config key with its default and doc, then exit");
  app.add_option("--data-dir", cli->data_dir, "directory for data (overrides data_dir)");
  app.add_option("--http-listen", cli->http_listen,
                 "HTTP API address host:port (overrides http_listen)");
  app.add_option("--grpc-listen", cli->grpc_listen,
                 "agent ingest gRPC address host:port (overrides grpc_listen)");
  app.add_option("--tls-ca", cli->tls_ca, "CA certificate for agent certs (overrides tls.ca_file)");
  app.add_option("--tls-cert", cli->tls_cert, "collector certificate (overrides tls.cert_file)");
  app.add_option("--tls-key", cli->tls_key, "collector private key (overrides tls.key_file)");
  app.add_option("--log-level", cli->log_level, "debug, info, warn or error (overrides log_level)");
  return common::ParseCommandLine(app, argc, argv, print_reference, "strata-collector",
                                  CollectorConfigSchema());
}

absl::Status LoadCollectorConfig(const CollectorCli& cli, CollectorConfig* config) {
  *config = CollectorConfig{};
  absl::Status s = common::LoadConfig(cli.config_path, CollectorConfigSchema(), config);
  if (!s.ok()) return s;
  if (cli.data_dir) config->data_dir = *cli.data_dir;
  if (cli.http_listen) config->http_listen = *cli.http_listen;
  if (cli.grpc_listen) config->grpc_listen = *cli.grpc_listen;
  if (cli.tls_ca) config->tls.ca_file = *cli.tls_ca;
  if (cli.tls_cert) config->tls.cert_file = *cli.tls_cert;
  if (cli.tls_key) config->tls.key_file = *cli.tls_key;
  if (cli.log_level) config->log_level = *cli.log_level;
  return absl::OkStatus();
}

}  // namespace strata::collector
