#pragma once

// The servers the end-to-end benchmarks measure, started on 127.0.0.1 with fresh data dirs: the
// Strata collector (from a generated config) and VictoriaMetrics single-node, plus the small HTTP
// helpers the drivers use against them. Start functions block until the server answers its
// readiness endpoint and fail the run (Fail()) if it does not.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/common/process.h"

namespace strata::bench {

struct HostPort {
  std::string host;
  int port = 0;
};

// "host:port" -> {host, port}.
HostPort ParseHostPort(const std::string& s);

// GET `path` on a fresh connection; returns the HTTP status, or 0 on a transport error. The body
// goes to `body` when given.
int HttpGetStatus(const HostPort& hp, const std::string& path, std::string* body = nullptr,
                  int timeout_s = 300);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(const std::string& s);

// The sum of every line of the server's /metrics text exposition whose series starts with
// `prefix` (e.g. `vm_rows_inserted_total{type="promremotewrite"}`).
double MetricSum(const HostPort& hp, const std::string& prefix);

// A port that was free a moment ago, for VictoriaMetrics which cannot report a port-0 bind.
int FreePort();

struct Server {
  std::unique_ptr<Process> process;
  HostPort http;
  std::string grpc;  // Strata only: the agent gRPC (mTLS) listen address
  std::string data_dir;
  std::string name;
};

struct StrataServerOptions {
  std::string collector;  // path of the strata-collector binary
  std::string certs_dir;  // ca.pem, collector.pem, collector-key.pem (scripts/gen-dev-certs.sh)
  std::string fsync = "interval";
  int64_t retention_hours = 72;
  int64_t max_series = 0;  // storage, per-stream and series-API limits
};

// Writes `dir`/collector.yaml (data in `dir`/data, listeners on port 0, log in
// `dir`/collector.log), starts the collector, reads the bound addresses from its log and waits
// for /-/ready.
Server StartStrata(const StrataServerOptions& options, const std::string& dir);

// Starts VictoriaMetrics with data in `dir`/vmdata, a 100-year retention, `extra_args`, and log
// in `dir`/vm.log, and waits for /health. Retries on another port if it lost the port race.
Server StartVm(const std::string& vm_binary, const std::string& dir,
               const std::vector<std::string>& extra_args = {});

}  // namespace strata::bench
