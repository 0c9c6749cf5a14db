#pragma once

// An HTTP server (cpp-httplib) bound to a configured address, served on its own thread pool.
//
// Listen() binds (port 0 picks a free port) and returns the bound "host:port"; Start() serves on a
// background thread; Stop() stops accepting, finishes in-flight requests, and joins. Every request
// is counted in strata_http_requests_total{server,path,code}. When a bearer token is configured,
// paths under the protected prefixes require `Authorization: Bearer <token>` (401 otherwise).
// Responses are compressed (gzip, or br when accepted) for clients that send Accept-Encoding, and
// carry `Vary: Accept-Encoding`.

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/selfmon/metrics.h"

namespace strata::common {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";
  std::string bearer_token;                     // empty = no auth
  std::vector<std::string> protected_prefixes;  // e.g. {"/api/"}
  int64_t read_timeout_ms = 30000;
  int64_t write_timeout_ms = 30000;
  size_t max_body_bytes = 32u << 20;
  size_t threads = 8;
};

class HttpServer {
 public:
  HttpServer(std::string name, HttpServerOptions options, Registry& registry);
  ~HttpServer();

  // Register handlers on this before Start().
  httplib::Server& server() { return *server_; }

  absl::StatusOr<std::string> Listen();
  void Start();
  void Stop();

 private:
  std::string name_;
  HttpServerOptions options_;
  Registry& registry_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// Splits "host:port" / ":port" / "[v6]:port"; an empty host means all interfaces.
bool SplitHostPort(const std::string& addr, std::string* host, int* port);

}  // namespace strata::common
