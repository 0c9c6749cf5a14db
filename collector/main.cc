// strata-collector: builds the stages from config, connects them, runs until SIGTERM/SIGINT.
//
//   agents --mTLS gRPC--> IngestService ---.
//   Prometheus remote write (HTTP) -----------> hot::HotStore (head + blocks) <-- QueryApi <-- HTTP
//
// Shutdown: readiness turns false, the gRPC server stops accepting and lets open batches finish
// (bounded), the HTTP server stops, then the process exits.

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <thread>

#include "collector/api/http_routes.h"
#include "collector/api/query_api.h"
#include "collector/api/status_api.h"
#include "collector/collector_cli.h"
#include "collector/ingest/ingest_service.h"
#include "collector/ingest/remote_write/remote_write_handler.h"
#include "collector/storage/hot/store/hot_store.h"
#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/base/process_setup.h"
#include "common/base/shutdown.h"
#include "common/net/grpc_log_bridge.h"
#include "common/net/http_server.h"
#include "common/net/tls_files.h"
#include "strata/version.h"

namespace strata::collector {
namespace {

using common::Log;
using common::LogLevel;

constexpr char kComponent[] = "collector";

// Every storage.maintenance_interval: the hot tier's maintenance (block cutting, retention, WAL
// checkpoint), and at once when Wake() is called (the hot store asks for it when data arrives
// faster than the interval cuts blocks). Stops promptly.
class MaintenanceLoop {
 public:
  MaintenanceLoop(hot::HotStore& store, const common::Clock& clock, int64_t interval_ms)
      : store_(store), clock_(clock), interval_ms_(interval_ms), thread_([this] { Run(); }) {}
  ~MaintenanceLoop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void Wake() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake_ = true;
    }
    cv_.notify_all();
  }

 private:
  void Run() {
    pthread_setname_np(pthread_self(), "maintenance");
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_),
                   [this] { return stop_ || wake_; });
      if (stop_) return;
      wake_ = false;
      lock.unlock();
      store_.Maintenance(clock_.NowMs()).IgnoreError();  // logged and counted inside
      lock.lock();
    }
  }
  hot::HotStore& store_;
  const common::Clock& clock_;
  int64_t interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::thread thread_;
};

// What /api/v1/status/* reports: the build, the start time, the effective flags and config.
api::StatusInfo MakeStatusInfo(const CollectorCli& cli, const CollectorConfig& config,
                               int64_t start_time_ms) {
  api::StatusInfo info;
  info.build = api::CurrentBuildInfo();
  info.start_time_ms = start_time_ms;
  info.storage_retention_ms = config.storage.retention_ms;
  info.flags = {{"config", cli.config_path},         {"data-dir", config.data_dir},
                {"http-listen", config.http_listen}, {"grpc-listen", config.grpc_listen},
                {"tls-ca", config.tls.ca_file},      {"tls-cert", config.tls.cert_file},
                {"tls-key", config.tls.key_file},    {"log-level", config.log_level}};
  std::string yaml;
  CollectorConfigSchema().Describe(config, 0, &yaml);
  info.config_yaml = api::StripYamlComments(yaml);
  return info;
}

int Run(int argc, char** argv) {
  common::ApplyProcessDefaults();
  common::InstallShutdownSignals();
  CollectorCli cli;
  if (auto code = ParseCollectorCli(argc, argv, &cli)) return *code;
  CollectorConfig config;
  if (absl::Status s = LoadCollectorConfig(cli, &config); !s.ok()) {
    std::cerr << "strata-collector: invalid configuration: " << s.message() << "\n";
    return 2;
  }
  if (!common::SetLogLevelByName(config.log_level)) {  // --log-level bypasses the schema check
    std::cerr << "strata-collector: invalid log level \"" << config.log_level << "\"\n";
    return 2;
  }
  absl::StatusOr<common::TlsMaterial> tls = common::LoadTlsMaterial(
      {config.tls.ca_file, config.tls.cert_file, config.tls.key_file}, /*require_cert=*/true);
  if (!tls.ok()) {
    std::cerr << "strata-collector: invalid configuration: " << tls.status().message() << "\n";
    return 2;
  }
  std::string bearer_token;
  if (!config.http_bearer_token_file.empty()) {
    auto token = common::ReadSmallFile(config.http_bearer_token_file);
    if (!token.ok()) {
      std::cerr << "strata-collector: invalid configuration: http_bearer_token_file: "
                << token.status().message() << "\n";
      return 2;
    }
    bearer_token = *token;
    while (!bearer_token.empty() && std::isspace(static_cast<unsigned char>(bearer_token.back()))) {
      bearer_token.pop_back();
    }
  }
  if (cli.check_config) {
    std::cout << "configuration ok\n";
    return 0;
  }

  Log(LogLevel::kInfo, kComponent, "starting", {{"version", kVersion}});
  common::SystemClock clock;
  const int64_t start_time_ms = clock.NowMs();
  common::Registry registry;
  common::Counter& handshake_failures =
      registry.GetCounter("strata_collector_grpc_tls_handshake_failures_total",
                          "TLS handshakes refused on the agent ingest port (bad or missing "
                          "client certificate).");
  common::InstallGrpcLogBridge([&handshake_failures](const std::string& detail) {
    handshake_failures.Inc();
    Log(LogLevel::kWarn, "ingest", "refused agent connection: TLS handshake failed",
        {{"detail", detail}});
  });

  hot::HotStoreOptions hot_options;
  hot_options.dir = config.data_dir + "/hot";
  hot_options.block_range_ms = config.storage.block_range_ms;
  hot_options.retention_ms = config.storage.retention_ms;
  hot_options.wal_checkpoint_segments = config.storage.wal_checkpoint_segments;
  hot::HeadOptions& head_options = hot_options.head;
  head_options.wal.fsync =
      config.storage.fsync == "always" ? hot::FsyncPolicy::kAlways : hot::FsyncPolicy::kInterval;
  head_options.wal.sync_interval_ms = config.storage.fsync_interval_ms;
  head_options.wal.segment_size_bytes =
      static_cast<uint64_t>(config.storage.wal_segment_size_bytes);
  head_options.out_of_order_window_ms = config.storage.out_of_order_window_ms;
  head_options.max_series = config.storage.max_series;
  head_options.max_series_per_metric = config.storage.max_series_per_metric;
  head_options.max_samples_per_chunk = static_cast<int>(config.storage.max_samples_per_chunk);
  // Samples older than the retention are refused rather than stored and dropped a minute later.
  head_options.min_valid_t_ms = clock.NowMs() - config.storage.retention_ms;
  absl::StatusOr<std::unique_ptr<hot::HotStore>> hot_store =
      hot::HotStore::Open(hot_options, registry);
  if (!hot_store.ok()) {
    Log(LogLevel::kError, kComponent, "cannot open the hot tier",
        {{"dir", hot_options.dir}, {"error", std::string(hot_store.status().message())}});
    return 1;
  }
  hot::HotStore& store = **hot_store;
  auto maintenance =
      std::make_unique<MaintenanceLoop>(store, clock, config.storage.maintenance_interval_ms);
  // The servers stop before the loop is destroyed, so no append can call it afterwards.
  store.SetCutDueCallback([loop = maintenance.get()] { loop->Wake(); });

  IngestOptions ingest_options;
  ingest_options.limits.max_compressed_bytes = static_cast<uint32_t>(config.ingest.max_batch_bytes);
  ingest_options.limits.max_uncompressed_bytes =
      static_cast<uint32_t>(config.ingest.max_uncompressed_bytes);
  ingest_options.limits.max_series_refs =
      static_cast<uint32_t>(config.ingest.max_series_per_stream);
  IngestService ingest(ingest_options, store, registry);

  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = tls->ca_pem;
  ssl.pem_key_cert_pairs.push_back({tls->key_pem, tls->cert_pem});
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(config.grpc_listen, grpc::SslServerCredentials(ssl), &grpc_port);
  builder.RegisterService(&ingest);
  // Oversized batches must reach the service to be rejected with a typed error instead of
  // killing the stream, so gRPC's own cap sits well above the batch cap.
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<int64_t>(config.ingest.max_batch_bytes * 2 + (1 << 20), INT32_MAX)));
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 2);
  grpc::ResourceQuota quota("strata-ingest");
  quota.SetMaxThreads(static_cast<int>(config.ingest.max_streams) + 4);
  builder.SetResourceQuota(quota);
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  if (!grpc_server || grpc_port == 0) {
    Log(LogLevel::kError, kComponent, "cannot listen for agents", {{"addr", config.grpc_listen}});
    return 1;
  }
  std::string grpc_host;
  int unused_port = 0;
  common::SplitHostPort(config.grpc_listen, &grpc_host, &unused_port);
  Log(LogLevel::kInfo, kComponent, "listening",
      {{"component_listener", "grpc"}, {"addr", grpc_host + ":" + std::to_string(grpc_port)}});

  api::QueryApiOptions query_options;
  query_options.lookback_delta_ms = config.query.lookback_delta_ms;
  query_options.max_series = config.query.max_series;
  query_options.query_timeout_ms = config.query.timeout_ms;
  query_options.max_samples = config.query.max_samples;
  query_options.read_ahead = config.query.read_ahead;
  query_options.read_threads = static_cast<int>(config.query.read_threads);
  api::QueryApi query_api(store, clock, query_options);
  api::StatusApi status_api(MakeStatusInfo(cli, config, start_time_ms), clock);
  ingest::RemoteWriteOptions rw_options;
  rw_options.max_body_bytes = static_cast<uint64_t>(config.ingest.remote_write_max_body_bytes);
  rw_options.max_uncompressed_bytes =
      static_cast<uint64_t>(config.ingest.remote_write_max_uncompressed_bytes);
  ingest::RemoteWriteHandler remote_write(rw_options, store, registry);
  std::atomic<bool> ready{false};
  common::HttpServerOptions http_options;
  http_options.listen = config.http_listen;
  // httplib answers 413 before buffering a body over this.
  http_options.max_body_bytes = static_cast<size_t>(config.ingest.remote_write_max_body_bytes);
  http_options.bearer_token = bearer_token;
  http_options.protected_prefixes = {"/api/"};
  common::HttpServer http("collector", http_options, registry);
  RegisterHttpRoutes(http.server(), query_api, status_api, remote_write, store.head(), registry,
                     ready);
  absl::StatusOr<std::string> http_addr = http.Listen();
  if (!http_addr.ok()) {
    Log(LogLevel::kError, kComponent, std::string(http_addr.status().message()));
    grpc_server->Shutdown();
    return 1;
  }
  http.Start();
  Log(LogLevel::kInfo, kComponent, "listening",
      {{"component_listener", "http"}, {"addr", *http_addr}});
  ready.store(true);
  Log(LogLevel::kInfo, kComponent, "ready");

  std::string sig = common::WaitForShutdownSignal();
  Log(LogLevel::kInfo, kComponent, "shutting down", {{"signal", sig}});
  ready.store(false);
  grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  http.Stop();
  maintenance.reset();  // Maintenance runs on one thread at a time: stop the loop first
  if (absl::Status s = store.Shutdown(clock.NowMs()); !s.ok()) {
    Log(LogLevel::kError, kComponent, "storage shutdown incomplete (the WAL still holds the data)",
        {{"error", std::string(s.message())}});
  }
  Log(LogLevel::kInfo, kComponent, "stopped");
  return 0;
}

}  // namespace
}  // namespace strata::collector

int main(int argc, char** argv) { return strata::collector::Run(argc, argv); }
